"""A worker's life in the registry: a frozen worker does not answer (504 naming it, never a hang),
turns offline after 3 missed heartbeats, is forgotten, comes back registered anew, and a shutdown
stops the process and marks it offline by its worker-offline event."""

from __future__ import annotations

import os
import secrets
import signal
import time

from tests.gateway.conftest import audit_rows
from tests.services.workers.conftest import start_named
from tests.services.workers.workers_helpers import act, ok, registry_row, stream_events, wait_for


def test_silent_worker_goes_offline_is_forgotten_and_shutdown_stops_one(
    api, settings, logs_dir, workers_service, redis_client
) -> None:
    host, comp = start_named(settings, logs_dir, "wz", concurrency=1)
    try:
        wait_for(lambda: (registry_row(settings, host) or {}).get("status") == "online", timeout=20)
        r = act(api, "worker.forget_offline", {"destination": host})
        assert r.status_code == 400 and r.json()["code"] == "WORKER_NOT_OFFLINE"
        assert r.json()["errors"][0]["field"] == "destination"

        os.kill(comp.proc.pid, signal.SIGSTOP)  # frozen: no replies, no heartbeats
        try:
            started = time.monotonic()
            r = act(api, "worker.ping", {"destination": host})
            assert r.status_code == 504 and host in r.json()["detail"], r.text
            assert r.json()["errors"][0]["field"] == "destination"
            assert time.monotonic() - started < 5
            wait_for(lambda: registry_row(settings, host)["status"] == "offline", timeout=15,
                     what="offline after 3 missed heartbeats")
            assert stream_events(redis_client, "worker.offline", hostname=host)
            assert host in {w["hostname"] for w in ok(act(api, "worker.list", {"status": "offline"}))["workers"]}

            trace = secrets.token_hex(16)
            data = ok(act(api, "worker.forget_offline", {"destination": host}, trace=trace))
            assert data == {"forgotten": [host]}
            assert registry_row(settings, host) is None
            assert audit_rows(settings, trace)[-1]["action"] == "worker.forget_offline"
            assert [e for e in stream_events(redis_client, "worker.forgotten", hostname=host) if e["trace_id"] == trace]
        finally:
            os.kill(comp.proc.pid, signal.SIGCONT)
        wait_for(lambda: (registry_row(settings, host) or {}).get("status") == "online", timeout=15,
                 what="registered anew")

        trace = secrets.token_hex(16)
        data = ok(act(api, "worker.shutdown", {"destination": host}, trace=trace))
        assert data == {"replies": [{"hostname": host, "ok": True, "message": "shutdown requested", "error": ""}],
                        "no_reply": []}
        wait_for(lambda: comp.proc.poll() is not None, timeout=20, what="worker process exits")
        wait_for(lambda: registry_row(settings, host)["status"] == "offline", timeout=5, what="offline by its event")
        assert audit_rows(settings, trace)[-1]["action"] == "worker.shutdown"
        assert [e for e in stream_events(redis_client, "worker.shutdown_requested", hostname=host)
                if e["trace_id"] == trace]
    finally:
        comp.kill()
