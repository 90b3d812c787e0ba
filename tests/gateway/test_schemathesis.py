"""Schemathesis against the gateway's own `/openapi.json` (every action's payload schema is in the
action endpoint's `oneOf`): no server failure, every 4xx a problem+json body with `code`, and
responses as documented (status, content type, schema).

It runs against an isolated gateway (tests/gateway/isolated.py) with an admin token, so every
action's payload reaches the payload step and beyond yet executes nowhere: a domain action that
passes every gateway step ends in 503 UNAVAILABLE (service unreachable) or 503 circuit-open, which
is the documented answer; anything else at 5xx fails. Bounded: a few examples per operation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from gateway.auth import issue_token
from tests.gateway.conftest import uid
from tests.gateway.isolated import isolated_gateway

ACTION = "/api/admin/action"
UNREACHABLE = {"/problems/circuit-open", "/problems/unavailable", "/problems/service-unavailable"}


@pytest.fixture(scope="module")
def fuzz_target(settings, logs_dir) -> Iterator[str]:
    with isolated_gateway(settings, logs_dir) as url:
        yield url


def _fuzz(op, mode, examples: int, settings, target: str) -> None:
    @given(case=op.as_strategy(mode))
    @hsettings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:
        token = issue_token(settings, uid("fuzz"), ["admin"])  # fresh user: no rate limit hides a path
        response = case.call(base_url=target, headers={"Authorization": f"Bearer {token}"})
        if mode is schemathesis.GenerationMode.POSITIVE:
            case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                                     response_schema_conformance])
        status = response.status_code
        if status >= 400:
            assert response.headers["content-type"] == ["application/problem+json"], response.text
            body = response.json()
            assert body["code"] and body["status"] == status, response.text
        if status >= 500:
            assert status == 503 and body["code"] == "UNAVAILABLE", response.text
            assert body["type"] in UNREACHABLE, f"a 503 other than 'service unreachable': {response.text}"

    check()


def test_no_5xx_and_problems_carry_a_code(settings, fuzz_target):
    schema = schemathesis.openapi.from_url(f"{fuzz_target}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path == ACTION for op in operations)
    positive, negative = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
    runs = [(op, positive, 5) for op in operations if op.path != ACTION]
    # The action endpoint: every action's schema (valid payloads), then broken ones (wrong types,
    # unknown fields, missing members): the latter must be 400s naming the problem, never a 5xx.
    runs += [(op, positive, 150) for op in operations if op.path == ACTION]
    runs += [(op, negative, 100) for op in operations if op.path == ACTION]
    for op, mode, examples in runs:
        _fuzz(op, mode, examples, settings, fuzz_target)
