"""What every gRPC service serves besides its own RPCs (SPEC §2): health checking, and server
reflection that hands out the proto files — action options included — so tools like grpcurl
see the catalogue."""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from admin.v1 import action_pb2


def _file_containing(channel: grpc.Channel, symbol: str) -> list[descriptor_pb2.FileDescriptorProto]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    [resp] = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(
        file_containing_symbol=symbol)]), timeout=5))
    return [descriptor_pb2.FileDescriptorProto.FromString(b)
            for b in resp.file_descriptor_response.file_descriptor_proto]


def test_jobs_and_queue_serve_health_and_reflection_with_action_options(
    settings, jobs_service, queue_service, grpc_channel_factory
) -> None:
    for service, full_name, rpc, action in (
        ("jobs", "admin.jobs.v1.JobsService", "CancelJob", "job.cancel"),
        ("queue", "admin.queue.v1.QueueService", "ClearQueue", "queue.clear"),
    ):
        ch = grpc_channel_factory(settings.addr(service))
        health = health_pb2_grpc.HealthStub(ch)
        for name in ("", full_name):
            status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
            assert status == health_pb2.HealthCheckResponse.SERVING
        files = _file_containing(ch, full_name)
        svc = next(s for f in files for s in f.service if f"{f.package}.{s.name}" == full_name)
        method = next(m for m in svc.method if m.name == rpc)
        # The option travels as an unparsed extension; read it back through the generated class.
        opts = descriptor_pb2.MethodOptions.FromString(method.options.SerializeToString())
        assert opts.Extensions[action_pb2.action].name == action
