"""Step 5: exact sliding windows in one Lua script on real Redis; headers per SPEC §4.5."""

import dataclasses
import secrets

import orjson

from gateway.pipeline import ratelimit
from gateway.pipeline.ratelimit import Limiter, Window, policy_header, windows_for
from services.common.settings import Settings
from tests.gateway.pipeline.conftest import CATALOGUE, Terminal, make_call

S = Settings(rate_limit_per_min=5, rate_limit_high_risk_per_min=2)


def test_windows_per_action():
    assert [w.name for w in windows_for(CATALOGUE["job.list"], S)] == ["default"]
    assert [w.name for w in windows_for(CATALOGUE["job.cancel"], S)] == ["default", "high-risk"]
    own = dataclasses.replace(CATALOGUE["job.cancel"], rate_limit_per_min=3)
    assert [(w.name, w.limit) for w in windows_for(own, S)] == [("default", 5), ("action", 3)]
    low_own = dataclasses.replace(CATALOGUE["job.list"], rate_limit_per_min=3)
    assert [w.name for w in windows_for(low_own, S)] == ["default", "action"]
    assert policy_header(windows_for(CATALOGUE["job.cancel"], S)) == '"default";q=5;w=60, "high-risk";q=2;w=60'


async def test_exact_limit_and_refusals_do_not_count(aredis):
    lim = Limiter(aredis, S)
    user = f"rl-{secrets.token_hex(4)}"
    windows = (Window("default", 3, "default"),)
    results = [await lim.hit(user, windows) for _ in range(6)]
    assert [r[0] for r in results] == [True, True, True, False, False, False]
    assert 58 < results[3][1] <= 60  # Retry-After: until the oldest request leaves the window
    assert [s.used for s in (await lim.status(user, windows))] == [3]  # refusals did not count
    assert await lim.reset(user, ["default"]) == 1
    assert (await lim.hit(user, windows))[0]


async def test_all_windows_must_admit(aredis):
    lim = Limiter(aredis, S)
    user = f"rl-{secrets.token_hex(4)}"
    both = (Window("default", 5, "default"), Window("high-risk", 2, "high-risk"))
    assert [(await lim.hit(user, both))[0] for _ in range(3)] == [True, True, False]
    # the refused high-risk request added nothing to `default` either
    assert [s.used for s in await lim.status(user, both)] == [2, 2]
    low = (Window("default", 5, "default"),)
    assert [(await lim.hit(user, low))[0] for _ in range(4)] == [True, True, True, False]


async def test_step_headers_and_429(aredis):
    term = Terminal()
    step = ratelimit.wrap(term, Limiter(aredis, S), S)
    sub = f"rl-{secrets.token_hex(4)}"
    first = make_call(action="job.cancel", sub=sub)
    assert (await step(first)).status == 200
    assert first.headers["RateLimit-Policy"] == '"default";q=5;w=60, "high-risk";q=2;w=60'
    assert first.headers["RateLimit"] == '"high-risk";r=1;t=60'
    await step(make_call(action="job.cancel", sub=sub))
    third = make_call(action="job.cancel", sub=sub)
    reply = await step(third)
    assert reply.status == 429 and reply.code == "RESOURCE_EXHAUSTED"
    assert orjson.loads(reply.body)["type"] == "/problems/rate-limited"
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    assert third.headers["RateLimit"].startswith('"high-risk";r=0;t=')
    assert len(term.calls) == 2
