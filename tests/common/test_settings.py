import pytest

from services.common.settings import DEV_SECRET, SettingsError, load


def test_defaults_match_the_spec() -> None:
    s = load(env={})
    assert s.rate_limit_per_min == 50 and s.rate_limit_high_risk_per_min == 10
    assert s.idempotency_ttl_s == 86400 and s.breaker_fail_max == 5 and s.breaker_reset_s == 30
    assert s.ssot_ttl_s == 15 and s.rpc_timeout_ms == 5000 and s.drain_s == 10
    assert s.idempotency_lease_s == 10  # RPC timeout + 5 s
    assert s.bind_host == "127.0.0.1" and s.gateway_port == 8000
    assert s.addr("jobs") == "127.0.0.1:50051" and s.addr("logs") == "127.0.0.1:50056"


def test_lease_follows_rpc_timeout() -> None:
    assert load(env={"SWITCHBOARD_RPC_TIMEOUT_MS": "20000"}).idempotency_lease_s == 25


def test_addr_overrides() -> None:
    assert load(env={"JOBS_ADDR": "jobs:9000"}).addr("jobs") == "jobs:9000"


def test_prod_refuses_default_secret() -> None:
    with pytest.raises(SettingsError, match="default secret"):
        load(env={"SWITCHBOARD_ENV": "prod"})
    assert load(env={"SWITCHBOARD_ENV": "prod", "SWITCHBOARD_JWT_SECRET": "x" * 40}).jwt_secret != DEV_SECRET


def test_bad_integer_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="SWITCHBOARD_SSOT_TTL_S"):
        load(env={"SWITCHBOARD_SSOT_TTL_S": "soon"})
