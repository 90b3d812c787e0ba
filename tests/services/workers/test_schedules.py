"""Every schedule.* action through the gateway against the real workers, jobs and queue services:
the stored schedule, the jobs it submits, the audit record and the event; the bad input of
payloads/workers.md; tick arithmetic (cron in a timezone, intervals)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from services.common.times import parse_iso
from services.workers.managers.ticks import Timing
from tests.gateway.conftest import audit_rows
from tests.helpers import stream_events, wait_for
from tests.services.workers.managers_helpers import act, ok, problem, rows


def audited_with_event(settings, redis_client, trace: str, action: str, event_type: str, **data) -> dict:
    records = audit_rows(settings, trace)
    assert records and records[-1]["action"] == action and records[-1]["outcome"] == "succeeded", records
    found = wait_for(lambda: [e for e in stream_events(redis_client, event_type, **data) if e["trace_id"] == trace],
                     timeout=10, what=f"{event_type} of trace {trace}")
    assert found[0]["source"] == "workers"
    return found[0]


def test_cron_ticks_are_read_in_the_timezone_and_intervals_count_from_the_anchor() -> None:
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Berlin switches to summer time at 01:00 UTC
    latest, nxt = Timing("0 3 * * *", 0, "Europe/Berlin", now).due(now)
    assert latest == datetime(2026, 3, 28, 2, 0, tzinfo=UTC)  # 03:00 CET
    assert nxt == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    t = Timing("", 10, "UTC", anchor)
    assert t.due(anchor + timedelta(seconds=5)) == (None, anchor + timedelta(seconds=10))
    assert t.due(anchor + timedelta(seconds=35)) == (anchor + timedelta(seconds=30), anchor + timedelta(seconds=40))


def test_create_list_update_pause_resume_trigger_delete(api, workers_service, settings, redis_client) -> None:
    name = f"nightly-{secrets.token_hex(3)}"
    trace = secrets.token_hex(16)
    created = ok(act(api, "schedule.create", {"name": name, "task": "echo", "kwargs": {"message": "hi"},
                                              "cron": "30 2 * * *", "timezone": "Europe/Berlin"}, trace=trace))
    s = created["schedule"]
    assert (s["task"], s["kwargs"], s["queue"], s["cron"], s["interval_s"], s["timezone"], s["paused"]) == (
        "echo", {"message": "hi"}, "default", "30 2 * * *", 0, "Europe/Berlin", False)
    assert parse_iso(s["next_run"], "next_run") > datetime.now(UTC) and s["last_run"] == ""
    assert s["created_at"] and s["updated_at"]
    audited_with_event(settings, redis_client, trace, "schedule.create", "schedule.created", name=name)
    assert name in [x["name"] for x in ok(act(api, "schedule.list"))["schedules"]]
    problem(act(api, "schedule.create", {"name": name, "task": "echo", "interval_s": 5}), 409, "name")

    trace = secrets.token_hex(16)
    s = ok(act(api, "schedule.update", {"name": name, "interval_s": 3600}, trace=trace))["schedule"]
    assert (s["cron"], s["interval_s"], s["kwargs"]) == ("", 3600, {"message": "hi"})
    due = parse_iso(s["next_run"], "next_run") - datetime.now(UTC)
    assert timedelta(seconds=3590) < due <= timedelta(seconds=3600)
    audited_with_event(settings, redis_client, trace, "schedule.update", "schedule.updated", name=name)
    s = ok(act(api, "schedule.update", {"name": name, "cron": "*/5 * * * *", "kwargs": {"message": "ho"}}))["schedule"]
    assert (s["cron"], s["interval_s"], s["kwargs"]) == ("*/5 * * * *", 0, {"message": "ho"})

    trace = secrets.token_hex(16)
    s = ok(act(api, "schedule.pause", {"name": name}, trace=trace))["schedule"]
    assert s["paused"] and s["next_run"] == ""
    audited_with_event(settings, redis_client, trace, "schedule.pause", "schedule.paused", name=name)
    assert ok(act(api, "schedule.pause", {"name": name}))["schedule"]["paused"]  # already paused: success

    trace = secrets.token_hex(16)
    t = ok(act(api, "schedule.trigger", {"name": name}, trace=trace))  # also while paused
    job = t["job"]
    assert (job["schedule"], job["scheduled_for"], job["task"], job["status"]) == (name, "", "echo", "pending")
    assert job["kwargs"] == {"message": "ho"} and t["schedule"]["last_run"] and t["schedule"]["next_run"] == ""
    audited_with_event(settings, redis_client, trace, "schedule.trigger", "schedule.triggered", name=name,
                       job_id=job["job_id"])
    got = ok(act(api, "job.get", {"job_id": job["job_id"]}))["job"]
    assert got["schedule"] == name

    trace = secrets.token_hex(16)
    s = ok(act(api, "schedule.resume", {"name": name}, trace=trace))["schedule"]
    assert not s["paused"] and parse_iso(s["next_run"], "next_run") > datetime.now(UTC)
    audited_with_event(settings, redis_client, trace, "schedule.resume", "schedule.resumed", name=name)
    trace = secrets.token_hex(16)
    s = ok(act(api, "schedule.trigger", {"name": name}, trace=trace))["schedule"]
    assert s["next_run"] == ok(act(api, "schedule.list"))["schedules"][[x["name"] for x in ok(act(
        api, "schedule.list"))["schedules"]].index(name)]["next_run"]

    trace = secrets.token_hex(16)
    s = ok(act(api, "schedule.delete", {"name": name}, trace=trace))["schedule"]
    assert s["name"] == name and s["cron"] == "*/5 * * * *"
    audited_with_event(settings, redis_client, trace, "schedule.delete", "schedule.deleted", name=name)
    assert name not in [x["name"] for x in ok(act(api, "schedule.list"))["schedules"]]
    assert rows(settings, "SELECT 1 FROM jobs.jobs WHERE job_id = %s", job["job_id"])  # its jobs stay
    assert act(api, "schedule.delete", {"name": name}, roles=("viewer",)).status_code == 403


def test_bad_input(api, workers_service, settings) -> None:
    base = {"name": f"bad-{secrets.token_hex(3)}", "task": "echo"}
    cases = [
        ({"cron": "61 * * * *"}, 400, "cron"),
        ({"cron": "* * * *"}, 400, "cron"),
        ({"cron": "0 0 * * * *"}, 400, "cron"),
        ({"cron": "whenever"}, 400, "cron"),
        ({"interval_s": 5, "timezone": "Mars/Olympus"}, 400, "timezone"),
        ({}, 400, "cron"),
        ({"interval_s": 0}, 400, "cron"),
        ({"interval_s": -1}, 400, "interval_s"),
        ({"interval_s": 31536001}, 400, "interval_s"),
        ({"interval_s": 5, "cron": "* * * * *"}, 400, "cron"),
        ({"interval_s": 5, "name": "Not OK"}, 400, "name"),
        ({"interval_s": 5, "task": "mine-bitcoin"}, 400, "task"),
        ({"interval_s": 5, "queue": f"nope-{secrets.token_hex(3)}"}, 404, "queue"),
    ]
    for extra, status, field in cases:
        problem(act(api, "schedule.create", {**base, **extra}), status, field)
    assert not rows(settings, "SELECT 1 FROM workers.schedules WHERE name = %s", base["name"])  # refused: nothing
    body = problem(act(api, "schedule.create", {**base, "interval_s": 0.5}), 400, "interval_s")
    assert body["status"] == 400
    ok(act(api, "schedule.create", {**base, "interval_s": 600}))
    for extra, field in (({"cron": "nope"}, "cron"), ({"timezone": "Nowhere/Land"}, "timezone"),
                         ({"cron": "* * * * *", "interval_s": 5}, "cron"), ({"interval_s": -3}, "interval_s"),
                         ({"task": "nope"}, "task")):
        problem(act(api, "schedule.update", {"name": base["name"], **extra}), 400, field)
    problem(act(api, "schedule.update", {"name": base["name"], "queue": "no-such-queue"}), 404, "queue")
    for action in ("schedule.update", "schedule.delete", "schedule.pause", "schedule.resume", "schedule.trigger"):
        problem(act(api, action, {"name": "no-such-schedule"}), 404, "name")
    ok(act(api, "schedule.delete", {"name": base["name"]}))
