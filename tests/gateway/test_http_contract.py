"""SPEC §4 through HTTP against the real gateway: step-1 refusals (unaudited), 401 variants, 403 per
role, payload 400s, trace continuation, problem members, the catalogue listing and OpenAPI."""

import time

import httpx
import jwt
import pytest

from tests.gateway.conftest import audit_rows, new_trace, uid

MEMBERS = {"type", "title", "status", "detail", "success", "action", "trace_id", "code", "errors"}


def check_problem(r: httpx.Response, status: int, code: str, action):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert set(doc) == MEMBERS and doc["status"] == status and doc["success"] is False
    assert doc["code"] == code and doc["action"] == action and doc["trace_id"] == r.headers["x-trace-id"]
    return doc


def post(api, body: bytes, ctype="application/json", headers=None, roles=("admin",)):
    h = {"Authorization": f"Bearer {api.token(roles=roles)}", "Content-Type": ctype, **(headers or {})}
    return api.http.post(f"{api.url}/api/admin/action", content=body, headers=h)


def test_step1_refusals_are_not_audited(api, settings):
    traces = []
    for body, ctype, status, code, action in (
        (b'{"action": "job.get", "payload": {"job_id": "' + b"x" * 70_000 + b'"}}', "application/json",
         413, "PAYLOAD_TOO_LARGE", None),
        (b'{"action": "job.get", "payload": {}}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", None),
        (b'{"action": "job.get", "payload": ', "application/json", 400, "INVALID_ARGUMENT", None),
        (b'{"action": "job.zap", "payload": {}}', "application/json", 400, "INVALID_ARGUMENT", "job.zap"),
        (b'{"payload": {}}', "application/json", 400, "INVALID_ARGUMENT", None),
    ):
        trace, h = new_trace()
        traces.append(trace)
        check_problem(post(api, body, ctype, h), status, code, action)
    for t in traces:
        assert audit_rows(settings, t, timeout=0.3) == []


@pytest.mark.parametrize("case", ["missing", "malformed", "expired", "forged", "none", "no_sub", "no_exp", "basic"])
def test_401_variants_are_challenged_and_audited(api, settings, case):
    now = time.time()
    secret = settings.jwt_secret
    tokens = {
        "malformed": "Bearer abc.def", "basic": "Basic dXNlcjpwYXNz",
        "expired": "Bearer " + jwt.encode({"sub": "a", "exp": now - 300}, secret, algorithm="HS256"),
        "forged": "Bearer " + jwt.encode({"sub": "a", "exp": now + 300, "roles": ["admin"]},
                                         "x" * 40, algorithm="HS256"),
        "none": "Bearer " + jwt.encode({"sub": "a", "exp": now + 300, "roles": ["admin"]}, None, algorithm="none"),
        "no_sub": "Bearer " + jwt.encode({"exp": now + 300}, secret, algorithm="HS256"),
        "no_exp": "Bearer " + jwt.encode({"sub": "a"}, secret, algorithm="HS256"),
    }
    trace, h = new_trace()
    if case in tokens:
        h["Authorization"] = tokens[case]
    r = api.http.post(f"{api.url}/api/admin/action", json={"action": "job.list", "payload": {}}, headers=h)
    check_problem(r, 401, "UNAUTHENTICATED", "job.list")
    assert r.headers["www-authenticate"].startswith("Bearer")
    [rec] = audit_rows(settings, trace)
    assert (rec["outcome"], rec["status"], rec["actor"], rec["roles"]) == ("unauthenticated", 401, "", [])


@pytest.mark.parametrize("roles,action,payload", [
    (("viewer",), "job.cancel", {"job_id": "j"}), (("operator",), "queue.clear", {"queue_name": "default"}),
    ((), "job.list", {}), (("viewer",), "audit.search", {}), (("operator",), "circuit.reset", {"service": "jobs"}),
])
def test_403_per_role_before_payload_is_read(api, settings, roles, action, payload):
    trace, h = new_trace()
    # a wrong payload still gets 403: the unauthorized learn nothing about the payload
    r = api.act(action, {**payload, "not_a_field": 1}, roles=roles, headers=h, key="k-" + trace)
    check_problem(r, 403, "PERMISSION_DENIED", action)
    [rec] = audit_rows(settings, trace)
    assert rec["outcome"] == "denied" and rec["roles"] == list(roles)


def test_payload_400_lists_fields_is_audited_and_not_counted(api, settings):
    sub = uid()
    trace, h = new_trace()
    r = api.act("job.list", {"page_size": "7", "status": None, "bogus": 1}, sub=sub, headers=h)
    doc = check_problem(r, 400, "INVALID_ARGUMENT", "job.list")
    assert {e["field"] for e in doc["errors"]} == {"page_size", "status", "bogus"}
    assert "ratelimit" not in r.headers
    assert audit_rows(settings, trace)[0]["outcome"] == "invalid"
    ok = api.act("circuit.list", sub=sub)
    assert ok.status_code == 200 and ok.headers["ratelimit"] == '"default";r=49;t=60'


def test_high_risk_command_needs_a_well_formed_key(api):
    check_problem(api.act("circuit.reset", {"service": "jobs"}), 400, "INVALID_ARGUMENT", "circuit.reset")
    r = api.act("circuit.list", headers={"Idempotency-Key": "bad key"})
    check_problem(r, 400, "INVALID_ARGUMENT", "circuit.list")
    assert api.act("circuit.list", key="fine-but-ignored").status_code == 200


def test_trace_continued_or_started(api):
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    r = api.act("circuit.list", headers={"traceparent": tp})
    assert r.headers["x-trace-id"] == r.json()["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    r = api.act("circuit.list", headers={"traceparent": "00-zz", "X-Trace-Id": "c" * 32})
    assert r.json()["trace_id"] == "c" * 32
    r = api.act("circuit.list", headers={"X-Trace-Id": "not-hex"})
    assert len(r.headers["x-trace-id"]) == 32 and r.headers["x-trace-id"] != "not-hex"


def test_actions_listing_and_openapi(api):
    assert api.http.get(f"{api.url}/api/admin/actions").status_code == 401
    r = api.http.get(f"{api.url}/api/admin/actions", headers={"Authorization": f"Bearer {api.token(roles=('viewer',))}"})
    actions = {a["name"]: a for a in r.json()["actions"]}
    assert actions["job.list"]["allowed"] and not actions["job.cancel"]["allowed"]
    a = actions["job.cancel"]
    assert (a["kind"], a["risk"], a["permission"], a["view"]) == ("command", "high", "job:cancel", "jobs")
    assert a["payload_schema"]["properties"]["job_id"] == {"type": "string"}
    doc = api.http.get(f"{api.url}/openapi.json").json()
    body = doc["paths"]["/api/admin/action"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["discriminator"]["propertyName"] == "action"
    assert set(body["discriminator"]["mapping"]) == set(actions)
    ref = body["discriminator"]["mapping"]["job.cancel"].rsplit("/", 1)[1]
    assert doc["components"]["schemas"][ref]["properties"]["payload"]["properties"]["job_id"]["type"] == "string"


def test_health_ready_metrics(api):
    assert api.http.get(f"{api.url}/healthz").json() == {"status": "ok"}
    r = api.http.get(f"{api.url}/readyz")
    assert r.status_code == 200 and r.json()["redis"] == "ok" and r.json()["postgresql"] == "ok"
    assert set(r.json()["services"]) >= {"jobs", "queue"}
    api.act("circuit.list")
    m = api.http.get(f"{api.url}/metrics").text
    for name in ("switchboard_gateway_requests_total", "switchboard_gateway_outcomes_total",
                 "switchboard_gateway_request_duration_seconds_bucket"):
        assert name in m
    assert 'action="circuit.list"' in m


def test_hostile_payloads_get_4xx_never_5xx(api, settings):
    deep: dict = {}
    cur = deep
    for _ in range(300):
        cur["a"] = {}
        cur = cur["a"]
    for payload in ({"task": "echo", "kwargs": deep}, {"task": "x" * 10, "priority": 10**30},
                    {"task": ["a"]}, {"kwargs": "str"}, {"queue": {"a": 1}}, {"": 1}):
        trace, h = new_trace()
        r = api.act("job.submit", payload, roles=("operator",), key=trace, headers=h)
        assert r.status_code == 400, (payload, r.text)
        assert len(audit_rows(settings, trace)) == 1
