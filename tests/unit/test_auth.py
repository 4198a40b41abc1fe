"""kit.auth: access tokens, key rotation, passwords and policy checks."""

import base64
import json
import os
import stat

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kit.auth import (
    MAX_ACCESS_TOKEN_TTL_SECONDS,
    KeyRing,
    Kind,
    Principal,
    Role,
    RoleGrant,
    SigningKey,
    TokenVerifier,
    bearer_token,
    hash_password,
    hash_secret,
    issue_access_token,
    needs_rehash,
    new_secret,
    public_keys_from_jwks,
    require_assurance,
    require_authenticated,
    require_jurisdiction,
    require_role,
    require_self_or_role,
    secret_matches,
    verify_password,
)
from kit.errors import InvalidArgument, PermissionDenied, Unauthenticated

T0 = 1_800_000_000


class FakeClock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class FakeIdentity:
    """Serves the key ring's JWKS and counts fetches; can be taken down."""

    def __init__(self, ring):
        self.ring = ring
        self.fetches = 0
        self.down = False

    def __call__(self):
        self.fetches += 1
        if self.down:
            raise ConnectionError("identity unreachable")
        return self.ring.public_jwks()


STAFF = Principal(
    subject="user-1",
    kind=Kind.PERSON,
    roles=(
        RoleGrant(Role.AGENCY_STAFF, agency="police", jurisdiction="760"),
        RoleGrant(Role.CITIZEN),
    ),
    assurance_level=2,
    organisations=("org-9",),
)


@pytest.fixture
def ring():
    return KeyRing([SigningKey.generate()])


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def identity(ring):
    return FakeIdentity(ring)


@pytest.fixture
def verifier(identity, clock):
    return TokenVerifier(identity, clock=clock)


def issue(ring, principal=STAFF, **kwargs):
    kwargs.setdefault("now", T0)
    return issue_access_token(ring, principal, **kwargs)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header, claims, signature=b"signature"):
    return ".".join(b64url(json.dumps(part).encode()) for part in (header, claims)) + "." + b64url(signature)


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def expect_unauthenticated(verifier, token, fragment):
    with pytest.raises(Unauthenticated) as raised:
        verifier.verify(token)
    assert fragment in str(raised.value)


# --- tokens -----------------------------------------------------------------


def test_round_trip_keeps_every_principal_field(ring, verifier):
    principal = verifier.verify(issue(ring))

    assert principal.subject == "user-1"
    assert principal.kind == "person"
    assert principal.roles == STAFF.roles
    assert principal.assurance_level == 2
    assert principal.organisations == ("org-9",)
    assert principal.token_id
    assert principal.expires_at == T0 + 900
    assert principal.has_role(Role.AGENCY_STAFF) and not principal.has_role(Role.ADMINISTRATOR)
    assert principal.grants(Role.AGENCY_STAFF) == [RoleGrant("agency_staff", "police", "760")]


def test_token_carries_the_documented_claims_and_kid(ring):
    token = issue(ring)

    assert jwt.get_unverified_header(token)["kid"] == ring.active.kid
    assert claims_of(token) | {"jti": "x"} == {
        "iss": "smartcity-identity",
        "aud": "smartcity",
        "sub": "user-1",
        "iat": T0,
        "nbf": T0,
        "exp": T0 + 900,
        "jti": "x",
        "kind": "person",
        "aal": 2,
        "roles": [["agency_staff", "police", "760"], ["citizen", "", ""]],
        "orgs": ["org-9"],
    }


def test_tokens_are_standard_eddsa_jwts(ring):
    key = jwt.PyJWK(ring.active.public_jwk())
    assert jwt.decode(issue(ring, now=None), key, audience="smartcity")["sub"] == "user-1"


def test_each_token_gets_its_own_id(ring):
    assert claims_of(issue(ring))["jti"] != claims_of(issue(ring))["jti"]


