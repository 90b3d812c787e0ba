"""Orchestration of the worker actions. A command's effect is decided by the workers' replies, so
the order is: validate (and ask live what a check needs), broadcast, then one transaction with the
registry change and an outbox event per worker that answered `ok`; live details are re-asked after.

A broadcast never waits past its budget (at most 2 s, within the action's deadline): a worker that
does not answer in time is listed in `no_reply`; when none of the addressed workers answered the
action fails DEADLINE_EXCEEDED naming them (504 at the gateway).
"""

from __future__ import annotations

import asyncio
import builtins
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument
from services.common.kit import Runtime
from services.workers import service
from services.workers.control import Answer, Control
from services.workers.registry import Registry, live_from

# The job tasks of SPEC §7 and the placeholder Celery task that carries each one's rate and time
# limits on a job worker (services/jobs/worker_control.py; services do not import each other).
JOB_TASKS = ("echo", "fail", "report", "sleep")
JOB_TASK_PREFIX = "switchboard.job."
POOL_MAX = 64
_RATE = re.compile(r"[0-9]+(\.[0-9]+)?/[smh]")


@dataclass(slots=True)
class ReplyView:
    hostname: str
    ok: bool
    message: str = ""
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # inspect only


@dataclass(slots=True)
class Outcome:
    replies: list[ReplyView]
    no_reply: list[str]


def reply_view(hostname: str, answer: Any) -> ReplyView:
    if isinstance(answer, dict) and "error" in answer:
        return ReplyView(hostname, False, error=str(answer["error"]))
    if isinstance(answer, dict) and "ok" in answer:
        return ReplyView(hostname, True, message=str(answer["ok"]))
    return ReplyView(hostname, True, message=str(answer))


