"""Every config action through the real gateway (`api`) against the real config service: the
answer, the stored rows, the `config.changed` event and the audit record (payloads/config.md)."""

from __future__ import annotations

import secrets

import pytest

from services.common.live import LIVE_HASH, REGISTERED_KEYS, decode_field
from tests.services.config.config_helpers import (
    act,
    audited,
    changed,
    ok,
    sql,
    versions,
    wait_for,
)


def test_set_creates_versions_commits_events_and_audits(capi, settings, redis_client, key):
    data, trace = ok(capi, "config.set", {"key": key, "value": {"a": 1, "b": [1, "x"]}, "comment": "first"},
                     sub="alice")
    e = data["entry"]
    assert (e["key"], e["value"], e["version"], e["updated_by"], e["comment"]) == (
        key, {"a": 1, "b": [1, "x"]}, 1, "alice", "first")
    assert e["updated_at"].endswith("Z")
    data, _ = ok(capi, "config.set", {"key": key, "value": 7})
    assert data["entry"]["version"] == 2 and data["entry"]["value"] == 7
    rows = versions(settings, key)
    assert [(r["version"], r["value"]) for r in rows] == [(1, {"a": 1, "b": [1, "x"]}), (2, 7)]
    events = wait_for(lambda: len(changed(redis_client, key)) == 2 and changed(redis_client, key), 5)
    assert [e["data"] for e in events] == [{"key": key, "version": 1, "op": "set"},
                                          {"key": key, "version": 2, "op": "set"}]
    assert events[0]["actor"] == "alice" and events[0]["trace_id"] == trace
    audited(settings, trace, "config.set", "succeeded")
    # The live hash the components read follows the commit.
    assert decode_field(redis_client.hget(LIVE_HASH, key)).value == 7


@pytest.mark.parametrize(("k", "value", "field"), [
    ("ratelimit.per_min", 0, "value"),
    ("ratelimit.per_min", "fast", "value"),
    ("log.level.jobs", "verbose", "value"),
    ("system.announcement", {"message": "hi", "level": "info", "colour": "red"}, "value.colour"),
    ("system.announcement", {"level": "info"}, "value.message"),
    ("system.announcement", {"message": "hi", "level": "info", "until": "tomorrow"}, "value.until"),
    ("Bad Key", 1, "key"),
    ("log.level.nosuch", "info", "key"),
    ("", 1, "key"),
])
def test_set_refuses_bad_input_and_stores_nothing(capi, settings, k, value, field):
    before = sql(settings, "SELECT config_version FROM config.state")[0]["config_version"]
    r, trace = act(capi, "config.set", {"key": k, "value": value})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errors"][0]["field"] == field, body
    assert sql(settings, "SELECT config_version FROM config.state")[0]["config_version"] == before
    assert not versions(settings, k)
    audited(settings, trace, "config.set", "invalid")


def test_registered_values_within_schema_are_stored(capi, settings):
    ann = {"message": "Maintenance at 18:00", "level": "warning", "until": "2030-01-01T18:00:00Z"}
    data, _ = ok(capi, "config.set", {"key": "system.announcement", "value": ann})
    assert data["entry"]["value"] == ann
    data, _ = ok(capi, "config.set", {"key": "system.announcement", "value": None})
    assert data["entry"]["value"] is None
    assert versions(settings, "system.announcement")[-1]["value"] is None
    ok(capi, "config.delete", {"key": "system.announcement"})


def test_set_names_every_failing_path(capi, settings):
    r = capi.act("config.set", {"key": "system.announcement", "value": {"message": "", "level": "loud", "x": 1}},
                 key=secrets.token_hex(6))
    assert r.status_code == 400 and r.json()["code"] == "SCHEMA_VIOLATION"
    assert [e["field"] for e in r.json()["errors"]] == ["value.level", "value.message", "value.x"]


def test_validate_answers_errors_and_stores_nothing(capi, settings, redis_client):
    data, trace = ok(capi, "config.validate", {"key": "system.announcement",
                                               "value": {"message": "", "level": "loud", "x": 1}},
                     roles=("operator",))
    assert data["valid"] is False
    assert [e["field"] for e in data["errors"]] == ["value.level", "value.message", "value.x"]
    data, _ = ok(capi, "config.validate", {"key": "ratelimit.per_min", "value": 20})
    assert data == {"valid": True, "errors": []}
    data, _ = ok(capi, "config.validate", {"key": "free.form", "value": {"any": ["thing"]}})
    assert data["valid"] is True
    assert not versions(settings, "free.form") and not changed(redis_client, "free.form")
    audited(settings, trace, "config.validate", "succeeded")
    r, _ = act(capi, "config.validate", {"key": "NOPE", "value": 1})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "key"
    r, _ = act(capi, "config.validate", {"key": "x", "value": 1}, roles=("viewer",))
    assert r.status_code == 403