@pytest.mark.parametrize("ttl, lifetime", [(60, 60), (900, 900), (3600, MAX_ACCESS_TOKEN_TTL_SECONDS)])
def test_ttl_is_capped_at_fifteen_minutes(ring, ttl, lifetime):
    claims = claims_of(issue(ring, ttl_seconds=ttl))
    assert claims["exp"] - claims["iat"] == lifetime


def test_issue_refuses_a_non_positive_ttl_and_unknown_kind(ring):
    with pytest.raises(InvalidArgument):
        issue(ring, ttl_seconds=0)
    with pytest.raises(InvalidArgument):
        issue(ring, Principal("x", "robot", ()))


def test_machine_principal_round_trips(ring, verifier):
    machine = Principal("svc-traffic", Kind.MACHINE, (RoleGrant(Role.MACHINE),))
    principal = verifier.verify(issue(ring, machine))
    assert principal.kind == "machine" and principal.has_role("machine")


def test_audience_may_be_a_list_holding_ours(ring, verifier):
    claims = claims_of(issue(ring)) | {"aud": ["other", "smartcity"]}
    assert verifier.verify(ring.sign(claims)).subject == "user-1"


def test_expiry_allows_the_leeway_and_no_more(ring, verifier, clock):
    token = issue(ring)
    clock.advance(900 + 29)
    assert verifier.verify(token).subject == "user-1"
    clock.advance(1)
    expect_unauthenticated(verifier, token, "expired")


def test_token_from_the_future_is_not_yet_valid(ring, verifier):
    expect_unauthenticated(verifier, issue(ring, now=T0 + 31), "not yet valid")
    assert verifier.verify(issue(ring, now=T0 + 29))


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token(verifier, token):
    expect_unauthenticated(verifier, token, "missing")


@pytest.mark.parametrize(
    "token, fragment",
    [
        ("garbage", "not a compact JWS"),
        ("a.b", "not a compact JWS"),
        ("a.b.c.d", "not a compact JWS"),
        ("e30.e30.", "not a compact JWS"),
        ("e3!.e30.AAAA", "not a compact JWS"),
        ("a.e30.AAAA", "header is not base64url"),
        (f"{b64url(b'not json')}.e30.AAAA", "header is not JSON"),
        (f"{b64url(b'[1]')}.e30.AAAA", "header is not a JSON object"),
        ("x" * 9000, "too large"),
    ],
)
def test_garbled_tokens(verifier, token, fragment):
    expect_unauthenticated(verifier, token, fragment)


def test_wrong_issuer(ring, verifier):
    expect_unauthenticated(verifier, issue(ring, issuer="someone-else"), "not issued by")


def test_wrong_audience(ring, verifier):
    expect_unauthenticated(verifier, issue(ring, audience="another-app"), "audience")


def test_unknown_key(ring, verifier):
    verifier.verify(issue(ring))
    stranger = KeyRing([SigningKey.generate()])
    expect_unauthenticated(verifier, issue(stranger), "unknown key")


def test_bad_signature(ring, verifier):
    header, _, signature = issue(ring).split(".")
    admin = Principal("admin", Kind.PERSON, (RoleGrant(Role.ADMINISTRATOR),))
    _, forged_payload, _ = issue(ring, admin).split(".")
    expect_unauthenticated(verifier, f"{header}.{forged_payload}.{signature}", "signature is invalid")


def test_signature_from_another_key_under_a_known_kid(ring, verifier):
    impostor = KeyRing([SigningKey(ring.active.kid, SigningKey.generate().private_key)])
    expect_unauthenticated(verifier, issue(impostor), "signature is invalid")


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", None])
def test_only_eddsa_is_accepted(ring, verifier, alg):
    token = compact({"alg": alg, "kid": ring.active.kid}, claims_of(issue(ring)))
    expect_unauthenticated(verifier, token, "algorithm")


def test_hmac_token_keyed_with_the_public_key_is_refused(ring, verifier):
    public_x = ring.active.public_jwk()["x"]
    token = jwt.encode(claims_of(issue(ring)), public_x, algorithm="HS256", headers={"kid": ring.active.kid})
    expect_unauthenticated(verifier, token, "algorithm")


