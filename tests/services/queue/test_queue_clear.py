"""Flow 3 (queue.clear) end to end over gRPC: jobs held by a paused queue, a dry run that changes
nothing, then a real clear that cancels them through the jobs service, empties the broker and
publishes one `queue.cleared` event carrying the caller's trace."""

from __future__ import annotations

import grpc

from admin.jobs.v1 import jobs_pb2
from admin.queue.v1 import queue_pb2 as q
from tests.services.queue.queue_helpers import rpc_error, status, stream_events, submit, wait_for

PENDING = jobs_pb2.JOB_STATUS_PENDING
CANCELLED = jobs_pb2.JOB_STATUS_CANCELLED


def test_flow3_clear_a_paused_queue(queues, jobs, qname, caller, redis_client) -> None:
    trace_id, md = caller
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname, description="flow 3"))
    queues.PauseQueue(q.PauseQueueRequest(queue_name=qname))
    ids = [submit(jobs, task="sleep", kwargs={"seconds": 1}, queue=qname) for _ in range(5)]
    assert [status(jobs, i) for i in ids] == [PENDING] * 5
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.depth == 5

    dry = queues.ClearQueue(q.ClearQueueRequest(queue_name=qname, dry_run=True), metadata=md)
    assert (dry.cleared, dry.purged, dry.dry_run) == (5, 0, True)
    assert [status(jobs, i) for i in ids] == [PENDING] * 5
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.depth == 5

    done = queues.ClearQueue(q.ClearQueueRequest(queue_name=qname), metadata=md)
    assert (done.cleared, done.purged, done.dry_run) == (5, 5, False)
    assert [status(jobs, i) for i in ids] == [CANCELLED] * 5
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.depth == 0

    events = wait_for(lambda: stream_events(redis_client, type_="queue.cleared", queue_name=qname))
    assert len(events) == 1  # the dry run published nothing
    assert events[0]["trace_id"] == trace_id and events[0]["actor"] == "tester"
    assert events[0]["data"] == {"queue_name": qname, "cleared": 5, "purged": 5}

    # Clearing again finds nothing left; the queue stays paused throughout.
    again = queues.ClearQueue(q.ClearQueueRequest(queue_name=qname))
    assert (again.cleared, again.purged) == (0, 0)
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.paused


def test_clear_leaves_other_queues_alone(queues, jobs, qname) -> None:
    other = f"{qname}-other"
    for name in (qname, other):
        queues.CreateQueue(q.CreateQueueRequest(queue_name=name))
        queues.PauseQueue(q.PauseQueueRequest(queue_name=name))
    mine = submit(jobs, task="echo", kwargs={"message": "a"}, queue=qname)
    theirs = submit(jobs, task="echo", kwargs={"message": "b"}, queue=other)
    assert queues.ClearQueue(q.ClearQueueRequest(queue_name=qname)).cleared == 1
    assert status(jobs, mine) == CANCELLED
    assert status(jobs, theirs) == PENDING
    assert queues.GetQueue(q.GetQueueRequest(queue_name=other)).queue.depth == 1
    queues.ClearQueue(q.ClearQueueRequest(queue_name=other))


def test_clear_of_unknown_queue_is_not_found(queues, qname) -> None:
    assert rpc_error(lambda: queues.ClearQueue(q.ClearQueueRequest(queue_name=qname))).code() == (
        grpc.StatusCode.NOT_FOUND
    )
