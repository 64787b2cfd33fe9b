"""srp_device against the plain reference (built-in pow, 1024-bit a) in one run."""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

import pytest

from srp_device import DeviceAuth, DeviceSecrets, precompute

from . import reference
from .conftest import BULK, CLIENT, VERIFIER, compare

ROOT = Path(__file__).resolve().parent.parent


def _vectors(name: str) -> list[dict]:
    import json

    return list(json.loads((ROOT / "vectors" / name).read_text(encoding="utf-8"))["vectors"])


V = _vectors("device_verifier.json")[0]
AUTH = next(v for v in _vectors("device_auth.json") if v["id"] == "seeded-000")


def backends(*names: str):  # type: ignore[no-untyped-def]
    def mark(fn):  # type: ignore[no-untyped-def]
        fn.backends = names
        return fn

    return mark


def test_device_verifier(backend: str, full: bool) -> None:
    salt = bytes.fromhex(V["salt_random_hex"])
    expected = {"PasswordVerifier": V["PasswordVerifier"], "Salt": V["Salt"]}

    def ours() -> DeviceSecrets:
        return DeviceSecrets.from_parts(
            device_key=V["device_key"],
            device_group_key=V["device_group_key"],
            device_password=V["device_password"],
            salt=salt,
            backend=backend,
        )

    def ref() -> tuple[str, str]:
        return reference.device_verifier(
            V["device_group_key"], V["device_key"], V["device_password"], V["salt_random_hex"]
        )

    precompute(backend=backend)
    assert ours().verifier_config == expected
    assert ref() == (expected["Salt"], expected["PasswordVerifier"])
    compare(VERIFIER, backend, ref, ours, rounds=100 if full else 20, full=full, batch=10)


def test_device_password_verifier_client_side(backend: str, full: bool) -> None:
    params = AUTH["ChallengeParameters"]
    sent = AUTH["device_password_verifier_request"]["ChallengeResponses"]
    now = datetime.fromisoformat(AUTH["now"].replace("Z", "+00:00"))
    secrets = DeviceSecrets.from_parts(
        device_key=AUTH["device_key"],
        device_group_key=AUTH["device_group_key"],
        device_password=AUTH["device_password"],
        salt=bytes.fromhex(AUTH["salt_random_hex"]),
    )
    challenge = {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": params, "Session": "s"}
    a_1024 = int(AUTH["a_hex"], 16)

    def ours(ephemeral: int | None = None) -> dict:
        auth = DeviceAuth(secrets, "client", ephemeral=ephemeral, backend=backend)  # A = g^a, 256-bit a by default
        return auth.respond_to_device_password_verifier(challenge, now=now)

    def ref() -> tuple[str, str]:
        return reference.device_password_verifier(
            a_1024,
            AUTH["device_group_key"],
            AUTH["device_key"],
            AUTH["device_password"],
            params["SRP_B"],
            params["SALT"],
            params["SECRET_BLOCK"],
            sent["TIMESTAMP"],
        )

    precompute(backend=backend)
    assert ours(a_1024)["ChallengeResponses"]["PASSWORD_CLAIM_SIGNATURE"] == sent["PASSWORD_CLAIM_SIGNATURE"]
    assert ref() == (AUTH["SRP_A"], sent["PASSWORD_CLAIM_SIGNATURE"])
    assert base64.b64decode(ours()["ChallengeResponses"]["PASSWORD_CLAIM_SIGNATURE"])  # the timed path signs
    compare(CLIENT, backend, ref, ours, rounds=40 if full else 8, full=full, batch=5)


@backends("native")
def test_generate_many_uses_both_cores(backend: str, full: bool) -> None:
    import os

    if len(os.sched_getaffinity(0)) < 2:
        pytest.fail("this benchmark needs 2 CPUs")
    pairs = [(f"us-east-1_{i:05x}", "-group") for i in range(2000)]

    def one() -> list[DeviceSecrets]:
        return DeviceSecrets.generate_many(pairs, workers=1, backend=backend)

    def two() -> list[DeviceSecrets]:
        return DeviceSecrets.generate_many(pairs, workers=2, backend=backend)

    precompute(backend=backend)
    out = two()
    assert [(s.device_key, s.device_group_key) for s in out] == pairs
    again = DeviceSecrets.from_parts(
        device_key=out[7].device_key,
        device_group_key="-group",
        device_password=out[7].device_password,
        salt=out[7].salt,
    )
    assert again == out[7]
    compare(BULK, backend, one, two, rounds=5 if full else 2, full=full)