def test_token_without_kid(ring, verifier):
    token = jwt.encode(claims_of(issue(ring)), ring.active.private_key, algorithm="EdDSA")
    expect_unauthenticated(verifier, token, "kid")


def test_critical_header_extensions_are_refused(ring, verifier):
    token = compact({"alg": "EdDSA", "kid": ring.active.kid, "crit": ["exp"]}, claims_of(issue(ring)))
    expect_unauthenticated(verifier, token, "critical")


@pytest.mark.parametrize("claim", ["sub", "exp", "jti", "kind", "roles", "iss", "aud"])
def test_missing_claims(ring, verifier, claim):
    claims = claims_of(issue(ring))
    del claims[claim]
    expect_unauthenticated(verifier, ring.sign(claims), repr(claim))


@pytest.mark.parametrize(
    "change",
    [
        {"exp": "soon"},
        {"sub": 7},
        {"kind": "robot"},
        {"kind": ["person"]},
        {"aal": "high"},
        {"roles": "administrator"},
        {"roles": [["administrator"]]},
        {"roles": [["administrator", "", 5]]},
        {"orgs": "org-9"},
    ],
)
def test_malformed_claims(ring, verifier, change):
    expect_unauthenticated(verifier, ring.sign(claims_of(issue(ring)) | change), "malformed")


def test_payload_that_is_not_json_is_malformed(ring, verifier):
    # A correctly signed payload that is not JSON can only come from a broken issuer.
    header = b64url(json.dumps({"alg": "EdDSA", "kid": ring.active.kid}).encode())
    payload = b64url(b"not json")
    signature = b64url(ring.active.private_key.sign(f"{header}.{payload}".encode()))
    expect_unauthenticated(verifier, f"{header}.{payload}.{signature}", "claims is not JSON")


# --- key fetching and rotation ----------------------------------------------


def test_keys_are_fetched_lazily_and_cached(ring, identity, verifier):
    assert identity.fetches == 0
    token = issue(ring)
    for _ in range(10):
        verifier.verify(token)
    assert identity.fetches == 1


def test_keys_refresh_after_refresh_seconds(ring, identity, verifier, clock):
    token = issue(ring)
    verifier.verify(token)
    clock.advance(299)
    verifier.verify(token)
    assert identity.fetches == 1
    clock.advance(1)
    verifier.verify(token)
    assert identity.fetches == 2


def test_rotation_without_downtime(ring, identity, verifier, clock):
    old_token = issue(ring)
    verifier.verify(old_token)
    clock.advance(10)

    ring.rotate()
    new_token = issue(ring, now=clock.now)

    assert jwt.get_unverified_header(new_token)["kid"] != jwt.get_unverified_header(old_token)["kid"]
    assert verifier.verify(old_token).subject == "user-1"
    assert identity.fetches == 1, "a known kid must not cause a fetch"
    assert verifier.verify(new_token).subject == "user-1"
    assert identity.fetches == 2, "an unseen kid causes exactly one refetch"
    verifier.verify(new_token)
    verifier.verify(old_token)
    assert identity.fetches == 2


def test_retired_key_stops_verifying_after_the_next_refresh(ring, verifier, clock):
    old_token = issue(ring)
    verifier.verify(old_token)
    old_kid = ring.active.kid
    ring.rotate()
    ring.retire(old_kid)
    clock.advance(300)
    expect_unauthenticated(verifier, old_token, "unknown key")


def test_unknown_kids_refetch_at_most_once_per_interval(ring, identity, verifier, clock):
    verifier.verify(issue(ring))
    forged = issue(KeyRing([SigningKey.generate()]))
    clock.advance(10)

    for _ in range(100):
        expect_unauthenticated(verifier, forged, "unknown key")
    assert identity.fetches == 2

    clock.advance(4.9)
    expect_unauthenticated(verifier, forged, "unknown key")
    assert identity.fetches == 2
    clock.advance(0.1)
    expect_unauthenticated(verifier, forged, "unknown key")
    assert identity.fetches == 3


