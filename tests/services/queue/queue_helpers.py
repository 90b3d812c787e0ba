"""Plain helpers of the queue service tests (fixtures live in conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
import redis as redis_sync
from google.protobuf import struct_pb2

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.events import STREAM, decode


def stream_events(client: redis_sync.Redis, *, type_: str, queue_name: str) -> list[dict[str, Any]]:
    return [
        e
        for e in (decode(sid, fields) for sid, fields in client.xrange(STREAM))
        if e["type"] == type_ and e["data"].get("queue_name") == queue_name
    ]


def wait_for(predicate: Callable[[], Any], *, timeout: float = 10.0, every: float = 0.1) -> Any:
    """The first truthy value of predicate(), or AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(every)


def submit(jobs: jobs_pb2_grpc.JobsServiceStub, *, task: str, kwargs: dict[str, Any], queue: str) -> str:
    s = struct_pb2.Struct()
    s.update(kwargs)
    return jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task=task, kwargs=s, queue=queue)).job.job_id


def status(jobs: jobs_pb2_grpc.JobsServiceStub, job_id: str) -> int:
    return jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id)).job.status


def rpc_error(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def error_field(err: grpc.RpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("x-error-field", "")
