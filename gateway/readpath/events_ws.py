"""`GET /api/admin/events` (WebSocket, SPEC §6): live events for consoles.

Auth: `Authorization: Bearer` on the upgrade request, or (browsers cannot set headers) a first
message `{"type": "auth", "token": "…"}` within 5 s; failure closes with 4401, a caller without a
role with 4403. Never a token in the URL. Query: `types=job.,queue.` (type prefixes) and
`since=<stream id>`. With `since`, the subscription is opened BEFORE the history is read, so no
event can fall between replay and live; live events at or before the last replayed id are skipped,
so none arrives twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import orjson
from fastapi import APIRouter
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.auth import AuthError, Principal, authenticate, verify_token
from gateway.rbac import role_at_least
from gateway.readpath import metrics
from gateway.readpath.access import LEAST_ROLE
from gateway.readpath.hub import EventHub, StreamId, Subscriber, parse_id

router = APIRouter()

AUTH_TIMEOUT_S = 5.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
CLOSE_TOO_SLOW = 1013  # "try again later": the client fell behind and should reconnect with `since`


async def _authenticate(ws: WebSocket) -> Principal | None:
    settings = ws.app.state.settings
    header = ws.headers.get("authorization")
    try:
        if header:
            return authenticate(settings, header)
        raw = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_S)
        msg = orjson.loads(raw)
        if not isinstance(msg, dict) or msg.get("type") != "auth" or not isinstance(msg.get("token"), str):
            return None
        return verify_token(settings, msg["token"])
    except (AuthError, TimeoutError, orjson.JSONDecodeError, KeyError):
        return None


async def _pump(ws: WebSocket, hub: EventHub, sub: Subscriber, since: StreamId | None) -> None:
    last: StreamId = (0, 0)
    if since is not None:
        last = since
        async for sid, type_, text in hub.replay(since):
            if sub.wants(type_):
                await ws.send_text(text)
                metrics.WS_EVENTS_SENT.inc()
            last = sid
    beat = ws.app.state.settings.ws_heartbeat_s
    while True:
        # Take what is queued without suspending; wait (up to a heartbeat) only when empty.
        # `asyncio.timeout` rather than `wait_for`, which wraps every get in a new task — a cost
        # paid per event per console (500 consoles: 500 tasks an event).
        try:
            sid, text = sub.queue.get_nowait()
        except asyncio.QueueEmpty:
            try:
                async with asyncio.timeout(beat):
                    sid, text = await sub.queue.get()
            except TimeoutError:
                ts = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
                await ws.send_text(orjson.dumps({"type": "heartbeat", "ts": ts}).decode())
                continue
        if sid <= last:  # already sent by the replay
            continue
        await ws.send_text(text)
        metrics.WS_EVENTS_SENT.inc()
        last = sid


async def _drain_incoming(ws: WebSocket) -> None:
    # Consoles send nothing after auth; reading still notices a disconnect promptly.
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return


@router.websocket("/api/admin/events")
async def events(ws: WebSocket) -> None:
    await ws.accept()
    principal = await _authenticate(ws)
    if principal is None:
        await ws.close(CLOSE_UNAUTHENTICATED, "authentication required")
        return
    if not role_at_least(principal.roles, LEAST_ROLE):
        await ws.close(CLOSE_FORBIDDEN, f"the {LEAST_ROLE} role or above is required")
        return
    prefixes = tuple(p.strip() for p in ws.query_params.get("types", "").split(",") if p.strip())
    since: StreamId | None = None
    if ws.query_params.get("since"):
        try:
            since = parse_id(ws.query_params["since"])
        except ValueError:
            await ws.close(CLOSE_BAD_REQUEST, "since must be a stream id like 1700000000000-0")
            return

    hub: EventHub = ws.app.state.readpath.hub
    sub = hub.subscribe(prefixes)
    metrics.WS_CONNECTIONS.inc()
    tasks = {
        asyncio.create_task(_pump(ws, hub, sub, since)),
        asyncio.create_task(_drain_incoming(ws)),
        asyncio.create_task(sub.dropped.wait()),
    }
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.unsubscribe(sub)
        metrics.WS_CONNECTIONS.dec()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if sub.dropped.is_set():
        metrics.WS_DROPPED.inc()
        # The socket may be full (that is why we drop it): never wait on it for long.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(CLOSE_TOO_SLOW, "client too slow; reconnect with since"), 1.0)
        return
    for t in done:
        exc = t.exception() if not t.cancelled() else None
        if exc is not None and not isinstance(exc, WebSocketDisconnect):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(1011, "internal error"), 1.0)
