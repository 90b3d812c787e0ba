from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Risk(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_UNSPECIFIED: _ClassVar[Risk]
    RISK_LOW: _ClassVar[Risk]
    RISK_HIGH: _ClassVar[Risk]
    RISK_CRITICAL: _ClassVar[Risk]

class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KIND_UNSPECIFIED: _ClassVar[Kind]
    KIND_QUERY: _ClassVar[Kind]
    KIND_COMMAND: _ClassVar[Kind]
RISK_UNSPECIFIED: Risk
RISK_LOW: Risk
RISK_HIGH: Risk
RISK_CRITICAL: Risk
KIND_UNSPECIFIED: Kind
KIND_QUERY: Kind
KIND_COMMAND: Kind
ACTION_FIELD_NUMBER: _ClassVar[int]
action: _descriptor.FieldDescriptor
SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
snapshot: _descriptor.FieldDescriptor

class ActionOptions(_message.Message):
    __slots__ = ("name", "permission", "risk", "kind", "view", "summary", "rate_limit_per_min", "timeout_ms", "min_role")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_MIN_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    MIN_ROLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    permission: str
    risk: Risk
    kind: Kind
    view: str
    summary: str
    rate_limit_per_min: int
    timeout_ms: int
    min_role: str
    def __init__(self, name: _Optional[str] = ..., permission: _Optional[str] = ..., risk: _Optional[_Union[Risk, str]] = ..., kind: _Optional[_Union[Kind, str]] = ..., view: _Optional[str] = ..., summary: _Optional[str] = ..., rate_limit_per_min: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., min_role: _Optional[str] = ...) -> None: ...

class SnapshotOptions(_message.Message):
    __slots__ = ("sections",)
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    sections: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, sections: _Optional[_Iterable[str]] = ...) -> None: ...

class GetSectionRequest(_message.Message):
    __slots__ = ("section",)
    SECTION_FIELD_NUMBER: _ClassVar[int]
    section: str
    def __init__(self, section: _Optional[str] = ...) -> None: ...

class GetSectionResponse(_message.Message):
    __slots__ = ("section",)
    SECTION_FIELD_NUMBER: _ClassVar[int]
    section: _any_pb2.Any
    def __init__(self, section: _Optional[_Union[_any_pb2.Any, _Mapping]] = ...) -> None: ...
