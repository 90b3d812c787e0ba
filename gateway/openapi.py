"""`/openapi.json`: FastAPI's document plus the action endpoint, whose body is a union of one
schema per catalogue action discriminated by `action` — generated clients and API fuzzers learn
every payload from the same descriptors the router uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.catalogue import Action

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "success", "action", "trace_id", "code", "errors"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "success": {"type": "boolean", "const": False},
        "action": {"type": ["string", "null"]}, "trace_id": {"type": "string"}, "code": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
SUCCESS = {
    "type": "object", "required": ["success", "action", "trace_id", "duration_ms", "data"],
    "properties": {"success": {"type": "boolean", "const": True}, "action": {"type": "string"},
                   "trace_id": {"type": "string"}, "duration_ms": {"type": "number"},
                   "data": {"type": "object"}},
}


def _component(name: str) -> str:
    return "Action_" + name.replace(".", "_")


def add_action_endpoint(doc: dict[str, Any], catalogue: Mapping[str, Action]) -> dict[str, Any]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for a in catalogue.values():
        schemas[_component(a.name)] = {
            "type": "object", "title": a.name, "description": a.summary, "required": ["action", "payload"],
            "additionalProperties": False,
            "properties": {"action": {"type": "string", "enum": [a.name]}, "payload": dict(a.payload_schema)},
        }
    schemas["Problem"] = PROBLEM
    schemas["ActionSuccess"] = SUCCESS
    refs = {a.name: f"#/components/schemas/{_component(a.name)}" for a in catalogue.values()}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses: dict[str, Any] = {
        "200": {"description": "The action ran", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ActionSuccess"}}}}}
    for code, why in (("400", "Invalid request"), ("401", "Not authenticated"), ("403", "Not allowed"),
                      ("404", "Not found"), ("409", "Conflict or idempotent request in flight"),
                      ("413", "Body over 64 KiB"), ("415", "Not JSON"), ("422", "Idempotency key reused"),
                      ("429", "Rate limited"), ("500", "Service failure"), ("501", "Not implemented"),
                      ("503", "Unavailable, maintenance or circuit open"), ("504", "Deadline exceeded")):
        responses[code] = {"description": why, "content": problem}
    doc.setdefault("paths", {})["/api/admin/action"] = {"post": {
        "operationId": "runAction", "summary": "Run one catalogue action",
        "parameters": [
            {"name": "Idempotency-Key", "in": "header", "required": False,
             "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"}},
            {"name": "traceparent", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "oneOf": [{"$ref": r} for r in refs.values()],
            "discriminator": {"propertyName": "action", "mapping": refs}}}}},
        "responses": responses,
        "security": [{"bearer": []}],
    }}
    doc["components"].setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    # FastAPI documents every route as JSON; /metrics serves Prometheus' text exposition format.
    metrics = doc["paths"].get("/metrics", {}).get("get")
    if metrics is not None:
        metrics["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return doc
