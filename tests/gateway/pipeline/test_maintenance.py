"""Step 4b: maintenance mode refuses COMMANDs from non-admins with 503 /problems/maintenance."""

import orjson

from gateway.pipeline import maintenance
from tests.gateway.pipeline.conftest import Terminal, make_call


async def test_gate(aredis):
    term = Terminal()
    step = maintenance.wrap(term, aredis)
    try:
        await aredis.set(maintenance.KEY, orjson.dumps({"enabled": True, "reason": "upgrade"}))
        reply = await step(make_call(action="job.cancel", roles=("operator",)))
        doc = orjson.loads(reply.body)
        assert reply.status == 503 and doc["type"] == "/problems/maintenance" and "upgrade" in doc["detail"]
        assert (await step(make_call(action="job.cancel", roles=("admin",)))).status == 200
        assert (await step(make_call(action="job.list", roles=("viewer",)))).status == 200
        await aredis.set(maintenance.KEY, orjson.dumps({"enabled": False}))
        assert (await step(make_call(action="job.cancel", roles=("operator",)))).status == 200
    finally:
        await aredis.delete(maintenance.KEY)
    assert (await step(make_call(action="job.cancel", roles=("operator",)))).status == 200
    assert len(term.calls) == 4
