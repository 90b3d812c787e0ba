"""GET /api/admin/events (WebSocket) and the cache invalidator's consumer group, against real
gateways, the real queue service and the real Redis stream."""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import time
from datetime import UTC, datetime

import httpx
import orjson
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from admin.queue.v1 import queue_pb2
from gateway.auth import issue_token
from gateway.readpath.cache import GEN, KEY
from gateway.readpath.invalidator import GROUP
from services.common.context import new_trace_id
from services.common.events import STREAM, encode
from tests.gateway.readpath.conftest import Gateway, call_meta, wait_quiet

ENVELOPE = {"id", "event_id", "type", "source", "ts", "trace_id", "actor", "data"}


def connect(gw: Gateway, token: str | None = None, query: str = "", **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return websockets.connect(gw.ws_url + query, additional_headers=headers, open_timeout=10, **kw)


async def recv_json(ws, timeout: float = 5.0) -> dict:
    return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))


async def subscribed(ws, timeout: float = 5.0) -> None:
    """Barrier: the hub sends a heartbeat only from a subscribed socket with nothing queued, so once
    one arrives, every later event reaches this socket."""
    while (await recv_json(ws, timeout)).get("type") != "heartbeat":
        pass


async def events_for(ws, queue_name: str, n: int, timeout: float = 5.0) -> list[dict]:
    """The next `n` events about `queue_name` (others, and heartbeats, are skipped)."""
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        msg = await recv_json(ws, max(deadline - time.monotonic(), 0.01))
        if msg.get("data", {}).get("queue_name") == queue_name:
            out.append(msg)
    return out


@pytest.fixture(scope="module")
def token(settings) -> str:
    return issue_token(settings, "vera", ["viewer"])


async def test_unauthenticated_sockets_are_closed_with_4401(gateway: Gateway, settings) -> None:
    async def close_code(ws) -> int:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 8)
        return ws.close_code

    async with connect(gateway, "not-a-jwt") as ws:
        assert await close_code(ws) == 4401
    async with connect(gateway) as ws:
        await ws.send(orjson.dumps({"type": "auth", "token": "forged"}).decode())
        assert await close_code(ws) == 4401
    async with connect(gateway) as ws:  # says nothing: refused after the 5 s grace
        started = time.monotonic()
        assert await close_code(ws) == 4401
        assert 4 < time.monotonic() - started < 7.5
    async with connect(gateway, issue_token(settings, "nobody", [])) as ws:
        assert await close_code(ws) == 4403


async def test_idle_sockets_get_heartbeats(gateway: Gateway, token: str) -> None:
    async with connect(gateway, token, "?types=nothing.matches.") as ws:
        beat = await recv_json(ws, 3)  # every 1 s in these tests (15 s by default)
    assert beat["type"] == "heartbeat" and "id" not in beat


async def test_events_carry_the_envelope_and_the_actions_trace(gateway: Gateway, token: str, queues, my_queue) -> None:
    async with connect(gateway) as ws:
        # Browsers cannot set headers: the token may come as the first message instead.
        await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
        await subscribed(ws)
        trace = new_trace_id()
        await asyncio.to_thread(
            queues.PauseQueue, queue_pb2.PauseQueueRequest(queue_name=my_queue),
            metadata=call_meta(trace, actor="olga"), timeout=10,
        )
        [event] = await events_for(ws, my_queue, 1)
    assert set(event) == ENVELOPE
    assert event["type"] == "queue.paused" and event["source"] == "queue"
    assert event["trace_id"] == trace and event["actor"] == "olga"
    assert datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).tzinfo is not None
    assert len(event["event_id"]) == 36 and "-" in event["id"]


async def test_type_filter_and_resume_with_since(gateway: Gateway, token: str, queues, my_queue) -> None:
    def act(rpc: str) -> None:
        req = getattr(queue_pb2, f"{rpc}QueueRequest")(queue_name=my_queue)
        getattr(queues, f"{rpc}Queue")(req, metadata=call_meta(new_trace_id()), timeout=10)

    async with connect(gateway, token, "?types=queue.") as ws:
        await subscribed(ws)
        await asyncio.to_thread(act, "Pause")
        [first] = await events_for(ws, my_queue, 1)
    # Missed while disconnected:
    for rpc in ("Resume", "Pause", "Resume"):
        await asyncio.to_thread(act, rpc)
    async with connect(gateway, token, f"?types=queue.,job.&since={first['id']}") as ws:
        missed = await events_for(ws, my_queue, 3)
        await asyncio.to_thread(act, "Pause")
        [live] = await events_for(ws, my_queue, 1)
        # Nothing about this queue arrives twice.
        with pytest.raises(TimeoutError):
            await events_for(ws, my_queue, 1, timeout=0.5)
    assert [e["type"] for e in missed] == ["queue.resumed", "queue.paused", "queue.resumed"]
    ids = [first["id"], *(e["id"] for e in missed), live["id"]]
    assert len(set(ids)) == 5 and live["type"] == "queue.paused"
    assert all(e["type"].startswith("queue.") for e in [*missed, live])

    async with connect(gateway, token, "?types=job.") as ws:  # the filter drops queue events
        await subscribed(ws)
        await asyncio.to_thread(act, "Resume")
        with pytest.raises(TimeoutError):
            await events_for(ws, my_queue, 1, timeout=0.7)


