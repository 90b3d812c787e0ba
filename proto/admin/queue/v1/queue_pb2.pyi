from admin.v1 import action_pb2 as _action_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Queue(_message.Message):
    __slots__ = ("queue_name", "description", "paused", "depth", "created_at", "updated_at", "rate_limit_per_s")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_S_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    description: str
    paused: bool
    depth: int
    created_at: str
    updated_at: str
    rate_limit_per_s: float
    def __init__(self, queue_name: _Optional[str] = ..., description: _Optional[str] = ..., paused: _Optional[bool] = ..., depth: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., rate_limit_per_s: _Optional[float] = ...) -> None: ...

class ListQueuesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListQueuesResponse(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[Queue]
    def __init__(self, queues: _Optional[_Iterable[_Union[Queue, _Mapping]]] = ...) -> None: ...

class GetQueueRequest(_message.Message):
    __slots__ = ("queue_name",)
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    def __init__(self, queue_name: _Optional[str] = ...) -> None: ...

class GetQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class CreateQueueRequest(_message.Message):
    __slots__ = ("queue_name", "description")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    description: str
    def __init__(self, queue_name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class PauseQueueRequest(_message.Message):
    __slots__ = ("queue_name",)
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    def __init__(self, queue_name: _Optional[str] = ...) -> None: ...

class PauseQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class ResumeQueueRequest(_message.Message):
    __slots__ = ("queue_name",)
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    def __init__(self, queue_name: _Optional[str] = ...) -> None: ...

class ResumeQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class ClearQueueRequest(_message.Message):
    __slots__ = ("queue_name", "dry_run")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    dry_run: bool
    def __init__(self, queue_name: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ClearQueueResponse(_message.Message):
    __slots__ = ("cleared", "purged", "dry_run")
    CLEARED_FIELD_NUMBER: _ClassVar[int]
    PURGED_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    cleared: int
    purged: int
    dry_run: bool
    def __init__(self, cleared: _Optional[int] = ..., purged: _Optional[int] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class PeekQueueRequest(_message.Message):
    __slots__ = ("queue_name", "limit")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    limit: int
    def __init__(self, queue_name: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class PeekedMessage(_message.Message):
    __slots__ = ("job_id", "task", "priority")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    task: str
    priority: int
    def __init__(self, job_id: _Optional[str] = ..., task: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class PeekQueueResponse(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[PeekedMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[PeekedMessage, _Mapping]]] = ...) -> None: ...

class MoveQueueRequest(_message.Message):
    __slots__ = ("queue_name", "target_queue", "job_ids")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_QUEUE_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    target_queue: str
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queue_name: _Optional[str] = ..., target_queue: _Optional[str] = ..., job_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class MoveQueueResponse(_message.Message):
    __slots__ = ("moved",)
    MOVED_FIELD_NUMBER: _ClassVar[int]
    moved: int
    def __init__(self, moved: _Optional[int] = ...) -> None: ...

class CleanQueueRequest(_message.Message):
    __slots__ = ("queue_name", "status", "task", "older_than_s", "job_ids", "dry_run")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    status: str
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, queue_name: _Optional[str] = ..., status: _Optional[str] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class CleanQueueResponse(_message.Message):
    __slots__ = ("matched", "affected", "sample")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    matched: int
    affected: int
    sample: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, matched: _Optional[int] = ..., affected: _Optional[int] = ..., sample: _Optional[_Iterable[str]] = ...) -> None: ...

class SetRateLimitRequest(_message.Message):
    __slots__ = ("queue_name", "rate_limit_per_s")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_S_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    rate_limit_per_s: float
    def __init__(self, queue_name: _Optional[str] = ..., rate_limit_per_s: _Optional[float] = ...) -> None: ...

class SetRateLimitResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class DeleteQueueRequest(_message.Message):
    __slots__ = ("queue_name", "force")
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    queue_name: str
    force: bool
    def __init__(self, queue_name: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class DeleteQueueResponse(_message.Message):
    __slots__ = ("queue", "cancelled")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    cancelled: int
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ..., cancelled: _Optional[int] = ...) -> None: ...

class QueuesSection(_message.Message):
    __slots__ = ("items", "dashboard")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Queue]
    dashboard: QueuesDashboard
    def __init__(self, items: _Optional[_Iterable[_Union[Queue, _Mapping]]] = ..., dashboard: _Optional[_Union[QueuesDashboard, _Mapping]] = ...) -> None: ...

class QueuesDashboard(_message.Message):
    __slots__ = ("queue_depths", "queues_paused")
    class QueueDepthsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    QUEUE_DEPTHS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_PAUSED_FIELD_NUMBER: _ClassVar[int]
    queue_depths: _containers.ScalarMap[str, int]
    queues_paused: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queue_depths: _Optional[_Mapping[str, int]] = ..., queues_paused: _Optional[_Iterable[str]] = ...) -> None: ...