def test_fetch_failure_keeps_cached_keys(ring, identity, verifier, clock):
    token = issue(ring)
    verifier.verify(token)
    identity.down = True

    clock.advance(301)
    assert verifier.verify(token).subject == "user-1"
    assert identity.fetches == 2
    clock.advance(1)
    verifier.verify(token)
    assert identity.fetches == 2, "a failed refresh is retried no sooner than min_refetch_seconds"
    clock.advance(5)
    verifier.verify(token)
    assert identity.fetches == 3


def test_identity_down_at_start_then_recovering(ring, identity, verifier, clock):
    identity.down = True
    token = issue(ring)
    expect_unauthenticated(verifier, token, "unavailable")
    identity.down = False
    clock.advance(5)
    assert verifier.verify(token).subject == "user-1"


def test_publishing_no_usable_keys_keeps_cached_keys(ring, clock):
    published = [ring.public_jwks(), []]
    verifier = TokenVerifier(lambda: published.pop(0), clock=clock)
    token = issue(ring)
    verifier.verify(token)
    clock.advance(300)
    assert verifier.verify(token).subject == "user-1"


def test_jwks_parsing_skips_foreign_and_malformed_keys(ring):
    jwks = [
        {"kty": "RSA", "kid": "rsa", "n": "x", "e": "AQAB"},
        {"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519", "kid": "enc", "use": "enc", "x": ring.active.public_jwk()["x"]},
        {"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519", "kid": "no-x"},
        "not a key",
        ring.active.public_jwk(),
    ]
    assert list(public_keys_from_jwks(jwks)) == [ring.active.kid]
    assert list(public_keys_from_jwks({"keys": jwks})) == [ring.active.kid]


# --- key ring ----------------------------------------------------------------


def test_public_jwk_is_rfc8037(ring):
    jwk = ring.active.public_jwk()
    assert {k: v for k, v in jwk.items() if k != "x"} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": ring.active.kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    assert len(base64.urlsafe_b64decode(jwk["x"] + "=")) == 32


def test_signing_key_pem_round_trip():
    key = SigningKey.generate()
    again = SigningKey.from_pem(key.to_pem(), key.kid)
    assert again.public_jwk() == key.public_jwk()


def test_signing_key_refuses_other_key_types():
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidArgument):
        SigningKey.from_pem(pem, "ec")


def test_rotate_adds_a_signing_key_and_keeps_the_old(ring):
    old = ring.active
    new = ring.rotate()
    assert ring.active is new
    assert [jwk["kid"] for jwk in ring.public_jwks()] == [old.kid, new.kid]
    assert jwt.get_unverified_header(ring.sign({"sub": "x"}))["kid"] == new.kid


def test_retire(ring):
    old = ring.active
    new = ring.rotate()
    with pytest.raises(InvalidArgument):
        ring.retire(new.kid)
    with pytest.raises(InvalidArgument):
        ring.retire("nope")
    ring.retire(old.kid)
    assert [key.kid for key in ring.keys] == [new.kid]


def test_keyring_dump_and_load(ring, verifier):
    ring.rotate()
    loaded = KeyRing.loads(ring.dumps())
    assert loaded.public_jwks() == ring.public_jwks()
    assert loaded.active.kid == ring.active.kid
    assert verifier.verify(issue(loaded)).subject == "user-1"


@pytest.mark.parametrize(
    "text",
    ["", "[]", "{}", '{"keys": []}', '{"keys": [{"kid": "a"}]}', '{"keys": [{"kid": "a", "pem": "x"}]}'],
)
def test_keyring_load_refuses_malformed_documents(text):
    with pytest.raises(InvalidArgument):
        KeyRing.loads(text)


def test_empty_ring_cannot_sign():
    with pytest.raises(InvalidArgument):
        KeyRing().sign({"sub": "x"})


def test_load_or_create_makes_an_owner_only_file_once(tmp_path):
    path = tmp_path / "keys.json"
    created = KeyRing.load_or_create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = KeyRing.load_or_create(path)
    assert loaded.public_jwks() == created.public_jwks()


