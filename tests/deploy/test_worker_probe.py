"""The job worker has no port: its readiness and liveness probes ask the pod's own Celery worker
for a ping through the broker. Run the exact command of the rendered manifest against a real
worker: it succeeds for the worker's host and fails for another pod's name."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import env_for
from .conftest import render


@pytest.mark.slow
def test_job_worker_probe_pings_only_its_own_worker(kubectl: Path, settings: Any, job_worker: Any) -> None:
    objects = render(kubectl, "prod")
    [dep] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "job-worker"]
    c = dep["spec"]["template"]["spec"]["containers"][0]
    commands = {tuple(c[p]["exec"]["command"]) for p in ("readinessProbe", "livenessProbe")}
    assert len(commands) == 1, "readiness and liveness run the same check"
    [command] = commands
    assert command[0] == "python"
    argv = [sys.executable, *command[1:]]
    timeout = c["livenessProbe"]["timeoutSeconds"]

    def probe(hostname: str) -> subprocess.CompletedProcess[str]:
        # In a pod, HOSTNAME is the pod name and the worker's node name ends in @<pod name>.
        return subprocess.run(argv, env=env_for(settings, HOSTNAME=hostname), capture_output=True,
                              text=True, timeout=timeout, check=False)

    ok = probe(socket.gethostname())
    assert ok.returncode == 0, f"probe failed against a live worker:\n{ok.stderr[-2000:]}"
    other = probe("some-other-pod-7f9c")
    assert other.returncode == 1, f"probe for another pod's name must fail:\n{other.stderr[-2000:]}"
