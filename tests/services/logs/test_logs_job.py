"""One `job.submit` followed from the gateway to the job worker's own log line through `logs.job`:
real gateway, jobs, queue and logs services and a real prefork Celery worker, each shipping its
records to `switchboard:logs`."""

from __future__ import annotations

import secrets

import pytest

from tests.gateway.conftest import Api, uid
from tests.helpers import wait_for


@pytest.fixture(scope="module", autouse=True)
def logs_up(services):
    services.up("jobs", "queue", "logs")


def test_a_jobs_trace_from_gateway_to_worker(api: Api, job_worker) -> None:
    trace_id = secrets.token_hex(16)
    message = f"hello from echo {secrets.token_hex(4)}"
    resp = api.act("job.submit", {"task": "echo", "kwargs": {"message": message}}, key=uid(),
                   headers={"X-Trace-Id": trace_id})
    assert resp.status_code == 200, resp.text
    job_id = resp.json()["data"]["job"]["job_id"]

    def trail():
        r = api.act("logs.job", {"job_id": job_id, "page_size": 1000})
        assert r.status_code == 200, r.text
        recs = r.json()["data"]["records"]
        ended = [x for x in recs if x["message"] == "job attempt ended"]
        return recs if ended and any(x["component"] == "gateway" for x in recs) else None

    records = wait_for(trail, timeout=30, what="the job's records, gateway to worker")
    assert all(r["trace_id"] == trace_id for r in records), records
    assert [r["ts"] for r in records] == sorted(r["ts"] for r in records)  # oldest first
    # The gateway's access record of the submit ...
    gw = [r for r in records if r["component"] == "gateway" and r["logger"] == "gateway.access"]
    assert gw and gw[0]["extra"]["action"] == "job.submit" and gw[0]["extra"]["status"] == 200
    assert gw[0]["extra"]["outcome"] == "succeeded" and gw[0]["job_id"] == ""
    # ... the jobs service's record of the RPC it served ...
    assert any(r["component"] == "jobs" and r["extra"].get("action") == "job.submit" for r in records)
    # ... and the worker's own lines, each with the job id.
    worker = [r for r in records if r["component"] == "job-worker"]
    assert [r["message"] for r in worker] == ["job attempt started", message, "job attempt ended"]
    assert all(r["job_id"] == job_id and r["level"] == "info" for r in worker)
    assert worker[1]["logger"] == "services.jobs.samples"
    assert worker[2]["extra"]["outcome"] == "succeeded"


def test_a_failed_attempt_writes_an_error_with_the_traceback(api: Api, job_worker) -> None:
    resp = api.act("job.submit", {"task": "fail", "kwargs": {"message": "disk on fire"}}, key=uid())
    assert resp.status_code == 200, resp.text
    job_id = resp.json()["data"]["job"]["job_id"]
    errors = wait_for(
        lambda: [r for r in api.act("logs.job", {"job_id": job_id}).json()["data"]["records"] if r["level"] == "error"],
        timeout=30, what="the failed attempt's error record",
    )
    assert "disk on fire" in errors[0]["message"] and errors[0]["component"] == "job-worker"
    assert "Traceback" in errors[0]["extra"]["traceback"] and errors[0]["job_id"] == job_id
    # A job with no records answers an empty list.
    none = api.act("logs.job", {"job_id": "job_does_not_exist"})
    assert none.status_code == 200 and none.json()["data"] == {"records": [], "next_page_token": ""}
