"""broker.stats, events.stats and events.replay through the gateway."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from services.common.events import STREAM
from services.common.times import iso
from tests.helpers import stream_events, wait_for
from tests.services.system.system_helpers import act, audited, event, field_of


def test_broker_stats_counts_messages_of_a_paused_queue(sys_api, redis_client) -> None:
    q = f"bs-{secrets.token_hex(3)}"
    act(sys_api, "queue.create", {"queue_name": q}, key=True)
    act(sys_api, "queue.pause", {"queue_name": q}, key=True)  # nobody consumes: the message stays
    act(sys_api, "job.submit", {"task": "echo", "kwargs": {"message": "hi"}, "queue": q}, key=True)
    body, trace = act(sys_api, "broker.stats")
    audited(sys_api, trace, "broker.stats", "succeeded")
    d = body["data"]
    assert d["broker"] == "redis" and d["version"] == redis_client.info()["redis_version"]
    assert d["used_memory_bytes"] > 0 and d["connected_clients"] >= 1
    by = {x["name"]: x["messages"] for x in d["queues"]}
    assert by[q] == 1 and "default" in by


def test_event_stats_reports_groups(sys_api, redis_client) -> None:
    group = f"g-{secrets.token_hex(3)}"
    redis_client.xgroup_create(STREAM, group, id="0", mkstream=True)
    try:
        body, trace = act(sys_api, "events.stats")
        audited(sys_api, trace, "events.stats", "succeeded")
        d = body["data"]
        assert d["stream"] == STREAM and d["length"] >= 1 and d["first_id"] and d["last_id"]
        g = next(x for x in d["groups"] if x["name"] == group)
        assert g["consumers"] == 0 and g["pending"] == 0 and g["last_delivered_id"] == "0-0"
        assert g["lag"] == d["length"] or g["lag"] == -1
    finally:
        redis_client.xgroup_destroy(STREAM, group)


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "since"),
    ({"since": "yesterday"}, "since"),
    ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
])
def test_replay_refuses_bad_bounds(sys_api, payload, field) -> None:
    body, trace = act(sys_api, "events.replay", payload, status=400, key=True)
    assert field_of(body) == [field], body
    audited(sys_api, trace, "events.replay", "invalid")


def test_replay_republishes_stored_events_with_their_envelope(sys_api, redis_client) -> None:
    since = iso(datetime.now(UTC) - timedelta(seconds=1))
    q = f"rp-{secrets.token_hex(3)}"
    _, create_trace = act(sys_api, "queue.create", {"queue_name": q}, key=True)
    original = event(redis_client, "queue.created", create_trace)
    body, trace = act(sys_api, "events.replay", {"since": since, "types": ["queue.created"]}, key=True)
    assert body["data"]["replayed"] >= 1
    audited(sys_api, trace, "events.replay", "succeeded")
    copies = wait_for(lambda: [e for e in stream_events(redis_client, "queue.created", queue_name=q)
                               if e["id"] != original["id"]], timeout=5, what="replayed copy")
    assert len(copies) == 1
    copy = copies[0]
    assert copy["id"] > original["id"]
    assert {k: copy[k] for k in ("event_id", "type", "source", "ts", "trace_id", "actor", "data")} == \
        {k: original[k] for k in ("event_id", "type", "source", "ts", "trace_id", "actor", "data")}
    done = event(redis_client, "events.replayed", trace)
    assert done["data"]["replayed"] == body["data"]["replayed"] and done["data"]["types"] == ["queue.created"]

    # A type filter that matches nothing in the window replays nothing.
    body2, _ = act(sys_api, "events.replay", {"since": since, "types": ["no.such."]}, key=True)
    assert body2["data"]["replayed"] == 0
