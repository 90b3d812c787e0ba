"""Step 1: body shape, size and media type; trace continuation."""

import orjson

from gateway.pipeline import validate
from tests.gateway.pipeline.conftest import CATALOGUE, Terminal, make_call

JSON = {"content-type": "application/json"}


def test_trace_continues_valid_traceparent_then_x_trace_id_else_new():
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert validate.trace_id_of({"traceparent": tp}) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert validate.trace_id_of({"traceparent": "garbage", "x-trace-id": "a" * 32}) == "a" * 32
    fresh = validate.trace_id_of({"x-trace-id": "0" * 32})
    assert len(fresh) == 32 and fresh != "0" * 32
    assert validate.trace_id_of({"x-trace-id": "A" * 32}) != "A" * 32  # must be lowercase hex


async def run(headers, body):
    term = Terminal()
    reply = await validate.wrap(term, CATALOGUE)(make_call(headers, body))
    return reply, term


async def test_415_for_non_json_content_type():
    reply, term = await run({"content-type": "text/plain"}, b"{}")
    assert reply.status == 415 and reply.code == "UNSUPPORTED_MEDIA_TYPE" and not term.calls
    assert orjson.loads(reply.body)["action"] is None


async def test_413_by_declared_length_and_by_streamed_body():
    big = b'{"action":"job.get","payload":{"x":"' + b"a" * 70000 + b'"}}'
    reply, _ = await run({**JSON, "content-length": str(len(big))}, big)
    assert reply.status == 413 and reply.code == "PAYLOAD_TOO_LARGE"
    reply, _ = await run(JSON, big)  # no Content-Length (chunked): counted while reading
    assert reply.status == 413 and orjson.loads(reply.body)["action"] is None


async def test_400_for_malformed_body_shape_and_unknown_action():
    for body, field in ((b"{nope", ""), (b"[1]", None), (b'{"action": 5}', "action"),
                        (b'{"action": "job.get", "payload": []}', "payload"),
                        (b'{"action": "job.get", "extra": 1}', "extra"),
                        (b'{"action": "job.nope", "payload": {}}', "action")):
        reply, term = await run(JSON, body)
        assert reply.status == 400 and reply.code == "INVALID_ARGUMENT", body
        doc = orjson.loads(reply.body)
        if field is not None:
            assert field in [e["field"] for e in doc["errors"]], body
        assert not term.calls
    reply, _ = await run(JSON, b'{"action": "job.nope", "payload": {}}')
    assert orjson.loads(reply.body)["action"] == "job.nope"


async def test_valid_request_reaches_next_step_resolved():
    reply, term = await run({"content-type": "application/json; charset=utf-8"},
                            b'{"action": "job.get", "payload": {"job_id": "j1"}}')
    assert reply.status == 200 and len(term.calls) == 1
    call = term.calls[0]
    assert call.action is CATALOGUE["job.get"] and call.payload == {"job_id": "j1"}
