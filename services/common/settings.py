"""Settings from the environment (SPEC §2): every name has a documented default.

One frozen `Settings` is read once per process with `load()`; components take it as an argument
so tests can build their own without touching `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace

DEV_SECRET = "switchboard-dev-secret-change-me"

PORTS = {
    "jobs": ("JOBS_PORT", 50051),
    "queue": ("QUEUE_PORT", 50052),
    "workers": ("WORKERS_PORT", 50053),
    "system": ("SYSTEM_PORT", 50054),
    "config": ("CONFIG_PORT", 50055),
    "logs": ("LOGS_PORT", 50056),
}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "postgresql://postgres@127.0.0.1:5432/switchboard"
    redis_url: str = "redis://127.0.0.1:6379/0"
    env: str = "dev"
    jwt_secret: str = DEV_SECRET
    jwt_public_key: str = ""
    rate_limit_per_min: int = 50
    rate_limit_high_risk_per_min: int = 10
    idempotency_ttl_s: int = 86400
    idempotency_lease_s: int = 10
    breaker_fail_max: int = 5
    breaker_reset_s: int = 30
    ssot_ttl_s: int = 15
    rpc_timeout_ms: int = 5000
    drain_s: int = 10
    bind_host: str = "127.0.0.1"
    gateway_port: int = 8000
    ports: dict[str, int] = field(default_factory=lambda: {k: v[1] for k, v in PORTS.items()})
    addrs: dict[str, str] = field(default_factory=dict)
    # Turn the outbox relay off (tests of crash recovery only).
    outbox_relay: bool = True
    log_level: str = "INFO"
    # JSON {"permission": ["role", ...]} overriding the catalogue's default grants (docs/gateway.md).
    rbac_grants: str = ""
    # WebSocket heartbeat period, per-client queue bound, and how long an event may stay pending
    # with a dead gateway replica before another claims it (docs/readpath.md).
    ws_heartbeat_s: float = 15.0
    ws_queue_max: int = 1000
    events_claim_idle_ms: int = 5000
    # Prefork children of one job worker.
    worker_concurrency: int = 2
    # Seconds between the jobs service's passes that send lost broker messages again (0: off).
    jobs_reconcile_s: float = 5.0

    def addr(self, service: str) -> str:
        return self.addrs.get(service) or f"127.0.0.1:{self.ports[service]}"

    def port(self, service: str) -> int:
        return self.ports[service]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load(env: dict[str, str] | None = None) -> Settings:
    e = dict(os.environ if env is None else env)
    d = Settings()
    rpc_timeout_ms = _int(e, "SWITCHBOARD_RPC_TIMEOUT_MS", d.rpc_timeout_ms)
    ports = {svc: _int(e, var, default) for svc, (var, default) in PORTS.items()}
    addrs = {svc: e[f"{svc.upper()}_ADDR"] for svc in PORTS if e.get(f"{svc.upper()}_ADDR")}
    s = Settings(
        database_url=e.get("DATABASE_URL") or d.database_url,
        redis_url=e.get("REDIS_URL") or d.redis_url,
        env=(e.get("SWITCHBOARD_ENV") or d.env).lower(),
        jwt_secret=e.get("SWITCHBOARD_JWT_SECRET") or d.jwt_secret,
        jwt_public_key=e.get("SWITCHBOARD_JWT_PUBLIC_KEY", ""),
        rate_limit_per_min=_int(e, "SWITCHBOARD_RATE_LIMIT_PER_MIN", d.rate_limit_per_min),
        rate_limit_high_risk_per_min=_int(
            e, "SWITCHBOARD_RATE_LIMIT_HIGH_RISK_PER_MIN", d.rate_limit_high_risk_per_min
        ),
        idempotency_ttl_s=_int(e, "SWITCHBOARD_IDEMPOTENCY_TTL_S", d.idempotency_ttl_s),
        # Default: RPC timeout + 5 s, so a live holder never loses its claim mid-call.
        idempotency_lease_s=_int(e, "SWITCHBOARD_IDEMPOTENCY_LEASE_S", rpc_timeout_ms // 1000 + 5),
        breaker_fail_max=_int(e, "SWITCHBOARD_BREAKER_FAIL_MAX", d.breaker_fail_max),
        breaker_reset_s=_int(e, "SWITCHBOARD_BREAKER_RESET_S", d.breaker_reset_s),
        ssot_ttl_s=_int(e, "SWITCHBOARD_SSOT_TTL_S", d.ssot_ttl_s),
        rpc_timeout_ms=rpc_timeout_ms,
        drain_s=_int(e, "SWITCHBOARD_DRAIN_S", d.drain_s),
        bind_host=e.get("BIND_HOST") or d.bind_host,
        gateway_port=_int(e, "GATEWAY_PORT", d.gateway_port),
        ports=ports,
        addrs=addrs,
        outbox_relay=_bool(e, "SWITCHBOARD_OUTBOX_RELAY", True),
        log_level=(e.get("SWITCHBOARD_LOG_LEVEL") or d.log_level).upper(),
        rbac_grants=e.get("SWITCHBOARD_RBAC_GRANTS", ""),
        ws_heartbeat_s=_float(e, "SWITCHBOARD_WS_HEARTBEAT_S", d.ws_heartbeat_s),
        ws_queue_max=max(100, _int(e, "SWITCHBOARD_WS_QUEUE_MAX", d.ws_queue_max)),
        events_claim_idle_ms=_int(e, "SWITCHBOARD_EVENTS_CLAIM_IDLE_MS", d.events_claim_idle_ms),
        worker_concurrency=_int(e, "SWITCHBOARD_WORKER_CONCURRENCY", d.worker_concurrency),
        jobs_reconcile_s=_float(e, "SWITCHBOARD_JOBS_RECONCILE_S", d.jobs_reconcile_s),
    )
    if s.worker_concurrency < 1:
        raise SettingsError(
            f"SWITCHBOARD_WORKER_CONCURRENCY must be a positive integer, got {s.worker_concurrency}"
        )
    if s.env not in {"dev", "prod"}:
        raise SettingsError(f"SWITCHBOARD_ENV must be dev or prod, got {s.env!r}")
    if s.env == "prod" and s.jwt_secret == DEV_SECRET and not s.jwt_public_key:
        raise SettingsError(
            "SWITCHBOARD_ENV=prod refuses the default secret: set SWITCHBOARD_JWT_SECRET or "
            "SWITCHBOARD_JWT_PUBLIC_KEY"
        )
    return s


__all__ = ["Settings", "SettingsError", "load", "DEV_SECRET", "PORTS", "fields"]