def stalled_client(gw: Gateway, token: str, query: str) -> socket.socket:
    """A console that completes the WebSocket handshake and then never reads. A raw socket with a
    small fixed receive buffer: a client library would keep reading into its own memory, and the
    kernel would otherwise buffer megabytes before anything pushes back."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32_768)
    sock.connect(("127.0.0.1", gw.port))
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    sock.sendall(
        f"GET /api/admin/events{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    sock.settimeout(5)
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # byte by byte: leave every frame in the socket
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def drain_until_closed(sock: socket.socket, timeout: float) -> tuple[int, int | None]:
    """Read what the server had buffered for the stalled client until it is cut off: (events
    received, close code — None when the server could only drop the connection)."""
    buf, pos, events = b"", 0, 0
    deadline = time.monotonic() + timeout
    sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        if not chunk:
            return events, None
        buf += chunk
        while True:  # server frames are unmasked: opcode, length (7, 16 or 64 bits), payload
            if len(buf) - pos < 2:
                break
            opcode, n, head = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, 2
            if n == 126:
                n, head = int.from_bytes(buf[pos + 2:pos + 4]), 4
            elif n == 127:
                n, head = int.from_bytes(buf[pos + 2:pos + 10]), 10
            if len(buf) - pos < head + n:
                break
            if opcode == 8:
                return events, int.from_bytes(buf[pos + head:pos + head + 2])
            events += opcode == 1
            pos += head + n
    raise AssertionError("the stalled client was never disconnected")


async def test_a_stalled_client_is_dropped_and_never_delays_another(gateway: Gateway, token: str, rds) -> None:
    tag = f"stall-{secrets.token_hex(3)}"
    # 400 x 64 kB overflow the stalled client's socket buffers and then its queue (100 events);
    # paced, so the healthy reader (whose queue is just as small) is never 100 events behind.
    big = "x" * 64_000
    stalled = stalled_client(gateway, token, "?types=test.")
    async with connect(gateway, token, "?types=test.") as reader:
        await subscribed(reader)
        ids = []
        started = time.monotonic()
        for i in range(400):
            await asyncio.sleep(0.002)
            ids.append(rds.xadd(STREAM, encode({
                "event_id": f"{tag}-{i}", "type": "test.big", "source": "test", "ts": datetime.now(UTC),
                "trace_id": new_trace_id(), "actor": "system", "data": {"i": i, "pad": big},
            })))
        got = []
        while len(got) < 400:
            got.append((await recv_json(reader, 10))["data"]["i"])
        elapsed = time.monotonic() - started
    assert got == list(range(400))
    assert elapsed < 8, f"the reader waited {elapsed:.1f}s"
    # The stalled client was cut off after what the socket and its queue could hold.
    received, code = await asyncio.to_thread(drain_until_closed, stalled, 15)
    assert received < 300
    assert code in (1013, None)
    stalled.close()
    metrics = httpx.get(gateway.url + "/metrics", timeout=5).text
    [dropped] = [line for line in metrics.splitlines() if line.startswith("switchboard_ws_dropped_total ")]
    assert float(dropped.split()[1]) >= 1
    rds.xdel(STREAM, *ids)


async def test_entries_left_pending_by_a_dead_replica_are_claimed(gateway: Gateway, viewer, rds) -> None:
    wait_quiet(rds)
    first = httpx.get(gateway.url + "/api/admin/ssot", headers=viewer, timeout=10)
    assert rds.exists(KEY)
    gen0 = rds.get(GEN)
    # A replica that read an event and died before acking it: read as its consumer, in the same
    # transaction as the XADD, so no live replica can be handed the entry first.
    pipe = rds.pipeline(transaction=True)
    pipe.xadd(STREAM, encode({
        "event_id": f"dead-{secrets.token_hex(4)}", "type": "test.orphaned", "source": "test",
        "ts": datetime.now(UTC), "trace_id": new_trace_id(), "actor": "system", "data": {},
    }))
    pipe.xreadgroup(GROUP, "dead-replica", {STREAM: ">"}, count=10)
    entry_id, _ = pipe.execute()
    assert rds.xpending_range(STREAM, GROUP, min=entry_id, max=entry_id, count=1)[0]["consumer"] == b"dead-replica"
    # Nobody else saw it, so the snapshot is untouched...
    time.sleep(0.5)
    assert rds.get(GEN) == gen0
    assert httpx.get(gateway.url + "/api/admin/ssot", headers=viewer, timeout=10).headers["etag"] == first.headers["etag"]
    # ...until a live replica claims the entry (pending > 1.5 s in these tests) and handles it:
    # the snapshot is refreshed in place (a new version, still served as a hit).
    deadline = time.monotonic() + 8
    while rds.get(GEN) == gen0 or rds.xpending_range(STREAM, GROUP, min=entry_id, max=entry_id, count=1):
        assert time.monotonic() < deadline, "the orphaned entry was never claimed"
        time.sleep(0.1)
    resp = httpx.get(gateway.url + "/api/admin/ssot", headers=viewer, timeout=10)
    assert resp.json()["version"] > first.json()["version"]