@pytest.mark.parametrize(
    "metadata, token",
    [
        ([("authorization", "Bearer abc.def.ghi")], "abc.def.ghi"),
        ([("x-request-id", "1"), ("Authorization", "bearer  abc")], "abc"),
        ([("authorization", "BEARER abc")], "abc"),
        ([("authorization", "Basic dXNlcjpwdw==")], None),
        ([("authorization", "Bearer ")], None),
        ([("authorization", "Bearer")], None),
        ([("x-request-id", "1")], None),
        ([], None),
        (None, None),
    ],
)
def test_bearer_token(metadata, token):
    assert bearer_token(metadata) == token


# --- passwords and secrets ---------------------------------------------------


@pytest.fixture
def cheap_argon2(monkeypatch):
    monkeypatch.setenv("PASSWORD_HASH_MEMORY_KIB", "8")
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "1")


def test_password_hash_and_verify(cheap_argon2):
    stored = hash_password("mật khẩu đúng")
    assert stored.startswith("$argon2id$")
    assert stored != hash_password("mật khẩu đúng"), "salted"
    assert verify_password(stored, "mật khẩu đúng")
    assert not verify_password(stored, "mật khẩu sai")
    assert not verify_password("not a hash", "anything")


def test_default_password_parameters_are_owasp_minimums(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH_MEMORY_KIB", raising=False)
    monkeypatch.delenv("PASSWORD_HASH_TIME_COST", raising=False)
    assert hash_password("pw").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_needs_rehash_when_parameters_change(cheap_argon2, monkeypatch):
    stored = hash_password("pw")
    assert not needs_rehash(stored)
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "2")
    assert needs_rehash(stored)
    assert verify_password(stored, "pw"), "old hashes still verify"
    assert needs_rehash("not a hash")


def test_bad_password_parameter_is_reported(monkeypatch):
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "two")
    with pytest.raises(ValueError, match="PASSWORD_HASH_TIME_COST"):
        hash_password("pw")


def test_secrets():
    secret = new_secret()
    assert len(secret) >= 43 and secret != new_secret()
    assert len(new_secret(16)) < len(secret)
    stored = hash_secret(secret)
    assert len(stored) == 64 and int(stored, 16) >= 0
    assert secret_matches(stored, secret)
    assert not secret_matches(stored, secret + "x")
    assert not secret_matches("đ", secret)


# --- policy ------------------------------------------------------------------


class FakeUnits:
    """Province 79 > districts 760, 770 > wards. contains() is strict, on purpose."""

    PARENT = {"760": "79", "770": "79", "26734": "760", "27000": "770"}

    def contains(self, ancestor, code):
        while code in self.PARENT:
            code = self.PARENT[code]
            if code == ancestor:
                return True
        return False


UNITS = FakeUnits()


def person(*grants, subject="p-1", aal=0):
    return Principal(subject, Kind.PERSON, tuple(grants), assurance_level=aal)


ADMIN = person(RoleGrant(Role.ADMINISTRATOR))
IOC = person(RoleGrant(Role.IOC_OPERATOR))
CITIZEN = person(RoleGrant(Role.CITIZEN))
POLICE_760 = person(RoleGrant(Role.AGENCY_STAFF, "police", "760"))


def test_require_authenticated():
    assert require_authenticated(CITIZEN) is CITIZEN
    with pytest.raises(Unauthenticated):
        require_authenticated(None)


def test_require_role():
    assert require_role(ADMIN, Role.IOC_OPERATOR, Role.ADMINISTRATOR) is ADMIN
    with pytest.raises(PermissionDenied, match="ioc_operator or administrator"):
        require_role(CITIZEN, Role.IOC_OPERATOR, Role.ADMINISTRATOR)
    with pytest.raises(Unauthenticated):
        require_role(None, Role.CITIZEN)


