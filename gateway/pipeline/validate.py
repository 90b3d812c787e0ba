"""Step 1 — validate & trace: the trace id, then a JSON body of shape {"action", "payload"} no
larger than 64 KiB naming a known action (413 / 415 / 400, none of them audited)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from gateway.catalogue import Action
from gateway.pipeline.call import Call, Handler, Reply, invalid, problem
from services.common.context import new_trace_id, parse_traceparent, valid_trace_id

MAX_BODY = 64 * 1024


def trace_id_of(headers: Mapping[str, str]) -> str:
    """Continue a valid W3C traceparent, else a valid X-Trace-Id, else start a trace (never refuse)."""
    return (parse_traceparent(headers.get("traceparent"))
            or valid_trace_id((headers.get("x-trace-id") or "").strip())
            or new_trace_id())


def _is_json(content_type: str) -> bool:
    mt = content_type.split(";", 1)[0].strip().lower()
    return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))


async def _read_body(call: Call) -> bytes | None:
    """The body, or None when it grows past MAX_BODY (stop reading: never buffer a huge body)."""
    chunks, size = [], 0
    async for chunk in call.request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(call: Call) -> Reply:
    return problem(call, 413, f"request body exceeds {MAX_BODY} bytes", code="PAYLOAD_TOO_LARGE",
                   type_="/problems/payload-too-large")


def wrap(next_: Handler, catalogue: Mapping[str, Action]) -> Handler:
    async def validate(call: Call) -> Reply:
        headers = call.request.headers
        call.trace_id = trace_id_of(headers)
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY:
            return _too_large(call)
        if not _is_json(headers.get("content-type", "")):
            return problem(call, 415, "Content-Type must be application/json",
                           code="UNSUPPORTED_MEDIA_TYPE", type_="/problems/unsupported-media-type")
        body = await _read_body(call)
        if body is None:
            return _too_large(call)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return invalid(call, "body is not valid JSON", [{"field": "", "message": "malformed JSON"}])
        if not isinstance(doc, dict):
            return invalid(call, "body must be an object {\"action\": ..., \"payload\": {...}}")
        action = doc.get("action")
        if isinstance(action, str):
            call.action_name = action
        errors = [{"field": k, "message": "unknown field"} for k in doc if k not in ("action", "payload")]
        if not isinstance(action, str) or not action:
            errors.append({"field": "action", "message": "must be a non-empty string"})
        payload = doc.get("payload", {})
        if not isinstance(payload, dict):
            errors.append({"field": "payload", "message": "must be an object"})
        if errors:
            return invalid(call, "body must be {\"action\": str, \"payload\": object}", errors)
        call.action = catalogue.get(action) if isinstance(action, str) else None
        if call.action is None:
            return invalid(call, f"unknown action {action!r}", [{"field": "action", "message": "unknown action"}])
        call.payload = payload
        return await next_(call)

    return validate
