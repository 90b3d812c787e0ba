"""Step 6: claim, replay byte-for-byte, 422 for another payload, 409 in flight, release when the
call never reached the service; key rules checked before the rate limit."""

import asyncio
import secrets

from gateway.pipeline import idempotency
from gateway.pipeline.call import Reply
from services.common.settings import Settings
from tests.gateway.pipeline.conftest import Terminal, make_call

S = Settings(idempotency_lease_s=2, idempotency_ttl_s=60)


def keyed(key, payload=None, action="job.cancel", sub="idem-user"):
    call = make_call({"idempotency-key": key}, action=action, payload=payload or {"job_id": "j1"}, sub=sub)
    call.idempotency_key = key
    return call


async def test_key_rules():
    term = Terminal()
    step = idempotency.check_key(term)
    assert (await step(make_call(action="job.cancel"))).status == 400  # high-risk command needs one
    bad = make_call({"idempotency-key": "has space"}, action="job.list")
    assert (await step(bad)).status == 400  # malformed is 400 on any action
    long = make_call({"x-idempotency-key": "k" * 256}, action="job.list")
    assert (await step(long)).status == 400
    for header in ("idempotency-key", "x-idempotency-key"):  # present but empty: malformed, not absent
        assert (await step(make_call({header: ""}, action="job.list"))).status == 400
        assert (await step(make_call({header: ""}, action="job.cancel"))).status == 400
    q = make_call({"idempotency-key": "fine"}, action="job.list")
    assert (await step(q)).status == 200 and q.idempotency_key is None  # ignored on queries
    c = make_call({"x-idempotency-key": "fine"}, action="job.cancel")
    assert (await step(c)).status == 200 and c.idempotency_key == "fine"
    assert len(term.calls) == 2


async def test_replay_conflict_and_reuse(aredis):
    term = Terminal(Reply(404, b'{"exact":"bytes"}', code="JOB_NOT_FOUND", executed=True))
    step = idempotency.wrap(term, aredis, S)
    key = secrets.token_hex(6)
    first = await step(keyed(key))
    again = await step(keyed(key))
    assert (again.status, again.body, again.replayed) == (404, b'{"exact":"bytes"}', True)
    assert again.headers == {"Idempotent-Replayed": "true"} and again.code == "JOB_NOT_FOUND"
    assert first.status == 404 and len(term.calls) == 1
    reused = await step(keyed(key, {"job_id": "other"}))
    assert reused.status == 422 and reused.code == "IDEMPOTENCY_KEY_REUSED"
    other_user = await step(keyed(key, sub="someone-else"))  # keys are scoped per user
    assert other_user.status == 404 and not other_user.replayed and len(term.calls) == 2


async def test_in_flight_and_concurrent_execute_once(aredis):
    gate = asyncio.Event()

    class Slow(Terminal):
        async def __call__(self, call):
            self.calls.append(call)
            await gate.wait()
            return self.reply

    term = Slow()
    step = idempotency.wrap(term, aredis, S)
    key = secrets.token_hex(6)
    running = asyncio.create_task(step(keyed(key)))
    while not term.calls:  # barrier: the first request holds the claim and is executing
        await asyncio.sleep(0)
    racing = await asyncio.gather(*(step(keyed(key)) for _ in range(5)))
    assert {r.status for r in racing} == {409} and racing[0].code == "IDEMPOTENCY_IN_FLIGHT"
    gate.set()
    assert (await running).status == 200 and len(term.calls) == 1


async def test_unexecuted_reply_stores_nothing_and_lease_expires(aredis):
    term = Terminal(Reply(503, b"{}", code="UNAVAILABLE", executed=False))
    step = idempotency.wrap(term, aredis, S)
    key = secrets.token_hex(6)
    await step(keyed(key))
    term.reply = Reply(200, b"{}", executed=True)
    assert not (await step(keyed(key))).replayed and len(term.calls) == 2
    # a holder that died: its claim expires after the lease and the key can be retried
    dead = secrets.token_hex(6)
    fp = idempotency.fingerprint("job.cancel", {"job_id": "j1"})
    rkey = idempotency.record_key("idem-user", dead)
    await aredis.hset(rkey, mapping={"fp": fp, "state": "pending", "token": "dead"})
    await aredis.pexpire(rkey, 300)
    assert (await step(keyed(dead))).status == 409
    while await aredis.exists(rkey):  # the lease runs out (Redis expires the claim)
        await asyncio.sleep(0.02)
    assert (await step(keyed(dead))).status == 200


def test_a_claim_outlives_the_actions_deadline():
    from gateway.catalogue import load

    actions = load()
    bulk, get = actions["job.cancel_bulk"], actions["job.get"]
    assert bulk.timeout_ms > S.rpc_timeout_ms  # the bulk actions run longer than the default deadline
    assert idempotency.lease_ms(bulk, S) >= bulk.timeout_ms + 5_000
    assert idempotency.lease_ms(get, Settings(idempotency_lease_s=60)) == 60_000  # configured, when longer


async def test_the_claim_rides_in_the_rate_limit_script(aredis):
    """Steps 4d + 5 + 6 as the pipeline composes them: the rate limit's script claims the key,
    the idempotency step uses that outcome (no round trip of its own), and a request refused by
    the rate limit claims nothing."""
    from gateway.pipeline import ratelimit
    from gateway.pipeline.ratelimit import Limiter

    s = Settings(idempotency_lease_s=2, idempotency_ttl_s=60, rate_limit_per_min=100,
                 rate_limit_high_risk_per_min=2)
    term = Terminal(Reply(200, b'{"done":1}', executed=True))
    step = idempotency.check_key(ratelimit.wrap(idempotency.wrap(term, aredis, s), Limiter(aredis, s), s), s)
    sub = f"idem-{secrets.token_hex(4)}"

    def keyed_call(key, job="j1"):
        return make_call({"idempotency-key": key}, action="job.cancel", payload={"job_id": job}, sub=sub)

    first = keyed_call("k1")
    assert (await step(first)).status == 200
    assert first.claim.outcome[0] == b"claimed"  # claimed by the rate limit's script
    assert first.claim.record.startswith("idem:{" + sub + "}:")  # the user's hash tag
    again = keyed_call("k1")
    replay = await step(again)
    assert (replay.status, replay.body, replay.replayed) == (200, b'{"done":1}', True)
    assert len(term.calls) == 1
    # the high-risk window (2 a minute) is now full: refused, and its key is never claimed
    refused = keyed_call("k2", job="j2")
    assert (await step(refused)).status == 429
    assert refused.claim.outcome is None
    assert not await aredis.exists(idempotency.record_key(sub, "k2"))
