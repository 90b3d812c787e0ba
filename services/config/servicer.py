"""gRPC adapter of the config service: request → flow → response message. No SQL, no Redis.

Values travel as google.protobuf.Value (an unset value is JSON null); numbers that are whole come
back as integers (protobuf carries every JSON number as a double). `config.get`, `config.list`,
`config.diff` and the SSOT section scrub values as the audit log scrubs payloads; `config.export`
does not (docs/config.md).
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from admin.config.v1 import config_pb2, config_pb2_grpc
from services.common.kit import Runtime, Service
from services.common.scrub import FILTERED, is_secret_key, scrub
from services.common.times import iso, now_iso
from services.config import registry
from services.config.flows import ConfigFlows
from services.config.models import outbox
from services.config.service import Entry, Incoming, diff

MAX_SAFE = 2**53


def to_py(value: struct_pb2.Value, present: bool = True) -> Any:
    if not present:
        return None
    return _ints(json_format.MessageToDict(value))


def _ints(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) <= MAX_SAFE:
        return int(v)
    if isinstance(v, dict):
        return {k: _ints(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_ints(x) for x in v]
    return v


def to_value(v: Any) -> struct_pb2.Value:
    out = struct_pb2.Value()
    json_format.ParseDict(v, out)
    return out


def scrubbed(key: str, value: Any) -> Any:
    """A value scrubbed as an audit payload `{key: value}` would be: a secret-like key hides it all."""
    return scrub({key: value})[key]


def to_proto(e: Entry, *, scrub_value: bool = True) -> config_pb2.Entry:
    value = scrubbed(e.key, e.value) if scrub_value else e.value
    return config_pb2.Entry(key=e.key, value=to_value(value), version=e.version, updated_at=iso(e.updated_at),
                            updated_by=e.updated_by, comment=e.comment)


def _change(key: str, c: dict[str, Any]) -> config_pb2.Change:
    segments = [key, *c["path"].replace("[", ".").split(".")[1:]]
    hide = any(is_secret_key(s) for s in segments)

    def show(v: Any) -> Any:
        return v if v is None else (FILTERED if hide else scrub(v))

    msg = config_pb2.Change(path=c["path"], op=c["op"])
    getattr(msg, "from").CopyFrom(to_value(show(c["from"])))
    msg.to.CopyFrom(to_value(show(c["to"])))
    return msg


class ConfigServicer(config_pb2_grpc.ConfigServiceServicer):
    def __init__(self, flows: ConfigFlows) -> None:
        self.flows = flows

    async def GetConfig(self, request: config_pb2.GetConfigRequest, context: grpc.aio.ServicerContext):
        return config_pb2.GetConfigResponse(entry=to_proto(await self.flows.get(key=request.key)))

    async def ListConfig(self, request: config_pb2.ListConfigRequest, context: grpc.aio.ServicerContext):
        rows, token = await self.flows.list_entries(prefix=request.prefix, page_size=request.page_size,
                                            page_token=request.page_token)
        reg = [config_pb2.RegisteredKey(key=r["key"], schema=to_value(r["schema"]), default=to_value(r["default"]))
               for r in registry.registered(self.flows.rt.settings)]
        return config_pb2.ListConfigResponse(entries=[to_proto(e) for e in rows], next_page_token=token,
                                             registered=reg)

    async def SetConfig(self, request: config_pb2.SetConfigRequest, context: grpc.aio.ServicerContext):
        entry = await self.flows.set(key=request.key, value=to_py(request.value, request.HasField("value")),
                                     comment=request.comment)
        return config_pb2.SetConfigResponse(entry=to_proto(entry, scrub_value=False))

    async def ValidateConfig(self, request: config_pb2.ValidateConfigRequest, context: grpc.aio.ServicerContext):
        registry.check_key(request.key)
        errs = registry.errors_of(request.key, to_py(request.value, request.HasField("value")))
        return config_pb2.ValidateConfigResponse(
            valid=not errs, errors=[config_pb2.FieldError(field=e["field"], message=e["message"]) for e in errs])

    async def DiffConfig(self, request: config_pb2.DiffConfigRequest, context: grpc.aio.ServicerContext):
        a, b = await self.flows.diff(key=request.key, from_version=request.from_version,
                                     to_version=request.to_version)
        return config_pb2.DiffConfigResponse(
            key=request.key, from_version=a.version, to_version=b.version,
            from_value=to_value(scrubbed(a.key, a.value)), to_value=to_value(scrubbed(b.key, b.value)),
            changes=[_change(request.key, c) for c in diff(a.value, b.value)])

    async def HistoryConfig(self, request: config_pb2.HistoryConfigRequest, context: grpc.aio.ServicerContext):
        rows, token = await self.flows.history(key=request.key, page_size=request.page_size,
                                               page_token=request.page_token)
        return config_pb2.HistoryConfigResponse(entries=[to_proto(e) for e in rows], next_page_token=token)

    async def RollbackConfig(self, request: config_pb2.RollbackConfigRequest, context: grpc.aio.ServicerContext):
        entry = await self.flows.rollback(key=request.key, version=request.version, comment=request.comment)
        return config_pb2.RollbackConfigResponse(entry=to_proto(entry, scrub_value=False))

    async def DeleteConfig(self, request: config_pb2.DeleteConfigRequest, context: grpc.aio.ServicerContext):
        deleted = await self.flows.delete(key=request.key)
        return config_pb2.DeleteConfigResponse(key=request.key, deleted_version=deleted)

    async def ExportConfig(self, request: config_pb2.ExportConfigRequest, context: grpc.aio.ServicerContext):
        rows = await self.flows.export(prefix=request.prefix)
        return config_pb2.ExportConfigResponse(entries=[to_proto(e, scrub_value=False) for e in rows],
                                               exported_at=now_iso())

    async def ImportConfig(self, request: config_pb2.ImportConfigRequest, context: grpc.aio.ServicerContext):
        entries = [Incoming(e.key, to_py(e.value, e.HasField("value")), e.comment or request.comment)
                   for e in request.entries]
        changes = await self.flows.import_(entries=entries, dry_run=request.dry_run)
        return config_pb2.ImportConfigResponse(dry_run=request.dry_run, changes=[
            config_pb2.ImportChange(key=c.key, op=c.op, from_version=c.from_version, to_version=c.to_version)
            for c in changes])

    async def Summary(self, request: config_pb2.SummaryRequest, context: grpc.aio.ServicerContext):
        version, n = await self.flows.summary()
        return config_pb2.SummaryResponse(config_version=version, keys=n)

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_config(self) -> config_pb2.ConfigSection:
        version, rows = await self.flows.section()
        return config_pb2.ConfigSection(config_version=version, entries=[to_proto(e) for e in rows])


def _servicer(rt: Runtime) -> ConfigServicer:
    return ConfigServicer(ConfigFlows(rt))


def _resync(rt: Runtime) -> Any:
    return ConfigFlows(rt).resync_forever


SERVICE = Service(
    name="config",
    grpc_service=config_pb2.DESCRIPTOR.services_by_name["ConfigService"],
    add_servicer=config_pb2_grpc.add_ConfigServiceServicer_to_server,
    make_servicer=_servicer,
    outbox=outbox,
    background=(_resync,),
)
