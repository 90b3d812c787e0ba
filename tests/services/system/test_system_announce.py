"""system.announce through the gateway: it is `config.set` of `system.announcement` (a new
version, `config.changed`), shown in the SSOT `system` section until its `until`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.times import iso
from tests.helpers import stream_events, wait_for
from tests.services.system.system_helpers import act, audited, event, field_of, ssot_system


def _later(seconds: float) -> str:
    return iso(datetime.now(UTC) + timedelta(seconds=seconds))


@pytest.mark.parametrize(("payload", "field"), [
    ({"message": "x", "level": "loud"}, "level"),
    ({"message": "x", "until": "2020-01-01T00:00:00Z"}, "until"),
    ({"message": "x", "until": "soon"}, "until"),
    ({"message": "x" * 501}, "message"),
])
def test_bad_announcements_are_400(sys_api, payload, field) -> None:
    body, trace = act(sys_api, "system.announce", payload, status=400, roles=("operator",))
    assert field_of(body) == [field], body
    audited(sys_api, trace, "system.announce", "invalid")


def test_announce_sets_the_config_key_and_shows_until_cleared(sys_api, redis_client) -> None:
    until = _later(3600)
    body, trace = act(sys_api, "system.announce", {"message": "deploy at 17:00", "level": "warning", "until": until},
                      roles=("operator",))
    want = {"message": "deploy at 17:00", "level": "warning", "until": until}
    assert body["data"]["announcement"] == want
    audited(sys_api, trace, "system.announce", "succeeded")
    changed = event(redis_client, "config.changed", trace)
    assert changed["data"]["key"] == "system.announcement"
    entry = act(sys_api, "config.get", {"key": "system.announcement"})[0]["data"]["entry"]
    assert entry["value"] == want and entry["version"] == changed["data"]["version"]
    wait_for(lambda: ssot_system(sys_api)["announcement"] == want, timeout=5, what="banner in SSOT")

    body, trace = act(sys_api, "system.announce", {"message": ""}, roles=("operator",))
    assert body["data"]["announcement"] is None
    assert act(sys_api, "config.get", {"key": "system.announcement"})[0]["data"]["entry"]["value"] is None
    wait_for(lambda: ssot_system(sys_api)["announcement"] is None, timeout=5, what="banner cleared")


def test_a_timed_banner_leaves_the_snapshot_at_its_until(sys_api, redis_client) -> None:
    until = _later(2)
    act(sys_api, "system.announce", {"message": "short notice", "until": until}, roles=("operator",))
    wait_for(lambda: (ssot_system(sys_api)["announcement"] or {}).get("message") == "short notice",
             timeout=5, what="banner shown")
    wait_for(lambda: ssot_system(sys_api)["announcement"] is None, timeout=6, what="banner gone after until")
    assert datetime.now(UTC) >= datetime.fromisoformat(until)
    assert [e for e in stream_events(redis_client, "system.announcement_expired") if e["data"]["until"] == until]
    act(sys_api, "system.announce", {"message": ""}, roles=("operator",))
