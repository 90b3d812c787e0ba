from google.protobuf import struct_pb2 as _struct_pb2
from admin.v1 import action_pb2 as _action_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Worker(_message.Message):
    __slots__ = ("hostname", "status", "queues", "pool_size", "concurrency", "active", "processed", "last_heartbeat")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    status: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    pool_size: int
    concurrency: int
    active: int
    processed: int
    last_heartbeat: str
    def __init__(self, hostname: _Optional[str] = ..., status: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., pool_size: _Optional[int] = ..., concurrency: _Optional[int] = ..., active: _Optional[int] = ..., processed: _Optional[int] = ..., last_heartbeat: _Optional[str] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("hostname", "ok", "message", "error")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    ok: bool
    message: str
    error: str
    def __init__(self, hostname: _Optional[str] = ..., ok: _Optional[bool] = ..., message: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class ControlResponse(_message.Message):
    __slots__ = ("replies", "no_reply")
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    NO_REPLY_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[Reply]
    no_reply: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, replies: _Optional[_Iterable[_Union[Reply, _Mapping]]] = ..., no_reply: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskRef(_message.Message):
    __slots__ = ("job_id", "task")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    task: str
    def __init__(self, job_id: _Optional[str] = ..., task: _Optional[str] = ...) -> None: ...

class InspectReply(_message.Message):
    __slots__ = ("hostname", "ok", "message", "error", "pool_size", "concurrency", "queues", "active", "reserved", "registered", "stats")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    ok: bool
    message: str
    error: str
    pool_size: int
    concurrency: int
    queues: _containers.RepeatedScalarFieldContainer[str]
    active: _containers.RepeatedCompositeFieldContainer[TaskRef]
    reserved: _containers.RepeatedCompositeFieldContainer[TaskRef]
    registered: _containers.RepeatedScalarFieldContainer[str]
    stats: _struct_pb2.Struct
    def __init__(self, hostname: _Optional[str] = ..., ok: _Optional[bool] = ..., message: _Optional[str] = ..., error: _Optional[str] = ..., pool_size: _Optional[int] = ..., concurrency: _Optional[int] = ..., queues: _Optional[_Iterable[str]] = ..., active: _Optional[_Iterable[_Union[TaskRef, _Mapping]]] = ..., reserved: _Optional[_Iterable[_Union[TaskRef, _Mapping]]] = ..., registered: _Optional[_Iterable[str]] = ..., stats: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListWorkersRequest(_message.Message):
    __slots__ = ("status", "queue")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    status: str
    queue: str
    def __init__(self, status: _Optional[str] = ..., queue: _Optional[str] = ...) -> None: ...

class ListWorkersResponse(_message.Message):
    __slots__ = ("workers",)
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    workers: _containers.RepeatedCompositeFieldContainer[Worker]
    def __init__(self, workers: _Optional[_Iterable[_Union[Worker, _Mapping]]] = ...) -> None: ...

class InspectWorkersRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class InspectWorkersResponse(_message.Message):
    __slots__ = ("replies", "no_reply")
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    NO_REPLY_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[InspectReply]
    no_reply: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, replies: _Optional[_Iterable[_Union[InspectReply, _Mapping]]] = ..., no_reply: _Optional[_Iterable[str]] = ...) -> None: ...

class PingWorkersRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class QuietWorkersRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class UnquietWorkersRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class ShutdownWorkersRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class PoolRestartRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class PoolGrowRequest(_message.Message):
    __slots__ = ("destination", "n")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    destination: str
    n: int
    def __init__(self, destination: _Optional[str] = ..., n: _Optional[int] = ...) -> None: ...

class PoolShrinkRequest(_message.Message):
    __slots__ = ("destination", "n")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    destination: str
    n: int
    def __init__(self, destination: _Optional[str] = ..., n: _Optional[int] = ...) -> None: ...

class AutoscaleRequest(_message.Message):
    __slots__ = ("destination", "max", "min")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    destination: str
    max: int
    min: int
    def __init__(self, destination: _Optional[str] = ..., max: _Optional[int] = ..., min: _Optional[int] = ...) -> None: ...

class AddConsumerRequest(_message.Message):
    __slots__ = ("destination", "queue_name")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    destination: str
    queue_name: str
    def __init__(self, destination: _Optional[str] = ..., queue_name: _Optional[str] = ...) -> None: ...

class CancelConsumerRequest(_message.Message):
    __slots__ = ("destination", "queue_name")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    destination: str
    queue_name: str
    def __init__(self, destination: _Optional[str] = ..., queue_name: _Optional[str] = ...) -> None: ...

class RateLimitRequest(_message.Message):
    __slots__ = ("destination", "task", "rate")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    destination: str
    task: str
    rate: str
    def __init__(self, destination: _Optional[str] = ..., task: _Optional[str] = ..., rate: _Optional[str] = ...) -> None: ...

class TimeLimitRequest(_message.Message):
    __slots__ = ("destination", "task", "soft", "hard")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    SOFT_FIELD_NUMBER: _ClassVar[int]
    HARD_FIELD_NUMBER: _ClassVar[int]
    destination: str
    task: str
    soft: float
    hard: float
    def __init__(self, destination: _Optional[str] = ..., task: _Optional[str] = ..., soft: _Optional[float] = ..., hard: _Optional[float] = ...) -> None: ...

class ForgetOfflineRequest(_message.Message):
    __slots__ = ("destination",)
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    destination: str
    def __init__(self, destination: _Optional[str] = ...) -> None: ...

class ForgetOfflineResponse(_message.Message):
    __slots__ = ("forgotten",)
    FORGOTTEN_FIELD_NUMBER: _ClassVar[int]
    forgotten: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, forgotten: _Optional[_Iterable[str]] = ...) -> None: ...

class WorkersSection(_message.Message):
    __slots__ = ("items", "dashboard")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Worker]
    dashboard: WorkersDashboard
    def __init__(self, items: _Optional[_Iterable[_Union[Worker, _Mapping]]] = ..., dashboard: _Optional[_Union[WorkersDashboard, _Mapping]] = ...) -> None: ...

class WorkersDashboard(_message.Message):
    __slots__ = ("workers_online", "workers_quiet", "workers_offline", "pool_processes", "active_tasks", "pool_sizes")
    class PoolSizesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    WORKERS_ONLINE_FIELD_NUMBER: _ClassVar[int]
    WORKERS_QUIET_FIELD_NUMBER: _ClassVar[int]
    WORKERS_OFFLINE_FIELD_NUMBER: _ClassVar[int]
    POOL_PROCESSES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_TASKS_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZES_FIELD_NUMBER: _ClassVar[int]
    workers_online: int
    workers_quiet: int
    workers_offline: int
    pool_processes: int
    active_tasks: int
    pool_sizes: _containers.ScalarMap[str, int]
    def __init__(self, workers_online: _Optional[int] = ..., workers_quiet: _Optional[int] = ..., workers_offline: _Optional[int] = ..., pool_processes: _Optional[int] = ..., active_tasks: _Optional[int] = ..., pool_sizes: _Optional[_Mapping[str, int]] = ...) -> None: ...
