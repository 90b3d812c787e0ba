"""Celery remote control with a deadline: one broadcast to named workers, each worker's reply, and
the names of those that did not answer in time. Celery's control API is synchronous, so every
broadcast runs in a thread (contextvars, hence the trace id in logs, follow it); each thread has a
reply queue of its own (kombu names it by thread), so concurrent broadcasts never take each
other's replies."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from celery import Celery

from services.common.errors import Unavailable

log = logging.getLogger(__name__)

# payloads/workers.md: replies are awaited at most 2 s, never past the action's deadline.
REPLY_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Answer:
    replies: dict[str, Any]  # hostname -> the worker's answer, as Celery gives it
    no_reply: list[str]  # addressed, no answer in time (sorted)


class Control:
    def __init__(self, app: Celery) -> None:
        self.app = app

    async def broadcast(
        self, command: str, hosts: list[str], *, timeout: float,  # noqa: ASYNC109 - the reply wait
        arguments: dict[str, Any] | None = None, reply: bool = True,
    ) -> Answer:
        if not hosts:
            return Answer({}, [])
        return await asyncio.to_thread(self._broadcast, command, sorted(set(hosts)), timeout, arguments or {}, reply)

    def _broadcast(self, command: str, hosts: list[str], timeout: float, arguments: dict[str, Any], reply: bool) -> Answer:
        try:
            answers = self.app.control.broadcast(
                command, arguments=arguments, destination=hosts, reply=reply,
                timeout=max(0.05, timeout), limit=len(hosts) if reply else None,
            )
        except Exception as exc:  # noqa: BLE001 - the broker is the only thing that can fail here
            log.warning("%s broadcast failed: %s", command, exc)
            raise Unavailable(f"the broker is unreachable: {exc}", reason="BROKER_UNAVAILABLE") from None
        if not reply:
            return Answer({}, [])
        got: dict[str, Any] = {}
        for item in answers or []:
            for node, value in item.items():
                if node in hosts:
                    got[node] = value
        return Answer(got, sorted(set(hosts) - set(got)))
