"""The `switchboard` command (SPEC §10): scripting Switchboard from a shell.

  switchboard migrate                           create the database if missing, migrate every schema
  switchboard token --sub S --role R [--ttl S]  print a signed JWT (HS256, SWITCHBOARD_JWT_SECRET)
  switchboard actions                           the catalogue, as the caller's token sees it
  switchboard act ACTION key=value…             run one action through POST /api/admin/action
  switchboard ssot                              the SSOT snapshot, pretty-printed
  switchboard events --follow [--types …]       the live event stream, one JSON line per event

The HTTP commands talk to the gateway at SWITCHBOARD_URL (default http://127.0.0.1:<GATEWAY_PORT>)
with the token in SWITCHBOARD_TOKEN or --token. Exit codes: 0 success, 1 the gateway refused or
failed, 2 bad usage or unreachable gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from services.common.settings import load

EXIT_REFUSED = 1
EXIT_USAGE = 2


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """`key=value` pairs → payload. A value is JSON when it parses (`5`, `true`, `{"a":1}`,
    `"05"`), else the raw string (`task=sleep`), so shell quoting stays light."""
    payload: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"expected key=value, got {item!r}")
        try:
            payload[key] = json.loads(raw)
        except json.JSONDecodeError:
            payload[key] = raw
    return payload


def gateway_url() -> str:
    url = os.environ.get("SWITCHBOARD_URL")
    if url:
        return url.rstrip("/")
    return f"http://127.0.0.1:{load().gateway_port}"


def _token(args: argparse.Namespace) -> str | None:
    return args.token or os.environ.get("SWITCHBOARD_TOKEN") or None


def _headers(args: argparse.Namespace) -> dict[str, str]:
    token = _token(args)
    return {"Authorization": f"Bearer {token}"} if token else {}


def _fail(message: str, code: int = EXIT_REFUSED) -> int:
    print(f"switchboard: {message}", file=sys.stderr)
    return code


def _problem(resp: httpx.Response) -> int:
    """Report a refused request: the body on stdout (scripts may parse it), title/detail on stderr."""
    try:
        body = resp.json()
    except ValueError:
        return _fail(f"HTTP {resp.status_code}: {resp.text[:500]}")
    print(json.dumps(body, indent=2))
    title = body.get("title") if isinstance(body, dict) else None
    detail = body.get("detail") if isinstance(body, dict) else None
    return _fail(f"HTTP {resp.status_code} {title or ''}: {detail or ''}".rstrip(": "))


def _get(args: argparse.Namespace, path: str) -> httpx.Response:
    return httpx.get(f"{gateway_url()}{path}", headers=_headers(args), timeout=args.timeout)


# ---------------------------------------------------------------- commands


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.common.migrate import migrate_all

    settings = load()
    try:
        schemas = migrate_all(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - psycopg/alembic errors: say which database, briefly
        from sqlalchemy.engine import make_url

        where = make_url(settings.database_url).render_as_string(hide_password=True)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(f"cannot migrate {where}: {first}")
    for schema in schemas:
        print(f"migrated {schema}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from gateway.auth import issue_token

    if args.ttl <= 0:
        return _fail("--ttl must be a positive number of seconds", EXIT_USAGE)
    print(issue_token(load(), args.sub, args.role or [], ttl_s=args.ttl))
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    resp = _get(args, "/api/admin/actions")
    if resp.status_code != 200:
        return _problem(resp)
    rows = [
        (a["name"], a["kind"], a["risk"], "yes" if a.get("allowed") else "no", a.get("summary", ""))
        for a in resp.json()["actions"]
    ]
    head = ("ACTION", "KIND", "RISK", "ALLOWED", "SUMMARY")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    return 0


def cmd_act(args: argparse.Namespace) -> int:
    try:
        payload = parse_assignments(args.fields)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    # Sent on every action: commands need one (HIGH/CRITICAL require it) and queries ignore it,
    # so the CLI need not fetch the catalogue to know the kind.
    headers = {**_headers(args), "Idempotency-Key": args.idempotency_key or str(uuid.uuid4())}
    resp = httpx.post(
        f"{gateway_url()}/api/admin/action",
        json={"action": args.action, "payload": payload},
        headers=headers,
        timeout=args.timeout,
    )
    if resp.status_code != 200:
        return _problem(resp)
    body = resp.json()
    if args.out:
        return _write_out(args.out, body)
    print(json.dumps(body, indent=2))
    return 0


def _write_out(path: str, body: dict[str, Any]) -> int:
    """An export's `data.content` as the file (CSV or JSON, as exported); any other answer as JSON.
    A one-line summary goes to stderr so stdout stays clean for pipes."""
    data = body.get("data") or {}
    content = data.get("content") if isinstance(data, dict) else None
    text = content if isinstance(content, str) else json.dumps(body, indent=2) + "\n"
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as exc:
        return _fail(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE)
    if isinstance(content, str):
        more = " (truncated: more rows matched than limit)" if data.get("truncated") else ""
        print(f"wrote {data.get('rows', '?')} {data.get('format', '')} rows to {path}{more}", file=sys.stderr)
    else:
        print(f"wrote the answer to {path}", file=sys.stderr)
    return 0


def cmd_ssot(args: argparse.Namespace) -> int:
    resp = _get(args, "/api/admin/ssot")
    if resp.status_code != 200:
        return _problem(resp)
    print(json.dumps(resp.json(), indent=2))
    return 0


async def _events(args: argparse.Namespace) -> int:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    query = {k: v for k, v in (("types", args.types), ("since", args.since)) if v}
    url = gateway_url().replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    url = f"{url}/api/admin/events" + (f"?{urlencode(query)}" if query else "")
    try:
        async with connect(url, additional_headers=_headers(args), open_timeout=args.timeout) as ws:
            while True:
                try:
                    # Without --follow: print what is there (the replay after --since), stop when quiet.
                    msg = await (ws.recv() if args.follow else asyncio.wait_for(ws.recv(), args.idle))
                except TimeoutError:
                    return 0
                text = msg if isinstance(msg, str) else msg.decode()
                if _is_event(text):
                    print(text, flush=True)
    except InvalidStatus as exc:
        return _fail(f"event stream refused: HTTP {exc.response.status_code}")
    except ConnectionClosed as exc:
        if exc.rcvd and exc.rcvd.code in (4401, 4403):
            return _fail(f"event stream refused: {exc.rcvd.code} {exc.rcvd.reason}")
        return _fail(f"event stream closed: {exc}")


def _is_event(text: str) -> bool:
    """Envelopes carry an `event_id`; keep-alive heartbeats do not and are not printed."""
    try:
        msg = json.loads(text)
    except json.JSONDecodeError:
        return True
    return not (isinstance(msg, dict) and msg.get("type") == "heartbeat" and "event_id" not in msg)


def cmd_events(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_events(args))
    except KeyboardInterrupt:
        return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="switchboard", description="Script the Switchboard admin control plane.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def http(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--token", help="bearer token (default: $SWITCHBOARD_TOKEN)")
        sp.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
        return sp

    sub.add_parser("migrate", help="create the database if missing and migrate every schema").set_defaults(
        func=cmd_migrate
    )

    t = sub.add_parser("token", help="print a signed JWT")
    t.add_argument("--sub", required=True, help="user id (the `sub` claim)")
    t.add_argument("--role", action="append", help="role (repeatable): viewer, operator, admin")
    t.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    t.set_defaults(func=cmd_token)

    http(sub.add_parser("actions", help="list the action catalogue")).set_defaults(func=cmd_actions)

    a = http(sub.add_parser("act", help="run one action"))
    a.add_argument("action", help="e.g. job.submit")
    a.add_argument("fields", nargs="*", metavar="key=value", help="payload fields; values parsed as JSON when they parse")
    a.add_argument("--idempotency-key", help="default: a fresh uuid4")
    a.add_argument("--out", metavar="FILE",
                   help="write the answer to FILE instead of stdout (an export: its CSV/JSON content)")
    a.set_defaults(func=cmd_act)

    http(sub.add_parser("ssot", help="print the SSOT snapshot")).set_defaults(func=cmd_ssot)

    e = http(sub.add_parser("events", help="print events, one JSON line each"))
    e.add_argument("--follow", action="store_true", help="keep printing new events until interrupted")
    e.add_argument("--types", help="type prefixes, e.g. job.,queue.")
    e.add_argument("--since", help="replay events after this stream id first")
    e.add_argument("--idle", type=float, default=1.0, help="without --follow: stop after this many quiet seconds")
    e.set_defaults(func=cmd_events)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (`switchboard events --follow | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (httpx.HTTPError, OSError) as exc:
        return _fail(f"cannot reach the gateway at {gateway_url()}: {exc}", EXIT_USAGE)


if __name__ == "__main__":
    sys.exit(main())
