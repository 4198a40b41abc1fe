from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RoleGrant(_message.Message):
    __slots__ = ("role", "agency", "jurisdiction")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    role: str
    agency: str
    jurisdiction: str
    def __init__(self, role: _Optional[str] = ..., agency: _Optional[str] = ..., jurisdiction: _Optional[str] = ...) -> None: ...

class Person(_message.Message):
    __slots__ = ("id", "full_name", "phone", "national_id", "date_of_birth", "sex", "home_address", "home_unit_code", "assurance_level", "roles", "organisation_ids", "has_password", "registered_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    HOME_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HOME_UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ASSURANCE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    ORGANISATION_IDS_FIELD_NUMBER: _ClassVar[int]
    HAS_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    full_name: str
    phone: str
    national_id: str
    date_of_birth: str
    sex: str
    home_address: str
    home_unit_code: str
    assurance_level: int
    roles: _containers.RepeatedCompositeFieldContainer[RoleGrant]
    organisation_ids: _containers.RepeatedScalarFieldContainer[str]
    has_password: bool
    registered_at: str
    def __init__(self, id: _Optional[str] = ..., full_name: _Optional[str] = ..., phone: _Optional[str] = ..., national_id: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., sex: _Optional[str] = ..., home_address: _Optional[str] = ..., home_unit_code: _Optional[str] = ..., assurance_level: _Optional[int] = ..., roles: _Optional[_Iterable[_Union[RoleGrant, _Mapping]]] = ..., organisation_ids: _Optional[_Iterable[str]] = ..., has_password: _Optional[bool] = ..., registered_at: _Optional[str] = ...) -> None: ...

class PersonSummary(_message.Message):
    __slots__ = ("id", "full_name", "assurance_level", "home_unit_code", "roles")
    ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    ASSURANCE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    HOME_UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    id: str
    full_name: str
    assurance_level: int
    home_unit_code: str
    roles: _containers.RepeatedCompositeFieldContainer[RoleGrant]
    def __init__(self, id: _Optional[str] = ..., full_name: _Optional[str] = ..., assurance_level: _Optional[int] = ..., home_unit_code: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[RoleGrant, _Mapping]]] = ...) -> None: ...

