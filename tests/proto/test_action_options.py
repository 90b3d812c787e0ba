"""Every RPC that carries the action option declares it completely and consistently (SPEC §3)."""

from __future__ import annotations

import importlib
import pkgutil
import re

from google.protobuf.descriptor import FileDescriptor

import admin
from admin.v1 import action_pb2

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
VIEWS = {"dashboard", "jobs", "system", "workers", "managers", "logs", "config", "analytics", "audit"}
ROLES = {"viewer", "operator", "admin"}


def _files() -> list[FileDescriptor]:
    out = []
    for mod in pkgutil.walk_packages(admin.__path__, "admin."):
        if mod.name.endswith("_pb2"):
            out.append(importlib.import_module(mod.name).DESCRIPTOR)
    return out


def _actions() -> list[tuple[str, action_pb2.ActionOptions]]:
    found = []
    for f in _files():
        for svc in f.services_by_name.values():
            for m in svc.methods:
                opts = m.GetOptions()
                if opts.HasExtension(action_pb2.action):
                    found.append((m.full_name, opts.Extensions[action_pb2.action]))
    return found


def test_catalogue_is_not_empty() -> None:
    names = {o.name for _, o in _actions()}
    assert {"job.submit", "job.cancel", "queue.clear", "audit.verify"} <= names


def test_every_option_is_well_formed() -> None:
    seen: set[str] = set()
    for method, o in _actions():
        assert NAME.match(o.name), f"{method}: name {o.name!r} is not domain.verb"
        assert o.name not in seen, f"{method}: duplicate action {o.name}"
        seen.add(o.name)
        assert o.permission == o.name.replace(".", ":", 1), f"{method}: permission {o.permission!r}"
        assert o.risk != action_pb2.RISK_UNSPECIFIED, f"{method}: risk unset"
        assert o.kind != action_pb2.KIND_UNSPECIFIED, f"{method}: kind unset"
        assert o.view in VIEWS, f"{method}: view {o.view!r}"
        assert o.summary.strip(), f"{method}: summary empty"
        assert o.min_role in ROLES, f"{method}: min_role {o.min_role!r}"
        if o.kind == action_pb2.KIND_QUERY:
            assert o.risk == action_pb2.RISK_LOW, f"{method}: a query is low risk"


def test_method_names_are_verb_noun() -> None:
    for method, _o in _actions():
        rpc = method.rsplit(".", 1)[1]
        assert re.match(r"^[A-Z][a-zA-Z]+$", rpc), method
