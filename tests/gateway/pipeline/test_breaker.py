"""Step 7: pybreaker state machine with state in Redis; an awaited gRPC UNAVAILABLE really trips it."""

import asyncio
import secrets
import time

import orjson

from gateway.breakers import CHANGED, Breakers
from gateway.pipeline import breaker, dispatch
from gateway.pipeline.call import Reply
from services.common.settings import Settings
from tests.conftest import free_port
from tests.gateway.pipeline.conftest import Terminal, make_call


def fresh(aredis, fail_max=3, reset_s=1.0):
    # A namespace of its own: the session gateway shares this Redis database.
    return Breakers(aredis, fail_max=fail_max, reset_s=reset_s, services=["jobs", "queue"],
                    namespace=f"test-breaker-{secrets.token_hex(4)}:")


async def test_awaited_unavailable_trips_the_breaker(aredis):
    port = free_port()  # nothing listens here: a real connection failure
    settings = Settings(addrs={"jobs": f"127.0.0.1:{port}"}, rpc_timeout_ms=2000)
    brs = fresh(aredis)
    step = breaker.wrap(dispatch.handler(dispatch.Dispatcher(settings, {})), brs)
    replies = [await step(make_call(action="job.get", payload={"job_id": "x"})) for _ in range(3)]
    assert [r.status for r in replies] == [503, 503, 503]
    assert all(orjson.loads(r.body)["type"] == "/problems/unavailable" for r in replies)
    assert (await brs.status("jobs")).state == "open"
    t0 = time.perf_counter()
    refused = await step(make_call(action="job.get", payload={"job_id": "x"}))
    assert time.perf_counter() - t0 < 0.05
    assert refused.status == 503 and orjson.loads(refused.body)["type"] == "/problems/circuit-open"
    assert refused.headers["Retry-After"] == "1"
    assert (await brs.status("queue")).state == "closed"  # one open breaker never affects another


async def test_business_errors_do_not_count_and_recovery_closes(aredis):
    brs = fresh(aredis, fail_max=2, reset_s=0.3)
    term = Terminal(Reply(404, b"{}", code="NOT_FOUND", executed=True))
    step = breaker.wrap(term, brs)
    for _ in range(5):
        await step(make_call(action="job.get"))
    assert (await brs.status("jobs")).fail_counter == 0
    term.reply = Reply(504, b"{}", code="DEADLINE_EXCEEDED", executed=True, system_failure=True)
    await step(make_call(action="job.get"))
    term.reply = Reply(200, b"{}", executed=True)
    await step(make_call(action="job.get"))  # a success resets the consecutive count
    assert (await brs.status("jobs")).fail_counter == 0
    term.reply = Reply(500, b"{}", code="INTERNAL", executed=True, system_failure=True)
    await step(make_call(action="job.get"))
    await step(make_call(action="job.get"))
    st = await brs.status("jobs")
    assert st.state == "open" and 0 < st.retry_after_s <= 0.3
    calls = len(term.calls)
    assert (await step(make_call(action="job.get"))).status == 503 and len(term.calls) == calls
    while (await brs.status("jobs")).retry_after_s > 0:  # until the reset timeout has run out
        await asyncio.sleep(0.02)
    term.reply = Reply(200, b"{}", executed=True)
    assert (await step(make_call(action="job.get"))).status == 200  # the half-open probe
    assert (await brs.status("jobs")).state == "closed"


async def test_state_is_shared_between_replicas(aredis):
    a = fresh(aredis, fail_max=2)
    b = Breakers(aredis, fail_max=2, reset_s=1.0, services=["jobs"], namespace=a.namespace)
    fail = Terminal(Reply(503, b"{}", executed=False, system_failure=True))
    await breaker.wrap(fail, a)(make_call(action="job.get"))
    await breaker.wrap(fail, b)(make_call(action="job.get"))  # the other replica's failure adds up
    assert (await a.status("jobs")).state == "open"
    assert (await breaker.wrap(fail, a)(make_call(action="job.get"))).status == 503
    assert len(fail.calls) == 2
    assert (await b.reset("jobs")).state == "closed"


async def test_in_process_actions_have_no_breaker(aredis):
    brs = fresh(aredis, fail_max=1)
    term = Terminal(Reply(500, b"{}", executed=True, system_failure=True))
    step = breaker.wrap(term, brs)
    for _ in range(3):
        await step(make_call(action="circuit.list"))
    assert len(term.calls) == 3


async def test_a_replica_sees_another_replica_trip_at_once(aredis):
    """Each replica caches the breaker hash (no Redis round trip per call); a write by any replica
    is announced on pub/sub, so a cached 'closed' never outlives the trip by more than a moment."""
    a = fresh(aredis, fail_max=2)
    b = Breakers(aredis, fail_max=2, reset_s=30, services=["jobs"], namespace=a.namespace)
    [(_, before)] = await aredis.pubsub_numsub(CHANGED)
    listener = asyncio.create_task(a.listen())
    try:
        while (await aredis.pubsub_numsub(CHANGED))[0][1] <= before:  # barrier: a's listener subscribed
            await asyncio.sleep(0.01)
        ok = Terminal(Reply(200, b"{}", executed=True))
        await breaker.wrap(ok, a)(make_call(action="job.get"))  # a now holds a 'closed' snapshot
        assert "jobs" in a._snapshots
        fail = Terminal(Reply(503, b"{}", executed=False, system_failure=True))
        for _ in range(2):
            await breaker.wrap(fail, b)(make_call(action="job.get"))
        while "jobs" in a._snapshots:  # the announcement reached a, which dropped its copy
            await asyncio.sleep(0.01)
        refused = await breaker.wrap(ok, a)(make_call(action="job.get"))
        assert refused.status == 503 and orjson.loads(refused.body)["type"] == "/problems/circuit-open"
        assert len(ok.calls) == 1
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
