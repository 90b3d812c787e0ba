"""The tree stays as `make lint` wants it (ruff, then mypy over gateway, services and tools), so a
change that breaks either fails `make test` too, not only a separate lint step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)


def test_ruff_finds_nothing() -> None:
    out = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_finds_nothing() -> None:
    out = _run(str(BIN / "mypy"))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
