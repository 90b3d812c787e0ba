"""job.submit asks the queue service once per queue (services/jobs/flows.py `KnownQueues`): what it
remembers is forgotten on any `queue.*` event on the stream, and a deleted queue is refused again."""

from __future__ import annotations

import asyncio
import secrets

import grpc
import pytest
from redis.asyncio import Redis

from admin.jobs.v1 import jobs_pb2
from admin.queue.v1 import queue_pb2
from services.jobs.flows import KnownQueues
from tests.services.jobs.jobs_helpers import error_field, kwargs, stream_events, wait_for


async def _until(check, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def test_remembered_queues_are_forgotten_on_a_queue_event(settings):
    redis = Redis.from_url(settings.redis_url)
    stream = f"test:known-queues:{secrets.token_hex(4)}"  # the services' events would interleave
    known = KnownQueues(redis, stream=stream)
    try:
        assert not known.known("q1")  # starts following; nothing is trusted before that
        await _until(lambda: known._following)
        stale = known.epoch
        known.remember("q1", known.epoch)
        assert known.known("q1")
        await redis.xadd(stream, {"type": "job.submitted", "data": "{}"})
        await asyncio.sleep(0.1)
        assert known.known("q1")  # other events change nothing
        await redis.xadd(stream, {"type": "queue.paused", "data": "{}"})
        await _until(lambda: not known.known("q1"))
        known.remember("q1", stale)  # an answer from before the event is not remembered
        assert not known.known("q1")
    finally:
        await known.close()
        assert known._task.done()
        await redis.delete(stream)
        await redis.aclose()


def test_a_deleted_queue_is_refused_again(jobs, queues, redis):
    name = f"jobs-known-{secrets.token_hex(4)}"
    queues.CreateQueue(queue_pb2.CreateQueueRequest(queue_name=name), timeout=10)
    queues.PauseQueue(queue_pb2.PauseQueueRequest(queue_name=name), timeout=10)
    submit = jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="k"), queue=name)
    for _ in range(3):  # the first asks the queue service, the others may not
        jobs.SubmitJob(submit)
    queues.DeleteQueue(queue_pb2.DeleteQueueRequest(queue_name=name, force=True), timeout=10)
    wait_for(lambda: stream_events(redis, "queue.deleted", queue_name=name), what="queue.deleted event")

    def refused() -> grpc.RpcError | None:
        try:
            jobs.SubmitJob(submit)
        except grpc.RpcError as exc:
            return exc
        return None

    err = wait_for(refused, timeout=2, what="the submit to be refused")
    assert err.code() == grpc.StatusCode.NOT_FOUND and error_field(err) == "queue"
    with pytest.raises(grpc.RpcError):
        jobs.SubmitJob(submit)
