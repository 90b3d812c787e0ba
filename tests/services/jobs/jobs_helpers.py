"""Helpers for the jobs service tests (imported by the test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import secrets
from typing import Any

import redis as redis_sync
from google.protobuf import struct_pb2

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from tests.helpers import error_field, stream_events, wait_for  # noqa: F401 - re-exported to the tests

S = jobs_pb2.JobStatus


def kwargs(**values: Any) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


def traced(trace_id: str, actor: str = "alice") -> tuple[tuple[str, str], ...]:
    return (("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-01"), ("x-actor", actor))


def wait_status(stub: jobs_pb2_grpc.JobsServiceStub, job_id: str, status: int, timeout: float = 20.0):
    def check():
        job = stub.GetJob(jobs_pb2.GetJobRequest(job_id=job_id), timeout=5).job
        return job if job.status == status else None

    return wait_for(check, timeout, what=f"{job_id} to be {S.Name(status)}")


def events_for(redis: redis_sync.Redis, job_id: str, type_: str | None = None) -> list[dict[str, Any]]:
    """Every envelope on the stream whose data names `job_id` (optionally of one type)."""
    return stream_events(redis, type_, job_id=job_id)
