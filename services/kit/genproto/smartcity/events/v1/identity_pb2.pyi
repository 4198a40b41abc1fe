from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CitizenRegistered(_message.Message):
    __slots__ = ("citizen_id", "home_unit_code")
    CITIZEN_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    citizen_id: str
    home_unit_code: str
    def __init__(self, citizen_id: _Optional[str] = ..., home_unit_code: _Optional[str] = ...) -> None: ...

class CitizenAssuranceRaised(_message.Message):
    __slots__ = ("citizen_id", "assurance_level", "verified_by")
    CITIZEN_ID_FIELD_NUMBER: _ClassVar[int]
    ASSURANCE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    citizen_id: str
    assurance_level: int
    verified_by: str
    def __init__(self, citizen_id: _Optional[str] = ..., assurance_level: _Optional[int] = ..., verified_by: _Optional[str] = ...) -> None: ...

class OrganisationRegistered(_message.Message):
    __slots__ = ("organisation_id", "name", "tax_code", "kind", "unit_code", "owner_id")
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAX_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    name: str
    tax_code: str
    kind: str
    unit_code: str
    owner_id: str
    def __init__(self, organisation_id: _Optional[str] = ..., name: _Optional[str] = ..., tax_code: _Optional[str] = ..., kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class OrganisationVerified(_message.Message):
    __slots__ = ("organisation_id", "name", "tax_code", "kind", "unit_code", "owner_id", "member_ids", "verified_by")
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAX_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    name: str
    tax_code: str
    kind: str
    unit_code: str
    owner_id: str
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    verified_by: str
    def __init__(self, organisation_id: _Optional[str] = ..., name: _Optional[str] = ..., tax_code: _Optional[str] = ..., kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., owner_id: _Optional[str] = ..., member_ids: _Optional[_Iterable[str]] = ..., verified_by: _Optional[str] = ...) -> None: ...

class OrganisationMemberAdded(_message.Message):
    __slots__ = ("organisation_id", "person_id")
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    person_id: str
    def __init__(self, organisation_id: _Optional[str] = ..., person_id: _Optional[str] = ...) -> None: ...

class OrganisationMemberRemoved(_message.Message):
    __slots__ = ("organisation_id", "person_id")
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    person_id: str
    def __init__(self, organisation_id: _Optional[str] = ..., person_id: _Optional[str] = ...) -> None: ...

class RoleGranted(_message.Message):
    __slots__ = ("person_id", "role", "agency", "jurisdiction", "granted_by")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    role: str
    agency: str
    jurisdiction: str
    granted_by: str
    def __init__(self, person_id: _Optional[str] = ..., role: _Optional[str] = ..., agency: _Optional[str] = ..., jurisdiction: _Optional[str] = ..., granted_by: _Optional[str] = ...) -> None: ...

class RoleRevoked(_message.Message):
    __slots__ = ("person_id", "role", "agency", "jurisdiction", "revoked_by")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    role: str
    agency: str
    jurisdiction: str
    revoked_by: str
    def __init__(self, person_id: _Optional[str] = ..., role: _Optional[str] = ..., agency: _Optional[str] = ..., jurisdiction: _Optional[str] = ..., revoked_by: _Optional[str] = ...) -> None: ...
