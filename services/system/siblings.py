"""Siblings the system service asks that may not be deployed in this build: the workers service
(`admin.workers.v1`, quiet/unquiet, worker counts) and the config service (`admin.config.v1`, the
`system.announcement` key, the config version). Each is found by its generated proto module; where
it is missing the flows say so (docs/system.md) rather than guess."""

from __future__ import annotations

import importlib
from types import ModuleType


def proto(domain: str) -> tuple[ModuleType, ModuleType] | None:
    """(`<domain>_pb2`, `<domain>_pb2_grpc`) of `admin.<domain>.v1`, or None when not built."""
    try:
        pb2 = importlib.import_module(f"admin.{domain}.v1.{domain}_pb2")
        grpc_mod = importlib.import_module(f"admin.{domain}.v1.{domain}_pb2_grpc")
    except ImportError:
        return None
    return pb2, grpc_mod
