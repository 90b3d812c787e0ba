"""Every logs action through the real gateway (`api`), with its effect checked: records written by
real producers into the session's Redis, ingested by the real logs service into PostgreSQL."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import orjson
import pytest
import redis as redis_sync

from admin.logs.v1 import logs_pb2
from admin.v1 import action_pb2, action_pb2_grpc
from tests.gateway.conftest import Api, uid
from tests.helpers import stream_events, wait_for
from tests.services.logs.logs_helpers import now_iso, ship, trace


@pytest.fixture(scope="module", autouse=True)
def logs_up(services):
    services.up("jobs", "queue", "config", "logs")


def ok(api: Api, action: str, payload: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    resp = api.act(action, payload or {}, **kw)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def problem(api: Api, action: str, payload: dict[str, Any], status: int, field: str, **kw: Any) -> dict[str, Any]:
    resp = api.act(action, payload, **kw)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert field in {e.get("field") for e in body.get("errors", [])} or body.get("field") == field, body
    return body


def searchable(api: Api, trace_id: str, n: int) -> list[dict[str, Any]]:
    return wait_for(
        lambda: (r := ok(api, "logs.search", {"trace_id": trace_id, "page_size": 1000})["records"]) and len(r) >= n and r,
        timeout=10, what=f"{n} records of {trace_id} searchable",
    )


def test_search_filters_text_time_and_pages(api: Api, settings) -> None:
    t = trace()
    before = now_iso()
    ship(settings.redis_url, "system", [
        {"level": "debug", "message": "warming the cache"},
        {"level": "info", "message": "Orange BANANA split served", "extra": {"table": 4}},
        {"level": "warning", "message": "banana stock low"},
        {"level": "error", "message": "orange juicer jammed"},
        {"level": "critical", "message": "kitchen on fire"},
    ], trace_id=t, job_id="job_search1")
    records = searchable(api, t, 5)
    assert [r["message"] for r in records] == [
        "kitchen on fire", "orange juicer jammed", "banana stock low", "Orange BANANA split served", "warming the cache"
    ]  # newest first
    r = records[3]
    assert r["component"] == "system" and r["trace_id"] == t and r["job_id"] == "job_search1"
    assert r["level"] == "info" and r["extra"] == {"table": 4} and "-" in r["id"]
    by = lambda **f: [x["message"] for x in ok(api, "logs.search", {"trace_id": t, **f})["records"]]  # noqa: E731
    assert by(level="warning") == ["kitchen on fire", "orange juicer jammed", "banana stock low"]
    assert by(text="banana orange") == ["Orange BANANA split served"]
    assert by(text="ORANGE") == ["orange juicer jammed", "Orange BANANA split served"]
    assert by(component="config") == []
    assert by(component="system", job_id="job_search1", since=before) == [x["message"] for x in records]
    assert by(until=before) == []
    # Pages of two walk all five, each once.
    seen, token = [], ""
    while True:
        page = ok(api, "logs.search", {"trace_id": t, "page_size": 2, "page_token": token})
        seen += [x["id"] for x in page["records"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == [x["id"] for x in records]


def test_bad_input_is_4xx_naming_the_field(api: Api) -> None:
    problem(api, "logs.search", {"component": "nope"}, 404, "component")
    problem(api, "logs.search", {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, 400, "until")
    problem(api, "logs.search", {"trace_id": "XYZ"}, 400, "trace_id")
    problem(api, "logs.search", {"page_size": 5000}, 400, "page_size")
    problem(api, "logs.tail", {"since": "yesterday"}, 400, "since")
    problem(api, "logs.stats", {"component": "nope"}, 404, "component")
    problem(api, "logs.job", {}, 400, "job_id")
    problem(api, "logs.export", {"format": "xml"}, 400, "format")
    problem(api, "logs.purge", {"component": "system"}, 400, "older_than_s", key=uid())
    problem(api, "logs.set_level", {"component": "nope", "level": "debug"}, 404, "component", key=uid())
    problem(api, "logs.set_level", {"component": "jobs", "level": "verbose"}, 400, "level", key=uid())
    problem(api, "logs.set_retention", {"days": 0}, 400, "days", key=uid())


def test_tail_after_a_stream_id(api: Api, settings) -> None:
    t = trace()
    head = ok(api, "logs.tail", {"since": "", "limit": 1})
    start = head["last_id"] or "0-0"
    ship(settings.redis_url, "config", [{"message": f"tail {i}"} for i in range(3)], trace_id=t)
    got = wait_for(lambda: (d := ok(api, "logs.tail", {"since": start, "trace_id": t}))["records"]
                   and len(d["records"]) == 3 and d, timeout=10, what="3 tailed records")
    assert [r["message"] for r in got["records"]] == ["tail 0", "tail 1", "tail 2"]  # oldest first
    assert got["last_id"] == got["records"][-1]["id"]
    after = ok(api, "logs.tail", {"since": got["last_id"], "trace_id": t})
    assert after == {"records": [], "last_id": got["last_id"]}
    two = ok(api, "logs.tail", {"since": start, "trace_id": t, "limit": 2})
    assert [r["message"] for r in two["records"]] == ["tail 0", "tail 1"]
    newest = ok(api, "logs.tail", {"trace_id": t, "limit": 2})  # "" = the newest `limit`, oldest first
    assert [r["message"] for r in newest["records"]] == ["tail 1", "tail 2"]


def test_stats_breakdowns_sum_to_total_and_show_drops(api: Api, settings) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    t = trace()
    ship(settings.redis_url, "logs", [
        {"level": "info", "message": "s1"}, {"level": "info", "message": "s2"}, {"level": "error", "message": "s3"},
    ], trace_id=t)
    searchable(api, t, 3)
    redis_sync.Redis.from_url(settings.redis_url).hincrby("switchboard:logs:dropped", "queue", 7)
    data = ok(api, "logs.stats", {"since": since, "component": "logs"})
    assert data["total"] >= 3
    assert set(data["by_level"]) == {"debug", "info", "warning", "error", "critical"}
    assert data["by_level"]["error"] >= 1 and data["by_level"]["info"] >= 2
    assert sum(data["by_level"].values()) == data["total"]
    assert data["by_component"] == {"logs": data["total"]}
    assert sum(m["count"] for m in data["per_minute"]) == data["total"]
    assert [m["minute"] for m in data["per_minute"]] == sorted(m["minute"] for m in data["per_minute"])
    dropped = sum(int(v) for v in redis_sync.Redis.from_url(settings.redis_url).hvals("switchboard:logs:dropped"))
    assert data["dropped"] == dropped >= 7
    assert data["retention_days"] >= 1
    # Nothing before `since` - a window in the past is empty.
    assert ok(api, "logs.stats", {"since": "2000-01-01T00:00:00Z", "until": "2000-01-01T01:00:00Z"})["total"] == 0


def test_export_csv_and_json_with_a_cap(api: Api, settings) -> None:
    t = trace()
    ship(settings.redis_url, "queue", [
        {"message": 'plain'}, {"message": 'with, comma and "quotes"\nand a newline', "extra": {"k": [1, 2]}},
        {"message": "third"},
    ], trace_id=t)
    searchable(api, t, 3)
    data = ok(api, "logs.export", {"trace_id": t}, roles=("operator",))
    assert data["format"] == "csv" and data["rows"] == 3 and data["truncated"] is False
    rows = list(csv.reader(io.StringIO(data["content"], newline="")))
    assert rows[0] == ["id", "ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra"]
    assert [r[5] for r in rows[1:]] == ["third", 'with, comma and "quotes"\nand a newline', "plain"]
    assert orjson.loads(rows[2][8]) == {"k": [1, 2]} and rows[1][6] == t
    js = ok(api, "logs.export", {"trace_id": t, "format": "json", "limit": 2})
    assert js["format"] == "json" and js["rows"] == 2 and js["truncated"] is True
    assert [r["message"] for r in orjson.loads(js["content"])] == ["third", 'with, comma and "quotes"\nand a newline']
    assert api.act("logs.export", {"trace_id": t}, roles=("viewer",)).status_code == 403


def test_purge_dry_run_then_real_with_event(api: Api, settings) -> None:
    t = trace()
    ship(settings.redis_url, "workers", [{"message": f"old {i}"} for i in range(4)], trace_id=t)
    searchable(api, t, 4)
    bound = (datetime.now(UTC) + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    dry = ok(api, "logs.purge", {"until": bound, "trace_id": t, "dry_run": True}, key=uid())
    assert dry == {"matched": 4, "affected": 0}
    assert len(ok(api, "logs.search", {"trace_id": t})["records"]) == 4
    assert ok(api, "logs.purge", {"older_than_s": 3600, "trace_id": t}, key=uid()) == {"matched": 0, "affected": 0}
    pt = secrets.token_hex(16)
    real = ok(api, "logs.purge", {"until": bound, "trace_id": t}, key=uid(), headers={"X-Trace-Id": pt})
    assert real == {"matched": 4, "affected": 4}
    assert ok(api, "logs.search", {"trace_id": t})["records"] == []
    client = redis_sync.Redis.from_url(settings.redis_url)
    ev = wait_for(lambda: [e for e in stream_events(client, "logs.purged") if e["trace_id"] == pt], timeout=10,
                  what="logs.purged event")
    assert ev[0]["data"] == {"matched": 4, "affected": 4} and ev[0]["source"] == "logs"


def test_set_level_and_retention_are_config_entries(api: Api, settings) -> None:
    pt = secrets.token_hex(16)
    try:
        first = ok(api, "logs.set_level", {"component": "queue", "level": "debug"}, key=uid(), headers={"X-Trace-Id": pt})
        e = first["entry"]
        assert e["key"] == "log.level.queue" and e["value"] == "debug" and e["version"] >= 1 and e["updated_by"]
        second = ok(api, "logs.set_level", {"component": "queue", "level": "WARNING"}, key=uid())["entry"]
        assert second["value"] == "warning" and second["version"] == e["version"] + 1
        client = redis_sync.Redis.from_url(settings.redis_url)
        ev = wait_for(lambda: [x for x in stream_events(client, "config.changed", key="log.level.queue")
                               if x["trace_id"] == pt], timeout=10, what="config.changed")
        assert ev[0]["data"]["version"] == e["version"]
        ret = ok(api, "logs.set_retention", {"days": 30}, key=uid())["entry"]
        assert ret["key"] == "logs.retention_days" and ret["value"] == 30
        assert ok(api, "logs.stats")["retention_days"] == 30
        # The entries are the config service's own (config.set of the registered keys).
        assert ok(api, "config.get", {"key": "log.level.queue"})["entry"]["value"] == "warning"
        assert ok(api, "config.get", {"key": "logs.retention_days"})["entry"]["version"] == ret["version"]
    finally:
        # The session's other tests start queue services too: leave them at the default level.
        ok(api, "config.delete", {"key": "log.level.queue"}, key=uid())


def test_ssot_logs_section_shows_recent_warnings_and_errors(api: Api, settings) -> None:
    t = trace()
    marker = f"disk nearly full {secrets.token_hex(4)}"
    ship(settings.redis_url, "system", [{"level": "info", "message": f"quiet {marker}"},
                                        {"level": "warning", "message": marker}], trace_id=t)
    searchable(api, t, 2)

    def section():
        ok(api, "cache.flush", {}, key=uid())
        snap = api.http.get(f"{api.url}/api/admin/ssot", headers={"Authorization": f"Bearer {api.token()}"}).json()
        logs = snap.get("logs") or {}
        return snap if any(r["message"] == marker for r in logs.get("recent", [])) else None

    snap = wait_for(section, timeout=30, what="the warning in the SSOT logs section")
    logs = snap["logs"]
    assert all(r["level"] in ("warning", "error", "critical") for r in logs["recent"])
    assert not any(r["message"] == f"quiet {marker}" for r in logs["recent"])
    # The section's `dashboard` part (lifted into the SSOT dashboard, which also needs services this
    # module does not start): asked of the logs service directly.
    with grpc.insecure_channel(settings.addr("logs")) as ch:
        got = action_pb2_grpc.SnapshotServiceStub(ch).GetSection(action_pb2.GetSectionRequest(section="logs"),
                                                                 timeout=10)
    section_msg = logs_pb2.LogsSection()
    got.section.Unpack(section_msg)
    assert section_msg.dashboard.warnings_last_hour >= 1


def test_a_record_is_stored_as_shipped_odd_characters_included(api: Api, settings) -> None:
    """What the batch insert must carry unchanged (it travels as one JSON document): quotes,
    backslashes, newlines, non-ASCII, nested extra fields; a NUL, which PostgreSQL cannot store,
    becomes U+FFFD."""
    t = trace()
    message = 'quote " back\\slash \n tab\t é 漢字 🚀 {"not": "json"} nul\x00end'
    extra = {"nested": {"list": [1, 2.5, None, True, "x\x00y"], "quote": '"'}, "n": 12345678901234}
    ship(settings.redis_url, "test", [{"level": "warning", "message": message, "extra": extra}], trace_id=t)
    (rec,) = searchable(api, t, 1)
    assert rec["message"] == message.replace("\x00", "\ufffd")
    assert rec["level"] == "warning" and rec["component"] == "test"
    assert rec["extra"]["nested"] == {"list": [1, 2.5, None, True, "x\ufffdy"], "quote": '"'}
    assert rec["extra"]["n"] == 12345678901234
