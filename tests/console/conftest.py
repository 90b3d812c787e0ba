"""Fixtures of the console's browser tests: real services, a real Celery worker, real gateways
(subprocesses), and Debian's chromium driven by Playwright.

Chromium is not optional: when /usr/bin/chromium is missing the tests FAIL with the install step
(`apt-get install -y chromium`), they are never skipped silently. Playwright's own browser download
does not work on the CI machines, so the system binary is launched.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from services.common.settings import Settings
from tests.conftest import ROOT, Component, env_for, free_port, start_gateway

CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "console"
DOCS_SHOTS = ROOT / "docs" / "console"
# Quick tests must not trip the default 50/min window of one user: this gateway allows more.
HIGH_LIMITS = {"SWITCHBOARD_RATE_LIMIT_PER_MIN": "2000", "SWITCHBOARD_RATE_LIMIT_HIGH_RISK_PER_MIN": "2000"}
VIEWS = ["dashboard", "jobs", "system", "workers", "managers", "logs", "config", "analytics", "audit"]


def uid(prefix: str = "u") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


class Api:
    def __init__(self, url: str, settings: Settings) -> None:
        self.url, self.settings = url, settings
        self.http = httpx.Client(timeout=30)

    def token(self, role: str = "admin", sub: str | None = None, ttl_s: int = 3600) -> str:
        return issue_token(self.settings, sub or uid(role), [role] if role else [], ttl_s=ttl_s)

    def act(self, action: str, payload: dict[str, Any] | None = None, role: str = "admin") -> dict[str, Any]:
        r = self.http.post(f"{self.url}/api/admin/action", json={"action": action, "payload": payload or {}},
                           headers={"Authorization": f"Bearer {self.token(role)}", "Idempotency-Key": uid("k")})
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def wait_job(self, job_id: str, wanted: set[str], timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.act("job.get", {"job_id": job_id})["job"]
            if job["status"] in wanted or time.monotonic() > deadline:
                return job
            time.sleep(0.1)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the console's browser tests need Debian's chromium "
                    "(apt-get install -y chromium); they are not skipped.", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="module")
def console_gateway(settings: Settings, logs_dir: Path, job_worker: Component) -> Iterator[str]:
    comp, url = start_gateway(settings, logs_dir, **HIGH_LIMITS)
    yield url
    comp.stop()


@pytest.fixture(scope="module")
def api(console_gateway: str, settings: Settings) -> Iterator[Api]:
    a = Api(console_gateway, settings)
    yield a
    a.http.close()


class FixedPortGateway:
    """A gateway that can be stopped and started again on the same port (a dropped socket)."""

    def __init__(self, settings: Settings, logs_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env_for(settings, GATEWAY_PORT=str(self.port), **HIGH_LIMITS)
        self.logs_dir = logs_dir
        self.comp: Component | None = None

    def start(self) -> None:
        self.comp = Component("gateway", self.env, self.logs_dir / f"gateway-fixed-{self.port}.log").start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.comp.proc is not None
            if self.comp.proc.poll() is not None:
                raise RuntimeError(f"gateway exited:\n{self.comp.log()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gateway did not start")

    def stop(self) -> None:
        if self.comp:
            self.comp.stop()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    # Module scope, not session: while sync_playwright() is open its event loop counts as running
    # in this thread, and every later test that calls asyncio.run() would fail.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Console:
    """One browser page on the console, with what a test needs to watch."""

    def __init__(self, page: Any, url: str) -> None:
        self.page, self.url = page, url
        self.errors: list[str] = []
        self.actions: list[dict[str, Any]] = []  # every POST /api/admin/action: body + headers
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._on_request)

    def _on_request(self, req: Any) -> None:
        if req.url.endswith("/api/admin/action") and req.method == "POST":
            self.actions.append({"body": req.post_data_json, "headers": req.headers})

    def sign_in(self, token: str, view: str = "dashboard") -> None:
        self.page.goto(f"{self.url}/#/{view}")
        self.page.fill("#token", token)
        self.page.click("#signin-form button[type=submit]")
        self.page.wait_for_selector(f"#view[data-view={view}]")
        self.wait_live()

    def wait_live(self, timeout: float = 10_000) -> None:
        self.page.wait_for_selector("#conn[data-state=live]", timeout=timeout)

    def goto(self, view: str) -> None:
        self.page.evaluate("v => { location.hash = '#/' + v; }", view)
        self.page.wait_for_selector(f"#view[data-view={view}] .view-{view}")

    def sent(self, action: str) -> list[dict[str, Any]]:
        return [a for a in self.actions if a["body"] and a["body"].get("action") == action]

    def screenshot(self, name: str, docs_name: str | None = None) -> None:
        """Always a test artifact (git-ignored); with SWITCHBOARD_UPDATE_DOCS_SCREENSHOTS=1 also the
        README's copy under docs/console/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if docs_name and os.environ.get("SWITCHBOARD_UPDATE_DOCS_SCREENSHOTS") == "1":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(DOCS_SHOTS / f"{docs_name}.png"), full_page=False)

    def assert_no_errors(self) -> None:
        # A refused action logs nothing; a CSP violation or an uncaught exception does.
        bad = [e for e in self.errors if "Failed to load resource" not in e and "WebSocket connection" not in e]
        assert not bad, bad


@pytest.fixture
def open_console(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []
    consoles: list[Console] = []

    def make(url: str, width: int = 1280, height: int = 860) -> Console:
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        c = Console(ctx.new_page(), url)
        consoles.append(c)
        return c

    yield make
    try:
        for c in consoles:
            c.assert_no_errors()
    finally:
        for ctx in contexts:
            ctx.close()
