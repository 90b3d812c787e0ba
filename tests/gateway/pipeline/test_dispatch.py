"""Step 8: the gRPC -> HTTP table and how service errors become problems."""

import grpc
import orjson
import pytest

from gateway.pipeline.dispatch import HTTP_STATUS, Dispatcher, status_error, success
from services.common.errors import NotFound
from services.common.settings import Settings
from tests.gateway.pipeline.conftest import make_call

S = grpc.StatusCode
EXPECTED = {
    S.INVALID_ARGUMENT: 400, S.OUT_OF_RANGE: 400, S.FAILED_PRECONDITION: 400, S.UNAUTHENTICATED: 401,
    S.PERMISSION_DENIED: 403, S.NOT_FOUND: 404, S.ALREADY_EXISTS: 409, S.ABORTED: 409,
    S.RESOURCE_EXHAUSTED: 429, S.CANCELLED: 499, S.UNIMPLEMENTED: 501, S.UNAVAILABLE: 503,
    S.DEADLINE_EXCEEDED: 504, S.INTERNAL: 500, S.UNKNOWN: 500, S.DATA_LOSS: 500,
}


@pytest.mark.parametrize("code,status", EXPECTED.items())
def test_code_table(code, status):
    reply = status_error(make_call(action="job.get"), code, "why", executed=True)
    doc = orjson.loads(reply.body)
    assert reply.status == status == doc["status"] and doc["code"] == code.name
    assert HTTP_STATUS.get(code, 500) == status
    assert reply.system_failure == (code in {S.UNAVAILABLE, S.DEADLINE_EXCEEDED, S.INTERNAL, S.UNKNOWN})


def test_service_reason_and_field_travel_and_500_hides_details():
    reply = status_error(make_call(action="job.get"), S.NOT_FOUND, "job j not found", "JOB_NOT_FOUND", "job_id",
                         executed=True)
    doc = orjson.loads(reply.body)
    assert doc["code"] == "JOB_NOT_FOUND" and doc["errors"] == [{"field": "job_id", "message": "job j not found"}]
    assert doc["type"] == "/problems/not-found" and doc["action"] == "job.get"
    doc = orjson.loads(status_error(make_call(action="job.get"), S.INTERNAL, "Traceback (most recent...)",
                                    executed=True).body)
    assert "Traceback" not in doc["detail"]


def test_success_envelope():
    doc = orjson.loads(success(make_call(action="job.get"), {"x": 1}).body)
    assert doc["success"] is True and doc["action"] == "job.get" and doc["data"] == {"x": 1}
    assert doc["trace_id"] == "ab" * 16 and isinstance(doc["duration_ms"], float)


async def test_in_process_handler_errors_map_like_grpc():
    async def missing(req, call):
        raise NotFound("no breaker for service 'x'", field="service")

    d = Dispatcher(Settings(), {"ResetCircuit": missing})
    reply = await d(make_call(action="circuit.reset", payload={"service": "x"}))
    assert reply.status == 404 and reply.executed and orjson.loads(reply.body)["errors"][0]["field"] == "service"


async def test_in_process_handler_with_its_database_away_answers_503():
    import psycopg

    async def restarting(req, call):  # the first query on a pooled connection that died with the server
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    reply = await Dispatcher(Settings(), {"VerifyAudit": restarting})(make_call(action="audit.verify", payload={}))
    assert reply.status == 503 and not reply.executed, reply.body
    assert orjson.loads(reply.body)["code"] == "DATABASE_UNAVAILABLE"


def test_a_deadline_the_service_reports_does_not_trip_its_breaker():
    # The workers service answered in time that a Celery worker did not: the service is well.
    reported = status_error(make_call(action="job.get"), S.DEADLINE_EXCEEDED, "w1 did not answer", "WORKER_TIMEOUT",
                            "destination", executed=True)
    assert reported.status == 504 and not reported.system_failure
    # Our own deadline ran out (no reason from the service): it is unwell.
    assert status_error(make_call(action="job.get"), S.DEADLINE_EXCEEDED, "", executed=True).system_failure
    # A service that says its database is away is unwell, reason or not.
    assert status_error(make_call(action="job.get"), S.UNAVAILABLE, "db", "DATABASE_UNAVAILABLE",
                        executed=True).system_failure


def test_every_field_error_a_service_names_reaches_the_problem():
    from gateway.pipeline.dispatch import _field_errors
    from services.common.errors import ERRORS_KEY, InvalidArgument

    err = InvalidArgument("two bad", errors=[{"field": "value.a", "message": "x"}, {"field": "value.b", "message": "y"}])
    md = dict(err.trailing_metadata())
    assert md["x-error-field"] == "value.a"
    errors = _field_errors(md[ERRORS_KEY])
    doc = orjson.loads(status_error(make_call(action="job.get"), S.INVALID_ARGUMENT, "two bad", err.reason,
                                    err.field, executed=True, errors=errors).body)
    assert doc["errors"] == [{"field": "value.a", "message": "x"}, {"field": "value.b", "message": "y"}]
