"""The request shapes, the challenge checks and the secrecy rules of DeviceAuth/UserAuth."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone

import pytest

from srp_device import (
    DeviceAuth,
    DeviceSecrets,
    InvalidChallengeError,
    SrpDeviceError,
    SrpServer,
    UserAuth,
    ValidationError,
    _srp,
)

DEVICE_KEY = "eu-west-1_2b1e46a0-7c1d-4c59-a7c6-1f0e8d9c3b2a"
GROUP_KEY = "-Xy12AbCd"
NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SECRETS = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)


def _server() -> SrpServer:
    return SrpServer(pool=GROUP_KEY, identity=DEVICE_KEY, salt=SECRETS.salt, verifier=SECRETS.verifier)


def _verifier_challenge(server: SrpServer, **overrides: object) -> dict:
    params = {
        "SRP_B": server.srp_b,
        "SALT": server.salt_hex,
        "USERNAME": "user-sub-1",
        "SECRET_BLOCK": __import__("base64").b64encode(server.secret_block).decode(),
    }
    params.update(overrides)  # type: ignore[arg-type]
    return {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": params, "Session": "sess-2"}


def test_device_requests_chain_session_and_carry_secret_hash() -> None:
    auth = DeviceAuth(SECRETS, "client-1", client_secret="s3cr3t")
    first = auth.respond_to_device_srp_auth(
        {"ChallengeName": "DEVICE_SRP_AUTH", "ChallengeParameters": {"USERNAME": "user-sub-1"}, "Session": "sess-1"}
    )
    assert first["Session"] == "sess-1" and first["ClientId"] == "client-1"
    responses = first["ChallengeResponses"]
    assert set(responses) == {"USERNAME", "DEVICE_KEY", "SRP_A", "SECRET_HASH"}
    assert responses["SECRET_HASH"] == _srp.secret_hash(
        client_secret="s3cr3t", username="user-sub-1", client_id="client-1"
    )
    second = auth.respond_to_device_password_verifier(_verifier_challenge(_server()), now=NOW)
    assert second["Session"] == "sess-2"
    assert set(second["ChallengeResponses"]) == {
        "USERNAME",
        "PASSWORD_CLAIM_SECRET_BLOCK",
        "TIMESTAMP",
        "PASSWORD_CLAIM_SIGNATURE",
        "DEVICE_KEY",
        "SECRET_HASH",
    }
    assert second["ChallengeResponses"]["TIMESTAMP"] == "Tue Jan 2 03:04:05 UTC 2024"


def test_no_secret_hash_without_client_secret() -> None:
    auth = DeviceAuth(SECRETS, "client-1")
    out = auth.respond_to_device_srp_auth(
        {"ChallengeName": "DEVICE_SRP_AUTH", "ChallengeParameters": {"USERNAME": "u"}, "Session": "s"}
    )
    assert "SECRET_HASH" not in out["ChallengeResponses"]


def test_secret_hash_uses_the_username_the_challenge_returned() -> None:
    user = UserAuth("us-east-1_Ab12", "client-1", "alias@example.com", "pw", client_secret="cs")
    initiate = user.initiate_auth()
    assert initiate["AuthParameters"]["SECRET_HASH"] == _srp.secret_hash(
        client_secret="cs", username="alias@example.com", client_id="client-1"
    )
    server = SrpServer(pool="Ab12", identity="sub-123", salt=b"\x05", verifier=b"\x07")
    challenge = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": "s",
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": "sub-123",
            "USERNAME": "sub-123",
            "SRP_B": server.srp_b,
            "SALT": "5",
            "SECRET_BLOCK": "AAAA",
        },
    }
    answer = user.respond_to_password_verifier(challenge, now=NOW)
    assert answer["ChallengeResponses"]["USERNAME"] == "sub-123"
    assert answer["ChallengeResponses"]["SECRET_HASH"] == _srp.secret_hash(
        client_secret="cs", username="sub-123", client_id="client-1"
    )


def test_user_auth_with_device_sends_device_key_and_continues() -> None:
    user = UserAuth("us-east-1_Ab12", "client-1", "alice", "pw", device=SECRETS)
    assert user.initiate_auth()["AuthParameters"]["DEVICE_KEY"] == DEVICE_KEY
    server = SrpServer(pool="Ab12", identity="sub-1", salt=b"\x05", verifier=b"\x07")
    answer = user.respond_to_password_verifier(
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": "s",
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": "sub-1",
                "SRP_B": server.srp_b,
                "SALT": "5",
                "SECRET_BLOCK": "AAAA",
            },
        },
        now=NOW,
    )
    assert answer["ChallengeResponses"]["DEVICE_KEY"] == DEVICE_KEY
    device = user.device_auth()
    out = device.respond_to_device_srp_auth({"ChallengeName": "DEVICE_SRP_AUTH", "Session": "s2"})
    assert out["ChallengeResponses"]["USERNAME"] == "sub-1"  # carried over from the challenge
    assert device.srp_a != user.srp_a  # a fresh ephemeral for the device step


def test_device_auth_without_device_is_an_error() -> None:
    with pytest.raises(SrpDeviceError, match="device"):
        UserAuth("us-east-1_Ab12", "c", "alice", "pw").device_auth()


@pytest.mark.parametrize(
    ("challenge", "field"),
    [
        ({"ChallengeName": "SMS_MFA", "ChallengeParameters": {}, "Session": "s"}, "ChallengeName"),
        ({"ChallengeParameters": {}, "Session": "s"}, "ChallengeName"),
        ({"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": {}}, "Session"),
        (
            {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": [], "Session": "s"},
            "ChallengeParameters",
        ),
    ],
)
def test_malformed_challenges_are_refused(challenge: dict, field: str) -> None:
    auth = DeviceAuth(SECRETS, "c", username="u")
    with pytest.raises(InvalidChallengeError) as info:
        auth.respond_to_device_password_verifier(challenge, now=NOW)
    assert info.value.field == field and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"SRP_B": None}, "SRP_B"),
        ({"SRP_B": "0x12"}, "SRP_B"),
        ({"SRP_B": "0"}, "SRP_B"),
        ({"SRP_B": format(_srp.N * 3, "x")}, "SRP_B"),
        ({"SALT": ""}, "SALT"),
        ({"SALT": "zz"}, "SALT"),
        ({"SECRET_BLOCK": "###"}, "SECRET_BLOCK"),
        ({"SECRET_BLOCK": None}, "SECRET_BLOCK"),
        ({"DEVICE_KEY": "us-east-1_0000"}, "DEVICE_KEY"),
        ({"USERNAME": ""}, "USERNAME"),
    ],
)
def test_malformed_parameters_name_the_parameter(override: dict, field: str) -> None:
    challenge = _verifier_challenge(_server(), **override)
    challenge["ChallengeParameters"] = {k: v for k, v in challenge["ChallengeParameters"].items() if v is not None}
    with pytest.raises(InvalidChallengeError) as info:
        DeviceAuth(SECRETS, "c").respond_to_device_password_verifier(challenge, now=NOW)
    assert info.value.field == field


def test_missing_username_everywhere_is_refused() -> None:
    with pytest.raises(InvalidChallengeError, match="USERNAME"):
        DeviceAuth(SECRETS, "c").respond_to_device_srp_auth({"ChallengeName": "DEVICE_SRP_AUTH", "Session": "s"})


def test_wrong_types() -> None:
    with pytest.raises(TypeError):
        DeviceAuth(SECRETS, "c").respond_to_device_srp_auth("DEVICE_SRP_AUTH")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DeviceAuth(object(), "c")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DeviceAuth(SECRETS, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DeviceAuth(SECRETS, "c", ephemeral="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DeviceAuth(SECRETS, "c", username="u").respond_to_device_password_verifier(
            _verifier_challenge(_server()),
            now="now",  # type: ignore[arg-type]
        )


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        DeviceAuth(SECRETS, "c").respond_to_device_password_verifier(
            _verifier_challenge(_server()), now=datetime(2024, 1, 2)
        )


@pytest.mark.parametrize("pool_id", ["", "nounderscore", "us-east-1_", "us-east-1_a-b", "x" * 50 + "_abcdef"])
def test_bad_user_pool_id(pool_id: str) -> None:
    with pytest.raises(ValueError, match="user_pool_id"):
        UserAuth(pool_id, "c", "alice", "pw")


@pytest.mark.parametrize("bad", [0, -5, _srp.N, 2 * _srp.N])
def test_bad_ephemeral(bad: int) -> None:
    with pytest.raises(ValueError, match="ephemeral"):
        DeviceAuth(SECRETS, "c", ephemeral=bad)


def test_ephemeral_bits() -> None:
    assert DeviceAuth(SECRETS, "c", ephemeral_bits=1024).srp_a != DeviceAuth(SECRETS, "c").srp_a
    with pytest.raises(ValueError, match="ephemeral_bits"):
        DeviceAuth(SECRETS, "c", ephemeral_bits=64)


def test_default_ephemeral_is_fresh_each_time() -> None:
    assert len({DeviceAuth(SECRETS, "c").srp_a for _ in range(5)}) == 5


def test_no_secret_in_repr_str_or_errors() -> None:
    password = "correct horse battery staple"
    auth = DeviceAuth(SECRETS, "client-1", client_secret="client-secret-xyz")
    user = UserAuth("us-east-1_Ab12", "client-1", "alice@example.com", password, client_secret="client-secret-xyz")
    secret_a = repr(auth._eph._a), repr(user._eph._a)
    for obj in (auth, user):
        for text in (repr(obj), str(obj)):
            assert SECRETS.device_password not in text
            assert password not in text and "client-secret-xyz" not in text and "alice@example.com" not in text
            assert secret_a[0] not in text and secret_a[1] not in text
    with pytest.raises(InvalidChallengeError) as info:
        user.respond_to_password_verifier({"ChallengeName": "PASSWORD_VERIFIER", "Session": "s"}, now=NOW)
    assert password not in str(info.value) and "alice" not in str(info.value)


# ---- respond_to_mfa ------------------------------------------------------------------------


def _mfa_challenge(name: str, **params: str) -> dict[str, object]:
    return {"ChallengeName": name, "Session": "sess-1", "ChallengeParameters": {"USERNAME": "alice-sub", **params}}


@pytest.mark.parametrize(
    ("name", "member"),
    [("SMS_MFA", "SMS_MFA_CODE"), ("SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA_CODE"), ("EMAIL_OTP", "EMAIL_OTP_CODE")],
)
def test_respond_to_mfa_answers_each_code_challenge(name: str, member: str) -> None:
    user = UserAuth("us-east-1_Ab12", "client", "alice", "pw")
    answer = user.respond_to_mfa(_mfa_challenge(name), "123456")
    assert answer == {
        "ClientId": "client",
        "ChallengeName": name,
        "Session": "sess-1",
        "ChallengeResponses": {"USERNAME": "alice-sub", member: "123456"},
    }


def test_respond_to_mfa_adds_secret_hash_and_device_key() -> None:
    device = DeviceSecrets.from_parts(
        device_key="us-east-1_0f1e", device_group_key="-g", device_password="pw", salt=b"\x01"
    )
    user = UserAuth("us-east-1_Ab12", "client", "alice", "pw", client_secret="s3cret", device=device)
    responses = user.respond_to_mfa(_mfa_challenge("SMS_MFA"), "123456")["ChallengeResponses"]
    assert responses["DEVICE_KEY"] == "us-east-1_0f1e"
    # SECRET_HASH = b64(HMAC-SHA256(secret, USERNAME || client_id)) with the challenge's USERNAME
    expected = base64.b64encode(hmac.new(b"s3cret", b"alice-subclient", hashlib.sha256).digest()).decode()
    assert responses["SECRET_HASH"] == expected


def test_respond_to_mfa_select_type() -> None:
    user = UserAuth("us-east-1_Ab12", "client", "alice", "pw")
    answer = user.respond_to_mfa(_mfa_challenge("SELECT_MFA_TYPE"), "SOFTWARE_TOKEN_MFA")
    assert answer["ChallengeResponses"] == {"USERNAME": "alice-sub", "ANSWER": "SOFTWARE_TOKEN_MFA"}
    with pytest.raises(ValidationError, match="SELECT_MFA_TYPE"):
        user.respond_to_mfa(_mfa_challenge("SELECT_MFA_TYPE"), "PIGEON")


def test_respond_to_mfa_refuses_other_challenges_and_bad_codes() -> None:
    user = UserAuth("us-east-1_Ab12", "client", "alice", "pw")
    with pytest.raises(InvalidChallengeError, match="expected an MFA challenge, got PASSWORD_VERIFIER"):
        user.respond_to_mfa(_mfa_challenge("PASSWORD_VERIFIER"), "1")
    with pytest.raises(ValidationError, match="code"):
        user.respond_to_mfa(_mfa_challenge("SMS_MFA"), "")
    with pytest.raises(TypeError):
        user.respond_to_mfa(_mfa_challenge("SMS_MFA"), 123456)  # type: ignore[arg-type]
    with pytest.raises(InvalidChallengeError, match="Session"):
        user.respond_to_mfa({"ChallengeName": "SMS_MFA", "ChallengeParameters": {}}, "1")
