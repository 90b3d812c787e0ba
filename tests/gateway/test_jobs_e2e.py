"""Issue 8 through the gateway: job options (delays, attempts, dead letters), the bulk and override
actions, analytics and exports, and queue.peek / move / clean / set_rate_limit / delete — against
the real jobs and queue services, a real prefork Celery worker, PostgreSQL and Redis. Effects are
checked where they land: job rows (job.get), broker messages (LLEN / LRANGE of the queue's
priority lists), events on the stream, and audit records."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import redis as redis_sync

from admin.jobs.v1 import jobs_pb2
from admin.v1 import action_pb2, action_pb2_grpc
from services.common.celery import PRIORITY_STEPS, broker_keys
from services.common.events import STREAM, decode
from tests.gateway.conftest import audit_rows, uid
from tests.helpers import wait_for

pytestmark = pytest.mark.usefixtures("job_worker")


@pytest.fixture(scope="module")
def rds(settings) -> redis_sync.Redis:
    client = redis_sync.Redis.from_url(settings.redis_url)
    yield client
    client.close()


def ok(r) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()["data"]


def act(api, action: str, payload: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A command with a fresh Idempotency-Key (high-risk ones need one)."""
    return api.act(action, payload or {}, key=uid("k"), **kw)


def refused(r, status: int, field: str, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert field in [e.get("field") for e in body.get("errors", [])], body
    if code:
        assert body["code"] == code, body
    return body


def job(api, job_id: str) -> dict[str, Any]:
    return ok(api.act("job.get", {"job_id": job_id}))["job"]


def wait_status(api, job_id: str, *wanted: str, timeout: float = 20.0) -> dict[str, Any]:
    return wait_for(lambda: (j := job(api, job_id))["status"] in wanted and j, timeout,
                    what=f"{job_id} to be {wanted}")


def events(rds, type_: str, trace_id: str | None = None, **data: Any) -> list[dict[str, Any]]:
    out = []
    for sid, fields in rds.xrange(STREAM):
        e = decode(sid, fields)
        if e["type"] == type_ and (trace_id is None or e["trace_id"] == trace_id) and all(
            e["data"].get(k) == v for k, v in data.items()
        ):
            out.append(e)
    return out


def wait_events(rds, type_: str, trace_id: str | None = None, n: int = 1, **data: Any) -> list[dict[str, Any]]:
    return wait_for(lambda: (found := events(rds, type_, trace_id, **data)) and len(found) >= n and found,
                    10, what=f"{n} {type_} event(s)")


def new_queue(api, *, paused: bool) -> str:
    name = uid("q8").replace("-", "_")
    ok(act(api, "queue.create", {"queue_name": name}))
    if paused:
        ok(act(api, "queue.pause", {"queue_name": name}))
    return name


def depth(rds, queue: str) -> int:
    return sum(rds.llen(k) for k in broker_keys(queue))


def ids_in(rds, key: str) -> list[str]:
    return [json.loads(raw)["headers"]["id"] for raw in rds.lrange(key, 0, -1)]


def key_for(queue: str, priority: int) -> str:
    """The list that holds a job of this priority (the message carries 9 - priority)."""
    broker_pri = 9 - priority
    step = max(s for s in PRIORITY_STEPS if s <= broker_pri)
    return broker_keys(queue)[PRIORITY_STEPS.index(step)]


def submit(api, queue: str, task: str = "echo", kwargs: dict[str, Any] | None = None, **opts: Any) -> dict:
    kwargs = kwargs if kwargs is not None else ({"message": "x"} if task in ("echo", "fail") else {"seconds": 30})
    return ok(act(api, "job.submit", {"task": task, "kwargs": kwargs, "queue": queue, **opts}))["job"]


# --- job options --------------------------------------------------------------------------------


def test_delayed_job_is_held_until_promoted_and_bad_options_are_refused(api, rds):
    q = new_queue(api, paused=False)
    delayed = submit(api, q, countdown_s=3600, max_attempts=3)
    assert delayed["status"] == "pending" and delayed["max_attempts"] == 3
    eta = datetime.fromisoformat(delayed["eta"].replace("Z", "+00:00"))
    assert timedelta(seconds=3590) < eta - datetime.now(UTC) < timedelta(seconds=3610)
    assert depth(rds, q) == 0  # held: no broker message until its eta
    assert ok(api.act("queue.peek", {"queue_name": q}))["messages"] == []
    r = act(api, "job.promote", {"job_id": delayed["job_id"]})
    trace = r.json()["trace_id"]
    promoted = ok(r)["job"]
    assert promoted["eta"] == ""
    assert wait_status(api, delayed["job_id"], "succeeded")["attempts"] == 1
    wait_events(rds, "job.promoted", trace, job_id=delayed["job_id"])
    [rec] = audit_rows(api.settings, trace)
    assert rec["action"] == "job.promote" and rec["outcome"] == "succeeded"
    refused(act(api, "job.promote", {"job_id": delayed["job_id"]}), 400, "job_id", "FAILED_PRECONDITION")
    refused(act(api, "job.promote", {"job_id": "job_nope"}), 404, "job_id")

    past = submit(api, q, eta="2020-01-01T00:00:00")  # no offset: UTC; in the past: runs at once
    assert past["eta"] == "2020-01-01T00:00:00Z"
    wait_status(api, past["job_id"], "succeeded")

    base = {"task": "echo", "kwargs": {"message": "x"}, "queue": q}
    for bad, field in (({"countdown_s": -1}, "countdown_s"), ({"countdown_s": 31536001}, "countdown_s"),
                       ({"countdown_s": 5, "eta": "2030-01-01T00:00:00Z"}, "countdown_s"),
                       ({"eta": "tomorrow"}, "eta"), ({"eta": "2999-01-01T00:00:00Z"}, "eta"),
                       ({"max_attempts": 101}, "max_attempts"), ({"max_attempts": -1}, "max_attempts"),
                       ({"priority": 10}, "priority")):
        refused(act(api, "job.submit", {**base, **bad}), 400, field)


def test_failed_attempts_back_off_then_dead_letter_requeue_and_purge(api, rds):
    q = new_queue(api, paused=False)
    flaky = submit(api, q, task="fail", kwargs={"message": "boom"}, max_attempts=2)
    once = submit(api, q, task="fail", kwargs={"message": "once"})
    failed = wait_status(api, flaky["job_id"], "failed")
    assert failed["attempts"] == 2 and failed["max_attempts"] == 2 and failed["error"] == "boom"
    [retrying] = wait_events(rds, "job.retrying", job_id=flaky["job_id"])
    assert retrying["data"]["attempts"] == 1 and retrying["data"]["max_attempts"] == 2
    assert retrying["data"]["eta"] and retrying["data"]["error"] == "boom"
    assert len(wait_events(rds, "job.failed", job_id=flaky["job_id"])) == 1  # once per job
    wait_status(api, once["job_id"], "failed")

    dead = ok(api.act("deadletter.list", {"queue": q}))
    # latest finished first: `flaky` failed its second attempt after a 1 s back-off, after `once`
    assert [j["job_id"] for j in dead["jobs"]] == [flaky["job_id"], once["job_id"]]
    assert dead["next_page_token"] == ""
    page = ok(api.act("deadletter.list", {"queue": q, "page_size": 1}))
    assert len(page["jobs"]) == 1 and page["next_page_token"]
    rest = ok(api.act("deadletter.list", {"queue": q, "page_size": 1, "page_token": page["next_page_token"]}))
    assert [j["job_id"] for j in page["jobs"]] == [flaky["job_id"]]
    assert [j["job_id"] for j in rest["jobs"]] == [once["job_id"]] and rest["next_page_token"] == ""

    r = act(api, "deadletter.requeue_all", {"queue": q, "task": "fail", "dry_run": True})
    assert ok(r) == {"matched": 2, "affected": 0, "sample": [flaky["job_id"], once["job_id"]]}
    assert audit_rows(api.settings, r.json()["trace_id"])[0]["action"] == "deadletter.requeue_all"
    assert events(rds, "deadletter.requeued", r.json()["trace_id"]) == []  # a dry run emits nothing
    # requeue only `flaky` (job_ids are not a member of requeue_all: purge `once` first)
    r = act(api, "deadletter.purge", {"queue": q, "job_ids": [once["job_id"]]})
    assert ok(r) == {"matched": 1, "affected": 1, "sample": []}
    [purged] = wait_events(rds, "deadletter.purged", r.json()["trace_id"])
    assert purged["data"]["matched"] == 1 and purged["data"]["job_ids"] == [once["job_id"]]
    assert api.act("job.get", {"job_id": once["job_id"]}).status_code == 404
    [rec] = audit_rows(api.settings, r.json()["trace_id"])
    assert rec["action"] == "deadletter.purge"

    # Paused, so the retried job stays as requeued (else it runs, fails and backs off at once).
    ok(act(api, "queue.pause", {"queue_name": q}))
    r = act(api, "deadletter.requeue_all", {"queue": q})
    assert ok(r) == {"matched": 1, "affected": 1, "sample": []}
    [bulk] = wait_events(rds, "deadletter.requeued", r.json()["trace_id"])
    assert bulk["data"]["matched"] == 1 and bulk["data"]["queue"] == q
    [again] = wait_events(rds, "job.retried", r.json()["trace_id"], retry_of=flaky["job_id"])
    new = job(api, again["data"]["job_id"])
    assert new["retry_of"] == flaky["job_id"] and new["max_attempts"] == 2 and new["eta"] == ""
    assert new["status"] == "pending" and new["attempts"] == 0
    # `flaky` is retried now: no longer a dead letter (its retry fails again later and becomes one)
    assert flaky["job_id"] not in [j["job_id"] for j in ok(api.act("deadletter.list", {"queue": q}))["jobs"]]
    refused(act(api, "deadletter.purge", {"status": "pending"}), 400, "status")
    empty = ok(act(api, "deadletter.purge", {"queue": "no_such_queue_anywhere"}))
    assert empty == {"matched": 0, "affected": 0, "sample": []}


# --- bulk ---------------------------------------------------------------------------------------


def test_cancel_bulk_and_retry_bulk(api, rds):
    q = new_queue(api, paused=True)
    jobs = [submit(api, q, task="sleep", kwargs={"seconds": 5})["job_id"] for _ in range(3)]
    assert depth(rds, q) == 3
    dry = ok(act(api, "job.cancel_bulk", {"queue": q, "dry_run": True}))
    assert dry == {"matched": 3, "affected": 0, "sample": jobs}  # oldest first
    assert depth(rds, q) == 3 and job(api, jobs[0])["status"] == "pending"
    refused(act(api, "job.cancel_bulk", {"queue": q, "status": "failed"}), 400, "status")
    refused(act(api, "job.cancel_bulk", {"job_ids": ["job_nope"]}), 404, "job_ids")

    r = act(api, "job.cancel_bulk", {"queue": q, "task": "sleep"})
    assert ok(r) == {"matched": 3, "affected": 3, "sample": []}
    trace = r.json()["trace_id"]
    assert depth(rds, q) == 0  # their messages left the broker
    assert {job(api, j)["status"] for j in jobs} == {"cancelled"}
    [bulk] = wait_events(rds, "job.bulk_cancelled", trace)
    assert bulk["data"] == {"matched": 3, "affected": 3, "queue": q, "task": "sleep"}
    assert len(wait_events(rds, "job.cancelled", trace, n=3)) == 3
    [rec] = audit_rows(api.settings, trace)
    assert rec["action"] == "job.cancel_bulk" and rec["outcome"] == "succeeded"
    refused(act(api, "job.cancel_bulk", {"job_ids": [jobs[0]]}), 400, "job_ids", "FAILED_PRECONDITION")

    assert ok(act(api, "job.retry_bulk", {"queue": q})) == {"matched": 3, "affected": 0, "sample": jobs}  # dry by default
    assert depth(rds, q) == 0
    r = act(api, "job.retry_bulk", {"queue": q, "job_ids": jobs[:2], "dry_run": False})
    assert ok(r) == {"matched": 2, "affected": 2, "sample": []}
    [bulk] = wait_events(rds, "job.bulk_retried", r.json()["trace_id"])
    assert bulk["data"]["job_ids"] == jobs[:2] and bulk["data"]["affected"] == 2
    retried = wait_events(rds, "job.retried", r.json()["trace_id"], n=2)
    assert sorted(e["data"]["retry_of"] for e in retried) == sorted(jobs[:2])
    assert depth(rds, q) == 2  # the new jobs are enqueued (paused queue: they wait)
    refused(act(api, "job.retry_bulk", {"job_ids": [jobs[0]], "dry_run": False}), 400, "job_ids",
            "FAILED_PRECONDITION")  # already retried
    assert ok(act(api, "job.retry_bulk", {"queue": q, "task": "echo", "dry_run": False})) == {
        "matched": 0, "affected": 0, "sample": []}
    ok(act(api, "job.cancel_bulk", {"queue": q}))


# --- single-job overrides ------------------------------------------------------------------------


def test_set_priority_moves_the_message_mark_state_and_delete(api, rds):
    q = new_queue(api, paused=True)
    low = submit(api, q, task="sleep")
    assert ids_in(rds, key_for(q, 0)) == [low["job_id"]]
    r = act(api, "job.set_priority", {"job_id": low["job_id"], "priority": 9})
    assert ok(r)["job"]["priority"] == 9
    assert ids_in(rds, key_for(q, 0)) == [] and ids_in(rds, key_for(q, 9)) == [low["job_id"]]
    wait_events(rds, "job.priority_changed", r.json()["trace_id"], job_id=low["job_id"], priority=9)
    refused(act(api, "job.set_priority", {"job_id": low["job_id"], "priority": 10}), 400, "priority")

    refused(act(api, "job.mark_state", {"job_id": low["job_id"], "status": "cancelled"}), 400, "reason")
    refused(act(api, "job.mark_state", {"job_id": low["job_id"], "status": "pending", "reason": "x"}), 400,
            "status")
    refused(act(api, "job.delete", {"job_id": low["job_id"]}), 400, "job_id", "FAILED_PRECONDITION")
    r = act(api, "job.mark_state", {"job_id": low["job_id"], "status": "failed", "reason": "stuck"},
            roles=("admin",))
    marked = ok(r)["job"]
    assert marked["status"] == "failed" and marked["finished_at"]
    assert depth(rds, q) == 0  # the message is gone: it never runs
    [ev] = wait_events(rds, "job.state_marked", r.json()["trace_id"])
    assert ev["data"] == {"job_id": low["job_id"], "status": "failed", "previous_status": "pending",
                          "reason": "stuck"}
    assert audit_rows(api.settings, r.json()["trace_id"])[0]["action"] == "job.mark_state"
    body = refused(act(api, "job.mark_state", {"job_id": low["job_id"], "status": "failed", "reason": "x"}),
                   400, "job_id", "FAILED_PRECONDITION")
    assert "failed" in body["detail"]
    r = act(api, "job.mark_state", {"job_id": low["job_id"], "status": "succeeded", "reason": "x"},
            roles=("operator",))
    assert r.status_code == 403  # admin only (SPEC §8)

    r = act(api, "job.delete", {"job_id": low["job_id"]})
    assert ok(r)["job"]["status"] == "failed"
    assert api.act("job.get", {"job_id": low["job_id"]}).status_code == 404
    assert low["job_id"] not in [j["job_id"] for j in ok(api.act("job.list", {"queue": q}))["jobs"]]
    wait_events(rds, "job.deleted", r.json()["trace_id"], job_id=low["job_id"])
    refused(act(api, "job.delete", {"job_id": low["job_id"]}), 404, "job_id")


# --- queues -------------------------------------------------------------------------------------


def test_queue_peek_move_clean_and_delete(api, rds):
    src, dst = new_queue(api, paused=True), new_queue(api, paused=True)
    p0, p5, p9 = (submit(api, src, task="sleep", priority=p)["job_id"] for p in (0, 5, 9))
    later = submit(api, src, task="sleep", countdown_s=600)["job_id"]
    peeked = ok(api.act("queue.peek", {"queue_name": src}))["messages"]
    assert [(m["job_id"], m["priority"]) for m in peeked] == [(p9, 9), (p5, 5), (p0, 0)]  # delivery order
    assert [m["job_id"] for m in ok(api.act("queue.peek", {"queue_name": src, "limit": 1}))["messages"]] == [p9]
    assert depth(rds, src) == 3  # nothing consumed
    refused(api.act("queue.peek", {"queue_name": "no_such_q"}), 404, "queue_name")
    refused(api.act("queue.peek", {"queue_name": src, "limit": 101}), 400, "limit")

    r = act(api, "queue.move", {"queue_name": src, "target_queue": dst, "job_ids": [p5]})
    assert ok(r) == {"moved": 1}
    assert depth(rds, src) == 2 and ids_in(rds, key_for(dst, 5)) == [p5] and job(api, p5)["queue"] == dst
    wait_events(rds, "queue.moved", r.json()["trace_id"], queue_name=src, target_queue=dst, moved=1)
    refused(act(api, "queue.move", {"queue_name": src, "target_queue": dst, "job_ids": [p5]}), 400, "job_ids",
            "FAILED_PRECONDITION")
    refused(act(api, "queue.move", {"queue_name": src, "target_queue": src}), 400, "target_queue")
    refused(act(api, "queue.move", {"queue_name": src, "target_queue": "no_such_q"}), 404, "target_queue")
    assert ok(act(api, "queue.move", {"queue_name": src, "target_queue": dst})) == {"moved": 3}
    assert depth(rds, src) == 0 and depth(rds, dst) == 3
    moved_later = job(api, later)
    assert moved_later["queue"] == dst and moved_later["eta"]  # a delayed job keeps its eta

    assert ok(act(api, "job.cancel_bulk", {"queue": dst}))["affected"] == 4
    assert depth(rds, dst) == 0
    assert ok(act(api, "queue.clean", {"queue_name": dst, "dry_run": True}))["matched"] == 4
    refused(act(api, "queue.clean", {"queue_name": dst, "status": "pending"}), 400, "status")
    r = act(api, "queue.clean", {"queue_name": dst, "status": "cancelled"})
    assert ok(r) == {"matched": 4, "affected": 4, "sample": []}
    [ev] = wait_events(rds, "queue.cleaned", r.json()["trace_id"])
    assert ev["data"]["queue_name"] == dst and ev["data"]["affected"] == 4
    assert api.act("job.get", {"job_id": p0}).status_code == 404

    refused(act(api, "queue.delete", {"queue_name": "default", "force": True}), 400, "queue_name",
            "FAILED_PRECONDITION")
    busy = submit(api, dst, task="sleep")["job_id"]
    refused(act(api, "queue.delete", {"queue_name": dst}), 400, "queue_name", "FAILED_PRECONDITION")
    r = act(api, "queue.delete", {"queue_name": dst, "force": True})
    gone = ok(r)
    assert gone["queue"]["queue_name"] == dst and gone["cancelled"] == 1
    assert job(api, busy)["status"] == "cancelled" and depth(rds, dst) == 0
    wait_events(rds, "queue.deleted", r.json()["trace_id"], queue_name=dst, cancelled=1)
    refused(api.act("queue.get", {"queue_name": dst}), 404, "queue_name")
    refused(act(api, "job.submit", {"task": "echo", "kwargs": {"message": "x"}, "queue": dst}), 404, "queue")
    ok(act(api, "queue.create", {"queue_name": dst}))  # the name may be used again
    ok(act(api, "queue.delete", {"queue_name": dst}))
    ok(act(api, "queue.delete", {"queue_name": src}))


def test_queue_rate_limit_spaces_job_starts_across_the_pool(api, rds):
    q = new_queue(api, paused=False)
    r = act(api, "queue.set_rate_limit", {"queue_name": q, "rate_limit_per_s": 4})
    assert ok(r)["queue"]["rate_limit_per_s"] == 4
    wait_events(rds, "queue.rate_limit_changed", r.json()["trace_id"], queue_name=q, rate_limit_per_s=4)
    refused(act(api, "queue.set_rate_limit", {"queue_name": q, "rate_limit_per_s": 10001}), 400,
            "rate_limit_per_s")
    refused(act(api, "queue.set_rate_limit", {"queue_name": "no_such_q", "rate_limit_per_s": 1}), 404,
            "queue_name")
    ids = [submit(api, q)["job_id"] for _ in range(5)]
    done = [wait_status(api, j, "succeeded") for j in ids]
    starts = sorted(datetime.fromisoformat(j["started_at"].replace("Z", "+00:00")) for j in done)
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.2, gaps  # 4 per second: 0.25 s apart (worker clocks may differ a little)
    assert all(j["attempts"] == 1 for j in done)  # waiting is not an attempt
    ok(act(api, "queue.set_rate_limit", {"queue_name": q, "rate_limit_per_s": 0}))
    assert ok(api.act("queue.get", {"queue_name": q}))["queue"]["rate_limit_per_s"] == 0


# --- analytics ------------------------------------------------------------------------------------


def test_analytics_summary_timeseries_and_exports(api, rds):
    q = new_queue(api, paused=False)
    good = [submit(api, q)["job_id"] for _ in range(2)]
    bad = submit(api, q, task="fail", kwargs={"message": "no"})["job_id"]
    for j in good:
        wait_status(api, j, "succeeded")
    wait_status(api, bad, "failed")

    s = ok(api.act("analytics.summary", {"queue": q, "window_s": 3600}))
    assert s["window_s"] == 3600 and s["total"] == 3
    assert s["counts"] == {"pending": 0, "running": 0, "succeeded": 2, "failed": 1, "cancelled": 0}
    assert s["by_queue"] == {q: 3} and s["by_task"] == {"echo": 2, "fail": 1}
    assert s["dead_letters"] == 1 and abs(s["success_rate"] - 2 / 3) < 1e-9
    assert 0 <= s["run_time_ms"]["p50"] <= s["run_time_ms"]["p95"] < 10_000
    assert ok(api.act("analytics.summary", {"queue": q, "task": "nothing"}))["total"] == 0
    refused(api.act("analytics.summary", {"window_s": 2592001}), 400, "window_s")

    t = ok(api.act("analytics.timeseries", {"queue": q, "window_s": 3600, "bucket_s": 60}))
    assert t["bucket_s"] == 60 and len(t["buckets"]) in (61, 62)
    assert sum(b["submitted"] for b in t["buckets"]) == 3
    assert sum(b["succeeded"] for b in t["buckets"]) == 2 and sum(b["failed"] for b in t["buckets"]) == 1
    assert all(datetime.fromisoformat(b["start"].replace("Z", "+00:00")).timestamp() % 60 == 0 for b in t["buckets"])
    refused(api.act("analytics.timeseries", {"window_s": 86400, "bucket_s": 60}), 400, "bucket_s")

    e = ok(api.act("analytics.export_jobs", {"queue": q}))
    rows = list(csv.DictReader(io.StringIO(e["content"])))
    assert e["format"] == "csv" and e["rows"] == 3 and e["truncated"] is False
    assert e["content"].split("\r\n", 1)[0] == ("job_id,task,queue,status,priority,attempts,max_attempts,"
                                                "retry_of,eta,created_at,started_at,finished_at,error")
    assert [r["job_id"] for r in rows] == [*good, bad] and rows[2]["error"] == "no"
    j = ok(api.act("analytics.export_jobs", {"queue": q, "format": "json", "limit": 2, "status": "succeeded"}))
    assert j["rows"] == 2 and j["truncated"] is False
    assert [x["job_id"] for x in json.loads(j["content"])] == good and json.loads(j["content"])[0]["attempts"] == 1
    cut = ok(api.act("analytics.export_jobs", {"queue": q, "limit": 1, "format": "json"}))
    assert cut["rows"] == 1 and cut["truncated"] is True
    refused(api.act("analytics.export_jobs", {"format": "xml"}), 400, "format")
    refused(api.act("analytics.export_jobs", {"limit": 100001}), 400, "limit")

    m = ok(api.act("analytics.export_metrics", {"queue": q, "window_s": 600, "bucket_s": 60, "format": "json"}))
    data = json.loads(m["content"])
    assert m["rows"] == len(data) and sum(b["submitted"] for b in data) == 3 and m["truncated"] is False
    assert ok(api.act("analytics.export_metrics", {"queue": q, "window_s": 600, "bucket_s": 60,
                                                   "limit": 2}))["truncated"] is True

    snap = api.http.get(f"{api.url}/api/admin/ssot", headers={"Authorization": f"Bearer {api.token()}"}).json()
    assert {"total", "counts", "by_queue", "dead_letters", "success_rate", "run_time_ms"} <= set(
        snap["analytics"]["summary"])
    # The dashboard part of the jobs section (the gateway's dashboard also needs every other
    # domain service up, which this module does not start): asked of the jobs service directly.
    with grpc.insecure_channel(api.settings.addr("jobs")) as ch:
        got = action_pb2_grpc.SnapshotServiceStub(ch).GetSection(action_pb2.GetSectionRequest(section="jobs"),
                                                                 timeout=10)
    section = jobs_pb2.JobsSection()
    got.section.Unpack(section)
    assert section.dashboard.dead_letters >= 1 and section.dashboard.jobs_by_status["failed"] >= 1


def test_roles_and_risks_of_the_new_actions(api):
    from gateway import catalogue as catalogue_mod

    listed = {a["name"]: a for a in api.http.get(
        f"{api.url}/api/admin/actions", headers={"Authorization": f"Bearer {api.token()}"}).json()["actions"]}
    catalogue = catalogue_mod.load()
    expected = {
        "job.retry_bulk": ("operator", "high"), "job.cancel_bulk": ("operator", "critical"),
        "job.delete": ("operator", "high"), "job.promote": ("operator", "low"),
        "job.set_priority": ("operator", "low"), "job.mark_state": ("admin", "high"),
        "deadletter.list": ("viewer", "low"), "deadletter.requeue_all": ("operator", "high"),
        "deadletter.purge": ("admin", "critical"), "analytics.summary": ("viewer", "low"),
        "analytics.timeseries": ("viewer", "low"), "analytics.export_jobs": ("viewer", "low"),
        "analytics.export_metrics": ("viewer", "low"), "queue.peek": ("viewer", "low"),
        "queue.move": ("operator", "high"), "queue.clean": ("operator", "high"),
        "queue.set_rate_limit": ("admin", "high"), "queue.delete": ("admin", "critical"),
    }
    for name, (role, risk) in expected.items():
        assert (catalogue[name].min_role, listed[name]["risk"]) == (role, risk), name
