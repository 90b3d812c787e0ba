"""Protobuf <-> the contract's JSON, compiled per message type at start-up (SPEC §3, §4).

- `json_schema(desc)`: the JSON Schema of a request message, for `/api/admin/actions` and OpenAPI.
- `Parser`: a payload dict -> request message, strict where `json_format.ParseDict` is lax
  (it accepts `"7"` for an int and `null` as the default): unknown fields, wrong types, out-of-range
  numbers and nulls are field errors, all reported at once.
- `Renderer`: a response message -> dict with every field (zero ones too), proto field names,
  64-bit integers as JSON numbers and enums as lowercase words without their prefix.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor
from google.protobuf.descriptor import FieldDescriptor as F

_INT_RANGES = {
    F.CPPTYPE_INT32: (-(2**31), 2**31 - 1), F.CPPTYPE_UINT32: (0, 2**32 - 1),
    F.CPPTYPE_INT64: (-(2**63), 2**63 - 1), F.CPPTYPE_UINT64: (0, 2**64 - 1),
}
_WKT_JSON = {"google.protobuf.Struct": {"type": "object"}, "google.protobuf.Value": {},
             "google.protobuf.ListValue": {"type": "array"}}


def enum_words(enum: EnumDescriptor) -> dict[int, str]:
    """number -> contract word: JOB_STATUS_CANCELLED -> "cancelled" (prefix = the enum's name)."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
    return {v.number: (v.name[len(prefix):] if v.name.startswith(prefix) else v.name).lower()
            for v in enum.values}


def _is_map(f: F) -> bool:
    return f.message_type is not None and f.message_type.GetOptions().map_entry


def _scalar_schema(f: F) -> dict[str, Any]:
    ct = f.cpp_type
    if ct in _INT_RANGES:
        lo, hi = _INT_RANGES[ct]
        return {"type": "integer", "minimum": lo, "maximum": hi}
    if ct in (F.CPPTYPE_DOUBLE, F.CPPTYPE_FLOAT):
        return {"type": "number"}
    if ct == F.CPPTYPE_BOOL:
        return {"type": "boolean"}
    if ct == F.CPPTYPE_ENUM:
        return {"type": "string", "enum": list(enum_words(f.enum_type).values())}
    if f.type == F.TYPE_BYTES:
        return {"type": "string", "contentEncoding": "base64"}
    if ct == F.CPPTYPE_STRING:
        return {"type": "string"}
    return _message_schema(f.message_type)


def _message_schema(desc: Descriptor) -> dict[str, Any]:
    if desc.full_name in _WKT_JSON:
        return dict(_WKT_JSON[desc.full_name])
    props: dict[str, Any] = {}
    for f in desc.fields:
        if _is_map(f):
            props[f.name] = {"type": "object",
                             "additionalProperties": _scalar_schema(f.message_type.fields_by_name["value"])}
        elif f.is_repeated:
            props[f.name] = {"type": "array", "items": _scalar_schema(f)}
        else:
            props[f.name] = _scalar_schema(f)
    return {"type": "object", "properties": props, "additionalProperties": False}


def json_schema(desc: Descriptor) -> dict[str, Any]:
    schema = _message_schema(desc)
    schema["title"] = desc.name
    return schema


class Parser:
    """dict -> message of one type; `parse` returns (message, errors[{field, message}])."""

    def __init__(self, desc: Descriptor) -> None:
        self.desc = desc
        from google.protobuf import message_factory

        self.cls = message_factory.GetMessageClass(desc)

    def parse(self, payload: dict[str, Any]) -> tuple[Any, list[dict[str, str]]]:
        errors: list[dict[str, str]] = []
        msg = self.cls()
        _fill(msg, self.desc, payload, "", errors)
        return msg, errors


def _err(errors: list[dict[str, str]], path: str, message: str) -> None:
    errors.append({"field": path, "message": message})


def _scalar(f: F, value: Any, path: str, errors: list[dict[str, str]]) -> tuple[bool, Any]:
    ct = f.cpp_type
    if value is None:
        _err(errors, path, "must not be null")
    elif ct in _INT_RANGES:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            _err(errors, path, "must be an integer")
        elif not _INT_RANGES[ct][0] <= value <= _INT_RANGES[ct][1]:
            _err(errors, path, f"must be between {_INT_RANGES[ct][0]} and {_INT_RANGES[ct][1]}")
        else:
            return True, value
    elif ct in (F.CPPTYPE_DOUBLE, F.CPPTYPE_FLOAT):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            _err(errors, path, "must be a number")
        else:
            return True, float(value)
    elif ct == F.CPPTYPE_BOOL:
        if not isinstance(value, bool):
            _err(errors, path, "must be true or false")
        else:
            return True, value
    elif ct == F.CPPTYPE_ENUM:
        words = enum_words(f.enum_type)
        by_word = {w: n for n, w in words.items()}
        if isinstance(value, str) and value in by_word:
            return True, by_word[value]
        _err(errors, path, f"must be one of {sorted(by_word)}")
    elif f.type == F.TYPE_BYTES:
        try:
            return True, base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            _err(errors, path, "must be base64")
    elif ct == F.CPPTYPE_STRING:
        if not isinstance(value, str):
            _err(errors, path, "must be a string")
        elif "\x00" in value:
            _err(errors, path, NUL_MESSAGE)
        else:
            return True, value
    return False, None


# PostgreSQL stores no NUL character in text or jsonb; refused here, with the field named, rather
# than failing deep in a service or the audit writer.
NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


def _nul_path(data: Any, path: str) -> str | None:
    """The first place in a JSON value holding a NUL character (in a key or a string), or None."""
    if isinstance(data, str):
        return path if "\x00" in data else None
    if isinstance(data, dict):
        for k, v in data.items():
            sub = f"{path}.{k}" if path else str(k)
            if "\x00" in str(k):
                return sub
            found = _nul_path(v, sub)
            if found is not None:
                return found
    if isinstance(data, list):
        for i, v in enumerate(data):
            found = _nul_path(v, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _fill(msg: Any, desc: Descriptor, data: Any, prefix: str, errors: list[dict[str, str]]) -> None:
    if desc.full_name in _WKT_JSON:
        expected = {"google.protobuf.Struct": dict, "google.protobuf.ListValue": list}.get(desc.full_name)
        if expected is not None and not isinstance(data, expected):
            _err(errors, prefix, "must be an object" if expected is dict else "must be an array")
            return
        nul = _nul_path(data, prefix)
        if nul is not None:
            _err(errors, nul, NUL_MESSAGE)
            return
        try:
            json_format.ParseDict(data, msg)
        except json_format.ParseError as exc:
            _err(errors, prefix, str(exc))
        return
    if not isinstance(data, dict):
        _err(errors, prefix, "must be an object")
        return
    fields = desc.fields_by_name
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        f = fields.get(key)
        if f is None:
            _err(errors, path, "unknown field")
            continue
        if value is None and not _is_json_value(f):  # google.protobuf.Value: null is a JSON value
            _err(errors, path, "must not be null")
        elif _is_map(f):
            _fill_map(getattr(msg, key), f, value, path, errors)
        elif f.is_repeated:
            if not isinstance(value, list):
                _err(errors, path, "must be an array")
                continue
            target = getattr(msg, key)
            for i, item in enumerate(value):
                if f.cpp_type == F.CPPTYPE_MESSAGE:
                    _fill(target.add(), f.message_type, item, f"{path}[{i}]", errors)
                else:
                    ok, v = _scalar(f, item, f"{path}[{i}]", errors)
                    if ok:
                        target.append(v)
        elif f.cpp_type == F.CPPTYPE_MESSAGE:
            sub = getattr(msg, key)
            sub.SetInParent()
            _fill(sub, f.message_type, value, path, errors)
        else:
            ok, v = _scalar(f, value, path, errors)
            if ok:
                setattr(msg, key, v)


def _is_json_value(f: F) -> bool:
    return f.message_type is not None and f.message_type.full_name == "google.protobuf.Value" and not f.is_repeated


def _fill_map(target: Any, f: F, value: Any, path: str, errors: list[dict[str, str]]) -> None:
    if not isinstance(value, dict):
        _err(errors, path, "must be an object")
        return
    vf = f.message_type.fields_by_name["value"]
    for k, v in value.items():
        if vf.cpp_type == F.CPPTYPE_MESSAGE:
            _fill(target[k], vf.message_type, v, f"{path}.{k}", errors)
        else:
            ok, parsed = _scalar(vf, v, f"{path}.{k}", errors)
            if ok:
                target[k] = parsed


def _tidy(v: Any) -> Any:
    # Struct numbers are doubles; 30.0 reads better, and round-trips, as 30.
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, dict):
        return {k: _tidy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_tidy(x) for x in v]
    return v


class Renderer:
    """message -> dict; the per-field conversion is decided once, here, not per response."""

    def __init__(self, desc: Descriptor) -> None:
        self._plan = [(f.name, _converter(f)) for f in desc.fields]

    def render(self, msg: Any) -> dict[str, Any]:
        return {name: conv(msg, name) for name, conv in self._plan}


def _value_converter(f: F):  # noqa: ANN202 - returns a small closure
    if f.cpp_type == F.CPPTYPE_ENUM:
        words = enum_words(f.enum_type)
        return lambda v: words.get(v, str(v))
    if f.cpp_type == F.CPPTYPE_MESSAGE:
        if f.message_type.full_name.startswith("google.protobuf."):
            return lambda v: _tidy(json_format.MessageToDict(v))
        sub = Renderer(f.message_type)
        return sub.render
    if f.type == F.TYPE_BYTES:
        return lambda v: base64.b64encode(v).decode()
    return None


def _converter(f: F):  # noqa: ANN202
    conv = _value_converter(f)
    name = f.name
    if _is_map(f):
        vconv = _value_converter(f.message_type.fields_by_name["value"]) or (lambda v: v)
        return lambda m, n: {k: vconv(v) for k, v in getattr(m, n).items()}
    if f.is_repeated:
        if conv is None:
            return lambda m, n: list(getattr(m, n))
        return lambda m, n: [conv(v) for v in getattr(m, n)]
    if f.cpp_type == F.CPPTYPE_MESSAGE:
        empty: dict[str, Any] | None = {} if f.message_type.full_name == "google.protobuf.Struct" else None
        return lambda m, n: conv(getattr(m, n)) if m.HasField(n) else empty
    if conv is None:
        return lambda m, n: getattr(m, n)
    del name
    return lambda m, n: conv(getattr(m, n))