class RegisterCitizenRequest(_message.Message):
    __slots__ = ("full_name", "phone", "national_id", "date_of_birth", "sex", "home_address", "home_unit_code", "password")
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    HOME_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HOME_UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    full_name: str
    phone: str
    national_id: str
    date_of_birth: str
    sex: str
    home_address: str
    home_unit_code: str
    password: str
    def __init__(self, full_name: _Optional[str] = ..., phone: _Optional[str] = ..., national_id: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., sex: _Optional[str] = ..., home_address: _Optional[str] = ..., home_unit_code: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class RequestOtpRequest(_message.Message):
    __slots__ = ("phone",)
    PHONE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    def __init__(self, phone: _Optional[str] = ...) -> None: ...

class RequestOtpResponse(_message.Message):
    __slots__ = ("expires_in_seconds", "resend_after_seconds")
    EXPIRES_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESEND_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    expires_in_seconds: int
    resend_after_seconds: int
    def __init__(self, expires_in_seconds: _Optional[int] = ..., resend_after_seconds: _Optional[int] = ...) -> None: ...

class VerifyPersonRequest(_message.Message):
    __slots__ = ("person_id", "evidence")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    evidence: str
    def __init__(self, person_id: _Optional[str] = ..., evidence: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("access_token", "expires_in_seconds", "refresh_token", "token_type", "subject")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    expires_in_seconds: int
    refresh_token: str
    token_type: str
    subject: str
    def __init__(self, access_token: _Optional[str] = ..., expires_in_seconds: _Optional[int] = ..., refresh_token: _Optional[str] = ..., token_type: _Optional[str] = ..., subject: _Optional[str] = ...) -> None: ...

class SignInWithPasswordRequest(_message.Message):
    __slots__ = ("phone", "password")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    phone: str
    password: str
    def __init__(self, phone: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class SignInWithOtpRequest(_message.Message):
    __slots__ = ("phone", "code")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    code: str
    def __init__(self, phone: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class RefreshSessionRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class SignOutRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class SignOutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPersonRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class LookupPersonRequest(_message.Message):
    __slots__ = ("person_id", "phone")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    phone: str
    def __init__(self, person_id: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class GetAuditTrailRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("version", "event", "at", "actor", "detail")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    version: int
    event: str
    at: str
    actor: str
    detail: str
    def __init__(self, version: _Optional[int] = ..., event: _Optional[str] = ..., at: _Optional[str] = ..., actor: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class AuditTrail(_message.Message):
    __slots__ = ("person_id", "entries")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    def __init__(self, person_id: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ...) -> None: ...

class Organisation(_message.Message):
    __slots__ = ("id", "name", "tax_code", "kind", "unit_code", "address", "owner_id", "member_ids", "verified", "verified_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAX_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    tax_code: str
    kind: str
    unit_code: str
    address: str
    owner_id: str
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    verified: bool
    verified_by: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., tax_code: _Optional[str] = ..., kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., address: _Optional[str] = ..., owner_id: _Optional[str] = ..., member_ids: _Optional[_Iterable[str]] = ..., verified: _Optional[bool] = ..., verified_by: _Optional[str] = ...) -> None: ...

class RegisterOrganisationRequest(_message.Message):
    __slots__ = ("name", "tax_code", "kind", "unit_code", "address")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAX_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    tax_code: str
    kind: str
    unit_code: str
    address: str
    def __init__(self, name: _Optional[str] = ..., tax_code: _Optional[str] = ..., kind: _Optional[str] = ..., unit_code: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class OrganisationMemberRequest(_message.Message):
    __slots__ = ("organisation_id", "person_id")
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    person_id: str
    def __init__(self, organisation_id: _Optional[str] = ..., person_id: _Optional[str] = ...) -> None: ...

class VerifyOrganisationRequest(_message.Message):
    __slots__ = ("organisation_id",)
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    def __init__(self, organisation_id: _Optional[str] = ...) -> None: ...

class GetOrganisationRequest(_message.Message):
    __slots__ = ("organisation_id",)
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    def __init__(self, organisation_id: _Optional[str] = ...) -> None: ...

class RoleRequest(_message.Message):
    __slots__ = ("person_id", "grant")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    GRANT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    grant: RoleGrant
    def __init__(self, person_id: _Optional[str] = ..., grant: _Optional[_Union[RoleGrant, _Mapping]] = ...) -> None: ...

class RegisterMachineRequest(_message.Message):
    __slots__ = ("name", "kind")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ...) -> None: ...

class MachineCredentials(_message.Message):
    __slots__ = ("client_id", "client_secret")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_secret: str
    def __init__(self, client_id: _Optional[str] = ..., client_secret: _Optional[str] = ...) -> None: ...

class IssueMachineTokenRequest(_message.Message):
    __slots__ = ("client_id", "client_secret")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_secret: str
    def __init__(self, client_id: _Optional[str] = ..., client_secret: _Optional[str] = ...) -> None: ...

class GetPublicKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PublicKey(_message.Message):
    __slots__ = ("kid", "kty", "crv", "x", "alg", "use")
    KID_FIELD_NUMBER: _ClassVar[int]
    KTY_FIELD_NUMBER: _ClassVar[int]
    CRV_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    USE_FIELD_NUMBER: _ClassVar[int]
    kid: str
    kty: str
    crv: str
    x: str
    alg: str
    use: str
    def __init__(self, kid: _Optional[str] = ..., kty: _Optional[str] = ..., crv: _Optional[str] = ..., x: _Optional[str] = ..., alg: _Optional[str] = ..., use: _Optional[str] = ...) -> None: ...

class PublicKeys(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[PublicKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[PublicKey, _Mapping]]] = ...) -> None: ...

class GetAdministrativeUnitRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class AdministrativeUnit(_message.Message):
    __slots__ = ("code", "name", "name_en", "level", "parent_code")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., name_en: _Optional[str] = ..., level: _Optional[str] = ..., parent_code: _Optional[str] = ...) -> None: ...

class ListAdministrativeUnitsRequest(_message.Message):
    __slots__ = ("parent_code",)
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    parent_code: str
    def __init__(self, parent_code: _Optional[str] = ...) -> None: ...

class ListAdministrativeUnitsResponse(_message.Message):
    __slots__ = ("units",)
    UNITS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[AdministrativeUnit]
    def __init__(self, units: _Optional[_Iterable[_Union[AdministrativeUnit, _Mapping]]] = ...) -> None: ...
