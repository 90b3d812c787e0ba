"""The catalogue built from descriptors: every action of jobs/queue/gateway, and fail-fast on a
malformed option."""

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool

from admin.v1 import action_pb2
from gateway import catalogue
from gateway.catalogue import CatalogueError, from_files

EXPECTED = {
    "job.submit", "job.get", "job.list", "job.cancel", "job.terminate", "job.retry", "queue.list", "queue.get",
    "queue.create", "queue.pause", "queue.resume", "queue.clear", "audit.search", "audit.verify", "audit.export",
    "circuit.list", "circuit.reset", "ratelimit.status", "ratelimit.reset", "cache.stats", "cache.flush",
}


def test_catalogue_has_every_declared_action_and_no_internal_rpc():
    table = catalogue.load()
    assert EXPECTED <= set(table)
    assert "CancelQueuedJobs" not in {a.method_name for a in table.values()}
    a = table["job.cancel"]
    assert (a.service, a.method_path, a.risk, a.kind, a.min_role) == (
        "jobs", "/admin.jobs.v1.JobsService/CancelJob", "high", "command", "operator")
    assert table["audit.search"].service == catalogue.IN_PROCESS
    with pytest.raises(TypeError):
        table["x"] = a  # frozen


_n = iter(range(10**6))


def bad_file(**option):
    pkg = f"admin.bad{next(_n)}.v1"
    # A throwaway proto file in the default pool (where admin/v1/action.proto already is).
    fdp = descriptor_pb2.FileDescriptorProto(name=f"{pkg}.proto", package=pkg,
                                dependency=["admin/v1/action.proto"], syntax="proto3")
    fdp.message_type.add(name="Req")
    svc = fdp.service.add(name="BadService")
    m = svc.method.add(name="Do", input_type=f".{pkg}.Req", output_type=f".{pkg}.Req")
    opts = {"name": "bad.do", "permission": "bad:do", "risk": action_pb2.RISK_LOW,
            "kind": action_pb2.KIND_QUERY, "view": "jobs", "summary": "s", "min_role": "viewer", **option}
    m.options.Extensions[action_pb2.action].CopyFrom(action_pb2.ActionOptions(**opts))
    return descriptor_pool.Default().Add(fdp) or descriptor_pool.Default().FindFileByName(fdp.name)


def test_well_formed_option_loads():
    assert set(from_files([bad_file()])) == {"bad.do"}


@pytest.mark.parametrize("option", [
    {"name": "Bad Name"}, {"permission": "bad"}, {"risk": action_pb2.RISK_UNSPECIFIED},
    {"kind": action_pb2.KIND_UNSPECIFIED}, {"min_role": "root"}, {"summary": ""},
    {"risk": action_pb2.RISK_HIGH},  # a QUERY must be low risk
])
def test_malformed_option_fails_fast(option):
    with pytest.raises(CatalogueError):
        from_files([bad_file(**option)])
