"""Step 4c: payloads parse strictly into the request message; JSON Schema and rendering."""

import orjson

from admin.jobs.v1 import jobs_pb2
from gateway.pipeline import payload
from tests.gateway.pipeline.conftest import CATALOGUE, Terminal, make_call


def errors_of(action, data):
    return {e["field"]: e["message"] for e in CATALOGUE[action].parser.parse(data)[1]}


def test_strict_types():
    assert errors_of("job.submit", {"task": "echo", "kwargs": {"message": "hi"}, "priority": 3}) == {}
    errs = errors_of("job.submit", {"task": 5, "priority": "7", "queue": None, "kwargs": [1], "zzz": 1})
    assert set(errs) == {"task", "priority", "queue", "kwargs", "zzz"}
    assert errs["zzz"] == "unknown field" and "null" in errs["queue"]
    assert "integer" in errors_of("job.submit", {"priority": True})["priority"]
    assert "between" in errors_of("job.submit", {"priority": 2**40})["priority"]
    assert errors_of("job.list", {"status": "cancelled"}) == {}
    assert "pending" in errors_of("job.list", {"status": "JOB_STATUS_WHATEVER"})["status"]
    assert "status" in errors_of("job.list", {"status": 5})


def test_parsed_message_values():
    msg, _ = CATALOGUE["job.list"].parser.parse({"status": "failed", "page_size": 3})
    assert msg.status == jobs_pb2.JOB_STATUS_FAILED and msg.page_size == 3


def test_schema_and_render():
    schema = CATALOGUE["job.list"].payload_schema
    assert schema["additionalProperties"] is False
    assert "cancelled" in schema["properties"]["status"]["enum"]
    resp = jobs_pb2.CancelQueuedJobsResponse(cancelled=2**40)
    from gateway.protojson import Renderer
    assert Renderer(resp.DESCRIPTOR).render(resp) == {"cancelled": 2**40}  # a number, not a string
    job = jobs_pb2.GetJobResponse(job=jobs_pb2.Job(job_id="j", status=jobs_pb2.JOB_STATUS_CANCELLED))
    data = CATALOGUE["job.get"].renderer.render(job)["job"]
    assert data["status"] == "cancelled" and data["error"] == "" and data["attempts"] == 0
    assert data["kwargs"] == {} and data["result"] is None


async def test_step_400_lists_every_field():
    term = Terminal()
    call = make_call(action="job.get")
    call.payload = {"job_id": 7, "nope": 1}
    reply = await payload.wrap(term)(call)
    doc = orjson.loads(reply.body)
    assert reply.status == 400 and {e["field"] for e in doc["errors"]} == {"job_id", "nope"} and not term.calls


def test_nul_characters_are_refused_with_their_field():
    # PostgreSQL cannot store NUL in text or jsonb: refused at the door, never a 500 deeper down.
    assert "NUL" in errors_of("queue.create", {"queue_name": "a\x00b"})["queue_name"]
    assert "NUL" in errors_of("job.submit", {"task": "echo", "kwargs": {"message": "a\x00b"}})["kwargs.message"]
    assert "NUL" in errors_of("job.submit", {"task": "echo", "kwargs": {"nested": [{"x": "\x00"}]}})["kwargs.nested[0].x"]
    assert errors_of("job.submit", {"task": "echo", "kwargs": {"message": "fine ✓"}}) == {}
