"""The `smartcity` command-line client, run as a subprocess against a real
identity service process, as a person would use it."""
import json
import os
import random
import stat
import subprocess
import sys

import pytest

import harness

pytestmark = pytest.mark.timeout(180)


def unique_phone():
    return f"0912{random.randint(0, 999999):06d}"


def unique_cccd():
    return f"001090{random.randint(0, 999999):06d}"   # a man born in 1990


@pytest.fixture
def smartcity(identity, tmp_path):
    """Runs the CLI against the identity fixture; session= picks a session file."""

    def run(*args, session="person"):
        env = {**os.environ, "SMARTCITY_SESSION_FILE": str(tmp_path / f"{session}.json")}
        return subprocess.run(
            [sys.executable, "-m", "kit.cli", "--identity", identity.service.target, *args],
            env=env, capture_output=True, text=True, timeout=30)

    return run


def ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def register_args(phone, cccd, *extra):
    return ["register", "--full-name", "Nguyễn Văn An", "--phone", phone, "--national-id", cccd,
            "--date-of-birth", "1990-05-17", "--sex", "male", "--home-address",
            "12 Hoàng Văn Thụ", "--home-unit-code", "05443", *extra]


def sign_in(smartcity, identity, phone, session="person"):
    ok(smartcity("otp", phone, session=session))
    code = identity.last_otp("+84" + phone[1:])
    return ok(smartcity("signin-otp", phone, code, session=session))


def test_register_sign_in_whoami_refresh_sign_out(smartcity, identity, tmp_path):
    phone, cccd = unique_phone(), unique_cccd()
    registered = ok(smartcity(*register_args(phone, cccd, "--password", "matkhau123")))
    assert "Nguyễn Văn An" in registered and "signin-otp" in registered

    assert "signed in as" in sign_in(smartcity, identity, phone)
    session_file = tmp_path / "person.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600

    me = json.loads(ok(smartcity("--json", "whoami")))
    assert me["phone"] == "+84" + phone[1:] and me["assuranceLevel"] == 1
    assert me["nationalId"] == cccd
    assert "assurance_level  1" in ok(smartcity("whoami"))

    before = json.loads(session_file.read_text())
    assert "session renewed" in ok(smartcity("refresh"))
    assert json.loads(session_file.read_text())["refresh_token"] != before["refresh_token"]

    assert ok(smartcity("signout")).strip() == "signed out"
    assert not session_file.exists()
    signed_out = smartcity("whoami")
    assert signed_out.returncode == 2 and "not signed in" in signed_out.stderr

    assert "signed in as" in ok(smartcity("signin", phone, "--password", "matkhau123"))


def test_expired_or_refused_access_token_is_renewed(smartcity, identity, tmp_path):
    phone = unique_phone()
    ok(smartcity(*register_args(phone, unique_cccd(), "--no-password")))
    sign_in(smartcity, identity, phone)
    session_file = tmp_path / "person.json"

    for stale in ({"expires_at": 0}, {"access_token": "not-a-token"}):
        session = json.loads(session_file.read_text())
        session_file.write_text(json.dumps({**session, **stale}))
        assert json.loads(ok(smartcity("--json", "whoami")))["phone"] == "+84" + phone[1:]
        renewed = json.loads(session_file.read_text())
        assert renewed["refresh_token"] != session["refresh_token"]

    session = json.loads(session_file.read_text())
    ok(smartcity("signout"))
    session_file.write_text(json.dumps({**session, "expires_at": 0}))   # a revoked session
    ended = smartcity("whoami")
    assert ended.returncode == 2 and "session has ended" in ended.stderr
    assert not session_file.exists()


def test_bad_phone_names_the_field(smartcity):
    result = smartcity(*register_args("12345", unique_cccd(), "--no-password"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: INVALID_ARGUMENT: phone: ")
    assert "(field: phone)" in result.stderr


def test_admin_grants_and_revokes_a_role_and_registers_a_machine(smartcity, identity):
    identity.admin_session()   # registers the bootstrap administrator
    sign_in(smartcity, identity, identity.service.env["BOOTSTRAP_ADMIN_PHONE"], session="admin")
    phone = unique_phone()
    person = identity.register(phone, unique_cccd())

    granted = ok(smartcity("grant", person.id, "agency_staff", "--agency", "Sở Y tế",
                           "--jurisdiction", "19", session="admin"))
    assert "agency_staff (agency=Sở Y tế, jurisdiction=19)" in granted
    assert "RoleGranted" in ok(smartcity("audit", person.id, session="admin"))
    summary = json.loads(ok(smartcity("--json", "lookup", "--phone", phone, session="admin")))
    assert summary["id"] == person.id
    revoked = ok(smartcity("revoke", person.id, "agency_staff", "--agency", "Sở Y tế",
                           "--jurisdiction", "19", session="admin"))
    assert "agency_staff" not in revoked

    refused = smartcity("grant", person.id, "administrator")   # no session
    assert refused.returncode == 2

    credentials = json.loads(ok(smartcity("--json", "machine", "register", "gateway-tn-01",
                                          "--kind", "gateway", session="admin")))
    token = ok(smartcity("machine", "token", credentials["clientId"], credentials["clientSecret"]))
    assert "access token for" in token


def test_public_reads_and_health(smartcity):
    assert "05443" in ok(smartcity("units", "19"))
    assert "Phan Đình Phùng" in ok(smartcity("unit", "05443"))
    assert json.loads(ok(smartcity("--json", "keys")))["keys"]
    assert ok(smartcity("health")).strip() == "SERVING"
    missing = smartcity("unit", "99999")
    assert missing.returncode == 2 and missing.stderr.startswith("error: NOT_FOUND: ")


def test_unreachable_identity_says_how_to_start_it():
    target = f"127.0.0.1:{harness.free_port()}"
    result = subprocess.run([sys.executable, "-m", "kit.cli", "--identity", target, "keys"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("error: UNAVAILABLE: ") and "make run" in result.stderr
