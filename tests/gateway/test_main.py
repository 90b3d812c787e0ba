"""`python -m gateway`: refuses to start without its backends; drains and keeps audit records on SIGTERM."""

import subprocess
import sys

import httpx

from tests.conftest import ROOT, env_for, free_port
from tests.gateway.conftest import audit_rows, new_trace, start_gateway


def test_unreachable_postgres_is_one_line_and_nonzero(settings):
    env = env_for(settings, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x",
                  GATEWAY_PORT=str(free_port()))
    p = subprocess.run([sys.executable, "-m", "gateway"], env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0]


def test_sigterm_exits_zero_and_flushes_audit(settings, logs_dir):
    gw, url = start_gateway(settings, logs_dir)
    from gateway.auth import issue_token

    traces = []
    with httpx.Client(timeout=10) as http:
        for _ in range(5):
            trace, h = new_trace()
            traces.append(trace)
            h["Authorization"] = f"Bearer {issue_token(settings, 'drainer', ['viewer'])}"
            assert http.post(f"{url}/api/admin/action", json={"action": "circuit.list", "payload": {}},
                             headers=h).status_code == 200
    assert gw.stop(timeout=15) == 0
    for t in traces:
        assert len(audit_rows(settings, t)) == 1
