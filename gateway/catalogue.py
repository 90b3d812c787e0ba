"""The action catalogue, built once at start-up from the `(admin.v1.action)` method options of
every domain's proto (SPEC §3). Nothing else lists actions: routing, RBAC defaults, rate-limit
windows, deadlines, `/api/admin/actions` and `/openapi.json` all read this one frozen table.
A malformed option stops the gateway at start-up (grpc-gateway does the same with bad annotations).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor
from google.protobuf.message import Message

from admin.v1 import action_pb2
from gateway import protojson
from gateway.rbac import ROLES

# Served inside the gateway process (GatewayAdmin), not over the network.
IN_PROCESS = "gateway"

_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_PERMISSION = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
_PACKAGE = re.compile(r"^admin\.([a-z][a-z0-9_]*)\.v\d+$")
_RISK = {action_pb2.RISK_LOW: "low", action_pb2.RISK_HIGH: "high", action_pb2.RISK_CRITICAL: "critical"}
_KIND = {action_pb2.KIND_QUERY: "query", action_pb2.KIND_COMMAND: "command"}


class CatalogueError(ValueError):
    """A method option is malformed; the message names the RPC."""


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    service: str  # domain name, e.g. "jobs"; the key of settings.addr() and of the breaker
    method_path: str  # "/admin.jobs.v1.JobsService/CancelJob"
    method_name: str
    request_cls: type[Message]
    response_cls: type[Message]
    permission: str
    risk: str
    kind: str
    view: str
    summary: str
    rate_limit_per_min: int
    timeout_ms: int
    min_role: str
    payload_schema: Mapping[str, Any] = field(compare=False)
    parser: protojson.Parser = field(compare=False)
    renderer: protojson.Renderer = field(compare=False)

    @property
    def is_command(self) -> bool:
        return self.kind == "command"

    @property
    def high_risk(self) -> bool:
        return self.risk in ("high", "critical")


def _action(method: MethodDescriptor, service: str) -> Action | None:
    opts = method.GetOptions()
    if not opts.HasExtension(action_pb2.action):
        return None  # internal RPC: callable by services, not routable
    o = opts.Extensions[action_pb2.action]
    where = method.full_name
    if not _NAME.match(o.name):
        raise CatalogueError(f"{where}: action name {o.name!r} is not 'domain.verb'")
    if not _PERMISSION.match(o.permission):
        raise CatalogueError(f"{where}: permission {o.permission!r} is not 'domain:verb'")
    if o.risk not in _RISK:
        raise CatalogueError(f"{where}: risk must be RISK_LOW, RISK_HIGH or RISK_CRITICAL")
    if o.kind not in _KIND:
        raise CatalogueError(f"{where}: kind must be KIND_QUERY or KIND_COMMAND")
    if o.kind == action_pb2.KIND_QUERY and o.risk != action_pb2.RISK_LOW:
        raise CatalogueError(f"{where}: a QUERY action must be RISK_LOW")
    if o.min_role not in ROLES:
        raise CatalogueError(f"{where}: min_role must be one of {ROLES}, got {o.min_role!r}")
    if not o.view or not o.summary:
        raise CatalogueError(f"{where}: view and summary are required")
    req = message_factory.GetMessageClass(method.input_type)
    resp = message_factory.GetMessageClass(method.output_type)
    return Action(
        name=o.name, service=service,
        method_path=f"/{method.containing_service.full_name}/{method.name}", method_name=method.name,
        request_cls=req, response_cls=resp, permission=o.permission, risk=_RISK[o.risk],
        kind=_KIND[o.kind], view=o.view, summary=o.summary, rate_limit_per_min=o.rate_limit_per_min,
        timeout_ms=o.timeout_ms, min_role=o.min_role,
        payload_schema=MappingProxyType(protojson.json_schema(method.input_type)),
        parser=protojson.Parser(method.input_type), renderer=protojson.Renderer(method.output_type),
    )


def domain_of(fd: FileDescriptor) -> str:
    """`admin.jobs.v1` -> "jobs": the key of settings.addr(), the breaker and the snapshot owner."""
    m = _PACKAGE.match(fd.package)
    if not m:
        raise CatalogueError(f"{fd.name}: package {fd.package!r} is not admin.<domain>.v<N>")
    return m.group(1)


def from_files(files: Iterable[FileDescriptor]) -> Mapping[str, Action]:
    table: dict[str, Action] = {}
    for fd in files:
        domain = domain_of(fd)
        for svc in fd.services_by_name.values():
            for method in svc.methods:
                act = _action(method, domain)
                if act is None:
                    continue
                if act.name in table:
                    raise CatalogueError(f"{method.full_name}: action {act.name!r} declared twice")
                table[act.name] = act
    return MappingProxyType(dict(sorted(table.items())))


def domain_modules() -> list[str]:
    """Every generated `admin.<domain>.v<N>.<name>_pb2` module under proto/: a new domain's proto is
    found by walking the package, not by a list kept by hand."""
    import admin

    found = []
    for info in pkgutil.walk_packages(admin.__path__, prefix="admin."):
        parts = info.name.split(".")
        if len(parts) == 4 and parts[3].endswith("_pb2") and _PACKAGE.match(".".join(parts[:3])):
            found.append(info.name)
    return sorted(found)


def domain_files() -> list[FileDescriptor]:
    return [importlib.import_module(m).DESCRIPTOR for m in domain_modules()]


def load(modules: Iterable[str] | None = None) -> Mapping[str, Action]:
    names = domain_modules() if modules is None else modules
    return from_files(importlib.import_module(m).DESCRIPTOR for m in names)
