"""system.pause_all / resume_all through the gateway: pauses only what ran, remembers it, and
resume restores exactly that — not the queue an operator had paused before."""

from __future__ import annotations

import secrets

from tests.services.system.system_helpers import act, audited, event


def _queue(api, name: str) -> dict:  # noqa: ANN001
    return act(api, "queue.get", {"queue_name": name})[0]["data"]["queue"]


def test_pause_all_then_resume_all_restores_exactly_what_ran(sys_api, redis_client, pg) -> None:
    running, held, later = (f"pa-{secrets.token_hex(3)}" for _ in range(3))
    for q in (running, held):
        act(sys_api, "queue.create", {"queue_name": q}, key=True)
    act(sys_api, "queue.pause", {"queue_name": held}, key=True)  # paused by an operator before
    try:
        body, trace = act(sys_api, "system.pause_all", {"reason": "incident 42"}, key=True)
        paused = body["data"]["paused_queues"]
        assert running in paused and "default" in paused and held not in paused
        assert isinstance(body["data"]["quieted_workers"], list)
        audited(sys_api, trace, "system.pause_all", "succeeded")
        ev = event(redis_client, "system.paused_all", trace)
        assert ev["data"]["queues"] == paused and ev["data"]["reason"] == "incident 42"
        assert _queue(sys_api, running)["paused"] is True
        recorded = {r[0] for r in pg.execute("SELECT name FROM system.paused_items WHERE kind = 'queue'")}
        assert set(paused) <= recorded and held not in recorded

        # A second pause-all while one is in effect adds what runs now to the record.
        act(sys_api, "queue.create", {"queue_name": later}, key=True)
        body2, _ = act(sys_api, "system.pause_all", {"reason": "incident 42"}, key=True)
        assert body2["data"]["paused_queues"] == [later]
    finally:
        body3, trace3 = act(sys_api, "system.resume_all", {}, key=True)
    resumed = body3["data"]["resumed_queues"]
    assert set(resumed) == set(paused) | {later} and held not in resumed
    audited(sys_api, trace3, "system.resume_all", "succeeded")
    ev3 = event(redis_client, "system.resumed_all", trace3)
    assert set(ev3["data"]["queues"]) == set(resumed)
    assert _queue(sys_api, running)["paused"] is False and _queue(sys_api, later)["paused"] is False
    assert _queue(sys_api, held)["paused"] is True  # not more than what was running
    assert pg.execute("SELECT count(*) FROM system.paused_items").fetchone() == (0,)

    # Without a pause-all in effect: empty lists, no change, no event.
    body4, _ = act(sys_api, "system.resume_all", {}, key=True)
    assert body4["data"] == {"resumed_queues": [], "unquieted_workers": []}
    assert _queue(sys_api, held)["paused"] is True
    act(sys_api, "queue.resume", {"queue_name": held}, key=True)


def test_paused_all_shows_in_the_snapshot(sys_api) -> None:
    from tests.helpers import wait_for
    from tests.services.system.system_helpers import ssot_system

    try:
        act(sys_api, "system.pause_all", {"reason": "snapshot"}, key=True)
        wait_for(lambda: ssot_system(sys_api)["paused_all"] is True, timeout=5, what="paused_all in SSOT")
    finally:
        act(sys_api, "system.resume_all", {}, key=True)
    wait_for(lambda: ssot_system(sys_api)["paused_all"] is False, timeout=5, what="paused_all cleared")
