"""`JobsServicer`: the gRPC adapter of the jobs service — proto in, domain call, proto out.

Commands go through `JobFlows` (database, then Celery); queries open a session and call the
domain functions directly. No SQL and no Redis here.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from sqlalchemy.engine import Row

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.kit import Service
from services.common.times import iso as _iso
from services.jobs.flows import JobFlows
from services.jobs.models import STATUSES, Job, outbox

RECENT_JOBS = 50  # jobs in the SSOT's `jobs` section

# proto enum value <-> the contract's lowercase words
STATUS_TO_PROTO = {s: jobs_pb2.JobStatus.Value(f"JOB_STATUS_{s.upper()}") for s in STATUSES}
PROTO_TO_STATUS = {v: k for k, v in STATUS_TO_PROTO.items()}


def job_to_proto(job: Job | Row) -> jobs_pb2.Job:
    """From an ORM `Job` (commands) or a Core row of the jobs table (queries): same attributes."""
    msg = jobs_pb2.Job(
        job_id=job.job_id,
        task=job.task,
        queue=job.queue,
        status=STATUS_TO_PROTO[job.status],
        priority=job.priority,
        attempts=job.attempts,
        error=job.error or "",
        traceback=job.traceback or "",
        retry_of=job.retry_of or "",
        worker=job.worker or "",
        trace_id=job.trace_id or "",
        created_by=job.created_by or "",
        created_at=_iso(job.created_at),
        started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at),
        cancelled_at=_iso(job.cancelled_at),
    )
    msg.kwargs.update(job.kwargs or {})
    if job.result is not None:
        json_format.ParseDict(job.result, msg.result)
    return msg


def _kwargs(request_kwargs: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(request_kwargs)


class JobsServicer(jobs_pb2_grpc.JobsServiceServicer):
    def __init__(self, flows: JobFlows) -> None:
        self.flows = flows

    async def SubmitJob(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.SubmitJobResponse:
        job = await self.flows.submit(
            task=request.task, kwargs=_kwargs(request.kwargs), queue=request.queue, priority=request.priority
        )
        return jobs_pb2.SubmitJobResponse(job=job_to_proto(job))

    async def GetJob(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.GetJobResponse:
        job = await self.flows.get(job_id=request.job_id)
        return jobs_pb2.GetJobResponse(job=job_to_proto(job))

    async def ListJobs(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.ListJobsResponse:
        jobs, token = await self.flows.list(
            # 0 means any status; an undefined enum number is passed on to be refused.
            status=PROTO_TO_STATUS.get(request.status, str(request.status) if request.status else ""),
            queue=request.queue,
            task=request.task,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return jobs_pb2.ListJobsResponse(jobs=[job_to_proto(j) for j in jobs], next_page_token=token)

    async def CancelJob(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.CancelJobResponse:
        job = await self.flows.cancel(job_id=request.job_id)
        return jobs_pb2.CancelJobResponse(job=job_to_proto(job))

    async def TerminateJob(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.TerminateJobResponse:
        job = await self.flows.terminate(job_id=request.job_id)
        return jobs_pb2.TerminateJobResponse(job=job_to_proto(job))

    async def RetryJob(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.RetryJobResponse:
        job = await self.flows.retry(job_id=request.job_id)
        return jobs_pb2.RetryJobResponse(job=job_to_proto(job))

    async def CancelQueuedJobs(
        self, request, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.CancelQueuedJobsResponse:
        n = await self.flows.cancel_queued(queue=request.queue, dry_run=request.dry_run)
        return jobs_pb2.CancelQueuedJobsResponse(cancelled=n)

    async def CountJobs(self, request, context: grpc.aio.ServicerContext) -> jobs_pb2.CountJobsResponse:
        counts = await self.flows.count(queue=request.queue)
        return jobs_pb2.CountJobsResponse(by_status=counts)

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_jobs(self) -> jobs_pb2.JobsSection:
        jobs, _ = await self.flows.list(page_size=RECENT_JOBS)
        counts = await self.flows.count(queue="")
        return jobs_pb2.JobsSection(
            recent=[job_to_proto(j) for j in jobs],
            dashboard=jobs_pb2.JobsDashboard(jobs_by_status=counts),
        )


SERVICE = Service(
    name="jobs",
    grpc_service=jobs_pb2.DESCRIPTOR.services_by_name["JobsService"],
    add_servicer=jobs_pb2_grpc.add_JobsServiceServicer_to_server,
    make_servicer=lambda rt: JobsServicer(JobFlows(rt)),
    outbox=outbox,
)
