"""system.maintenance_enable / _disable through the gateway: the row, the Redis key the gateway's
maintenance step reads, the event, the audit record, the SSOT section — and the gate itself."""

from __future__ import annotations

import orjson

from tests.helpers import wait_for
from tests.services.system.system_helpers import act, audited, event, field_of, ssot_system

KEY = "switchboard:maintenance"


def _gate_refuses_operator(api) -> bool:  # noqa: ANN001
    r = api.act("system.announce", {"message": ""}, roles=("operator",))
    return r.status_code == 503 and r.json()["type"] == "/problems/maintenance"


def test_reason_is_required_and_refusal_changes_nothing(sys_api, redis_client) -> None:
    before = redis_client.get(KEY)
    for payload in ({}, {"reason": "   "}):
        body, trace = act(sys_api, "system.maintenance_enable", payload, status=400, key=True)
        assert field_of(body) == ["reason"], body
        audited(sys_api, trace, "system.maintenance_enable", "invalid")
    assert redis_client.get(KEY) == before


def test_enable_replace_disable(sys_api, redis_client, pg) -> None:
    sub = "maint-admin"
    try:
        body, trace = act(sys_api, "system.maintenance_enable", {"reason": "db upgrade"}, sub=sub, key=True)
        m = body["data"]["maintenance"]
        assert m["enabled"] is True and m["reason"] == "db upgrade" and m["actor"] == sub and m["since"]
        audited(sys_api, trace, "system.maintenance_enable", "succeeded")
        ev = event(redis_client, "system.maintenance_changed", trace)
        assert ev["data"] == {"enabled": True, "reason": "db upgrade"} and ev["actor"] == sub
        row = pg.execute("SELECT enabled, reason, actor FROM system.maintenance").fetchone()
        assert row == (True, "db upgrade", sub)
        doc = orjson.loads(redis_client.get(KEY))
        assert doc["enabled"] is True and doc["reason"] == "db upgrade"
        # The gateway's gate now refuses an operator's command; an admin's passes.
        assert _gate_refuses_operator(sys_api)
        wait_for(lambda: ssot_system(sys_api)["maintenance"]["enabled"] is True, timeout=5, what="SSOT maintenance")

        # Enabling again replaces the reason (one more event), `since` stays.
        body2, trace2 = act(sys_api, "system.maintenance_enable", {"reason": "still upgrading"}, key=True)
        assert body2["data"]["maintenance"]["reason"] == "still upgrading"
        assert body2["data"]["maintenance"]["since"] == m["since"]
        assert event(redis_client, "system.maintenance_changed", trace2)["data"]["reason"] == "still upgrading"

        # The key is the service's: lost from Redis, it comes back from the row.
        redis_client.delete(KEY)
        wait_for(lambda: redis_client.get(KEY), timeout=10, what="maintenance key restored")
        assert orjson.loads(redis_client.get(KEY))["reason"] == "still upgrading"
    finally:
        body3, trace3 = act(sys_api, "system.maintenance_disable", {}, key=True)
    m3 = body3["data"]["maintenance"]
    assert m3 == {"enabled": False, "reason": "", "since": m3["since"], "actor": m3["actor"]} and m3["since"]
    audited(sys_api, trace3, "system.maintenance_disable", "succeeded")
    assert event(redis_client, "system.maintenance_changed", trace3)["data"] == {"enabled": False, "reason": ""}
    assert orjson.loads(redis_client.get(KEY))["enabled"] is False
    assert not _gate_refuses_operator(sys_api)
    wait_for(lambda: ssot_system(sys_api)["maintenance"]["enabled"] is False, timeout=5, what="SSOT maintenance off")

    # Disabling again: success, no event.
    _, trace4 = act(sys_api, "system.maintenance_disable", {}, key=True)
    audited(sys_api, trace4, "system.maintenance_disable", "succeeded")
    from tests.helpers import stream_events

    assert not [e for e in stream_events(redis_client, "system.maintenance_changed") if e["trace_id"] == trace4]


def test_non_admin_is_refused(sys_api) -> None:
    body, trace = act(sys_api, "system.maintenance_enable", {"reason": "x"}, roles=("operator",), status=403, key=True)
    audited(sys_api, trace, "system.maintenance_enable", "denied")
