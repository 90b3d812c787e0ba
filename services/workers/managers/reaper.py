"""One pass of the reaper: running jobs past `job_timeout_s` are failed by the jobs service
(ReapJobs: `error` names the reaper, the process is killed), and workers silent for
`missed_heartbeats` heartbeat intervals turn offline in the registry (fenced, one transaction)."""

from __future__ import annotations

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.workers import service as registry
from services.workers.managers import store
from services.workers.managers.runner import Pass
from services.workers.registry import Registry


async def run(p: Pass) -> str:
    timeout_s = int(p.config["job_timeout_s"])
    p.check()
    await p.rt.call("jobs", jobs_pb2_grpc.JobsServiceStub, "ReapJobs", jobs_pb2.ReapJobsRequest(
        timeout_s=timeout_s, reason=f"failed by the reaper: running longer than job_timeout_s ({timeout_s} s)"))
    async with p.rt.sessions.begin() as session:
        await store.fenced(session, name=p.name, token=p.token)
        gone = await registry.reap_silent(session, missed=int(p.config["missed_heartbeats"]))
    if gone:
        p.rt.shared(Registry).listings.changed()
    return ""
