"""gRPC adapter of the queue service: request → flow → response message. No SQL, no Redis."""

from __future__ import annotations

import grpc

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common.kit import Service
from services.common.times import iso as _iso
from services.queue.flows import QueueFlows, QueueView
from services.queue.models import outbox


def to_proto(view: QueueView) -> queue_pb2.Queue:
    r = view.row
    return queue_pb2.Queue(
        queue_name=r.queue_name,
        description=r.description,
        paused=r.paused,
        depth=view.depth,
        created_at=_iso(r.created_at),
        updated_at=_iso(r.updated_at),
        rate_limit_per_s=r.rate_limit_per_s,
    )


class QueueServicer(queue_pb2_grpc.QueueServiceServicer):
    def __init__(self, flows: QueueFlows) -> None:
        self.flows = flows

    async def ListQueues(self, request: queue_pb2.ListQueuesRequest, context: grpc.aio.ServicerContext):
        return queue_pb2.ListQueuesResponse(queues=[to_proto(v) for v in await self.flows.list()])

    async def GetQueue(self, request: queue_pb2.GetQueueRequest, context: grpc.aio.ServicerContext):
        return queue_pb2.GetQueueResponse(queue=to_proto(await self.flows.get(queue_name=request.queue_name)))

    async def CreateQueue(self, request: queue_pb2.CreateQueueRequest, context: grpc.aio.ServicerContext):
        view = await self.flows.create(queue_name=request.queue_name, description=request.description)
        return queue_pb2.CreateQueueResponse(queue=to_proto(view))

    async def PauseQueue(self, request: queue_pb2.PauseQueueRequest, context: grpc.aio.ServicerContext):
        view = await self.flows.pause(queue_name=request.queue_name)
        return queue_pb2.PauseQueueResponse(queue=to_proto(view))

    async def ResumeQueue(self, request: queue_pb2.ResumeQueueRequest, context: grpc.aio.ServicerContext):
        view = await self.flows.resume(queue_name=request.queue_name)
        return queue_pb2.ResumeQueueResponse(queue=to_proto(view))

    async def ClearQueue(self, request: queue_pb2.ClearQueueRequest, context: grpc.aio.ServicerContext):
        done = await self.flows.clear(queue_name=request.queue_name, dry_run=request.dry_run)
        return queue_pb2.ClearQueueResponse(cleared=done.cleared, purged=done.purged, dry_run=done.dry_run)

    async def PeekQueue(self, request: queue_pb2.PeekQueueRequest, context: grpc.aio.ServicerContext):
        messages = await self.flows.peek(queue_name=request.queue_name, limit=request.limit)
        return queue_pb2.PeekQueueResponse(messages=[
            queue_pb2.PeekedMessage(job_id=m.job_id, task=m.task, priority=m.priority) for m in messages
        ])

    async def MoveQueue(self, request: queue_pb2.MoveQueueRequest, context: grpc.aio.ServicerContext):
        moved = await self.flows.move(queue_name=request.queue_name, target_queue=request.target_queue,
                                      job_ids=list(request.job_ids))
        return queue_pb2.MoveQueueResponse(moved=moved)

    async def CleanQueue(self, request: queue_pb2.CleanQueueRequest, context: grpc.aio.ServicerContext):
        r = await self.flows.clean(queue_name=request.queue_name, status=request.status, task=request.task,
                                   older_than_s=request.older_than_s, job_ids=list(request.job_ids),
                                   dry_run=request.dry_run)
        return queue_pb2.CleanQueueResponse(matched=r.matched, affected=r.affected, sample=list(r.sample))

    async def SetRateLimit(self, request: queue_pb2.SetRateLimitRequest, context: grpc.aio.ServicerContext):
        view = await self.flows.set_rate_limit(queue_name=request.queue_name,
                                               rate_limit_per_s=request.rate_limit_per_s)
        return queue_pb2.SetRateLimitResponse(queue=to_proto(view))

    async def DeleteQueue(self, request: queue_pb2.DeleteQueueRequest, context: grpc.aio.ServicerContext):
        view, cancelled = await self.flows.delete(queue_name=request.queue_name, force=request.force)
        return queue_pb2.DeleteQueueResponse(queue=to_proto(view), cancelled=cancelled)

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_queues(self) -> queue_pb2.QueuesSection:
        views = await self.flows.list()
        return queue_pb2.QueuesSection(
            items=[to_proto(v) for v in views],
            dashboard=queue_pb2.QueuesDashboard(
                queue_depths={v.row.queue_name: v.depth for v in views},
                queues_paused=sorted(v.row.queue_name for v in views if v.row.paused),
            ),
        )


SERVICE = Service(
    name="queue",
    grpc_service=queue_pb2.DESCRIPTOR.services_by_name["QueueService"],
    add_servicer=queue_pb2_grpc.add_QueueServiceServicer_to_server,
    make_servicer=lambda rt: QueueServicer(QueueFlows(rt)),
    outbox=outbox,
    # Once at start-up: the workers' rate limits in Redis follow the database.
    background=(lambda rt: QueueFlows(rt).sync_rate_limits,),
)
