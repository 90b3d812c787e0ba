"""The queue service's RPCs over real gRPC against the session's PostgreSQL and Redis: the
migrated `default` queue, create/get/list, pause/resume with their events, broker depth, and the
status codes of bad input."""

from __future__ import annotations

import grpc
import pytest

from admin.queue.v1 import queue_pb2 as q
from services.common.celery import broker_keys
from tests.services.queue.queue_helpers import error_field, rpc_error, stream_events, wait_for


def test_default_queue_exists_after_migration(queues) -> None:
    listed = {x.queue_name: x for x in queues.ListQueues(q.ListQueuesRequest()).queues}
    assert "default" in listed
    got = queues.GetQueue(q.GetQueueRequest(queue_name="default")).queue
    assert got.queue_name == "default" and got.created_at.endswith("Z")


def test_create_then_get_and_list(queues, qname, caller, redis_client) -> None:
    trace_id, md = caller
    req = q.CreateQueueRequest(queue_name=qname, description="reports")
    created = queues.CreateQueue(req, metadata=md).queue
    assert (created.queue_name, created.description, created.paused) == (qname, "reports", False)
    assert created.depth == 0
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue == created
    assert qname in [x.queue_name for x in queues.ListQueues(q.ListQueuesRequest()).queues]
    events = wait_for(lambda: stream_events(redis_client, type_="queue.created", queue_name=qname))
    assert len(events) == 1
    assert (events[0]["trace_id"], events[0]["actor"], events[0]["source"]) == (trace_id, "tester", "queue")


def test_pause_and_resume_emit_one_event_per_change(queues, qname, caller, redis_client) -> None:
    trace_id, md = caller
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname))
    first = queues.PauseQueue(q.PauseQueueRequest(queue_name=qname), metadata=md).queue
    again = queues.PauseQueue(q.PauseQueueRequest(queue_name=qname), metadata=md).queue
    assert first.paused and again.paused
    assert again.updated_at == first.updated_at  # the second pause changed nothing
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.paused
    resumed = queues.ResumeQueue(q.ResumeQueueRequest(queue_name=qname), metadata=md).queue
    assert not resumed.paused
    wait_for(lambda: stream_events(redis_client, type_="queue.resumed", queue_name=qname))
    paused_events = stream_events(redis_client, type_="queue.paused", queue_name=qname)
    assert [e["trace_id"] for e in paused_events] == [trace_id]
    assert paused_events[0]["data"] == {"queue_name": qname}


def test_depth_counts_every_priority_list_and_clear_purges_them(queues, qname, redis_client) -> None:
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname))
    # Paused, so no worker takes these raw messages while we count them.
    queues.PauseQueue(q.PauseQueueRequest(queue_name=qname))
    keys = broker_keys(qname)
    redis_client.lpush(keys[0], "m1", "m2")
    redis_client.lpush(keys[-1], "m3")
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.depth == 3
    listed = {x.queue_name: x.depth for x in queues.ListQueues(q.ListQueuesRequest()).queues}
    assert listed[qname] == 3
    done = queues.ClearQueue(q.ClearQueueRequest(queue_name=qname))
    assert (done.cleared, done.purged, done.dry_run) == (0, 3, False)
    assert sum(redis_client.llen(k) for k in keys) == 0


BAD_NAMES = ["", "Upper", "has space", "x" * 65, "-lead"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_bad_names_are_invalid_argument_on_every_rpc(queues, bad: str) -> None:
    calls = [
        lambda: queues.GetQueue(q.GetQueueRequest(queue_name=bad)),
        lambda: queues.CreateQueue(q.CreateQueueRequest(queue_name=bad)),
        lambda: queues.PauseQueue(q.PauseQueueRequest(queue_name=bad)),
        lambda: queues.ResumeQueue(q.ResumeQueueRequest(queue_name=bad)),
        lambda: queues.ClearQueue(q.ClearQueueRequest(queue_name=bad, dry_run=True)),
    ]
    for call in calls:
        err = rpc_error(call)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "queue_name" in err.details()
        assert error_field(err) == "queue_name"


def test_unknown_queue_is_not_found(queues, qname) -> None:
    calls = [
        lambda: queues.GetQueue(q.GetQueueRequest(queue_name=qname)),
        lambda: queues.PauseQueue(q.PauseQueueRequest(queue_name=qname)),
        lambda: queues.ResumeQueue(q.ResumeQueueRequest(queue_name=qname)),
        lambda: queues.ClearQueue(q.ClearQueueRequest(queue_name=qname)),
        lambda: queues.ClearQueue(q.ClearQueueRequest(queue_name=qname, dry_run=True)),
    ]
    for call in calls:
        err = rpc_error(call)
        assert err.code() == grpc.StatusCode.NOT_FOUND
        assert qname in err.details()


def test_duplicate_create_is_already_exists(queues, qname) -> None:
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname))
    err = rpc_error(lambda: queues.CreateQueue(q.CreateQueueRequest(queue_name=qname)))
    assert err.code() == grpc.StatusCode.ALREADY_EXISTS
    assert qname in err.details() and "already exists" in err.details()
    err = rpc_error(lambda: queues.CreateQueue(q.CreateQueueRequest(queue_name="default")))
    assert err.code() == grpc.StatusCode.ALREADY_EXISTS


def test_too_long_description_names_the_field(queues, qname) -> None:
    too_long = q.CreateQueueRequest(queue_name=qname, description="d" * 5000)
    err = rpc_error(lambda: queues.CreateQueue(too_long))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_field(err) == "description"
    # Nothing was created.
    err = rpc_error(lambda: queues.GetQueue(q.GetQueueRequest(queue_name=qname)))
    assert err.code() == grpc.StatusCode.NOT_FOUND