def test_get_and_list_scrub_export_does_not(capi, key):
    secret = {"password": "hunter2", "contact": "ops@example.com", "card": "4111 1111 1111 1111", "n": 3}
    ok(capi, "config.set", {"key": key, "value": secret})
    ok(capi, "config.set", {"key": key + ".api_token", "value": "abc123"})
    got, _ = ok(capi, "config.get", {"key": key}, roles=("viewer",))
    assert got["entry"]["value"] == {"password": "[Filtered]", "contact": "o***@example.com",
                                     "card": "************1111", "n": 3}
    assert ok(capi, "config.get", {"key": key + ".api_token"})[0]["entry"]["value"] == "[Filtered]"
    listed, _ = ok(capi, "config.list", {"prefix": key}, roles=("viewer",))
    assert [e["key"] for e in listed["entries"]] == [key, key + ".api_token"]
    assert listed["entries"][0]["value"]["password"] == "[Filtered]"
    exported, _ = ok(capi, "config.export", {"prefix": key})
    assert [e["value"] for e in exported["entries"]] == [secret, "abc123"]
    assert exported["exported_at"].endswith("Z")
    r, _ = act(capi, "config.export", {"prefix": key}, roles=("operator",))
    assert r.status_code == 403
    r, _ = act(capi, "config.get", {"key": key + ".missing"})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "key"


def test_list_pages_by_key_and_names_every_registered_key(capi, key):
    for i in range(5):
        ok(capi, "config.set", {"key": f"{key}.{i}", "value": i})
    seen, token = [], ""
    while True:
        data, _ = ok(capi, "config.list", {"prefix": key + ".", "page_size": 2, "page_token": token})
        assert len(data["entries"]) <= 2
        seen += [e["key"] for e in data["entries"]]
        assert [r["key"] for r in data["registered"]] == list(REGISTERED_KEYS)
        token = data["next_page_token"]
        if not token:
            break
    assert seen == [f"{key}.{i}" for i in range(5)]
    reg = {r["key"]: r for r in data["registered"]}
    assert len(reg) == 16 and reg["ratelimit.per_min"]["default"] == 50
    assert reg["ratelimit.per_min"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100000}
    assert reg["log.level.job-worker"]["default"] == "info" and reg["system.announcement"]["default"] is None
    for bad in ({"page_size": 1001}, {"page_token": "garbage!"}):
        r, _ = act(capi, "config.list", bad)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] in ("page_size", "page_token")


def test_history_diff_rollback_delete(capi, settings, redis_client, key):
    ok(capi, "config.set", {"key": key, "value": {"limit": 1, "mode": "a", "tags": [1]}})
    ok(capi, "config.set", {"key": key, "value": {"limit": 2, "tags": [1, 2], "new": True}})
    # diff of two versions, and of a version against the current one
    data, _ = ok(capi, "config.diff", {"key": key, "from_version": 1, "to_version": 2})
    assert (data["from_version"], data["to_version"]) == (1, 2)
    assert data["changes"] == [
        {"path": "value.limit", "op": "replace", "from": 1, "to": 2},
        {"path": "value.mode", "op": "remove", "from": "a", "to": None},
        {"path": "value.new", "op": "add", "from": None, "to": True},
        {"path": "value.tags", "op": "replace", "from": [1], "to": [1, 2]},
    ]
    data, _ = ok(capi, "config.diff", {"key": key, "from_version": 2})
    assert data["to_version"] == 2 and data["changes"] == []
    r, _ = act(capi, "config.diff", {"key": key, "from_version": 9})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "from_version"
    r, _ = act(capi, "config.diff", {"key": key, "from_version": 1, "to_version": 9})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "to_version"

    # delete: no current entry, history stays, event names the version that was current
    data, trace = ok(capi, "config.delete", {"key": key, "comment": "gone"})
    assert data == {"key": key, "deleted_version": 2}
    audited(settings, trace, "config.delete", "succeeded")
    assert act(capi, "config.get", {"key": key})[0].status_code == 404
    assert key not in [e["key"] for e in ok(capi, "config.list", {"prefix": key})[0]["entries"]]
    wait_for(lambda: changed(redis_client, key, op="delete", version=2), 5)
    assert decode_field(redis_client.hget(LIVE_HASH, key)).deleted
    r, _ = act(capi, "config.delete", {"key": key})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "key"

    # rollback after a delete: a new version (3) holding version 1's value
    data, trace = ok(capi, "config.rollback", {"key": key, "version": 1})
    e = data["entry"]
    assert (e["version"], e["value"], e["comment"]) == (3, {"limit": 1, "mode": "a", "tags": [1]},
                                                        "rollback to version 1")
    audited(settings, trace, "config.rollback", "succeeded")
    wait_for(lambda: changed(redis_client, key, op="rollback", version=3), 5)
    assert ok(capi, "config.get", {"key": key})[0]["entry"]["version"] == 3
    r, _ = act(capi, "config.rollback", {"key": key, "version": 42})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "version"

    # history: every version, newest first, the ones before the delete included; paged
    data, _ = ok(capi, "config.history", {"key": key, "page_size": 2})
    assert [e["version"] for e in data["entries"]] == [3, 2]
    data, _ = ok(capi, "config.history", {"key": key, "page_size": 2, "page_token": data["next_page_token"]})
    assert [e["version"] for e in data["entries"]] == [1] and data["next_page_token"] == ""
    r, _ = act(capi, "config.history", {"key": key + ".never"})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "key"
    assert [r["version"] for r in versions(settings, key)] == [1, 2, 3]


