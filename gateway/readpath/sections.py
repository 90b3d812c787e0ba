"""The SSOT sections (SPEC §5): section name -> async fetch function, derived from the protos.

A domain service declares the sections it serves with `option (admin.v1.snapshot)` on its proto
service and answers them through `admin.v1.SnapshotService/GetSection` (the service kit serves it).
The gateway walks the same descriptors as the catalogue, so a new service's section appears with no
edit here. A section no deployed proto declares answers a clear marker instead of failing, so
consoles can tell "not there" from "down".

`dashboard` is composed once the other sections are resolved (fresh, or the last good copy when
their service failed): each section's `dashboard` field is lifted into it, beside the gateway's own
throughput, so one service down leaves its part stale or missing, never the whole dashboard. A
fan-out calls every fetch in parallel, each under its own deadline; a fetch returns the section's
JSON-ready value or raises, and the cache decides what a failure means.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf import symbol_database

from admin.v1 import action_pb2, action_pb2_grpc
from gateway.catalogue import domain_files, domain_of
from gateway.protojson import Renderer
from services.common import clients
from services.common.settings import Settings

# SPEC §5: the sections every snapshot carries, whether or not their service is deployed.
NAMES = ("dashboard", "jobs", "queues", "workers", "managers", "analytics", "logs", "system", "config")
DASHBOARD = "dashboard"


@dataclass(frozen=True)
class FetchContext:
    """What a fetch needs: where the services are, and how long each may take."""

    settings: Settings
    deadline_s: float


@cache
def _renderer(type_name: str) -> Renderer:
    pool = symbol_database.Default().pool
    return Renderer(pool.FindMessageTypeByName(type_name))


def owners() -> dict[str, str]:
    """section -> the domain (settings.addr key) whose service declares it."""
    found: dict[str, str] = {}
    for fd in domain_files():
        for svc in fd.services_by_name.values():
            opts = svc.GetOptions()
            if opts.HasExtension(action_pb2.snapshot):
                for name in opts.Extensions[action_pb2.snapshot].sections:
                    if name in found or name not in NAMES or name == DASHBOARD:
                        raise ValueError(f"{svc.full_name}: section {name!r} is not a free SPEC §5 section")
                    found[name] = domain_of(fd)
    return found


async def _get_section(ctx: FetchContext, domain: str, name: str) -> dict[str, Any]:
    stub = action_pb2_grpc.SnapshotServiceStub(clients.channel(ctx.settings.addr(domain)))
    resp = await stub.GetSection(
        action_pb2.GetSectionRequest(section=name), timeout=ctx.deadline_s, metadata=clients.metadata()
    )
    msg = resp.section
    type_name = msg.TypeName()
    value = symbol_database.Default().GetSymbol(type_name)()
    msg.Unpack(value)
    return _renderer(type_name).render(value)


def owned(domain: str, name: str) -> Callable[[FetchContext], Awaitable[dict[str, Any]]]:
    async def fetch(ctx: FetchContext) -> dict[str, Any]:
        return await _get_section(ctx, domain, name)  # its `dashboard` part is lifted by compose_dashboard

    return fetch


def compose_dashboard(
    values: dict[str, Any], unavailable: list[str], throughput: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the dashboard, the sections without their `dashboard` parts).

    `values` are the sections as they will be served — fresh, or the last good copy of one whose
    service failed — so the dashboard shows every part it can, each as fresh as its section;
    `unavailable` names the owned sections that have neither (their parts are missing)."""
    # Until a workers service reports agents, nobody does: 0 rather than a guess.
    dash: dict[str, Any] = {"workers_online": 0}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dict) and DASHBOARD in value:
            dash.update(value[DASHBOARD] or {})
            value = {k: v for k, v in value.items() if k != DASHBOARD}
        out[name] = value
    dash["throughput"] = throughput
    dash["unavailable"] = sorted(unavailable)
    return dash, out


def not_deployed(name: str) -> Callable[[FetchContext], Awaitable[dict[str, Any]]]:
    async def fetch(ctx: FetchContext) -> dict[str, Any]:
        return {"available": False, "reason": f"no deployed service serves the {name} section yet"}

    return fetch


def build() -> dict[str, Callable[[FetchContext], Awaitable[Any]]]:
    """Every section but the dashboard, which is composed from them (compose_dashboard)."""
    own = owners()
    return {name: owned(own[name], name) if name in own else not_deployed(name) for name in NAMES[1:]}


SECTIONS = build()
OWNED = frozenset(owners())  # the sections a deployed proto declares: the dashboard's contributors
