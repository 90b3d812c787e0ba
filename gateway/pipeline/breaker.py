"""Step 7 — circuit breaker per downstream service (state in Redis, logic in pybreaker; see
gateway/breakers.py). Open -> 503 /problems/circuit-open with Retry-After, without touching the
service. In-process actions (GatewayAdmin) have no breaker."""

from __future__ import annotations

import math

from gateway import metrics
from gateway.breakers import Breakers
from gateway.catalogue import IN_PROCESS
from gateway.pipeline.call import Call, Handler, Reply, problem


def wrap(next_: Handler, breakers: Breakers) -> Handler:
    async def breaker(call: Call) -> Reply:
        assert call.action is not None
        if call.action.service == IN_PROCESS:
            return await next_(call)
        br = breakers.get(call.action.service)
        wait_s = await br.guard()
        if wait_s > 0:
            metrics.BREAKER_STATE.labels(service=br.service).set(metrics.BREAKER_VALUES["open"])
            return problem(call, 503, f"the {br.service} service is failing; circuit open",
                           code="UNAVAILABLE", type_="/problems/circuit-open",
                           headers={"Retry-After": str(max(1, math.ceil(wait_s)))})
        reply = await next_(call)
        await br.record(reply.system_failure)
        metrics.BREAKER_STATE.labels(service=br.service).set(metrics.BREAKER_VALUES[br.status().state])
        return reply

    return breaker
