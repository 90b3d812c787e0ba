"""Plain helpers of the queue service tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from tests.helpers import error_field, rpc_error, stream_events, wait_for  # noqa: F401 - re-exported to the tests


def submit(jobs: jobs_pb2_grpc.JobsServiceStub, *, task: str, kwargs: dict[str, Any], queue: str) -> str:
    s = struct_pb2.Struct()
    s.update(kwargs)
    return jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task=task, kwargs=s, queue=queue)).job.job_id


def status(jobs: jobs_pb2_grpc.JobsServiceStub, job_id: str) -> int:
    return jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id)).job.status


