"""Prometheus metrics of the read path, registered in the gateway's registry (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from gateway.metrics import REGISTRY

SSOT_REQUESTS = Counter(
    "switchboard_ssot_requests", "SSOT reads by cache result (hit, miss, stale)", ["result"], registry=REGISTRY
)
SSOT_FANOUTS = Counter(
    "switchboard_ssot_fanouts", "SSOT rebuilds that fetched every section over gRPC", registry=REGISTRY
)
SSOT_SECTION_FAILURES = Counter(
    "switchboard_ssot_section_failures", "Sections that could not be fetched during a fan-out", ["section"],
    registry=REGISTRY,
)
SSOT_INVALIDATIONS = Counter(
    "switchboard_ssot_invalidations", "Snapshot deletions caused by events or cache.flush", registry=REGISTRY
)
WS_CONNECTIONS = Gauge("switchboard_ws_connections", "Open event WebSockets on this replica", registry=REGISTRY)
WS_DROPPED = Counter(
    "switchboard_ws_dropped", "Event WebSockets dropped because the client fell behind", registry=REGISTRY
)
WS_EVENTS_SENT = Counter("switchboard_ws_events_sent", "Events written to WebSocket clients", registry=REGISTRY)
