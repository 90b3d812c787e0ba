"""Step 9 — respond & measure (outermost): turn the `Reply` into the HTTP response, add
`X-Trace-Id` and the headers steps collected, record request count and latency. The success
envelope itself is built where the result is known (gateway/pipeline/dispatch.py `success`)
because idempotent replays must store the final bytes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.responses import Response

from gateway import metrics
from gateway.pipeline.call import Call, Handler
from gateway.problems import PROBLEM_JSON


def measure(next_: Handler) -> Callable[[Call], Awaitable[Response]]:
    async def respond(call: Call) -> Response:
        reply = await next_(call)
        label = call.action.name if call.action else "unknown"
        metrics.REQUESTS.labels(action=label).inc()
        metrics.LATENCY.labels(action=label).observe(time.perf_counter() - call.started)
        headers = {**call.headers, **reply.headers, "X-Trace-Id": call.trace_id}
        media = "application/json" if reply.status < 400 else PROBLEM_JSON
        return Response(reply.body, status_code=reply.status, headers=headers, media_type=media)

    return respond

