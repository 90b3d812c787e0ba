"""What a job worker adds to Celery's remote control, so every `worker.*` action of the workers
service (payloads/workers.md) works on it. Installed by `services.jobs.worker` before it starts.

- **Pool size.** The worker runs Celery's autoscaler with min = max = its concurrency (Celery
  refuses `pool_grow`/`pool_shrink` with an autoscaler and `autoscale` without one), and
  `pool_grow` / `pool_shrink` are overridden to move both bounds: the pool grows or shrinks at once
  and keeps that size. `autoscale` stays Celery's own.
- **Quiet.** `switchboard_quiet` stops consuming every queue and remembers them;
  `switchboard_unquiet` consumes them again. While quiet, `add_consumer` (a queue created or
  resumed) is remembered instead of applied and `cancel_consumer` (a queue paused) forgets it.
- **Held consumers.** `cancel_consumer` sent by an operator (`sb_operator=True`) holds: the
  queue service's `add_consumer` (a resume) does not bring it back until an operator's
  `add_consumer` does. The state lives in this process: a restarted worker starts afresh.
- **Per job type limits.** Every job runs as `switchboard.run_job`, so Celery's `rate_limit` and
  `time_limit`, which are per task name, are applied to placeholder tasks
  `switchboard.job.<type>` (never sent), and the strategy of `run_job` takes each message's token
  bucket and time limits from the placeholder of its job type. A hard time limit (the process is
  killed) records the job `failed` from here, naming the limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from celery import Celery, Task
from celery.exceptions import TimeLimitExceeded
from celery.worker import control as celery_control
from celery.worker.control import control_command, nok, ok
from celery.worker.strategy import default as default_strategy

from services.common.celery import RUN_JOB_TASK
from services.common.settings import Settings

log = logging.getLogger("services.jobs.worker")

JOB_TASK_PREFIX = "switchboard.job."
MAX_POOL = 64


@dataclass
class ConsumerState:
    quiet: bool = False
    remembered: set[str] = field(default_factory=set)  # consumed again at unquiet
    held: set[str] = field(default_factory=set)  # cancelled by an operator


STATE = ConsumerState()


def _consumed(consumer: Any) -> set[str]:
    tc = consumer.task_consumer
    return {q.name for q in tc.queues} if tc is not None else set()


# --- consumers: quiet, unquiet, held ---------------------------------------------------------


@control_command(
    name="add_consumer",
    args=[("queue", str), ("exchange", str), ("exchange_type", str), ("routing_key", str)],
    signature="<queue> [exchange [type [routing_key]]]",
)
def add_consumer(state, queue, exchange=None, exchange_type=None, routing_key=None, sb_operator=False, **options):
    """Consume from a queue (remembered while quiet; refused for a queue an operator cancelled)."""
    if sb_operator:
        STATE.held.discard(queue)
    elif queue in STATE.held:
        return ok(f"not consuming {queue}: its consumer was cancelled by an operator")
    if STATE.quiet:
        STATE.remembered.add(queue)
        return ok(f"quiet: will consume {queue} when unquieted")
    return celery_control.add_consumer(state, queue, exchange, exchange_type, routing_key, **options)


@control_command(name="cancel_consumer", args=[("queue", str)], signature="<queue>")
def cancel_consumer(state, queue, sb_operator=False, **_):
    """Stop consuming a queue (held when an operator asks)."""
    if sb_operator:
        STATE.held.add(queue)
    if STATE.quiet:
        STATE.remembered.discard(queue)
        return ok(f"quiet: will not consume {queue} when unquieted")
    return celery_control.cancel_consumer(state, queue)


@control_command(name="switchboard_quiet")
def switchboard_quiet(state, **_):
    """Stop consuming every queue (running tasks finish) and remember them."""
    if STATE.quiet:
        return ok("already quiet")
    consumer = state.consumer
    names = _consumed(consumer)
    STATE.quiet, STATE.remembered = True, set(names)
    for name in sorted(names):
        consumer.call_soon(consumer.cancel_task_queue, name)
    return ok(f"quiet: stopped consuming {', '.join(sorted(names)) or 'nothing'}")


@control_command(name="switchboard_unquiet")
def switchboard_unquiet(state, **_):
    """Consume again what was consumed when quieted, and the queues added meanwhile."""
    if not STATE.quiet:
        return ok("not quiet")
    consumer = state.consumer
    names = sorted(STATE.remembered - STATE.held)
    STATE.quiet, STATE.remembered = False, set()
    for name in names:
        consumer.call_soon(consumer.add_task_queue, name, None, "direct", None)
    return ok(f"consuming {', '.join(names) or 'nothing'}")


@celery_control.inspect_command(name="switchboard_state")
def switchboard_state(state, **_):
    """Quiet flag and held consumers (the workers service's registry reads it)."""
    return {"quiet": STATE.quiet, "remembered": sorted(STATE.remembered), "held": sorted(STATE.held)}


# --- pool size through the autoscaler ----------------------------------------------------------


@control_command(name="pool_grow", args=[("n", int)], signature="[N=1]")
def pool_grow(state, n=1, **_):
    """Grow the pool by n processes now and keep that size."""
    scaler = state.consumer.controller.autoscaler
    if not scaler:
        return celery_control.pool_grow(state, n)
    target = scaler.processes + int(n)
    if target > MAX_POOL:
        return nok(f"pool would have {target} processes, more than {MAX_POOL}")
    scaler.update(max=target, min=target)
    return ok(f"pool grows to {target}")


@control_command(name="pool_shrink", args=[("n", int)], signature="[N=1]")
def pool_shrink(state, n=1, **_):
    """Shrink the pool by n processes now (busy ones retire when their task ends) and keep that size."""
    scaler = state.consumer.controller.autoscaler
    if not scaler:
        return celery_control.pool_shrink(state, n)
    target = scaler.processes - int(n)
    if target < 1:
        return nok(f"pool would have {target} processes, fewer than 1")
    scaler.update(max=target, min=target)
    return ok(f"pool shrinks to {target}")


# --- per job type rate and time limits ------------------------------------------------------


def _job_type(message: Any) -> str:
    try:
        payload = message.payload
        kwargs = payload[1] if isinstance(payload, (list, tuple)) else payload.get("kwargs", {})
        return str(kwargs.get("task") or "")
    except Exception:  # noqa: BLE001 - a message we cannot read runs with run_job's own limits
        return ""


def job_strategy(task: Task, app: Celery, consumer: Any, **kwargs: Any) -> Any:
    """Celery's default strategy, built per job type on that type's placeholder task (its token
    bucket and time limits), rebuilt when its time limits change."""
    built: dict[str, tuple[tuple[Any, Any], Any]] = {}

    def for_type(job_type: str) -> Any:
        proxy = app.tasks.get(JOB_TASK_PREFIX + job_type) if job_type else None
        proxy = proxy or task
        limits = (proxy.time_limit, proxy.soft_time_limit)
        hit = built.get(job_type)
        if hit is None or hit[0] != limits:
            hit = built[job_type] = (limits, default_strategy(proxy, app, consumer, **kwargs))
        return hit[1]

    def handler(message, body, ack, reject, callbacks, **kw):
        return for_type(_job_type(message))(message, body, ack, reject, callbacks, **kw)

    return handler


def _record_hard_timeout(settings: Settings, job_id: str, exc: BaseException) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from services.jobs import tasks
    from services.jobs.models import Job

    error = f"hard time limit exceeded ({exc}): the process was killed"
    try:
        with Session(tasks._engine_for(settings), expire_on_commit=False) as session, session.begin():
            queue = session.scalar(select(Job.queue).where(Job.job_id == job_id))
            if queue is not None:
                tasks.finish_job(session, job_id=job_id, queue=queue, error=error)
    except Exception:  # noqa: BLE001 - logged; the job stays running for the reaper
        log.exception("could not record the hard time limit of job %s", job_id)


def install(app: Celery, settings: Settings, job_types: list[str]) -> None:
    """Placeholder tasks per job type, and the per-type strategy on run_job."""

    class JobTypeLimits(Task):
        """Carries a job type's rate and time limits; never sent, never run."""

        def run(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError(f"{self.name} only carries limits")

        def on_failure(self, exc, task_id, args, kwargs, einfo):  # the hard time limit, in the main process
            if isinstance(exc, TimeLimitExceeded):
                _record_hard_timeout(settings, task_id, exc)

    for job_type in job_types:
        app.register_task(type(f"Limits_{job_type}", (JobTypeLimits,), {"name": JOB_TASK_PREFIX + job_type})())
    app.tasks[RUN_JOB_TASK].Strategy = f"{__name__}:job_strategy"
