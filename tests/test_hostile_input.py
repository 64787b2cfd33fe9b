"""Bad input, from the caller's strings or a server's answer: every failure typed, naming its field,
and no secret anywhere in the exception or its chain."""

from __future__ import annotations

import json
from typing import Any

import pytest

from srp_device import DeviceAuth, DeviceSecrets, SrpDeviceError, UserAuth, _srp, api, flows

from .leaks import chain, shows

SECRET = "hunter2-\ud800-device-password"  # a lone surrogate: not encodable as UTF-8
KEY = "us-east-1_0f1e2d3c-aaaa-4bbb-8ccc-0123456789ab"


def _typed(exc: BaseException, secret: str | None = None) -> None:
    assert isinstance(exc, SrpDeviceError), repr(exc)
    assert getattr(exc, "field", None), repr(exc)
    if secret is not None:
        assert not shows(exc, secret), [repr(e) for e in chain(exc)]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"version": 1, "device_password": "hunter2-secret-pw", "salt": ',
        b'{"device_password": "hunter2-secret-pw"}\xff',
        "null",
        json.dumps(
            {
                "version": 1,
                "device_key": KEY,
                "device_group_key": "-g",
                "device_password": "hunter2-secret-pw",
                "salt": "!!",
            }
        ),
        json.dumps(
            {"version": 1, "device_key": KEY, "device_group_key": "-g", "device_password": SECRET, "salt": "AQ=="}
        ),
    ],
)
def test_from_json_failures_are_typed_and_keep_the_password_out(text: str | bytes) -> None:
    with pytest.raises(SrpDeviceError) as info:
        DeviceSecrets.from_json(text)
    _typed(info.value, "hunter2-secret-pw")
    _typed(info.value, SECRET)


def test_a_lone_surrogate_password_is_a_typed_error_that_never_shows_it() -> None:
    with pytest.raises(SrpDeviceError) as info:
        DeviceSecrets.from_parts(device_key=KEY, device_group_key="-g", device_password=SECRET, salt=b"\x01")
    _typed(info.value, SECRET)
    user = UserAuth("us-east-1_Ab12", "client", "alice", SECRET)
    challenge = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": "s",
        "ChallengeParameters": {"SRP_B": "02", "SALT": "01", "SECRET_BLOCK": "AA==", "USER_ID_FOR_SRP": "alice"},
    }
    with pytest.raises(SrpDeviceError) as info:
        user.respond_to_password_verifier(challenge)
    _typed(info.value, SECRET)
    with pytest.raises(SrpDeviceError) as info:
        _srp.secret_hash(client_secret=SECRET, username="alice", client_id="c")
    _typed(info.value, SECRET)


@pytest.mark.parametrize("value", [1e20, -1e20, float("nan"), float("inf"), 10**30])
def test_device_dates_out_of_range_are_typed(value: float) -> None:
    with pytest.raises(SrpDeviceError) as info:
        api.parse_device({"DeviceKey": KEY, "DeviceCreateDate": value})
    _typed(info.value)
    assert info.value.field == "DeviceCreateDate"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "response",
    [{"Devices": [1]}, {"Devices": ["x"]}, {"Devices": [{"DeviceKey": 3}]}, {"Devices": {}}, {"PaginationToken": 5}],
)
def test_malformed_device_lists_are_typed(response: dict[str, Any]) -> None:
    with pytest.raises(SrpDeviceError) as info:
        api.parse_list_devices(response)
    _typed(info.value)


class Scripted:
    """A client whose answers are scripted: a server gone wrong (real ones are driven elsewhere)."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    def __getattr__(self, name: str) -> Any:
        def call(**request: Any) -> Any:
            return self.answers.pop(0)

        return call


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {},
        [],
        {"AuthenticationResult": None},
        {"AuthenticationResult": {"IdToken": "x"}},
        {"ChallengeName": 5},
        {"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": None, "Session": "s"},
        {"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": {"SRP_B": "zz"}, "Session": "s"},
        {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s"},
    ],
)
def test_a_malformed_server_answer_is_a_typed_error(answer: Any) -> None:
    with pytest.raises(SrpDeviceError) as info:
        flows.sign_in(
            Scripted(answer),
            user_pool_id="us-east-1_Ab12",
            client_id="c",
            username="alice",
            password="hunter2-user-password",
        )
    _typed(info.value, "hunter2-user-password")


def test_a_malformed_confirm_device_answer_is_typed() -> None:
    tokens = {
        "AuthenticationResult": {
            "AccessToken": "a.b.c",
            "NewDeviceMetadata": {"DeviceKey": KEY, "DeviceGroupKey": "-g"},
        }
    }
    with pytest.raises(SrpDeviceError) as info:
        flows.sign_in(
            Scripted({"ChallengeName": "SMS_MFA", "Session": "s", "ChallengeParameters": {}}, tokens, None),
            user_pool_id="us-east-1_Ab12",
            client_id="c",
            username="alice",
            password="pw",
            mfa_code=lambda _: "123456",
        )
    _typed(info.value)


def test_device_auth_on_garbage_challenges() -> None:
    device = DeviceSecrets.from_parts(
        device_key=KEY, device_group_key="-g", device_password="hunter2-dev", salt=b"\x01"
    )
    auth = DeviceAuth(device, "client")
    for challenge in (
        {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": "s",
            "ChallengeParameters": {"SRP_B": "-", "SALT": "1", "SECRET_BLOCK": "AA=="},
        },
        {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": "s",
            "ChallengeParameters": {"SRP_B": "0", "SALT": "1", "SECRET_BLOCK": "AA=="},
        },
        {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": "s",
            "ChallengeParameters": {"SRP_B": "2", "SALT": "1", "SECRET_BLOCK": "%%%"},
        },
    ):
        with pytest.raises(SrpDeviceError) as info:
            auth.respond_to_device_password_verifier(challenge)
        _typed(info.value, "hunter2-dev")
