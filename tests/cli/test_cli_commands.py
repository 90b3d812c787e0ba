"""The `switchboard` command, run as installed (the venv's entry point) in a subprocess: migrate on a
fresh database, tokens the gateway's verifier accepts, and the HTTP commands against a live gateway
with real services and a real Celery worker behind it."""

from __future__ import annotations

import json
import secrets
import subprocess
import time

import jwt
import psycopg
import pytest
import redis as redis_sync

from gateway.auth import verify_token
from services.common.db import drop_database, libpq_url
from services.common.events import STREAM
from services.common.migrate import owners
from services.common.settings import Settings
from tests.cli.conftest import SWITCHBOARD, cli_env, run_cli
from tests.conftest import PG_BASE, env_for
from tools.cli import parse_assignments

# ---------------------------------------------------------------- pure parsing


def test_assignments_parse_json_values_else_strings() -> None:
    got = parse_assignments(['task=sleep', 'kwargs={"seconds": 5}', "priority=3", "dry_run=false",
                             'label="007"', "note=a=b", "empty="])
    assert got == {"task": "sleep", "kwargs": {"seconds": 5}, "priority": 3, "dry_run": False,
                   "label": "007", "note": "a=b", "empty": ""}


@pytest.mark.parametrize("bad", ["noequals", "=value"])
def test_assignments_without_a_key_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="key=value"):
        parse_assignments([bad])


# ---------------------------------------------------------------- migrate and token


def test_migrate_creates_the_database_and_is_safe_to_run_twice(settings: Settings) -> None:
    url = f"{PG_BASE.rsplit('/', 1)[0]}/sb_cli_{secrets.token_hex(5)}"
    env = env_for(settings, DATABASE_URL=url)
    try:
        first = run_cli("migrate", env=env)
        assert first.returncode == 0, first.stderr
        migrated = {line.split()[-1] for line in first.stdout.splitlines() if line.startswith("migrated ")}
        expected = set(owners())
        assert migrated == expected and expected
        second = run_cli("migrate", env=env)
        assert second.returncode == 0, second.stderr
        with psycopg.connect(libpq_url(url)) as conn:
            for schema in expected:
                versions = conn.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchall()
                assert len(versions) == 1, (schema, versions)  # one head, not re-applied
    finally:
        drop_database(url)


def test_migrate_names_the_unreachable_database(settings: Settings) -> None:
    from tests.conftest import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    out = run_cli("migrate", env=env_for(settings, DATABASE_URL=url), timeout=60)
    assert out.returncode == 1
    assert f"cannot migrate {url}" in out.stderr
    assert "Traceback" not in out.stderr


def test_token_carries_sub_roles_and_expiry(settings: Settings) -> None:
    before = int(time.time())
    out = run_cli("token", "--sub", "alice", "--role", "operator", "--role", "viewer", "--ttl", "900",
                  env=env_for(settings))
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["operator", "viewer"]
    assert before + 900 <= claims["exp"] <= int(time.time()) + 900
    assert verify_token(settings, token).roles == ("operator", "viewer")


def test_token_refuses_a_nonpositive_ttl(settings: Settings) -> None:
    out = run_cli("token", "--sub", "alice", "--ttl", "0", env=env_for(settings))
    assert out.returncode == 2 and "--ttl" in out.stderr


# ---------------------------------------------------------------- against a live gateway


def test_actions_table_shows_what_the_caller_may_run(settings: Settings, cli_gateway: str) -> None:
    out = run_cli("actions", env=cli_env(settings, cli_gateway, roles=("viewer",)))
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[1:]}
    assert out.stdout.splitlines()[0].split() == ["ACTION", "KIND", "RISK", "ALLOWED", "SUMMARY"]
    assert rows["job.list"][1:4] == ["query", "low", "yes"]
    assert rows["job.cancel"][1:4] == ["command", "high", "no"]  # a viewer may not cancel
    assert rows["queue.clear"][1:4] == ["command", "critical", "no"]


def test_actions_without_a_token_fails_with_the_problem(settings: Settings, cli_gateway: str) -> None:
    env = cli_env(settings, cli_gateway)
    del env["SWITCHBOARD_TOKEN"]
    out = run_cli("actions", env=env)
    assert out.returncode == 1
    assert "401" in out.stderr and "Unauthorized" in out.stderr
    assert json.loads(out.stdout)["code"] == "UNAUTHENTICATED"


