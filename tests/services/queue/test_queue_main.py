"""`python -m services.queue` as a process: one stderr line and a non-zero exit when PostgreSQL
or Redis is unreachable; SIGTERM drains and exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys

from services.common.settings import Settings
from tests.conftest import ROOT, env_for, free_port, start_service


def run_main(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.queue"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_unreachable_database_exits_non_zero_with_one_line(settings: Settings) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/switchboard"
    done = run_main(env_for(settings, DATABASE_URL=dead))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and "queue" in lines[0]


def test_unreachable_redis_exits_non_zero_with_one_line(settings: Settings) -> None:
    done = run_main(env_for(settings, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Redis" in lines[0]


def test_sigterm_drains_and_exits_zero(settings: Settings, logs_dir) -> None:
    # A second instance on its own port; the session's queue service keeps serving the others.
    port = free_port()
    own = settings.with_(
        ports={**settings.ports, "queue": port}, addrs={**settings.addrs, "queue": f"127.0.0.1:{port}"}
    )
    comp = start_service("queue", own, logs_dir)
    comp.proc.send_signal(signal.SIGTERM)
    assert comp.proc.wait(timeout=15) == 0
    assert "queue draining" in comp.log()
