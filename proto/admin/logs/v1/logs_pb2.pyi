from google.protobuf import struct_pb2 as _struct_pb2
from admin.v1 import action_pb2 as _action_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LogRecord(_message.Message):
    __slots__ = ("id", "ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra")
    ID_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    LOGGER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    id: str
    ts: str
    level: str
    component: str
    logger: str
    message: str
    trace_id: str
    job_id: str
    extra: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., ts: _Optional[str] = ..., level: _Optional[str] = ..., component: _Optional[str] = ..., logger: _Optional[str] = ..., message: _Optional[str] = ..., trace_id: _Optional[str] = ..., job_id: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConfigEntry(_message.Message):
    __slots__ = ("key", "value", "version", "updated_at", "updated_by", "comment")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: _struct_pb2.Value
    version: int
    updated_at: str
    updated_by: str
    comment: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., version: _Optional[int] = ..., updated_at: _Optional[str] = ..., updated_by: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class SearchLogsRequest(_message.Message):
    __slots__ = ("level", "component", "trace_id", "job_id", "since", "until", "text", "page_size", "page_token")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    level: str
    component: str
    trace_id: str
    job_id: str
    since: str
    until: str
    text: str
    page_size: int
    page_token: str
    def __init__(self, level: _Optional[str] = ..., component: _Optional[str] = ..., trace_id: _Optional[str] = ..., job_id: _Optional[str] = ..., since: _Optional[str] = ..., until: _Optional[str] = ..., text: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchLogsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[LogRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[LogRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TailLogsRequest(_message.Message):
    __slots__ = ("since", "level", "component", "trace_id", "job_id", "text", "limit")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    since: str
    level: str
    component: str
    trace_id: str
    job_id: str
    text: str
    limit: int
    def __init__(self, since: _Optional[str] = ..., level: _Optional[str] = ..., component: _Optional[str] = ..., trace_id: _Optional[str] = ..., job_id: _Optional[str] = ..., text: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class TailLogsResponse(_message.Message):
    __slots__ = ("records", "last_id")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    LAST_ID_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[LogRecord]
    last_id: str
    def __init__(self, records: _Optional[_Iterable[_Union[LogRecord, _Mapping]]] = ..., last_id: _Optional[str] = ...) -> None: ...

class JobLogsRequest(_message.Message):
    __slots__ = ("job_id", "page_size", "page_token")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    page_size: int
    page_token: str
    def __init__(self, job_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class JobLogsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[LogRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[LogRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MinuteCount(_message.Message):
    __slots__ = ("minute", "count")
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    minute: str
    count: int
    def __init__(self, minute: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class LogStatsRequest(_message.Message):
    __slots__ = ("since", "until", "component")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    since: str
    until: str
    component: str
    def __init__(self, since: _Optional[str] = ..., until: _Optional[str] = ..., component: _Optional[str] = ...) -> None: ...

class LogStatsResponse(_message.Message):
    __slots__ = ("total", "by_level", "by_component", "per_minute", "dropped", "retention_days")
    class ByLevelEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ByComponentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    BY_COMPONENT_FIELD_NUMBER: _ClassVar[int]
    PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    total: int
    by_level: _containers.ScalarMap[str, int]
    by_component: _containers.ScalarMap[str, int]
    per_minute: _containers.RepeatedCompositeFieldContainer[MinuteCount]
    dropped: int
    retention_days: int
    def __init__(self, total: _Optional[int] = ..., by_level: _Optional[_Mapping[str, int]] = ..., by_component: _Optional[_Mapping[str, int]] = ..., per_minute: _Optional[_Iterable[_Union[MinuteCount, _Mapping]]] = ..., dropped: _Optional[int] = ..., retention_days: _Optional[int] = ...) -> None: ...

class SetLogLevelRequest(_message.Message):
    __slots__ = ("component", "level")
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    component: str
    level: str
    def __init__(self, component: _Optional[str] = ..., level: _Optional[str] = ...) -> None: ...

class SetLogLevelResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: ConfigEntry
    def __init__(self, entry: _Optional[_Union[ConfigEntry, _Mapping]] = ...) -> None: ...

class ExportLogsRequest(_message.Message):
    __slots__ = ("level", "component", "trace_id", "job_id", "since", "until", "text", "format", "limit")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    level: str
    component: str
    trace_id: str
    job_id: str
    since: str
    until: str
    text: str
    format: str
    limit: int
    def __init__(self, level: _Optional[str] = ..., component: _Optional[str] = ..., trace_id: _Optional[str] = ..., job_id: _Optional[str] = ..., since: _Optional[str] = ..., until: _Optional[str] = ..., text: _Optional[str] = ..., format: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ExportLogsResponse(_message.Message):
    __slots__ = ("format", "content", "rows", "truncated")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    format: str
    content: str
    rows: int
    truncated: bool
    def __init__(self, format: _Optional[str] = ..., content: _Optional[str] = ..., rows: _Optional[int] = ..., truncated: _Optional[bool] = ...) -> None: ...

class PurgeLogsRequest(_message.Message):
    __slots__ = ("older_than_s", "until", "component", "trace_id", "job_id", "dry_run")
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    older_than_s: int
    until: str
    component: str
    trace_id: str
    job_id: str
    dry_run: bool
    def __init__(self, older_than_s: _Optional[int] = ..., until: _Optional[str] = ..., component: _Optional[str] = ..., trace_id: _Optional[str] = ..., job_id: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class PurgeLogsResponse(_message.Message):
    __slots__ = ("matched", "affected")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_FIELD_NUMBER: _ClassVar[int]
    matched: int
    affected: int
    def __init__(self, matched: _Optional[int] = ..., affected: _Optional[int] = ...) -> None: ...

class SetRetentionRequest(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: int
    def __init__(self, days: _Optional[int] = ...) -> None: ...

class SetRetentionResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: ConfigEntry
    def __init__(self, entry: _Optional[_Union[ConfigEntry, _Mapping]] = ...) -> None: ...

class ApplyRetentionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApplyRetentionResponse(_message.Message):
    __slots__ = ("purged", "retention_days")
    PURGED_FIELD_NUMBER: _ClassVar[int]
    RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    purged: int
    retention_days: int
    def __init__(self, purged: _Optional[int] = ..., retention_days: _Optional[int] = ...) -> None: ...

class LogsSection(_message.Message):
    __slots__ = ("recent", "dashboard")
    RECENT_FIELD_NUMBER: _ClassVar[int]
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    recent: _containers.RepeatedCompositeFieldContainer[LogRecord]
    dashboard: LogsDashboard
    def __init__(self, recent: _Optional[_Iterable[_Union[LogRecord, _Mapping]]] = ..., dashboard: _Optional[_Union[LogsDashboard, _Mapping]] = ...) -> None: ...

class LogsDashboard(_message.Message):
    __slots__ = ("warnings_last_hour", "errors_last_hour")
    WARNINGS_LAST_HOUR_FIELD_NUMBER: _ClassVar[int]
    ERRORS_LAST_HOUR_FIELD_NUMBER: _ClassVar[int]
    warnings_last_hour: int
    errors_last_hour: int
    def __init__(self, warnings_last_hour: _Optional[int] = ..., errors_last_hour: _Optional[int] = ...) -> None: ...
