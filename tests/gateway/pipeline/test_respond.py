"""Step 9: the reply becomes the response; trace id and collected headers added; metrics counted."""

from gateway import metrics
from gateway.pipeline import respond
from gateway.pipeline.call import Reply
from tests.gateway.pipeline.conftest import Terminal, make_call


async def test_response_headers_media_and_metrics():
    before = metrics.REQUESTS.labels(action="job.get")._value.get()
    term = Terminal(Reply(429, b'{"p":1}', headers={"Retry-After": "3"}))
    call = make_call(action="job.get")
    call.headers["RateLimit"] = '"default";r=0;t=3'
    resp = await respond.measure(term)(call)
    assert resp.status_code == 429 and resp.body == b'{"p":1}'
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["x-trace-id"] == call.trace_id and resp.headers["retry-after"] == "3"
    assert resp.headers["ratelimit"] == '"default";r=0;t=3'
    assert metrics.REQUESTS.labels(action="job.get")._value.get() == before + 1
    ok = await respond.measure(Terminal())(make_call(action="job.get"))
    assert ok.headers["content-type"] == "application/json"
