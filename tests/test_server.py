"""Client against server: the right password always passes, anything else always fails."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srp_device import DeviceAuth, DeviceSecrets, SrpServer, VerificationError
from srp_device.exceptions import ValidationError

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
keys = st.builds(
    lambda r, h: f"{r}_{h}",
    st.sampled_from(["us-east-1", "eu-west-1"]),
    st.text("0123456789abcdef-", min_size=1, max_size=36),
)
group_keys = st.text(min_size=1, max_size=20)
passwords = st.text(min_size=1, max_size=60)


def _sign(secrets: DeviceSecrets, server: SrpServer, *, now: datetime = NOW, block: bytes | None = None) -> dict:
    auth = DeviceAuth(secrets, "client", username="user-1", backend=server._backend)
    challenge = {
        "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
        "Session": "s",
        "ChallengeParameters": {
            "SRP_B": server.srp_b,
            "SALT": server.salt_hex,
            "SECRET_BLOCK": base64.b64encode(server.secret_block if block is None else block).decode(),
        },
    }
    responses = auth.respond_to_device_password_verifier(challenge, now=now)["ChallengeResponses"]
    return {
        "srp_a": auth.srp_a,
        "secret_block": responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        "timestamp": responses["TIMESTAMP"],
        "signature": responses["PASSWORD_CLAIM_SIGNATURE"],
    }


def _server(secrets: DeviceSecrets, backend: str = "auto") -> SrpServer:
    return SrpServer(
        pool=secrets.device_group_key,
        identity=secrets.device_key,
        salt=secrets.salt,
        verifier=secrets.verifier,
        backend=backend,
    )


@settings(max_examples=25)
@given(key=keys, group=group_keys, pw=passwords, salt=st.binary(min_size=1, max_size=17))
def test_right_password_always_passes(key: str, group: str, pw: str, salt: bytes) -> None:
    secrets = DeviceSecrets.from_parts(device_key=key, device_group_key=group, device_password=pw, salt=salt)
    server = _server(secrets)
    server.verify(**_sign(secrets, server), now=NOW)


def test_right_password_passes_on_every_backend(backend: str) -> None:
    secrets = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g", backend=backend)
    server = _server(secrets, backend)
    server.verify(**_sign(secrets, server), now=NOW)


def test_non_canonical_salt_as_dotnet_once_sent_it_still_verifies() -> None:
    """Salt bytes with the top bit set and no sign byte: the server reads a negative salt."""
    good = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g")
    raw = b"\x9a" + bytes(15)
    from srp_device import _srp
    from srp_device._encoding import from_java_bytes, pad
    from srp_device.modexp import get_backend

    x = _srp.compute_x(salt=from_java_bytes(raw), pool="-g", identity="us-east-1_ab", password=good.device_password)
    verifier = pad(_srp.compute_verifier(x, backend=get_backend()))
    server = SrpServer(pool="-g", identity="us-east-1_ab", salt=raw, verifier=verifier)
    assert server.salt_hex.startswith("-")
    server.verify(**_sign(good, server), now=NOW)


@settings(max_examples=20)
@given(
    pw=passwords,
    other=passwords,
    key=keys,
    other_key=keys,
    group=group_keys,
    other_group=group_keys,
    which=st.sampled_from(["password", "device_key", "group_key"]),
)
def test_any_other_credential_always_fails(
    pw: str, other: str, key: str, other_key: str, group: str, other_group: str, which: str
) -> None:
    real = DeviceSecrets.from_parts(device_key=key, device_group_key=group, device_password=pw, salt=b"\x42" * 16)
    fake_parts = {"device_key": key, "device_group_key": group, "device_password": pw}
    swap = {
        "password": ("device_password", other),
        "device_key": ("device_key", other_key),
        "group_key": ("device_group_key", other_group),
    }
    name, value = swap[which]
    if fake_parts[name] == value:
        value += "0"
    fake_parts[name] = value
    fake = DeviceSecrets.from_parts(**fake_parts, salt=b"\x42" * 16)
    server = SrpServer(pool=real.device_group_key, identity=real.device_key, salt=real.salt, verifier=real.verifier)
    with pytest.raises(VerificationError):
        server.verify(**_sign(fake, server), now=NOW)


@settings(max_examples=20)
@given(block=st.binary(min_size=1, max_size=80))
def test_other_secret_block_always_fails(block: bytes) -> None:
    secrets = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g")
    server = _server(secrets)
    if block == server.secret_block:
        block += b"\x00"
    with pytest.raises(VerificationError):
        server.verify(**_sign(secrets, server, block=block), now=NOW)


@settings(max_examples=20)
@given(seconds=st.integers(min_value=1, max_value=10**8))
def test_tampered_or_stale_timestamp_always_fails(seconds: int) -> None:
    secrets = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g")
    server = _server(secrets)
    proof = _sign(secrets, server)
    from srp_device import cognito_timestamp

    other = cognito_timestamp(NOW + timedelta(seconds=seconds))
    with pytest.raises(VerificationError):
        server.verify(**dict(proof, timestamp=other), now=NOW)  # signature covers the timestamp
    stale = _sign(secrets, server, now=NOW - timedelta(minutes=5, seconds=seconds))
    with pytest.raises(VerificationError, match="skew"):
        server.verify(**stale, now=NOW)


def test_timestamp_inside_the_window_passes() -> None:
    secrets = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g")
    server = _server(secrets)
    server.verify(**_sign(secrets, server, now=NOW - timedelta(minutes=4)), now=NOW)


def test_malformed_proof_is_a_validation_error() -> None:
    secrets = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g")
    server = _server(secrets)
    proof = _sign(secrets, server)
    for field, value in (
        ("srp_a", "xyz"),
        ("srp_a", "0"),
        ("signature", "%%%"),
        ("timestamp", "Tue Jan 02 03:04:05 UTC 2024"),
    ):
        with pytest.raises(ValidationError):
            server.verify(**dict(proof, **{field: value}), now=NOW)


def test_server_repr_holds_no_secret() -> None:
    secrets = DeviceSecrets.generate(device_key="us-east-1_ab", device_group_key="-g")
    server = _server(secrets)
    assert format(server._b, "x") not in repr(server)
