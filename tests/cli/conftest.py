"""Fixtures of the CLI and `make run` tests: the `switchboard` command as installed in the venv, run
as a subprocess against the real gateway (`python -m gateway` on a free port) with the session's
jobs and queue services and a real job worker behind it."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.auth import issue_token
from services.common.settings import Settings
from tests.conftest import env_for, start_gateway

SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed `switchboard` entry point (not the module) the way a shell would."""
    return subprocess.run([SWITCHBOARD, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def cli_gateway(settings: Settings, logs_dir: Path, jobs_service, queue_service, job_worker) -> Iterator[str]:
    comp, url = start_gateway(settings, logs_dir)
    yield url
    comp.stop()


def cli_env(settings: Settings, url: str, roles: tuple[str, ...] = ("admin",), **extra: str) -> dict[str, str]:
    """Environment of a shell user scripting the gateway at `url` with a token of `roles`."""
    token = issue_token(settings, f"cli-{secrets.token_hex(4)}", list(roles), ttl_s=600)
    return env_for(settings, **{"SWITCHBOARD_URL": url, "SWITCHBOARD_TOKEN": token, **extra})