def test_diff_hides_secret_members(capi, key):
    ok(capi, "config.set", {"key": key, "value": {"db": {"password": "a"}, "user": "x"}})
    ok(capi, "config.set", {"key": key, "value": {"db": {"password": "b"}, "user": "y"}})
    data, _ = ok(capi, "config.diff", {"key": key, "from_version": 1, "to_version": 2})
    assert data["changes"] == [
        {"path": "value.db.password", "op": "replace", "from": "[Filtered]", "to": "[Filtered]"},
        {"path": "value.user", "op": "replace", "from": "x", "to": "y"},
    ]
    assert data["from_value"] == {"db": {"password": "[Filtered]"}, "user": "x"}


def test_import_dry_run_then_import(capi, settings, redis_client, key):
    ok(capi, "config.set", {"key": f"{key}.same", "value": {"x": 1}})
    ok(capi, "config.set", {"key": f"{key}.upd", "value": 1})
    exported, _ = ok(capi, "config.export", {"prefix": key})
    entries = exported["entries"] + [{"key": f"{key}.new", "value": [1, 2], "comment": "own"}]
    entries[1] = {**entries[1], "value": 2}  # .upd changes
    before = sql(settings, "SELECT config_version FROM config.state")[0]["config_version"]

    data, _ = ok(capi, "config.import", {"entries": entries, "comment": "restore", "dry_run": True})
    expected = [
        {"key": f"{key}.same", "op": "unchanged", "from_version": 1, "to_version": 0},
        {"key": f"{key}.upd", "op": "update", "from_version": 1, "to_version": 0},
        {"key": f"{key}.new", "op": "create", "from_version": 0, "to_version": 0},
    ]
    assert data == {"dry_run": True, "changes": expected}
    assert not versions(settings, f"{key}.new")
    assert sql(settings, "SELECT config_version FROM config.state")[0]["config_version"] == before

    data, trace = ok(capi, "config.import", {"entries": entries, "comment": "restore"})
    expected[1]["to_version"], expected[2]["to_version"] = 2, 1
    assert data == {"dry_run": False, "changes": expected}
    audited(settings, trace, "config.import", "succeeded")
    assert [(r["version"], r["comment"]) for r in versions(settings, f"{key}.upd")][-1] == (2, "restore")
    assert [(r["value"], r["comment"]) for r in versions(settings, f"{key}.new")] == [([1, 2], "own")]
    assert len(versions(settings, f"{key}.same")) == 1
    assert sql(settings, "SELECT config_version FROM config.state")[0]["config_version"] >= before + 2
    wait_for(lambda: changed(redis_client, f"{key}.new", op="import", version=1)
             and changed(redis_client, f"{key}.upd", op="import", version=2), 5)
    assert not changed(redis_client, f"{key}.same", op="import")


@pytest.mark.parametrize(("entries", "field"), [
    ([{"key": "ok.one", "value": 1}, {"key": "ratelimit.per_min", "value": -1}], "entries[1].value"),
    ([{"key": "ok.one", "value": 1}, {"key": "ok.one", "value": 2}], "entries[1].key"),
    ([{"key": "BAD", "value": 1}], "entries[0].key"),
    ([{"key": "system.announcement", "value": {"message": "m", "level": "info", "z": 1}}], "entries[0].value.z"),
])
def test_import_refuses_any_bad_entry_and_stores_nothing(capi, settings, entries, field):
    r, trace = act(capi, "config.import", {"entries": entries})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, r.text
    assert not versions(settings, "ok.one")
    audited(settings, trace, "config.import", "invalid")


def test_ssot_config_section(capi, settings, key):
    ok(capi, "config.set", {"key": key, "value": {"token": "s3"}})
    version = sql(settings, "SELECT config_version FROM config.state")[0]["config_version"]
    headers = {"Authorization": f"Bearer {capi.token(roles=('viewer',))}"}

    def section():
        body = capi.http.get(f"{capi.url}/api/admin/ssot", headers=headers).json()
        sec = body.get("config", {})
        return sec if sec.get("config_version", 0) >= version else None

    sec = wait_for(section, 10)
    mine = [e for e in sec["entries"] if e["key"] == key]
    assert mine and mine[0]["value"] == {"token": "[Filtered]"}