def _task_refs(items: Any) -> list[tuple[str, str]]:
    out = []
    for item in items if isinstance(items, list) else []:
        req = item.get("request", item) if isinstance(item, dict) else {}
        req = req if isinstance(req, dict) else {}
        raw = req.get("kwargs")
        kwargs = raw if isinstance(raw, dict) else {}
        out.append((str(req.get("id") or ""), str(kwargs.get("task") or req.get("name") or "")))
    return out


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class WorkersFlows:
    def __init__(self, rt: Runtime, registry: Registry) -> None:
        self.rt = rt
        self.registry = registry
        self.control: Control = registry.control

    # --- queries -------------------------------------------------------------------------

    async def list(self, *, status: str, queue: str) -> builtins.list[Any]:
        async with self.rt.reads() as session:
            return await service.list_workers(session, status=status, queue=queue)

    async def ping(self, *, destination: str, budget: float) -> Outcome:
        hosts = await self._hosts(destination)
        return self._outcome(hosts, await self.control.broadcast("ping", hosts, timeout=budget), budget)

    async def inspect(self, *, destination: str, budget: float) -> Outcome:
        hosts = await self._hosts(destination)
        names = ("stats", "active_queues", "active", "reserved", "registered")
        got = await asyncio.gather(*(self.control.broadcast(n, hosts, timeout=budget) for n in names))
        answers = dict(zip(names, got, strict=True))
        stats = answers["stats"]
        outcome = self._outcome(hosts, stats, budget)
        for r in outcome.replies:
            if not r.ok:
                continue
            raw = stats.replies[r.hostname]
            live = live_from(r.hostname, raw, answers["active_queues"].replies.get(r.hostname))
            r.message = "stats"
            r.extra = {
                "pool_size": live.pool_size if live else 0,
                "concurrency": live.concurrency if live else 0,
                "queues": live.queues if live else [],
                "active": _task_refs(answers["active"].replies.get(r.hostname)),
                "reserved": _task_refs(answers["reserved"].replies.get(r.hostname)),
                "registered": [str(t).split(" ")[0] for t in answers["registered"].replies.get(r.hostname) or []],
                "stats": _jsonable(raw),
            }
        return outcome

    # --- commands ------------------------------------------------------------------------

    async def quiet(self, *, destination: str, budget: float, quiet: bool) -> Outcome:
        hosts = await self._hosts(destination)
        command = "switchboard_quiet" if quiet else "switchboard_unquiet"
        outcome = self._outcome(hosts, await self.control.broadcast(command, hosts, timeout=budget), budget)
        async with self.rt.sessions.begin() as session:
            await service.set_quiet(session, hostnames=self._ok(outcome), quiet=quiet)
        self.registry.listings.changed()
        self.registry.touch(self._ok(outcome))
        return outcome

    async def shutdown(self, *, destination: str) -> Outcome:
        """Celery sends no reply to `shutdown`: every addressed worker is reported as told."""
        hosts = await self._hosts(destination)
        await self.control.broadcast("shutdown", hosts, timeout=0, reply=False)
        async with self.rt.sessions.begin() as session:
            for h in hosts:
                await service.record(session, "worker.shutdown_requested", {"hostname": h})
        return Outcome([ReplyView(h, True, message="shutdown requested") for h in hosts], [])

    async def pool_restart(self, *, destination: str, budget: float) -> Outcome:
        hosts = await self._hosts(destination)
        answer = await self.control.broadcast("pool_restart", hosts, timeout=budget, arguments={"reload": False})
        return await self._pool_changed(self._outcome(hosts, answer, budget), "restart")

    async def pool_resize(self, *, destination: str, n: int, grow: bool, budget: float) -> Outcome:
        if n < 1:
            raise InvalidArgument(f"n must be an integer of at least 1, got {n}", field="n")
        hosts = await self._hosts(destination)
        ask = min(1.0, budget / 2)
        sizes = await self.control.broadcast("stats", hosts, timeout=ask)
        answered = []
        for h in sorted(sizes.replies):
            live = live_from(h, sizes.replies[h], [])
            if live is None:
                continue
            answered.append(h)
            if grow and live.pool_size + n > POOL_MAX:
                raise InvalidArgument(
                    f"n: {h} has {live.pool_size} processes; growing by {n} passes the maximum of {POOL_MAX}",
                    reason="POOL_TOO_LARGE", field="n")
            if not grow and live.pool_size - n < 1:
                raise InvalidArgument(
                    f"n: {h} has {live.pool_size} processes; shrinking by {n} leaves fewer than 1",
                    reason="POOL_TOO_SMALL", field="n")
        command = "pool_grow" if grow else "pool_shrink"
        answer = await self.control.broadcast(command, answered, timeout=max(0.1, budget - ask), arguments={"n": n})
        merged = Answer(answer.replies, sorted(set(hosts) - set(answer.replies)))
        return await self._pool_changed(self._outcome(hosts, merged, budget), "grow" if grow else "shrink", n=n)

    async def autoscale(self, *, destination: str, max_: int, min_: int, budget: float) -> Outcome:
        if not 1 <= max_ <= POOL_MAX:
            raise InvalidArgument(f"max must be an integer from 1 to {POOL_MAX}, got {max_}", field="max")
        if not 0 <= min_ <= max_:
            raise InvalidArgument(f"min must be an integer from 0 to max ({max_}), got {min_}", field="min")
        hosts = await self._hosts(destination)
        answer = await self.control.broadcast("autoscale", hosts, timeout=budget, arguments={"max": max_, "min": min_})
        return await self._pool_changed(self._outcome(hosts, answer, budget), "autoscale", max_=max_, min_=min_)

    async def consumer(self, *, destination: str, queue_name: str, add: bool, budget: float) -> Outcome:
        if not queue_name:
            raise InvalidArgument("queue_name is required", field="queue_name")
        queue = (await self.rt.call(
            "queue", queue_pb2_grpc.QueueServiceStub, "GetQueue", queue_pb2.GetQueueRequest(queue_name=queue_name)
        )).queue
        if add and queue.paused:
            raise FailedPrecondition(
                f"queue {queue_name!r} is paused: resume it first", reason="QUEUE_PAUSED", field="queue_name")
        hosts = await self._hosts(destination)
        command = "add_consumer" if add else "cancel_consumer"
        answer = await self.control.broadcast(
            command, hosts, timeout=budget, arguments={"queue": queue_name, "sb_operator": True})
        outcome = self._outcome(hosts, answer, budget)
        await self._record(outcome, "worker.consumer_added" if add else "worker.consumer_cancelled",
                           {"queue_name": queue_name})
        return outcome

    async def rate_limit(self, *, destination: str, task: str, rate: str, budget: float) -> Outcome:
        self._check_task(task)
        if rate and not _RATE.fullmatch(rate):
            raise InvalidArgument(f'rate must be "" or <number>/s|m|h (e.g. "12/m"), got {rate[:40]!r}', field="rate")
        hosts = await self._hosts(destination)
        answer = await self.control.broadcast(
            "rate_limit", hosts, timeout=budget,
            arguments={"task_name": JOB_TASK_PREFIX + task, "rate_limit": rate})
        outcome = self._outcome(hosts, answer, budget)
        await self._record(outcome, "worker.rate_limit_set", {"task": task, "rate": rate})
        return outcome

    async def time_limit(self, *, destination: str, task: str, soft: float, hard: float, budget: float) -> Outcome:
        self._check_task(task)
        for name, value in (("soft", soft), ("hard", hard)):
            if not math.isfinite(value) or value < 0:
                raise InvalidArgument(f"{name} must be a number of seconds >= 0 (0 = no limit), got {value}", field=name)
        if soft > 0 and hard > 0 and soft > hard:
            raise InvalidArgument(f"soft ({soft}) must not exceed hard ({hard})", field="soft")
        hosts = await self._hosts(destination)
        answer = await self.control.broadcast(
            "time_limit", hosts, timeout=budget,
            arguments={"task_name": JOB_TASK_PREFIX + task, "soft": soft or None, "hard": hard or None})
        outcome = self._outcome(hosts, answer, budget)
        await self._record(outcome, "worker.time_limit_set", {"task": task, "soft": soft, "hard": hard})
        return outcome

    async def forget_offline(self, *, destination: str) -> builtins.list[str]:
        async with self.rt.sessions.begin() as session:
            forgotten = await service.forget_offline(session, destination=destination)
        self.registry.listings.changed()
        return forgotten

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _check_task(task: str) -> None:
        if task not in JOB_TASKS:
            raise InvalidArgument(f"task must be one of {', '.join(JOB_TASKS)}, got {task[:40]!r}", field="task")

    async def _hosts(self, destination: str) -> builtins.list[str]:
        async with self.rt.reads() as session:
            return await service.addressed(session, destination=destination)

    @staticmethod
    def _outcome(hosts: builtins.list[str], answer: Answer, budget: float) -> Outcome:
        if hosts and not answer.replies:
            raise DeadlineExceeded(
                f"no reply within {budget:.1f} s from {', '.join(answer.no_reply)}",
                reason="WORKER_NO_REPLY", field="destination")
        return Outcome([reply_view(h, answer.replies[h]) for h in sorted(answer.replies)], answer.no_reply)

    @staticmethod
    def _ok(outcome: Outcome) -> builtins.list[str]:
        return [r.hostname for r in outcome.replies if r.ok]

    async def _record(self, outcome: Outcome, type_: str, data: dict[str, Any]) -> None:
        ok = self._ok(outcome)
        if ok:
            async with self.rt.sessions.begin() as session:
                for h in ok:
                    await service.record(session, type_, {"hostname": h, **data})
        self.registry.touch(ok)

    async def _pool_changed(self, outcome: Outcome, change: str, *, n: int = 0, max_: int = 0, min_: int = 0) -> Outcome:
        await self._record(outcome, "worker.pool_changed", {"change": change, "n": n, "max": max_, "min": min_})
        return outcome
