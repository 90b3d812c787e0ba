from admin.v1 import action_pb2 as _action_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Maintenance(_message.Message):
    __slots__ = ("enabled", "reason", "since", "actor")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    reason: str
    since: str
    actor: str
    def __init__(self, enabled: _Optional[bool] = ..., reason: _Optional[str] = ..., since: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class Announcement(_message.Message):
    __slots__ = ("message", "level", "until")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    message: str
    level: str
    until: str
    def __init__(self, message: _Optional[str] = ..., level: _Optional[str] = ..., until: _Optional[str] = ...) -> None: ...

class Component(_message.Message):
    __slots__ = ("name", "status", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: str
    detail: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class GetHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHealthResponse(_message.Message):
    __slots__ = ("status", "components")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    status: str
    components: _containers.RepeatedCompositeFieldContainer[Component]
    def __init__(self, status: _Optional[str] = ..., components: _Optional[_Iterable[_Union[Component, _Mapping]]] = ...) -> None: ...

class ServiceReport(_message.Message):
    __slots__ = ("name", "status", "version", "replicas")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: str
    version: str
    replicas: int
    def __init__(self, name: _Optional[str] = ..., status: _Optional[str] = ..., version: _Optional[str] = ..., replicas: _Optional[int] = ...) -> None: ...

class QueueReport(_message.Message):
    __slots__ = ("name", "paused", "depth")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    name: str
    paused: bool
    depth: int
    def __init__(self, name: _Optional[str] = ..., paused: _Optional[bool] = ..., depth: _Optional[int] = ...) -> None: ...

class WorkerCounts(_message.Message):
    __slots__ = ("online", "quiet", "offline")
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    QUIET_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    online: int
    quiet: int
    offline: int
    def __init__(self, online: _Optional[int] = ..., quiet: _Optional[int] = ..., offline: _Optional[int] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("generated_at", "services", "queues", "workers", "config_version", "maintenance", "announcement", "text")
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCEMENT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    generated_at: str
    services: _containers.RepeatedCompositeFieldContainer[ServiceReport]
    queues: _containers.RepeatedCompositeFieldContainer[QueueReport]
    workers: WorkerCounts
    config_version: int
    maintenance: Maintenance
    announcement: Announcement
    text: str
    def __init__(self, generated_at: _Optional[str] = ..., services: _Optional[_Iterable[_Union[ServiceReport, _Mapping]]] = ..., queues: _Optional[_Iterable[_Union[QueueReport, _Mapping]]] = ..., workers: _Optional[_Union[WorkerCounts, _Mapping]] = ..., config_version: _Optional[int] = ..., maintenance: _Optional[_Union[Maintenance, _Mapping]] = ..., announcement: _Optional[_Union[Announcement, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class GetReportRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class EnableMaintenanceRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class EnableMaintenanceResponse(_message.Message):
    __slots__ = ("maintenance",)
    MAINTENANCE_FIELD_NUMBER: _ClassVar[int]
    maintenance: Maintenance
    def __init__(self, maintenance: _Optional[_Union[Maintenance, _Mapping]] = ...) -> None: ...

class DisableMaintenanceRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DisableMaintenanceResponse(_message.Message):
    __slots__ = ("maintenance",)
    MAINTENANCE_FIELD_NUMBER: _ClassVar[int]
    maintenance: Maintenance
    def __init__(self, maintenance: _Optional[_Union[Maintenance, _Mapping]] = ...) -> None: ...

class PauseAllRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class PauseAllResponse(_message.Message):
    __slots__ = ("paused_queues", "quieted_workers")
    PAUSED_QUEUES_FIELD_NUMBER: _ClassVar[int]
    QUIETED_WORKERS_FIELD_NUMBER: _ClassVar[int]
    paused_queues: _containers.RepeatedScalarFieldContainer[str]
    quieted_workers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, paused_queues: _Optional[_Iterable[str]] = ..., quieted_workers: _Optional[_Iterable[str]] = ...) -> None: ...

class ResumeAllRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResumeAllResponse(_message.Message):
    __slots__ = ("resumed_queues", "unquieted_workers")
    RESUMED_QUEUES_FIELD_NUMBER: _ClassVar[int]
    UNQUIETED_WORKERS_FIELD_NUMBER: _ClassVar[int]
    resumed_queues: _containers.RepeatedScalarFieldContainer[str]
    unquieted_workers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, resumed_queues: _Optional[_Iterable[str]] = ..., unquieted_workers: _Optional[_Iterable[str]] = ...) -> None: ...

class AnnounceRequest(_message.Message):
    __slots__ = ("message", "level", "until")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    message: str
    level: str
    until: str
    def __init__(self, message: _Optional[str] = ..., level: _Optional[str] = ..., until: _Optional[str] = ...) -> None: ...

class AnnounceResponse(_message.Message):
    __slots__ = ("announcement",)
    ANNOUNCEMENT_FIELD_NUMBER: _ClassVar[int]
    announcement: Announcement
    def __init__(self, announcement: _Optional[_Union[Announcement, _Mapping]] = ...) -> None: ...

class SchemaStats(_message.Message):
    __slots__ = ("name", "tables", "rows", "size_bytes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    tables: int
    rows: int
    size_bytes: int
    def __init__(self, name: _Optional[str] = ..., tables: _Optional[int] = ..., rows: _Optional[int] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class GetDbStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDbStatsResponse(_message.Message):
    __slots__ = ("database", "size_bytes", "connections", "schemas")
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    SCHEMAS_FIELD_NUMBER: _ClassVar[int]
    database: str
    size_bytes: int
    connections: int
    schemas: _containers.RepeatedCompositeFieldContainer[SchemaStats]
    def __init__(self, database: _Optional[str] = ..., size_bytes: _Optional[int] = ..., connections: _Optional[int] = ..., schemas: _Optional[_Iterable[_Union[SchemaStats, _Mapping]]] = ...) -> None: ...

class VacuumRequest(_message.Message):
    __slots__ = ("table", "full")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    FULL_FIELD_NUMBER: _ClassVar[int]
    table: str
    full: bool
    def __init__(self, table: _Optional[str] = ..., full: _Optional[bool] = ...) -> None: ...

class VacuumResponse(_message.Message):
    __slots__ = ("tables", "duration_ms")
    TABLES_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedScalarFieldContainer[str]
    duration_ms: float
    def __init__(self, tables: _Optional[_Iterable[str]] = ..., duration_ms: _Optional[float] = ...) -> None: ...

class AnalyzeRequest(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: str
    def __init__(self, table: _Optional[str] = ...) -> None: ...

class AnalyzeResponse(_message.Message):
    __slots__ = ("tables", "duration_ms")
    TABLES_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedScalarFieldContainer[str]
    duration_ms: float
    def __init__(self, tables: _Optional[_Iterable[str]] = ..., duration_ms: _Optional[float] = ...) -> None: ...

class CleanupRequest(_message.Message):
    __slots__ = ("status", "queue", "task", "older_than_s", "job_ids", "dry_run")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    status: str
    queue: str
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, status: _Optional[str] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class CleanupResponse(_message.Message):
    __slots__ = ("matched", "affected", "sample")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    matched: int
    affected: int
    sample: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, matched: _Optional[int] = ..., affected: _Optional[int] = ..., sample: _Optional[_Iterable[str]] = ...) -> None: ...

class SchemaRevision(_message.Message):
    __slots__ = ("name", "revision", "head", "up_to_date")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    UP_TO_DATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    revision: str
    head: str
    up_to_date: bool
    def __init__(self, name: _Optional[str] = ..., revision: _Optional[str] = ..., head: _Optional[str] = ..., up_to_date: _Optional[bool] = ...) -> None: ...

class GetMigrationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetMigrationsResponse(_message.Message):
    __slots__ = ("schemas",)
    SCHEMAS_FIELD_NUMBER: _ClassVar[int]
    schemas: _containers.RepeatedCompositeFieldContainer[SchemaRevision]
    def __init__(self, schemas: _Optional[_Iterable[_Union[SchemaRevision, _Mapping]]] = ...) -> None: ...

class BrokerQueue(_message.Message):
    __slots__ = ("name", "messages")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    name: str
    messages: int
    def __init__(self, name: _Optional[str] = ..., messages: _Optional[int] = ...) -> None: ...

class GetBrokerStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBrokerStatsResponse(_message.Message):
    __slots__ = ("broker", "version", "used_memory_bytes", "connected_clients", "queues")
    BROKER_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    USED_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_CLIENTS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    broker: str
    version: str
    used_memory_bytes: int
    connected_clients: int
    queues: _containers.RepeatedCompositeFieldContainer[BrokerQueue]
    def __init__(self, broker: _Optional[str] = ..., version: _Optional[str] = ..., used_memory_bytes: _Optional[int] = ..., connected_clients: _Optional[int] = ..., queues: _Optional[_Iterable[_Union[BrokerQueue, _Mapping]]] = ...) -> None: ...

class ConsumerGroup(_message.Message):
    __slots__ = ("name", "consumers", "pending", "last_delivered_id", "lag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    LAST_DELIVERED_ID_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    consumers: int
    pending: int
    last_delivered_id: str
    lag: int
    def __init__(self, name: _Optional[str] = ..., consumers: _Optional[int] = ..., pending: _Optional[int] = ..., last_delivered_id: _Optional[str] = ..., lag: _Optional[int] = ...) -> None: ...

class GetEventStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetEventStatsResponse(_message.Message):
    __slots__ = ("stream", "length", "first_id", "last_id", "groups")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    FIRST_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    stream: str
    length: int
    first_id: str
    last_id: str
    groups: _containers.RepeatedCompositeFieldContainer[ConsumerGroup]
    def __init__(self, stream: _Optional[str] = ..., length: _Optional[int] = ..., first_id: _Optional[str] = ..., last_id: _Optional[str] = ..., groups: _Optional[_Iterable[_Union[ConsumerGroup, _Mapping]]] = ...) -> None: ...

class ReplayEventsRequest(_message.Message):
    __slots__ = ("since", "until", "types")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    since: str
    until: str
    types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, since: _Optional[str] = ..., until: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplayEventsResponse(_message.Message):
    __slots__ = ("replayed",)
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    def __init__(self, replayed: _Optional[int] = ...) -> None: ...

class SystemSection(_message.Message):
    __slots__ = ("maintenance", "announcement", "paused_all", "health", "breakers")
    class BreakersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MAINTENANCE_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCEMENT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_ALL_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    BREAKERS_FIELD_NUMBER: _ClassVar[int]
    maintenance: Maintenance
    announcement: Announcement
    paused_all: bool
    health: GetHealthResponse
    breakers: _containers.ScalarMap[str, str]
    def __init__(self, maintenance: _Optional[_Union[Maintenance, _Mapping]] = ..., announcement: _Optional[_Union[Announcement, _Mapping]] = ..., paused_all: _Optional[bool] = ..., health: _Optional[_Union[GetHealthResponse, _Mapping]] = ..., breakers: _Optional[_Mapping[str, str]] = ...) -> None: ...
