"""Step 6 — idempotency (SPEC §4.6), in two parts:

- `check_key` (before the rate limit, so a 400 is not counted): the key is 1..255 visible ASCII
  characters on any action; HIGH/CRITICAL commands require one; QUERY actions ignore it.
- `wrap`: claim (user, key) atomically with a lease, execute once, store status + body for the
  TTL, replay them byte-for-byte; 422 for another payload under the key, 409 while in flight.
  A request that never reached the service releases its claim and stores nothing.

The claim rides in the rate limit's round trip (step 5's script claims the key once the request is
admitted and leaves the outcome in `call.claim`); `wrap` claims by itself, with the same script and
no window, only when no earlier step did. So a keyed command costs two Redis round trips here, not
three. The record's key carries the user's hash tag, as the rate limit's do, so one script may
touch both on Redis Cluster.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from gateway.pipeline.call import Call, Handler, Reply, invalid, problem
from gateway.pipeline.ratelimit import Limiter, user_tag
from gateway.pipeline.tracing import step_span
from services.common.settings import Settings

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

# KEYS[1] record; ARGV token, status, body, code, ttl s. Only the live holder may write.
_STORE = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'body', ARGV[3], 'code', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""
_RELEASE = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == 'pending' then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def key_of(call: Call) -> str | None:
    """The key as sent, "" included (present but empty is malformed, not absent); None when absent."""
    h = call.request.headers
    for name in ("idempotency-key", "x-idempotency-key"):
        value = h.get(name)
        if value is not None:
            return value
    return None


def record_key(user: str, key: str) -> str:
    """The Redis key of one (user, Idempotency-Key) record: hashed, so any key text is a safe name,
    under the user's hash tag (the rate limit's script claims it beside the user's windows)."""
    return f"idem:{user_tag(user)}:" + hashlib.sha256(f"{user}\n{key}".encode()).hexdigest()


@dataclass(slots=True)
class Claim:
    """What claiming a request's key needs, and, once ratelimit.lua ran it, the outcome: 'claimed' |
    'mismatch' | 'in_flight' | 'done', then the stored status, body and code."""

    record: str
    fingerprint: str
    token: str
    lease_ms: int
    outcome: list[Any] | None = None


def claim_for(call: Call, settings: Settings) -> Claim | None:
    """The claim this call needs (None without a key: queries, unkeyed commands)."""
    if call.idempotency_key is None:
        return None
    assert call.action is not None and call.principal is not None
    return Claim(record_key(call.principal.sub, call.idempotency_key),
                 fingerprint(call.action.name, call.payload), secrets.token_hex(8), lease_ms(call.action, settings))


def fingerprint(action: str, payload: object) -> str:
    return hashlib.sha256(orjson.dumps([action, payload], option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(next_: Handler, settings: Settings | None = None) -> Handler:
    """With `settings`, a keyed command also gets its `call.claim` ready, for the rate limit's
    script to run (module doc)."""

    async def idempotency_key(call: Call) -> Reply:
        assert call.action is not None
        key = key_of(call)
        if key is not None and not _KEY.match(key):
            return invalid(call, "Idempotency-Key must be 1 to 255 visible ASCII characters",
                           [{"field": "Idempotency-Key", "message": "1 to 255 visible ASCII characters"}])
        if call.action.is_command:
            if key is None and call.action.high_risk:
                return invalid(call, f"{call.action.name} is {call.action.risk}-risk: send an Idempotency-Key",
                               [{"field": "Idempotency-Key", "message": "required for high-risk commands"}])
            call.idempotency_key = key
            if settings is not None:
                call.claim = claim_for(call, settings)
        return await next_(call)

    return idempotency_key


def lease_ms(action: Any, settings: Settings) -> int:
    """How long a claim holds: the configured lease, but never shorter than the action's own
    deadline plus a margin — a retry of a 30 s bulk action must not run it a second time while
    the first is still working."""
    deadline_ms = action.timeout_ms or settings.rpc_timeout_ms
    return max(settings.idempotency_lease_s * 1000, deadline_ms + 5_000)


def wrap(next_: Handler, redis: Redis, settings: Settings) -> Handler:
    store, release = (redis.register_script(s) for s in (_STORE, _RELEASE))
    # The claim logic lives once, in the rate limit's script: with no window it only claims.
    claimer = Limiter(redis, settings)

    async def idempotency(call: Call) -> Reply:
        if call.idempotency_key is None:
            return await next_(call)
        c = call.claim
        if c is None or c.outcome is None:  # no earlier step claimed it (see the module doc)
            c = call.claim = claim_for(call, settings)
            assert c is not None
            assert call.principal is not None
            with step_span("idempotency"):
                await claimer.hit(call.principal.sub, (), c)
        res, rkey, token = c.outcome, c.record, c.token
        outcome = res[0].decode() if isinstance(res[0], bytes) else res[0]
        if outcome == "mismatch":
            return problem(call, 422, "this Idempotency-Key was used with a different action or payload",
                           code="IDEMPOTENCY_KEY_REUSED", type_="/problems/idempotency-key-reused")
        if outcome == "in_flight":
            return problem(call, 409, "a request with this Idempotency-Key is still running",
                           code="IDEMPOTENCY_IN_FLIGHT", type_="/problems/idempotency-in-flight",
                           headers={"Retry-After": "1"})
        if outcome == "done":
            code = res[3].decode() if res[3] else ""
            return Reply(int(res[1]), res[2], code=code, replayed=True,
                         headers={"Idempotent-Replayed": "true"})
        try:
            reply = await next_(call)
        except BaseException:
            await release(keys=[rkey], args=[token])
            raise
        with step_span("idempotency"):  # the step's own round trip: keeping the answer
            if reply.executed:
                await store(keys=[rkey], args=[token, reply.status, reply.body, reply.code,
                                               settings.idempotency_ttl_s])
            else:
                await release(keys=[rkey], args=[token])
        return reply

    return idempotency
