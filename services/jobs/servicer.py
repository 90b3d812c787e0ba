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
from services.jobs import analytics, bulk, housekeeping
from services.jobs.bulk import Filter
from services.jobs.flows import JobFlows
from services.jobs.models import STATUSES, Job, outbox
from services.jobs.reconcile import Reconciler

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
        max_attempts=job.max_attempts or 1,
        eta=_iso(job.eta),
        schedule=job.schedule or "",
        scheduled_for=_iso(job.scheduled_for),
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
            task=request.task, kwargs=_kwargs(request.kwargs), queue=request.queue, priority=request.priority,
            eta=request.eta, countdown_s=request.countdown_s, max_attempts=request.max_attempts,
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

    # --- bulk and overrides ----------------------------------------------------------------------

    async def RetryBulk(self, request, context) -> jobs_pb2.BulkResponse:
        dry = request.dry_run if request.HasField("dry_run") else True
        return _bulk(await self.flows.retry_bulk(_filter(request), dry_run=dry))

    async def CancelBulk(self, request, context) -> jobs_pb2.BulkResponse:
        return _bulk(await self.flows.cancel_bulk(_filter(request), dry_run=request.dry_run))

    async def DeleteJob(self, request, context) -> jobs_pb2.DeleteJobResponse:
        return jobs_pb2.DeleteJobResponse(job=job_to_proto(await self.flows.delete(job_id=request.job_id)))

    async def PromoteJob(self, request, context) -> jobs_pb2.PromoteJobResponse:
        return jobs_pb2.PromoteJobResponse(job=job_to_proto(await self.flows.promote(job_id=request.job_id)))

    async def SetPriority(self, request, context) -> jobs_pb2.SetPriorityResponse:
        job = await self.flows.set_priority(job_id=request.job_id, priority=request.priority)
        return jobs_pb2.SetPriorityResponse(job=job_to_proto(job))

    async def MarkState(self, request, context) -> jobs_pb2.MarkStateResponse:
        job = await self.flows.mark_state(job_id=request.job_id, status=_status(request.status),
                                          reason=request.reason)
        return jobs_pb2.MarkStateResponse(job=job_to_proto(job))

    async def ListDeadLetters(self, request, context) -> jobs_pb2.ListDeadLettersResponse:
        rows, token = await self.flows.dead_letters(queue=request.queue, task=request.task,
                                                    page_size=request.page_size, page_token=request.page_token)
        return jobs_pb2.ListDeadLettersResponse(jobs=[job_to_proto(r) for r in rows], next_page_token=token)

    async def RequeueDeadLetters(self, request, context) -> jobs_pb2.BulkResponse:
        flt = Filter(queue=request.queue, task=request.task)
        return _bulk(await self.flows.retry_bulk(flt, dry_run=request.dry_run, elig=bulk.DEAD_LETTERS,
                                                 event="deadletter.requeued"))

    async def PurgeDeadLetters(self, request, context) -> jobs_pb2.BulkResponse:
        return _bulk(await self.flows.delete_bulk(_filter(request), dry_run=request.dry_run,
                                                  elig=bulk.DEAD_LETTERS, event="deadletter.purged"))

    # --- analytics -------------------------------------------------------------------------------

    async def Summary(self, request, context) -> jobs_pb2.SummaryResponse:
        return _summary(await self.flows.summary(queue=request.queue, task=request.task,
                                                 window_s=request.window_s))

    async def Timeseries(self, request, context) -> jobs_pb2.TimeseriesResponse:
        size, buckets = await self.flows.timeseries(queue=request.queue, task=request.task,
                                                    window_s=request.window_s, bucket_s=request.bucket_s)
        return jobs_pb2.TimeseriesResponse(bucket_s=size, buckets=[jobs_pb2.Bucket(**b) for b in buckets])

    async def ExportJobs(self, request, context) -> jobs_pb2.ExportResponse:
        out = await self.flows.export_jobs(fmt=request.format, flt=_filter(request), limit=request.limit)
        return jobs_pb2.ExportResponse(format=out.format, content=out.content, rows=out.rows,
                                       truncated=out.truncated)

    async def ExportMetrics(self, request, context) -> jobs_pb2.ExportResponse:
        out = await self.flows.export_metrics(fmt=request.format, queue=request.queue, task=request.task,
                                              window_s=request.window_s, bucket_s=request.bucket_s,
                                              limit=request.limit)
        return jobs_pb2.ExportResponse(format=out.format, content=out.content, rows=out.rows,
                                       truncated=out.truncated)

    # --- internal: the queue service -----------------------------------------------------------

    async def PeekJobs(self, request, context) -> jobs_pb2.PeekJobsResponse:
        rows = await self.flows.peek(queue=request.queue, limit=request.limit)
        return jobs_pb2.PeekJobsResponse(messages=[
            jobs_pb2.PeekedMessage(job_id=r.job_id, task=r.task, priority=r.priority) for r in rows
        ])

    async def MoveJobs(self, request, context) -> jobs_pb2.MoveJobsResponse:
        moved = await self.flows.move(queue=request.queue, target=request.target_queue,
                                      job_ids=list(request.job_ids))
        return jobs_pb2.MoveJobsResponse(moved=moved)

    async def CleanJobs(self, request, context) -> jobs_pb2.BulkResponse:
        flt = _filter(request)
        return _bulk(await self.flows.delete_bulk(flt, dry_run=request.dry_run, elig=bulk.FINISHED_JOBS,
                                                  event="queue.cleaned",
                                                  event_extra={"queue_name": request.queue}))

    async def SubmitScheduledJob(self, request, context) -> jobs_pb2.SubmitScheduledJobResponse:
        job, created = await self.flows.submit_scheduled(
            task=request.task, kwargs=_kwargs(request.kwargs), queue=request.queue,
            schedule=request.schedule, scheduled_for=request.scheduled_for,
        )
        return jobs_pb2.SubmitScheduledJobResponse(job=job_to_proto(job), created=created)

    # --- internal: the workers service's reaper and retention managers (services/jobs/housekeeping.py)

    async def ReapJobs(self, request, context) -> jobs_pb2.ReapJobsResponse:
        ids = await housekeeping.reap(self.flows, timeout_s=request.timeout_s, reason=request.reason,
                                      limit=request.limit)
        return jobs_pb2.ReapJobsResponse(job_ids=ids)

    async def PurgeJobs(self, request, context) -> jobs_pb2.PurgeJobsResponse:
        n = await housekeeping.purge(self.flows, older_than_s=request.older_than_s, limit=request.limit)
        return jobs_pb2.PurgeJobsResponse(deleted=n)

    # --- SSOT sections (admin.v1.snapshot) -------------------------------------------------------

    async def section_jobs(self) -> jobs_pb2.JobsSection:
        jobs, _ = await self.flows.list(page_size=RECENT_JOBS)
        counts = await self.flows.count(queue="")
        dead, delayed = await self.flows.dashboard_counts()
        return jobs_pb2.JobsSection(
            recent=[job_to_proto(j) for j in jobs],
            dashboard=jobs_pb2.JobsDashboard(jobs_by_status=counts, dead_letters=dead, jobs_delayed=delayed),
        )

    async def section_analytics(self) -> jobs_pb2.AnalyticsSection:
        return jobs_pb2.AnalyticsSection(summary=_summary(await self.flows.summary(queue="", task="", window_s=0)))


