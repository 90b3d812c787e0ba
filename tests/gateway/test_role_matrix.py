"""SPEC §8 / §11 "no role escalation in the full action × role matrix": every action the gateway
lists (`GET /api/admin/actions`) × {no token, token without roles, viewer, operator, admin}.

The expected status follows from the action's least role (`min_role`) with gateway/rbac.py's
nesting: no token → 401, below the least role → 403, at or above it → neither 401 nor 403.

Refused calls go to the session's gateway (real services behind it where the session runs them) and change
nothing: exactly one audit record (denied / unauthenticated), no rate-limit or idempotency state,
no event. Allowed calls go to a private gateway on its own Redis database whose services are all
unreachable, so an admin's `worker.shutdown` or `system.maintenance_enable` really passes RBAC but
executes nowhere (the session's services and Redis are never touched by them)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import redis as redis_sync

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from gateway import catalogue, rbac
from gateway.auth import issue_token
from gateway.pipeline.idempotency import record_key
from services.common.context import CallContext, to_metadata
from services.common.db import libpq_url
from services.common.events import STREAM
from tests.gateway.conftest import uid
from tests.gateway.isolated import isolated_gateway

CATALOGUE = catalogue.load()
ACTIONS = sorted(CATALOGUE)  # the same descriptors GET /api/admin/actions lists (checked below)
CALLERS = ("no-token", "no-roles", "viewer", "operator", "admin")


def expected(caller: str, min_role: str) -> str:
    """'401', '403' or 'pass' (anything but 401 and 403)."""
    if caller == "no-token":
        return "401"
    roles = () if caller == "no-roles" else (caller,)
    return "pass" if rbac.Authorizer({"p": min_role}, {}).allowed(roles, "p") else "403"


def _value(name: str, schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    t = schema.get("type")
    t = next((x for x in t if x != "null"), None) if isinstance(t, list) else t
    if t == "string":
        return "default" if "queue" in name else f"matrix-{secrets.token_hex(3)}"
    if t == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if t == "number":
        return 1.0
    if t == "boolean":
        return name == "dry_run"  # never a real bulk change by accident
    if t == "array":
        return []
    if t == "object":
        return minimal_payload(schema)
    return None


def minimal_payload(schema: dict[str, Any]) -> dict[str, Any]:
    """Required fields with plausible values; a `dry_run` the schema offers is turned on."""
    props = schema.get("properties", {})
    out = {name: _value(name, props.get(name, {})) for name in schema.get("required", [])}
    if "dry_run" in props:
        out["dry_run"] = True
    return out


@pytest.fixture(scope="module")
def listing(api) -> dict[str, dict[str, Any]]:
    r = api.http.get(f"{api.url}/api/admin/actions", headers={"Authorization": f"Bearer {api.token()}"})
    assert r.status_code == 200, r.text
    return {a["name"]: a for a in r.json()["actions"]}


@pytest.fixture(scope="module")
def isolated(settings, logs_dir) -> Iterator[str]:
    with isolated_gateway(settings, logs_dir) as url:
        yield url


REFUSED_TRACES: list[str] = []


def test_listing_is_the_catalogue(listing):
    assert sorted(listing) == ACTIONS


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_matrix(action, caller, listing, api, settings, isolated):
    spec = CATALOGUE[action]
    want = expected(caller, spec.min_role)
    sub = uid("matrix")
    trace = secrets.token_hex(16)
    key = f"matrix-{secrets.token_hex(8)}"
    headers = {"X-Trace-Id": trace, "Idempotency-Key": key}
    if caller != "no-token":
        roles = [] if caller == "no-roles" else [caller]
        headers["Authorization"] = f"Bearer {issue_token(settings, sub, roles)}"
        r = api.http.get(f"{api.url}/api/admin/actions", headers={"Authorization": headers["Authorization"]})
        allowed = {a["name"]: a["allowed"] for a in r.json()["actions"]}
        assert allowed[action] is (want == "pass"), f"listing says allowed={allowed[action]} for {caller}"
    body = {"action": action, "payload": minimal_payload(listing[action]["payload_schema"])}
    base = isolated if want == "pass" else api.url
    r = api.http.post(f"{base}/api/admin/action", json=body, headers=headers)
    assert r.status_code < 500 or r.status_code in (501, 503, 504), r.text  # never a gateway failure
    if want == "pass":
        assert r.status_code not in (401, 403), f"{caller} refused {action}: {r.text}"
        return
    assert r.status_code == int(want), f"{caller} on {action} (least role {spec.min_role}): {r.text}"
    assert r.headers["content-type"] == "application/problem+json"
    if want == "401":
        assert r.headers["www-authenticate"].startswith("Bearer")
    # A refused call changes nothing: its one audit record says so (committed before the reply) ...
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        outcomes = [o for (o,) in conn.execute("SELECT outcome FROM audit.audit_log WHERE trace_id = %s",
                                               (trace,))]
    assert outcomes == ["unauthenticated" if want == "401" else "denied"]
    # ... it consumed no rate-limit slot and no idempotency key ...
    red = redis_sync.Redis.from_url(settings.redis_url)
    assert not list(red.scan_iter(match=f"*{sub}*", count=1000))
    assert not red.exists(record_key(sub, key))
    REFUSED_TRACES.append(trace)  # ... and published no event (checked once, below)


def test_refused_calls_published_no_event(settings, queue_service, grpc_channel_factory):
    assert REFUSED_TRACES, "the matrix refused nothing"
    # A sentinel change on the queue service (straight over gRPC, so no gateway channel state is
    # involved): once its event is on the stream, an event of any refused call, all made earlier,
    # would have been published too.
    trace = secrets.token_hex(16)
    stub = queue_pb2_grpc.QueueServiceStub(grpc_channel_factory(settings.addr("queue")))
    stub.CreateQueue(queue_pb2.CreateQueueRequest(queue_name=f"matrix-{secrets.token_hex(4)}"),
                     metadata=to_metadata(CallContext(trace_id=trace, actor="matrix", roles=("admin",))),
                     timeout=10)
    red = redis_sync.Redis.from_url(settings.redis_url, decode_responses=True)
    deadline = time.monotonic() + 10
    while True:
        traces = {f.get("trace_id") for _, f in red.xrange(STREAM)}
        if trace in traces or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert trace in traces, "the sentinel event never arrived"
    assert not traces & set(REFUSED_TRACES)
