"""Step 4c — parse the payload into the request message (after authorization, before the rate
limit: an invalid request is a 400 audited `invalid` and never counted)."""

from __future__ import annotations

from gateway.pipeline.call import Call, Handler, Reply, invalid


def wrap(next_: Handler) -> Handler:
    async def parse_payload(call: Call) -> Reply:
        assert call.action is not None
        call.message, errors = call.action.parser.parse(call.payload)
        if errors:
            return invalid(call, f"payload does not match {call.action.request_cls.DESCRIPTOR.name}", errors)
        return await next_(call)

    return parse_payload
