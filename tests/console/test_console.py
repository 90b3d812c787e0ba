"""The admin console in a real browser (Debian chromium through Playwright) against a real gateway,
the jobs and queue services and a Celery worker. Each test signs in with a freshly minted token."""

from __future__ import annotations

import time

import httpx
import pytest
import redis as redis_sync

from services.common.settings import Settings
from tests.conftest import start_gateway
from tests.console.conftest import VIEWS, FixedPortGateway, uid

pytestmark = pytest.mark.usefixtures("job_worker")


def test_served_at_root_with_csp_and_cache_headers(api):
    r = httpx.get(api.url + "/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "http" not in csp
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    again = httpx.get(api.url + "/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    vendor = httpx.get(api.url + "/console/vendor/uplot/uPlot-1.6.32.iife.min.js")
    assert vendor.status_code == 200 and "immutable" in vendor.headers["cache-control"]
    assert httpx.get(api.url + "/console/vendor/uplot/LICENSE").status_code == 200
    assert httpx.get(api.url + "/console/../app.py").status_code == 404
    assert httpx.get(api.url + "/console/nope.js").status_code == 404


def test_roles_decide_enabled_buttons(api, open_console):
    for role in ("viewer", "operator", "admin"):
        token = api.token(role)
        allowed = {a["name"]: a["allowed"] for a in httpx.get(
            api.url + "/api/admin/actions", headers={"Authorization": f"Bearer {token}"}).json()["actions"]}
        c = open_console(api.url)
        c.sign_in(token, "jobs")
        assert c.page.text_content("#who").endswith(role)
        seen = {}
        for view in VIEWS:
            c.goto(view)
            for name in c.page.eval_on_selector_all("[data-run]", "els => els.map(e => e.dataset.run)"):
                btn = c.page.locator(f"#view [data-run='{name}']").first
                seen[name] = btn.is_enabled()
                if not seen[name]:  # a disabled one says why
                    assert "needs the" in (btn.get_attribute("title") or "")
        assert seen == allowed, role
        c.goto("jobs")
        assert c.page.is_enabled("[data-run='job.cancel']") is (role != "viewer")
        assert c.page.is_enabled("[data-run='queue.clear']") is (role == "admin")
        why = c.page.locator("[data-why-not='queue.clear']")
        assert (why.count() == 1) is (role != "admin")
        c.goto("audit")
        assert c.page.is_enabled("button[data-action='audit.verify']") is (role == "admin")


def test_bad_tokens_return_to_sign_in_with_reason(api, open_console):
    c = open_console(api.url)
    c.page.goto(api.url + "/")
    c.page.fill("#token", "not-a-token")
    c.page.click("#signin-form button[type=submit]")
    assert "not a JWT" in c.page.text_content("#signin-reason")
    c.page.fill("#token", api.token("admin", ttl_s=-120))
    c.page.click("#signin-form button[type=submit]")
    assert "expired" in c.page.text_content("#signin-reason")
    # A well-formed token the gateway refuses (wrong key): the gateway's reason is shown.
    good = api.token("admin")
    forged = good[: good.rfind(".") + 1] + "A" * 43
    c.page.fill("#token", forged)
    c.page.click("#signin-form button[type=submit]")
    c.page.wait_for_selector("#signin-reason:not([hidden])")
    assert c.page.is_visible("#signin") and not c.page.is_visible("#nav")
    assert c.page.evaluate("sessionStorage.getItem('switchboard.token')") is None


def test_cancel_running_job_row_turns_cancelled_from_event(api, open_console):
    job = api.act("job.submit", {"task": "sleep", "kwargs": {"seconds": 30}})["job"]
    assert api.wait_job(job["job_id"], {"running"})["status"] == "running"
    c = open_console(api.url)
    c.sign_in(api.token("operator"), "jobs")
    row = c.page.locator(f"tr[data-key='{job['job_id']}']")
    row.locator("[data-col=status]", has_text="running").wait_for()
    c.page.evaluate("window.__notReloaded = true")
    lists_before = len(c.sent("job.list"))
    row.locator("button[data-action='job.cancel']").click()
    dialog = c.page.locator("dialog[data-confirm='job.cancel']")
    assert job["job_id"] in dialog.text_content() and "SIGTERM" in dialog.text_content()
    dialog.locator("[data-confirm-run='job.cancel']").click()
    row.locator("[data-col=status]", has_text="cancelled").wait_for(timeout=5000)
    assert row.get_attribute("data-updated-by").startswith("event:")
    assert c.page.evaluate("window.__notReloaded") is True
    assert len(c.sent("job.list")) == lists_before  # no refetch: the WebSocket event did it
    sent = c.sent("job.cancel")[-1]
    assert sent["headers"]["idempotency-key"] and len(sent["headers"]["x-trace-id"]) == 32
    c.page.locator(".toast-success", has_text="job.cancel").wait_for()
    assert api.wait_job(job["job_id"], {"cancelled"}, timeout=0)["status"] == "cancelled"


def test_clear_queue_through_typed_confirmation(api, open_console):
    name = uid("q")
    api.act("queue.create", {"queue_name": name})
    api.act("queue.pause", {"queue_name": name})
    jobs = [api.act("job.submit", {"task": "echo", "kwargs": {"message": "x"}, "queue": name})["job"]["job_id"]
            for _ in range(2)]
    c = open_console(api.url)
    c.sign_in(api.token("admin"), "jobs")
    row = c.page.locator(f"tr[data-key='{name}']")
    row.locator("[data-col=depth]", has_text="2").wait_for()
    row.locator("button[data-action='queue.clear']").click()
    dialog = c.page.locator("dialog[data-confirm='queue.clear']")
    dialog.wait_for()
    assert "cleared: 2" in dialog.locator("[data-dry-run]").text_content()
    confirm = dialog.locator("[data-confirm-run='queue.clear']")
    assert confirm.is_disabled()
    dialog.locator("#confirm-typed").fill(name + "x")
    assert confirm.is_disabled()
    dialog.locator("#confirm-typed").fill(name)
    confirm.click()
    c.page.locator(".toast-success", has_text="queue.clear").wait_for()
    row.locator("[data-col=depth]", has_text="0").wait_for(timeout=5000)
    clears = [a["body"]["payload"] for a in c.sent("queue.clear")]
    assert clears == [{"queue_name": name, "dry_run": True}, {"queue_name": name, "dry_run": False}]
    keys = {a["headers"]["idempotency-key"] for a in c.sent("queue.clear")}
    assert len(keys) == 2  # the preview and the real run are two intents
    assert all(api.wait_job(j, {"cancelled"})["status"] == "cancelled" for j in jobs)


def test_rate_limited_toast_shows_retry_after(settings: Settings, logs_dir, api, open_console):
    comp, url = start_gateway(settings, logs_dir, SWITCHBOARD_RATE_LIMIT_PER_MIN="3")
    try:
        c = open_console(url)
        c.sign_in(api.token("operator"), "jobs")  # the jobs view ran job.list once
        toast = c.page.locator(".toast[data-problem='rate-limited']")
        for _ in range(4):
            if toast.count():
                break
            c.page.click("form.filters button[type=submit]")
            c.page.wait_for_timeout(150)
        toast.first.wait_for()
        text = toast.first.text_content()
        assert "Rate limited" in text and "Retry after" in text and "trace id" in text
        assert "Retry in" in toast.first.locator(".toast-retry").text_content()
    finally:
        comp.stop()


def test_maintenance_toast_and_retry_reuses_key(settings: Settings, api, open_console):
    r = redis_sync.Redis.from_url(settings.redis_url)
    c = open_console(api.url)
    c.sign_in(api.token("operator"), "jobs")
    card = c.page.locator("[data-action-card='job.submit']")
    card.locator("summary").click()
    card.locator("input[name=task]").fill("echo")
    card.locator("textarea[name=kwargs]").fill('{"message": "m"}')
    r.set("switchboard:maintenance", '{"enabled": true, "reason": "console test"}')
    try:
        card.locator("button[data-run='job.submit']").click()
        c.page.locator("dialog[data-confirm='job.submit'] [data-confirm-run='job.submit']").click()
        toast = c.page.locator(".toast[data-problem='maintenance']")
        toast.wait_for()
        assert "console test" in toast.text_content() and "trace id" in toast.text_content()
        c.page.locator("[data-banner=maintenance]").wait_for()
        c.goto("dashboard")  # the banner stays on every view
        assert c.page.is_visible("[data-banner=maintenance]")
    finally:
        r.delete("switchboard:maintenance")
    toast.locator(".toast-retry").click()  # the same intent again: same Idempotency-Key
    c.page.locator(".toast-success", has_text="job.submit").wait_for()
    first, retry = c.sent("job.submit")[-2:]
    assert first["headers"]["idempotency-key"] == retry["headers"]["idempotency-key"]
    assert first["headers"]["x-trace-id"] == retry["headers"]["x-trace-id"]


def test_event_while_socket_down_arrives_after_reconnect(settings: Settings, logs_dir, api, open_console):
    gw = FixedPortGateway(settings, logs_dir)
    gw.start()
    try:
        q = uid("q")
        api.act("queue.create", {"queue_name": q})
        api.act("queue.pause", {"queue_name": q})  # the job stays pending: one event, no more
        c = open_console(gw.url)
        c.sign_in(api.token("viewer"), "jobs")
        c.page.wait_for_selector("table caption >> text=Jobs, page 1")
        # One event while connected (the console then resumes from its stream id), one while down.
        first = api.act("job.submit", {"task": "echo", "kwargs": {"message": "early"}, "queue": q})["job"]["job_id"]
        c.page.locator(f"tr[data-key='{first}']").wait_for(timeout=5000)
        gw.stop()
        c.page.wait_for_selector("#conn:not([data-state=live])")
        job_id = api.act("job.submit", {"task": "echo", "kwargs": {"message": "late"}, "queue": q})["job"]["job_id"]
        time.sleep(0.5)  # the socket stays down while the event is published
        assert c.page.locator(f"tr[data-key='{job_id}']").count() == 0
        gw.start()
        c.wait_live(timeout=20_000)
        row = c.page.locator(f"tr[data-key='{job_id}']")
        row.wait_for(timeout=5000)
        assert row.get_attribute("data-updated-by").startswith("event:")
    finally:
        gw.stop()


def test_every_generated_form_renders_and_validates(api, open_console):
    actions = httpx.get(api.url + "/api/admin/actions",
                        headers={"Authorization": f"Bearer {api.token('admin')}"}).json()["actions"]
    c = open_console(api.url)
    c.sign_in(api.token("admin"), "jobs")
    found: dict[str, str] = {}
    for view in VIEWS[1:]:  # the dashboard repeats some as quick actions
        c.goto(view)
        for name in c.page.eval_on_selector_all("#view [data-action-card]", "els => els.map(e => e.dataset.actionCard)"):
            assert name not in found, f"{name} listed in {found.get(name)} and {view}"
            found[name] = view
    assert set(found) == {a["name"] for a in actions}
    checked = 0
    for a in actions:
        c.goto(found[a["name"]])
        card = c.page.locator(f"[data-action-card='{a['name']}']")
        card.locator("summary").click()
        schema = a["payload_schema"]
        required = set(schema.get("required", []))
        before = len(c.actions)
        invalid = []
        for field, prop in schema.get("properties", {}).items():
            ctl = card.locator(f"[name='{field}']")
            assert ctl.count() == 1, (a["name"], field)
            label = card.locator(f"label[for='{ctl.get_attribute('id')}']")
            assert label.count() == 1, (a["name"], field)
            tag = ctl.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
            if "enum" in prop:
                assert tag.startswith("select")
                opts = ctl.evaluate("e => [...e.options].map(o => o.value)")
                assert {v for v in prop["enum"] if v != "unspecified"} <= set(opts)
            elif prop.get("type") == "boolean":
                assert tag == "input:checkbox"
            elif prop.get("type") in ("integer", "number"):
                ctl.fill("twelve")
                invalid.append(field)
            elif prop.get("type") in ("object", "array"):
                ctl.fill("{not json")
                invalid.append(field)
            if field in required and "enum" not in prop and prop.get("type") != "boolean" and field not in invalid:
                ctl.fill("")
                invalid.append(field)
            if "description" in prop:
                assert prop["description"] in card.text_content()
        if invalid:
            card.locator(f"button[data-run='{a['name']}']").click()
            for field in invalid:
                assert card.locator(f"[name='{field}']").get_attribute("aria-invalid") == "true", (a["name"], field)
            assert len(c.actions) == before, f"{a['name']} was sent despite invalid fields"
            checked += 1
    assert checked >= 3
    # A field the service rejects is marked on the form too.
    c.goto("jobs")
    card = c.page.locator("[data-action-card='job.get']")
    card.locator("summary").click()
    card.locator("input[name=job_id]").fill("job_does_not_exist")
    card.locator("button[data-run='job.get']").click()
    c.page.locator(".toast[data-problem]", has_text="job_does_not_exist").wait_for()
    assert card.locator("input[name=job_id]").get_attribute("aria-invalid") == "true"


def test_views_layout_keyboard_labels_and_screenshots(api, open_console):
    token = api.token("admin")
    for width, height in ((1280, 860), (390, 844)):
        c = open_console(api.url, width, height)
        c.sign_in(token, "dashboard")
        for view in VIEWS:
            c.goto(view)
            c.page.wait_for_timeout(300 if view in ("analytics", "jobs", "audit", "system") else 50)
            overflow = c.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{view} overflows by {overflow}px at {width}px"
            unlabelled = c.page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.textContent || '').trim())
                .map(e => e.outerHTML.slice(0, 80))""")
            assert not unlabelled, unlabelled
            c.screenshot(f"{view}-{width}", docs_name=view if width == 1280 else None)
    # Keyboard only: tab to the nav and open a view with Enter.
    c = open_console(api.url)
    c.sign_in(token, "dashboard")
    c.page.focus("#nav a[data-view=dashboard]")
    for _ in range(8):
        c.page.keyboard.press("Tab")
        if c.page.evaluate("document.activeElement.dataset.view") == "audit":
            break
    c.page.keyboard.press("Enter")
    c.page.wait_for_selector("#view[data-view=audit]")


def test_first_paint_with_warm_cache_under_300ms(api, open_console):
    c = open_console(api.url)
    c.sign_in(api.token("viewer"), "dashboard")
    paints = []
    for _ in range(3):
        c.page.reload()
        c.page.wait_for_selector("#view[data-view=dashboard] .card.stat")
        paints.append(c.page.evaluate(
            "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 1e9"))
    assert min(paints) < 300, paints
    # The session survived the reloads (sessionStorage) without asking for the token again.
    assert not c.page.is_visible("#signin")
