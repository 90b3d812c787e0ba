"""SPEC §4 "Durability" through a real gateway: a reply leaves only once its audit record is
committed, so a SIGKILL right after the answers loses none of them and a search made right after
them finds every one."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from gateway.auth import issue_token
from services.common.db import libpq_url
from tests.gateway.conftest import start_gateway, uid


def test_sigkill_right_after_answers_loses_no_record(settings, logs_dir):
    comp, url = start_gateway(settings, logs_dir)
    n = 40
    traces = [secrets.token_hex(16) for _ in range(n)]
    tokens = [issue_token(settings, uid("kill"), ["viewer"]) for _ in range(4)]
    try:
        with httpx.Client(timeout=10, limits=httpx.Limits(max_connections=16)) as http:
            def one(i: int) -> int:
                r = http.post(f"{url}/api/admin/action", json={"action": "circuit.list", "payload": {}},
                              headers={"Authorization": f"Bearer {tokens[i % 4]}", "X-Trace-Id": traces[i]})
                return r.status_code

            with ThreadPoolExecutor(16) as pool:
                statuses = list(pool.map(one, range(n)))
        comp.kill()  # SIGKILL the moment the last answer arrived: no shutdown flush
    finally:
        comp.kill()
    assert statuses == [200] * n
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        found = {t for (t,) in conn.execute("SELECT trace_id FROM audit.audit_log WHERE trace_id = ANY(%s)",
                                             (traces,))}
    assert found == set(traces), f"{n - len(found)} answered requests lost their audit record"


def test_search_right_after_three_calls_finds_all_three(api, jobs_service):
    me = uid("viewer")
    for _ in range(3):
        r = api.act("job.list", {"page_size": 1}, sub=me, roles=("viewer",))
        assert r.status_code == 200, r.text
    found = api.act("audit.search", {"actor": me})
    assert found.status_code == 200, found.text
    records = found.json()["data"]["records"]
    assert [(x["action"], x["outcome"]) for x in records] == [("job.list", "succeeded")] * 3