def _status(value: int) -> str:
    # 0 means none; an undefined enum number is passed on to be refused.
    return PROTO_TO_STATUS.get(value, str(value) if value else "")


def _filter(request: Any) -> Filter:
    return Filter(
        status=_status(getattr(request, "status", 0)),
        queue=request.queue,
        task=request.task,
        older_than_s=request.older_than_s,
        job_ids=list(request.job_ids),
    )


def _bulk(result: bulk.BulkResult) -> jobs_pb2.BulkResponse:
    return jobs_pb2.BulkResponse(matched=result.matched, affected=result.affected, sample=result.sample)


def _summary(s: analytics.Summary) -> jobs_pb2.SummaryResponse:
    return jobs_pb2.SummaryResponse(
        window_s=s.window_s, total=s.total, counts=jobs_pb2.StatusCounts(**s.counts), by_queue=s.by_queue,
        by_task=s.by_task, dead_letters=s.dead_letters, success_rate=s.success_rate,
        run_time_ms=jobs_pb2.RunTimeMs(p50=s.p50, p95=s.p95),
    )


SERVICE = Service(
    name="jobs",
    grpc_service=jobs_pb2.DESCRIPTOR.services_by_name["JobsService"],
    add_servicer=jobs_pb2_grpc.add_JobsServiceServicer_to_server,
    make_servicer=lambda rt: JobsServicer(rt.shared(JobFlows)),
    outbox=outbox,
    background=(
        # Held jobs (eta, back-off) reach the broker when due: one dispatcher per replica (SKIP LOCKED).
        lambda rt: rt.shared(JobFlows).run_dispatcher,
        # Pending jobs whose message a killed worker lost get it again (reconcile.py).
        lambda rt: Reconciler(rt.shared(JobFlows), rt.settings.jobs_reconcile_s).run,
    ),
)
