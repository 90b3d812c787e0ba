"""Step 5 — rate limit: exact sliding windows per user shared by every replica (one Lua script,
one round trip). Every request fits `default`; HIGH/CRITICAL ones also `high-risk`, unless the
action declares `rate_limit_per_min`, whose `action` window replaces `high-risk` (and comes on top
of `default` for every action). Adds `RateLimit-Policy` / `RateLimit` to every reply from here on;
429 with `Retry-After` when a window is full. A keyed command's idempotency claim (step 6) runs in
the same script once the request is admitted: one round trip for both.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from gateway import metrics
from gateway.catalogue import Action
from gateway.pipeline.call import Call, Handler, Reply, problem
from gateway.pipeline.tracing import step_span
from services.common.settings import Settings

if TYPE_CHECKING:  # idempotency imports this module (user_tag)
    from gateway.pipeline.idempotency import Claim

WINDOW_S = 60
SCRIPT = (Path(__file__).with_name("ratelimit.lua")).read_text()


@dataclass(frozen=True, slots=True)
class Window:
    name: str  # "default" | "high-risk" | "action"
    limit: int
    key_suffix: str


@dataclass(frozen=True, slots=True)
class WindowState:
    name: str
    limit: int
    used: int
    reset_s: float  # until the oldest counted request leaves the window

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def user_tag(user: str) -> str:
    # The hash tag is the user; braces inside a sub would end it early, so escape them.
    return "{" + user.replace("%", "%25").replace("{", "%7B").replace("}", "%7D") + "}"


def windows_for(action: Action, settings: Settings) -> tuple[Window, ...]:
    out = [Window("default", settings.rate_limit_per_min, "default")]
    if action.rate_limit_per_min:
        out.append(Window("action", action.rate_limit_per_min, f"action:{action.name}"))
    elif action.high_risk:
        out.append(Window("high-risk", settings.rate_limit_high_risk_per_min, "high-risk"))
    return tuple(out)


def all_windows(actions: Iterable[Action], settings: Settings) -> tuple[Window, ...]:
    """Every window a user can have: `default`, `high-risk`, and one per action declaring its own
    (what ratelimit.status shows and ratelimit.reset clears)."""
    own = sorted({a.name: a.rate_limit_per_min for a in actions if a.rate_limit_per_min}.items())
    return (Window("default", settings.rate_limit_per_min, "default"),
            Window("high-risk", settings.rate_limit_high_risk_per_min, "high-risk"),
            *(Window(f"action:{n}", q, f"action:{n}") for n, q in own))


def policy_header(windows: tuple[Window, ...]) -> str:
    return ", ".join(f'"{w.name}";q={w.limit};w={WINDOW_S}' for w in windows)


class Limiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._script = redis.register_script(SCRIPT)

    def keys(self, user: str, windows: tuple[Window, ...]) -> list[str]:
        tag = user_tag(user)
        return [f"rl:{tag}:{w.key_suffix}" for w in windows]

    async def hit(self, user: str, windows: tuple[Window, ...],
                  claim: Claim | None = None) -> tuple[bool, float, list[WindowState]]:
        """(admitted, seconds until it would be, state of each window). With `claim` (the
        idempotency record of a keyed command, under the same user's hash tag), an admitted
        request also claims it, in the same round trip: its outcome is left in `claim.outcome`."""
        keys = self.keys(user, windows)
        args: list[Any] = [WINDOW_S * 1000, secrets.token_hex(8), len(windows), *(w.limit for w in windows)]
        if claim is not None:
            keys.append(claim.record)
            args += [claim.fingerprint, claim.token, claim.lease_ms]
        res = await self._script(keys=keys, args=args)
        n = len(windows)
        states = [WindowState(w.name, w.limit, int(res[2 + 2 * i]), int(res[3 + 2 * i]) / 1000)
                  for i, w in enumerate(windows)]
        if claim is not None and len(res) > 2 + 2 * n:
            claim.outcome = list(res[2 + 2 * n:])
        return bool(res[0]), int(res[1]) / 1000, states

    async def status(self, user: str, windows: tuple[Window, ...]) -> list[WindowState]:
        keys = self.keys(user, windows)
        now_s, now_us = await self.redis.time()
        now_ms = now_s * 1000 + now_us // 1000
        pipe = self.redis.pipeline(transaction=False)
        for k in keys:
            pipe.zcount(k, f"({now_ms - WINDOW_S * 1000}", "+inf")
            pipe.zrangebyscore(k, f"({now_ms - WINDOW_S * 1000}", "+inf", start=0, num=1, withscores=True)
        res = await pipe.execute()
        out = []
        for i, w in enumerate(windows):
            first = res[2 * i + 1]
            reset = (first[0][1] + WINDOW_S * 1000 - now_ms) / 1000 if first else 0.0
            out.append(WindowState(w.name, w.limit, int(res[2 * i]), max(0.0, reset)))
        return out

    async def reset(self, user: str, suffixes: list[str]) -> int:
        tag = user_tag(user)
        return int(await self.redis.delete(*(f"rl:{tag}:{s}" for s in suffixes)))


def ratelimit_header(states: list[WindowState]) -> str:
    tightest = min(states, key=lambda s: (s.remaining, -s.reset_s))
    return f'"{tightest.name}";r={tightest.remaining};t={math.ceil(tightest.reset_s)}'


def wrap(next_: Handler, limiter: Limiter, settings: Settings) -> Handler:
    async def ratelimit(call: Call) -> Reply:
        assert call.action is not None and call.principal is not None
        windows = windows_for(call.action, settings)
        with step_span("ratelimit"):
            admitted, retry_s, states = await limiter.hit(call.principal.sub, windows, call.claim)
        call.headers["RateLimit-Policy"] = policy_header(windows)
        call.headers["RateLimit"] = ratelimit_header(states)
        if not admitted:
            full = [s.name for s in states if s.remaining == 0]
            for name in full:
                metrics.RATE_LIMITED.labels(window=name).inc()
            return problem(call, 429, f"rate limit exceeded ({', '.join(full)} window)",
                           code="RESOURCE_EXHAUSTED", type_="/problems/rate-limited",
                           headers={"Retry-After": str(max(1, math.ceil(retry_s)))})
        return await next_(call)

    return ratelimit
