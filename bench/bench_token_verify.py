"""Access-token verification throughput on one core.

    PYTHONPATH=services/kit python bench/bench_token_verify.py [--tokens N]

Issues N distinct tokens for an agency staff member with two role grants, as
identity would, then verifies each once with a warmed-up TokenVerifier and
prints verifications per second, p50/p99 microseconds, and the target. The
bare Ed25519 signature check is timed too: it is the floor no parsing can beat.
"""

import argparse
import os
import statistics
import time

from kit.auth import KeyRing, Kind, Principal, Role, RoleGrant, SigningKey, TokenVerifier, issue_access_token

TARGET_PER_SECOND = 5_000


def staff_member(number: int) -> Principal:
    return Principal(
        subject=f"3f2b6c1e-8d4a-4e7b-9a51-{number:012d}",
        kind=Kind.PERSON,
        roles=(
            RoleGrant(Role.AGENCY_STAFF, agency="so-tai-nguyen-moi-truong", jurisdiction="760"),
            RoleGrant(Role.CITIZEN),
        ),
        assurance_level=2,
        organisations=("org-hoi-nong-dan-quan-1",),
    )


def verification_times(verifier: TokenVerifier, tokens: list[str]) -> list[float]:
    times = []
    clock = time.perf_counter
    for token in tokens:
        started = clock()
        verifier.verify(token)
        times.append(clock() - started)
    return times


def signature_check_micros(key: SigningKey, rounds: int = 2_000) -> float:
    message = b"x" * 400  # about the signing input of a real token
    signature = key.private_key.sign(message)
    public_key = key.private_key.public_key()
    started = time.perf_counter()
    for _ in range(rounds):
        public_key.verify(signature, message)
    return (time.perf_counter() - started) / rounds * 1e6


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000, help="tokens to verify (default 20000)")
    count = parser.parse_args().tokens

    pin_to_one_core()
    ring = KeyRing([SigningKey.generate()])
    tokens = [issue_access_token(ring, staff_member(number)) for number in range(count)]
    verifier = TokenVerifier(ring.public_jwks)
    verifier.verify(tokens[0])  # fetch and cache the keys outside the measurement

    started = time.perf_counter()
    times = verification_times(verifier, tokens)
    elapsed = time.perf_counter() - started

    per_second = count / elapsed
    micros = sorted(seconds * 1e6 for seconds in times)
    p99 = micros[min(len(micros) - 1, int(len(micros) * 0.99))]
    verdict = "PASS" if per_second >= TARGET_PER_SECOND else "BELOW"
    print(f"tokens verified:  {count} ({len(tokens[0])} chars each)")
    print(f"verifications/s:  {per_second:,.0f} on one core")
    print(f"p50 per verify:   {statistics.median(micros):.1f} us")
    print(f"p99 per verify:   {p99:.1f} us")
    print(f"Ed25519 check:    {signature_check_micros(ring.active):.1f} us (floor)")
    print(f"target:           >= {TARGET_PER_SECOND:,}/s per core -> {verdict}")


if __name__ == "__main__":
    main()
