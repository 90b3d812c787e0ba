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
)
