"""Prometheus metrics of the gateway (SPEC §4 step 9), in one registry served at `/metrics`.
Other gateway modules (the read path's cache) register theirs in `REGISTRY` too."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("switchboard_gateway_requests", "Action requests by action",
                   ["action"], registry=REGISTRY)
OUTCOMES = Counter("switchboard_gateway_outcomes", "Action requests by action and outcome",
                   ["action", "outcome"], registry=REGISTRY)
LATENCY = Histogram("switchboard_gateway_request_duration_seconds", "Time spent on an action request",
                    ["action"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BREAKER_STATE = Gauge("switchboard_gateway_breaker_state",
                      "Circuit breaker per service as last seen (0 closed, 1 half-open, 2 open)",
                      ["service"], registry=REGISTRY)
RATE_LIMITED = Counter("switchboard_gateway_rate_limited", "Requests refused by a rate-limit window",
                       ["window"], registry=REGISTRY)

BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}