def _act(env: dict[str, str], *args: str) -> dict:
    out = run_cli("act", *args, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def test_act_submits_a_job_that_a_real_worker_runs(settings: Settings, cli_gateway: str) -> None:
    env = cli_env(settings, cli_gateway, roles=("operator",))
    body = _act(env, "job.submit", "task=echo", 'kwargs={"message": "from the cli"}')
    assert body["success"] is True and body["action"] == "job.submit"
    job_id = body["data"]["job"]["job_id"]
    deadline = time.monotonic() + 30
    while True:
        job = _act(env, "job.get", f"job_id={job_id}")["data"]["job"]
        if job["status"] == "succeeded" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert job["status"] == "succeeded"
    assert "from the cli" in json.dumps(job["result"])


def test_act_sends_the_given_idempotency_key(settings: Settings, cli_gateway: str) -> None:
    env = cli_env(settings, cli_gateway, roles=("operator",))
    key = f"cli-{secrets.token_hex(6)}"
    args = ("job.submit", "task=sleep", 'kwargs={"seconds": 0}', "--idempotency-key", key)
    first, again = _act(env, *args), _act(env, *args)
    assert again == first  # the stored response replayed: one job, not two
    other = _act(env, "job.submit", "task=sleep", 'kwargs={"seconds": 0}')  # fresh key by default
    assert other["data"]["job"]["job_id"] != first["data"]["job"]["job_id"]


def test_act_out_writes_an_export_to_a_file(settings: Settings, cli_gateway: str, tmp_path) -> None:
    env = cli_env(settings, cli_gateway, roles=("operator",))
    job_id = _act(env, "job.submit", "task=sleep", 'kwargs={"seconds": 0}')["data"]["job"]["job_id"]
    csv_path, json_path, answer_path = tmp_path / "jobs.csv", tmp_path / "jobs.json", tmp_path / "get.json"
    out = run_cli("act", "analytics.export_jobs", f'job_ids=["{job_id}"]', "--out", str(csv_path), env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and f"wrote 1 csv rows to {csv_path}" in out.stderr
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("job_id,task,queue,status") and lines[1].startswith(f"{job_id},sleep,default,")
    out = run_cli("act", "analytics.export_jobs", "format=json", f'job_ids=["{job_id}"]', "--out", str(json_path),
                  env=env)
    assert out.returncode == 0 and [r["job_id"] for r in json.loads(json_path.read_text())] == [job_id]
    # Any other answer: the JSON body, as it would have been printed.
    out = run_cli("act", "job.get", f"job_id={job_id}", "--out", str(answer_path), env=env)
    assert out.returncode == 0 and json.loads(answer_path.read_text())["data"]["job"]["job_id"] == job_id
    out = run_cli("act", "job.get", f"job_id={job_id}", "--out", str(tmp_path / "no" / "such" / "dir"), env=env)
    assert out.returncode == 2 and "cannot write" in out.stderr


def test_act_failure_exits_1_with_title_and_detail(settings: Settings, cli_gateway: str) -> None:
    out = run_cli("act", "job.get", "job_id=job_does_not_exist", env=cli_env(settings, cli_gateway))
    assert out.returncode == 1
    problem = json.loads(out.stdout)
    assert problem["status"] == 404 and problem["code"] == "NOT_FOUND"
    assert f"HTTP 404 {problem['title']}: {problem['detail']}" in out.stderr


def test_act_bad_field_syntax_is_a_usage_error(settings: Settings, cli_gateway: str) -> None:
    out = run_cli("act", "job.get", "job_id", env=cli_env(settings, cli_gateway))
    assert out.returncode == 2 and "expected key=value" in out.stderr


def test_act_names_an_unreachable_gateway(settings: Settings) -> None:
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    out = run_cli("act", "job.list", env=cli_env(settings, url))
    assert out.returncode == 2 and f"cannot reach the gateway at {url}" in out.stderr


def test_ssot_prints_the_snapshot(settings: Settings, cli_gateway: str) -> None:
    out = run_cli("ssot", env=cli_env(settings, cli_gateway, roles=("viewer",)))
    assert out.returncode == 0, out.stderr
    snap = json.loads(out.stdout)
    assert {"dashboard", "jobs", "queues", "system", "version", "generated_at", "degraded"} <= snap.keys()


def test_events_follow_prints_one_json_line_per_event(settings: Settings, cli_gateway: str) -> None:
    env = cli_env(settings, cli_gateway)
    # From the stream's current end: an event produced before the socket has subscribed is
    # replayed, so nothing needs to wait for the subscription.
    newest = redis_sync.Redis.from_url(settings.redis_url).xrevrange(STREAM, count=1)
    since = newest[0][0].decode() if newest else "0-0"
    follower = subprocess.Popen([SWITCHBOARD, "events", "--follow", "--types", "job.", "--since", since], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        job_id = _act(env, "job.submit", "task=echo", 'kwargs={"message": "evt"}')["data"]["job"]["job_id"]
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = follower.stdout.readline()
            if not line:
                break
            event = json.loads(line)
            seen.append(event["type"])
            assert event["type"].startswith("job.")  # --types filtered the stream
            if event["type"] == "job.succeeded" and json.dumps(event["data"]).find(job_id) >= 0:
                break
        assert "job.submitted" in seen and "job.succeeded" in seen, seen
    finally:
        follower.terminate()
        follower.wait(10)


def test_events_since_replays_then_stops_when_quiet(settings: Settings, cli_gateway: str) -> None:
    env = cli_env(settings, cli_gateway)
    job_id = _act(env, "job.submit", "task=echo", 'kwargs={"message": "replay"}')["data"]["job"]["job_id"]
    out = run_cli("events", "--since", "0-0", "--types", "job.submitted", "--idle", "1", env=env)
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert events and {e["type"] for e in events} == {"job.submitted"}
    assert any(job_id in json.dumps(e["data"]) for e in events)


def test_events_with_a_bad_token_is_refused(settings: Settings, cli_gateway: str) -> None:
    env = cli_env(settings, cli_gateway, SWITCHBOARD_TOKEN="not-a-jwt")
    out = run_cli("events", "--follow", env=env, timeout=20)
    assert out.returncode == 1 and "4401" in out.stderr
