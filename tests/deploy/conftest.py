"""Fixtures for the deployment checks: a real kubectl (fetched once into .venv/, see
deploy/tools/fetch_kubectl.py) rendering each kustomize overlay, and the setting names the
components really read (from services/common/settings.py, not a copy)."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from services.common import settings as settings_mod

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = ["dev", "prod"]
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _load_fetcher() -> ModuleType:
    path = REPO / "deploy" / "tools" / "fetch_kubectl.py"
    spec = importlib.util.spec_from_file_location("fetch_kubectl", path)
    assert spec and spec.loader, path
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


fetch_kubectl = _load_fetcher()


@pytest.fixture(scope="session")
def kubectl() -> Path:
    """The cached kubectl; fetched when missing. No kubectl is a failure, never a skip."""
    try:
        return fetch_kubectl.kubectl_path()
    except fetch_kubectl.FetchError as exc:
        pytest.fail(f"deploy tests need kubectl to render deploy/k8s and could not get one: {exc}",
                    pytrace=False)


def render(kubectl: Path, overlay: str) -> list[dict[str, Any]]:
    proc = subprocess.run([str(kubectl), "kustomize", str(K8S / "overlays" / overlay)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"kubectl kustomize overlays/{overlay} failed:\n{proc.stderr}"
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    assert docs, f"overlays/{overlay} rendered nothing"
    return docs


_rendered: dict[str, list[dict[str, Any]]] = {}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def objects(kubectl: Path, overlay: str) -> list[dict[str, Any]]:
    if overlay not in _rendered:
        _rendered[overlay] = render(kubectl, overlay)
    return _rendered[overlay]


def loader_env_names() -> set[str]:
    """Every environment variable `settings.load()` reads, taken from its source: the string
    literals of `load` that look like variable names, the port variables of PORTS, and the
    `<SERVICE>_ADDR` names (checked against the loader's behaviour, not assumed)."""
    tree = ast.parse(Path(settings_mod.__file__).read_text())
    load_fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "load")
    names = {n.value for n in ast.walk(load_fn)
             if isinstance(n, ast.Constant) and isinstance(n.value, str) and ENV_NAME.match(n.value)}
    names |= {var for var, _ in settings_mod.PORTS.values()}
    for svc in settings_mod.PORTS:
        name = f"{svc.upper()}_ADDR"
        assert settings_mod.load({name: "probe.example:1"}).addr(svc) == "probe.example:1", name
        names.add(name)
    # Sanity: the extraction found the loader's names (a refactor that hides them fails here).
    assert {"DATABASE_URL", "REDIS_URL", "SWITCHBOARD_DRAIN_S", "BIND_HOST", "GATEWAY_PORT"} <= names
    return names
