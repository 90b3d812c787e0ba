"""Step 4b — maintenance gate: while Redis key `switchboard:maintenance` holds
{"enabled": true, "reason": ...}, COMMANDs from non-admins get 503 /problems/maintenance.
After RBAC (its 403 comes first) and before the payload is parsed."""

from __future__ import annotations

import orjson
from redis.asyncio import Redis

from gateway.pipeline.call import Call, Handler, Reply, problem
from gateway.rbac import role_at_least

KEY = "switchboard:maintenance"


async def state(redis: Redis) -> tuple[bool, str]:
    raw = await redis.get(KEY)
    if not raw:
        return False, ""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False, ""
    if not isinstance(doc, dict) or doc.get("enabled") is not True:
        return False, ""
    return True, str(doc.get("reason") or "")


def wrap(next_: Handler, redis: Redis) -> Handler:
    async def maintenance(call: Call) -> Reply:
        assert call.action is not None and call.principal is not None
        # Queries and admins never pay the Redis round trip.
        if call.action.is_command and not role_at_least(call.principal.roles, "admin"):
            enabled, reason = await state(redis)
            if enabled:
                detail = "maintenance mode: commands are limited to admins"
                return problem(call, 503, f"{detail} ({reason})" if reason else detail,
                               code="UNAVAILABLE", type_="/problems/maintenance")
        return await next_(call)

    return maintenance
