from google.protobuf import struct_pb2 as _struct_pb2
from admin.v1 import action_pb2 as _action_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_PENDING: _ClassVar[JobStatus]
    JOB_STATUS_RUNNING: _ClassVar[JobStatus]
    JOB_STATUS_SUCCEEDED: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
    JOB_STATUS_CANCELLED: _ClassVar[JobStatus]
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_PENDING: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_SUCCEEDED: JobStatus
JOB_STATUS_FAILED: JobStatus
JOB_STATUS_CANCELLED: JobStatus

class Job(_message.Message):
    __slots__ = ("job_id", "task", "queue", "status", "priority", "attempts", "kwargs", "result", "error", "traceback", "retry_of", "worker", "trace_id", "created_by", "created_at", "started_at", "finished_at", "cancelled_at", "max_attempts", "eta", "schedule", "scheduled_for")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    RETRY_OF_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_AT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FOR_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    task: str
    queue: str
    status: JobStatus
    priority: int
    attempts: int
    kwargs: _struct_pb2.Struct
    result: _struct_pb2.Value
    error: str
    traceback: str
    retry_of: str
    worker: str
    trace_id: str
    created_by: str
    created_at: str
    started_at: str
    finished_at: str
    cancelled_at: str
    max_attempts: int
    eta: str
    schedule: str
    scheduled_for: str
    def __init__(self, job_id: _Optional[str] = ..., task: _Optional[str] = ..., queue: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., priority: _Optional[int] = ..., attempts: _Optional[int] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[str] = ..., traceback: _Optional[str] = ..., retry_of: _Optional[str] = ..., worker: _Optional[str] = ..., trace_id: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[str] = ..., started_at: _Optional[str] = ..., finished_at: _Optional[str] = ..., cancelled_at: _Optional[str] = ..., max_attempts: _Optional[int] = ..., eta: _Optional[str] = ..., schedule: _Optional[str] = ..., scheduled_for: _Optional[str] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("task", "kwargs", "queue", "priority", "eta", "countdown_s", "max_attempts")
    TASK_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    COUNTDOWN_S_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    task: str
    kwargs: _struct_pb2.Struct
    queue: str
    priority: int
    eta: str
    countdown_s: int
    max_attempts: int
    def __init__(self, task: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., queue: _Optional[str] = ..., priority: _Optional[int] = ..., eta: _Optional[str] = ..., countdown_s: _Optional[int] = ..., max_attempts: _Optional[int] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("status", "queue", "task", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    queue: str
    task: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class TerminateJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TerminateJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class RetryJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class RetryJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class RetryBulkRequest(_message.Message):
    __slots__ = ("status", "queue", "task", "older_than_s", "job_ids", "dry_run")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    queue: str
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class CancelBulkRequest(_message.Message):
    __slots__ = ("status", "queue", "task", "older_than_s", "job_ids", "dry_run")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    queue: str
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class BulkResponse(_message.Message):
    __slots__ = ("matched", "affected", "sample")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    matched: int
    affected: int
    sample: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, matched: _Optional[int] = ..., affected: _Optional[int] = ..., sample: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class DeleteJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class PromoteJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class PromoteJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class SetPriorityRequest(_message.Message):
    __slots__ = ("job_id", "priority")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    priority: int
    def __init__(self, job_id: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class SetPriorityResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class MarkStateRequest(_message.Message):
    __slots__ = ("job_id", "status", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: JobStatus
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class MarkStateResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("queue", "task", "page_size", "page_token")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    queue: str
    task: str
    page_size: int
    page_token: str
    def __init__(self, queue: _Optional[str] = ..., task: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RequeueDeadLettersRequest(_message.Message):
    __slots__ = ("queue", "task", "dry_run")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    queue: str
    task: str
    dry_run: bool
    def __init__(self, queue: _Optional[str] = ..., task: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class PurgeDeadLettersRequest(_message.Message):
    __slots__ = ("status", "queue", "task", "older_than_s", "job_ids", "dry_run")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    queue: str
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class StatusCounts(_message.Message):
    __slots__ = ("pending", "running", "succeeded", "failed", "cancelled")
    PENDING_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    pending: int
    running: int
    succeeded: int
    failed: int
    cancelled: int
    def __init__(self, pending: _Optional[int] = ..., running: _Optional[int] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., cancelled: _Optional[int] = ...) -> None: ...

class RunTimeMs(_message.Message):
    __slots__ = ("p50", "p95")
    P50_FIELD_NUMBER: _ClassVar[int]
    P95_FIELD_NUMBER: _ClassVar[int]
    p50: float
    p95: float
    def __init__(self, p50: _Optional[float] = ..., p95: _Optional[float] = ...) -> None: ...

class SummaryRequest(_message.Message):
    __slots__ = ("queue", "task", "window_s")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    queue: str
    task: str
    window_s: int
    def __init__(self, queue: _Optional[str] = ..., task: _Optional[str] = ..., window_s: _Optional[int] = ...) -> None: ...

class SummaryResponse(_message.Message):
    __slots__ = ("window_s", "total", "counts", "by_queue", "by_task", "dead_letters", "success_rate", "run_time_ms")
    class ByQueueEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ByTaskEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    BY_QUEUE_FIELD_NUMBER: _ClassVar[int]
    BY_TASK_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    RUN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    window_s: int
    total: int
    counts: StatusCounts
    by_queue: _containers.ScalarMap[str, int]
    by_task: _containers.ScalarMap[str, int]
    dead_letters: int
    success_rate: float
    run_time_ms: RunTimeMs
    def __init__(self, window_s: _Optional[int] = ..., total: _Optional[int] = ..., counts: _Optional[_Union[StatusCounts, _Mapping]] = ..., by_queue: _Optional[_Mapping[str, int]] = ..., by_task: _Optional[_Mapping[str, int]] = ..., dead_letters: _Optional[int] = ..., success_rate: _Optional[float] = ..., run_time_ms: _Optional[_Union[RunTimeMs, _Mapping]] = ...) -> None: ...

class TimeseriesRequest(_message.Message):
    __slots__ = ("queue", "task", "window_s", "bucket_s")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    BUCKET_S_FIELD_NUMBER: _ClassVar[int]
    queue: str
    task: str
    window_s: int
    bucket_s: int
    def __init__(self, queue: _Optional[str] = ..., task: _Optional[str] = ..., window_s: _Optional[int] = ..., bucket_s: _Optional[int] = ...) -> None: ...

class Bucket(_message.Message):
    __slots__ = ("start", "submitted", "succeeded", "failed", "cancelled")
    START_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    start: str
    submitted: int
    succeeded: int
    failed: int
    cancelled: int
    def __init__(self, start: _Optional[str] = ..., submitted: _Optional[int] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., cancelled: _Optional[int] = ...) -> None: ...

class TimeseriesResponse(_message.Message):
    __slots__ = ("bucket_s", "buckets")
    BUCKET_S_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    bucket_s: int
    buckets: _containers.RepeatedCompositeFieldContainer[Bucket]
    def __init__(self, bucket_s: _Optional[int] = ..., buckets: _Optional[_Iterable[_Union[Bucket, _Mapping]]] = ...) -> None: ...

class ExportJobsRequest(_message.Message):
    __slots__ = ("format", "status", "queue", "task", "older_than_s", "job_ids", "limit")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    format: str
    status: JobStatus
    queue: str
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, format: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class ExportMetricsRequest(_message.Message):
    __slots__ = ("format", "queue", "task", "window_s", "bucket_s", "limit")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    BUCKET_S_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    format: str
    queue: str
    task: str
    window_s: int
    bucket_s: int
    limit: int
    def __init__(self, format: _Optional[str] = ..., queue: _Optional[str] = ..., task: _Optional[str] = ..., window_s: _Optional[int] = ..., bucket_s: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ExportResponse(_message.Message):
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

class PeekJobsRequest(_message.Message):
    __slots__ = ("queue", "limit")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    queue: str
    limit: int
    def __init__(self, queue: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class PeekedMessage(_message.Message):
    __slots__ = ("job_id", "task", "priority")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    task: str
    priority: int
    def __init__(self, job_id: _Optional[str] = ..., task: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class PeekJobsResponse(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[PeekedMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[PeekedMessage, _Mapping]]] = ...) -> None: ...

class MoveJobsRequest(_message.Message):
    __slots__ = ("queue", "target_queue", "job_ids")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_QUEUE_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    queue: str
    target_queue: str
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queue: _Optional[str] = ..., target_queue: _Optional[str] = ..., job_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class MoveJobsResponse(_message.Message):
    __slots__ = ("moved",)
    MOVED_FIELD_NUMBER: _ClassVar[int]
    moved: int
    def __init__(self, moved: _Optional[int] = ...) -> None: ...

class CleanJobsRequest(_message.Message):
    __slots__ = ("queue", "status", "task", "older_than_s", "job_ids", "dry_run")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    queue: str
    status: JobStatus
    task: str
    older_than_s: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, queue: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., task: _Optional[str] = ..., older_than_s: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class SubmitScheduledJobRequest(_message.Message):
    __slots__ = ("task", "kwargs", "queue", "schedule", "scheduled_for")
    TASK_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FOR_FIELD_NUMBER: _ClassVar[int]
    task: str
    kwargs: _struct_pb2.Struct
    queue: str
    schedule: str
    scheduled_for: str
    def __init__(self, task: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., queue: _Optional[str] = ..., schedule: _Optional[str] = ..., scheduled_for: _Optional[str] = ...) -> None: ...

class SubmitScheduledJobResponse(_message.Message):
    __slots__ = ("job", "created")
    JOB_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    job: Job
    created: bool
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class CancelQueuedJobsRequest(_message.Message):
    __slots__ = ("queue", "dry_run")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    queue: str
    dry_run: bool
    def __init__(self, queue: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class CancelQueuedJobsResponse(_message.Message):
    __slots__ = ("cancelled",)
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    cancelled: int
    def __init__(self, cancelled: _Optional[int] = ...) -> None: ...

class CountJobsRequest(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    def __init__(self, queue: _Optional[str] = ...) -> None: ...

class CountJobsResponse(_message.Message):
    __slots__ = ("by_status",)
    class ByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    by_status: _containers.ScalarMap[str, int]
    def __init__(self, by_status: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ReapJobsRequest(_message.Message):
    __slots__ = ("timeout_s", "reason", "limit")
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    timeout_s: int
    reason: str
    limit: int
    def __init__(self, timeout_s: _Optional[int] = ..., reason: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ReapJobsResponse(_message.Message):
    __slots__ = ("job_ids",)
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PurgeJobsRequest(_message.Message):
    __slots__ = ("older_than_s", "limit")
    OLDER_THAN_S_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    older_than_s: int
    limit: int
    def __init__(self, older_than_s: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class PurgeJobsResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class JobsSection(_message.Message):
    __slots__ = ("recent", "dashboard")
    RECENT_FIELD_NUMBER: _ClassVar[int]
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    recent: _containers.RepeatedCompositeFieldContainer[Job]
    dashboard: JobsDashboard
    def __init__(self, recent: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., dashboard: _Optional[_Union[JobsDashboard, _Mapping]] = ...) -> None: ...

class JobsDashboard(_message.Message):
    __slots__ = ("jobs_by_status", "dead_letters", "jobs_delayed")
    class JobsByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    JOBS_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    JOBS_DELAYED_FIELD_NUMBER: _ClassVar[int]
    jobs_by_status: _containers.ScalarMap[str, int]
    dead_letters: int
    jobs_delayed: int
    def __init__(self, jobs_by_status: _Optional[_Mapping[str, int]] = ..., dead_letters: _Optional[int] = ..., jobs_delayed: _Optional[int] = ...) -> None: ...

class AnalyticsSection(_message.Message):
    __slots__ = ("summary",)
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    summary: SummaryResponse
    def __init__(self, summary: _Optional[_Union[SummaryResponse, _Mapping]] = ...) -> None: ...
