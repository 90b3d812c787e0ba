from google.protobuf import struct_pb2 as _struct_pb2
from admin.v1 import action_pb2 as _action_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuditRecord(_message.Message):
    __slots__ = ("seq", "ts", "trace_id", "actor", "roles", "ip", "user_agent", "action", "risk", "payload", "outcome", "status", "error_code", "duration_ms", "prev_hash", "hash")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts: str
    trace_id: str
    actor: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    ip: str
    user_agent: str
    action: str
    risk: str
    payload: _struct_pb2.Struct
    outcome: str
    status: int
    error_code: str
    duration_ms: float
    prev_hash: str
    hash: str
    def __init__(self, seq: _Optional[int] = ..., ts: _Optional[str] = ..., trace_id: _Optional[str] = ..., actor: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., ip: _Optional[str] = ..., user_agent: _Optional[str] = ..., action: _Optional[str] = ..., risk: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., outcome: _Optional[str] = ..., status: _Optional[int] = ..., error_code: _Optional[str] = ..., duration_ms: _Optional[float] = ..., prev_hash: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class SearchAuditRequest(_message.Message):
    __slots__ = ("actor", "action", "outcome", "trace_id", "since", "until", "page_size", "page_token")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    actor: str
    action: str
    outcome: str
    trace_id: str
    since: str
    until: str
    page_size: int
    page_token: str
    def __init__(self, actor: _Optional[str] = ..., action: _Optional[str] = ..., outcome: _Optional[str] = ..., trace_id: _Optional[str] = ..., since: _Optional[str] = ..., until: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchAuditResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyAuditRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyAuditResponse(_message.Message):
    __slots__ = ("ok", "checked", "first_broken_seq")
    OK_FIELD_NUMBER: _ClassVar[int]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_SEQ_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    checked: int
    first_broken_seq: int
    def __init__(self, ok: _Optional[bool] = ..., checked: _Optional[int] = ..., first_broken_seq: _Optional[int] = ...) -> None: ...

class ExportAuditRequest(_message.Message):
    __slots__ = ("actor", "action", "outcome", "since", "until", "format", "limit")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    actor: str
    action: str
    outcome: str
    since: str
    until: str
    format: str
    limit: int
    def __init__(self, actor: _Optional[str] = ..., action: _Optional[str] = ..., outcome: _Optional[str] = ..., since: _Optional[str] = ..., until: _Optional[str] = ..., format: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ExportAuditResponse(_message.Message):
    __slots__ = ("format", "content", "count")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    format: str
    content: str
    count: int
    def __init__(self, format: _Optional[str] = ..., content: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class Breaker(_message.Message):
    __slots__ = ("service", "state", "fail_counter", "fail_max", "reset_timeout_s", "retry_after_s")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FAIL_COUNTER_FIELD_NUMBER: _ClassVar[int]
    FAIL_MAX_FIELD_NUMBER: _ClassVar[int]
    RESET_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_S_FIELD_NUMBER: _ClassVar[int]
    service: str
    state: str
    fail_counter: int
    fail_max: int
    reset_timeout_s: float
    retry_after_s: float
    def __init__(self, service: _Optional[str] = ..., state: _Optional[str] = ..., fail_counter: _Optional[int] = ..., fail_max: _Optional[int] = ..., reset_timeout_s: _Optional[float] = ..., retry_after_s: _Optional[float] = ...) -> None: ...

class ListCircuitsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCircuitsResponse(_message.Message):
    __slots__ = ("breakers",)
    BREAKERS_FIELD_NUMBER: _ClassVar[int]
    breakers: _containers.RepeatedCompositeFieldContainer[Breaker]
    def __init__(self, breakers: _Optional[_Iterable[_Union[Breaker, _Mapping]]] = ...) -> None: ...

class ResetCircuitRequest(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: str
    def __init__(self, service: _Optional[str] = ...) -> None: ...

class ResetCircuitResponse(_message.Message):
    __slots__ = ("breaker",)
    BREAKER_FIELD_NUMBER: _ClassVar[int]
    breaker: Breaker
    def __init__(self, breaker: _Optional[_Union[Breaker, _Mapping]] = ...) -> None: ...

class RateLimitWindow(_message.Message):
    __slots__ = ("name", "limit", "window_s", "used", "remaining", "reset_s")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    RESET_S_FIELD_NUMBER: _ClassVar[int]
    name: str
    limit: int
    window_s: int
    used: int
    remaining: int
    reset_s: float
    def __init__(self, name: _Optional[str] = ..., limit: _Optional[int] = ..., window_s: _Optional[int] = ..., used: _Optional[int] = ..., remaining: _Optional[int] = ..., reset_s: _Optional[float] = ...) -> None: ...

class RateLimitStatusRequest(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: str
    def __init__(self, user: _Optional[str] = ...) -> None: ...

class RateLimitStatusResponse(_message.Message):
    __slots__ = ("user", "windows")
    USER_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    user: str
    windows: _containers.RepeatedCompositeFieldContainer[RateLimitWindow]
    def __init__(self, user: _Optional[str] = ..., windows: _Optional[_Iterable[_Union[RateLimitWindow, _Mapping]]] = ...) -> None: ...

class ResetRateLimitRequest(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: str
    def __init__(self, user: _Optional[str] = ...) -> None: ...

class ResetRateLimitResponse(_message.Message):
    __slots__ = ("user", "windows_cleared")
    USER_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_CLEARED_FIELD_NUMBER: _ClassVar[int]
    user: str
    windows_cleared: int
    def __init__(self, user: _Optional[str] = ..., windows_cleared: _Optional[int] = ...) -> None: ...

class CacheStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CacheStatsResponse(_message.Message):
    __slots__ = ("hits", "misses", "stale", "fanouts", "invalidations", "hit_ratio", "cached", "ttl_s", "extra")
    HITS_FIELD_NUMBER: _ClassVar[int]
    MISSES_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    FANOUTS_FIELD_NUMBER: _ClassVar[int]
    INVALIDATIONS_FIELD_NUMBER: _ClassVar[int]
    HIT_RATIO_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    TTL_S_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    hits: int
    misses: int
    stale: int
    fanouts: int
    invalidations: int
    hit_ratio: float
    cached: bool
    ttl_s: float
    extra: _struct_pb2.Struct
    def __init__(self, hits: _Optional[int] = ..., misses: _Optional[int] = ..., stale: _Optional[int] = ..., fanouts: _Optional[int] = ..., invalidations: _Optional[int] = ..., hit_ratio: _Optional[float] = ..., cached: _Optional[bool] = ..., ttl_s: _Optional[float] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FlushCacheRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FlushCacheResponse(_message.Message):
    __slots__ = ("flushed",)
    FLUSHED_FIELD_NUMBER: _ClassVar[int]
    flushed: bool
    def __init__(self, flushed: _Optional[bool] = ...) -> None: ...