@pytest.mark.parametrize("principal", [ADMIN, IOC])
@pytest.mark.parametrize("unit", ["79", "760", "27000"])
def test_province_wide_roles_pass_everywhere(principal, unit):
    assert require_jurisdiction(principal, unit, UNITS, agency="police") is principal


@pytest.mark.parametrize("unit", ["760", "26734"])
def test_staff_pass_inside_their_jurisdiction(unit):
    assert require_jurisdiction(POLICE_760, unit, UNITS) is POLICE_760
    assert require_jurisdiction(POLICE_760, unit, UNITS, agency="police") is POLICE_760


@pytest.mark.parametrize("unit", ["79", "770", "27000", "unknown", ""])
def test_staff_are_refused_outside_their_jurisdiction(unit):
    with pytest.raises(PermissionDenied, match="agency_staff"):
        require_jurisdiction(POLICE_760, unit, UNITS)


def test_staff_of_another_agency_are_refused():
    with pytest.raises(PermissionDenied, match="agency health"):
        require_jurisdiction(POLICE_760, "26734", UNITS, agency="health")


def test_jurisdiction_requires_the_named_roles():
    member = person(RoleGrant(Role.ORGANISATION_MEMBER, "", "760"))
    with pytest.raises(PermissionDenied):
        require_jurisdiction(member, "26734", UNITS)
    roles = (Role.AGENCY_STAFF, Role.ORGANISATION_MEMBER)
    assert require_jurisdiction(member, "26734", UNITS, roles=roles) is member


def test_a_grant_without_jurisdiction_covers_nothing():
    with pytest.raises(PermissionDenied):
        require_jurisdiction(person(RoleGrant(Role.AGENCY_STAFF, "police")), "26734", UNITS)


def test_jurisdiction_refuses_citizens_and_anonymous():
    with pytest.raises(PermissionDenied):
        require_jurisdiction(CITIZEN, "26734", UNITS)
    with pytest.raises(Unauthenticated):
        require_jurisdiction(None, "26734", UNITS)


def test_require_self_or_role():
    assert require_self_or_role(CITIZEN, "p-1") is CITIZEN
    assert require_self_or_role(ADMIN, "someone", Role.ADMINISTRATOR) is ADMIN
    with pytest.raises(PermissionDenied, match="administrator"):
        require_self_or_role(CITIZEN, "someone", Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        require_self_or_role(CITIZEN, "someone")
    with pytest.raises(Unauthenticated):
        require_self_or_role(None, "p-1")


def test_require_assurance():
    strong = person(RoleGrant(Role.CITIZEN), aal=2)
    assert require_assurance(strong, 2) is strong
    with pytest.raises(PermissionDenied, match="assurance level 3"):
        require_assurance(strong, 3)
    with pytest.raises(Unauthenticated):
        require_assurance(None, 1)


def test_a_key_added_for_later_is_published_at_once_and_signs_from_its_time():
    now = [1_000.0]
    ring = KeyRing([SigningKey.generate()], clock=lambda: now[0])
    current = ring.active
    upcoming = ring.rotate(not_before=1_600.0)
    assert upcoming.kid in [jwk["kid"] for jwk in ring.public_jwks()]
    assert ring.active is current
    now[0] = 1_600.0
    assert ring.active is upcoming
    reloaded = KeyRing.loads(ring.dumps())
    assert [k.not_before for k in reloaded.keys] == [0, 1_600.0]


def test_a_verified_token_is_remembered_until_it_expires():
    now = [1_000_000.0]
    ring = KeyRing([SigningKey.generate()], clock=lambda: now[0])
    fetches = []

    def fetch():
        fetches.append(1)
        return ring.public_jwks()

    verifier = TokenVerifier(fetch, clock=lambda: now[0], leeway_seconds=0)
    token = issue_access_token(ring, Principal("p", "person", ()), ttl_seconds=60, now=now[0])
    first = verifier.verify(token)
    assert verifier.verify(token) is first                 # no second signature check
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(Unauthenticated):
        verifier.verify(tampered)                          # a different string: checked
    now[0] += 61
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token)
