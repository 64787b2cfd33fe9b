"""Client sign-in in the real world, against the emulator with real boto3 and a real aiobotocore client:
errors that say where they happened, the right recovery, every MFA answer, USER_PASSWORD_AUTH,
device stores, one sign-in per object, and the refresh and metadata helpers."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.stub import Stubber

from srp_device import DeviceSecrets, UserAuth, api, flows
from srp_device.emulator import LocalCognito, PoolConfig, UserSpec
from srp_device.exceptions import CodeMismatchError, NotAuthorizedError, ValidationError
from srp_device.stores import DeviceStore, FileDeviceStore, KeyringDeviceStore

from .leaks import shows as _shows

PASSWORD = "Correct-Horse-9"


@pytest.fixture
def cognito() -> Iterator[LocalCognito]:
    users = {"alice": UserSpec(PASSWORD, mfa=True), "bob": UserSpec(PASSWORD, mfa=False)}
    with LocalCognito(users, config=PoolConfig(device_tracking="always")) as c:
        yield c


def _client(c: LocalCognito) -> Any:
    return boto3.client(
        "cognito-idp", endpoint_url=c.endpoint_url, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local", config=Config(retries={"max_attempts": 1}),
    )


def _kw(c: LocalCognito, username: str = "alice", password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
    return dict(
        user_pool_id=c.user_pool_id, client_id=c.client_id, username=username, password=password,
        mfa_code=lambda challenge: c.last_code(username), **extra,
    )


# 1. A mistyped password must not destroy a good device -------------------------------------------


def test_a_mistyped_password_keeps_the_stored_device(cognito: LocalCognito, tmp_path: Path) -> None:
    client, store = _client(cognito), FileDeviceStore(tmp_path / "devices.json")
    first = flows.sign_in(client, store=store, **_kw(cognito))
    assert first.new_device and store.load(cognito.user_pool_id, cognito.client_id, "alice") == first.device
    with pytest.raises(NotAuthorizedError, match="Incorrect username or password") as info:
        flows.sign_in(client, store=store, **_kw(cognito, password="Correct-Horse-8"))
    assert info.value.step == "PASSWORD_VERIFIER"
    assert not api.is_device_password_stale(info.value)  # the user's password, not the device's
    assert store.load(cognito.user_pool_id, cognito.client_id, "alice") == first.device
    again = flows.sign_in(client, store=store, **_kw(cognito))
    assert not again.mfa_asked and again.device == first.device and not again.forgot_stale_device


def test_a_stale_device_password_is_forgotten_and_replaced(cognito: LocalCognito, tmp_path: Path) -> None:
    client, store = _client(cognito), FileDeviceStore(tmp_path / "devices.json")
    good = flows.sign_in(client, store=store, **_kw(cognito)).device
    assert isinstance(good, DeviceSecrets)
    stale = DeviceSecrets.from_parts(
        device_key=good.device_key, device_group_key=good.device_group_key, device_password="overwritten", salt=b"1"
    )
    store.save(cognito.user_pool_id, cognito.client_id, "alice", stale)
    result = flows.sign_in(client, store=store, **_kw(cognito))
    assert result.forgot_stale_device and result.mfa_asked and result.new_device
    assert result.device != stale and store.load(cognito.user_pool_id, cognito.client_id, "alice") == result.device


def test_a_device_the_pool_forgot_is_replaced_in_the_store(cognito: LocalCognito, tmp_path: Path) -> None:
    client, store = _client(cognito), FileDeviceStore(tmp_path / "devices.json")
    first = flows.sign_in(client, store=store, **_kw(cognito))
    assert first.device is not None
    client.forget_device(**api.forget_device(first.device.device_key, first.access_token))
    second = flows.sign_in(client, store=store, **_kw(cognito))
    assert second.forgot_stale_device and second.device != first.device
    assert store.load(cognito.user_pool_id, cognito.client_id, "alice") == second.device


def test_errors_say_where_they_happened(cognito: LocalCognito) -> None:
    client = _client(cognito)
    with pytest.raises(NotAuthorizedError) as unknown:
        flows.sign_in(client, **_kw(cognito, username="nobody"))
    assert unknown.value.step == "InitiateAuth"
    with pytest.raises(CodeMismatchError) as wrong_code:
        flows.sign_in(client, **{**_kw(cognito), "mfa_code": lambda challenge: "000000x"})
    assert wrong_code.value.step == "SMS_MFA"
    stale = NotAuthorizedError("Incorrect username or password.", step="DEVICE_PASSWORD_VERIFIER")
    assert api.is_device_password_stale(stale)
    assert api.is_device_password_stale(NotAuthorizedError("x"), challenge_name="DEVICE_SRP_AUTH")
    assert not api.is_device_password_stale(NotAuthorizedError("x"))


# 2. Every challenge a device sign-in meets ---------------------------------------------------------------


def test_the_code_callback_is_told_which_challenge(cognito: LocalCognito) -> None:
    seen: list[str] = []

    def code(challenge: Any) -> str:
        seen.append(challenge["ChallengeName"])
        return cognito.last_code("alice")

    result = flows.sign_in(_client(cognito), **{**_kw(cognito), "mfa_code": code})
    assert seen == ["SMS_MFA"] and result.mfa_asked


def test_a_low_level_sign_in_answers_mfa_and_confirms_the_device(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "alice", PASSWORD)
    response = client.respond_to_auth_challenge(
        **user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
    )
    assert response["ChallengeName"] == "SMS_MFA"
    response = client.respond_to_auth_challenge(**user.respond_to_mfa(response, cognito.last_code("alice")))
    metadata = api.new_device_metadata(response)
    assert metadata is not None
    device = DeviceSecrets.generate(device_key=metadata.device_key, device_group_key=metadata.device_group_key)
    token = response["AuthenticationResult"]["AccessToken"]
    outcome = api.parse_confirm_device(client.confirm_device(**api.confirm_device(token, device)))
    assert not outcome.user_confirmation_necessary  # device tracking "always"


def test_user_password_auth_with_a_device_leads_to_device_srp_auth(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = flows.sign_in(client, **_kw(cognito, auth_flow="USER_PASSWORD_AUTH"))
    assert first.steps == ("SMS_MFA",) and first.device is not None
    again = flows.sign_in(client, device=first.device, **_kw(cognito, auth_flow="USER_PASSWORD_AUTH"))
    assert again.steps == ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER") and not again.mfa_asked
    with pytest.raises(NotAuthorizedError) as info:
        flows.sign_in(client, **_kw(cognito, password="nope-nope", auth_flow="USER_PASSWORD_AUTH"))
    assert info.value.step == "InitiateAuth"
    with pytest.raises(ValidationError, match="auth_flow"):
        flows.sign_in(client, **_kw(cognito, auth_flow="CUSTOM_AUTH"))


def test_tokens_without_any_challenge(tmp_path: Path) -> None:
    with LocalCognito({"carol": UserSpec(PASSWORD, mfa=False)}, config=PoolConfig(device_tracking="off")) as c:
        result = flows.sign_in(_client(c), **_kw(c, username="carol", auth_flow="USER_PASSWORD_AUTH"))
        assert result.steps == () and result.device is None and result.secrets is None
        assert api.new_device_metadata({"AuthenticationResult": dict(result.tokens)}) is None


def test_new_device_metadata_reads_any_authentication_result() -> None:
    meta = {"DeviceKey": "us-east-1_ab", "DeviceGroupKey": "-g"}
    assert api.new_device_metadata({"AuthenticationResult": {"NewDeviceMetadata": meta}}) == ("us-east-1_ab", "-g")
    assert api.new_device_metadata({"AuthenticationResult": {"AccessToken": "t"}}) is None
    assert api.new_device_metadata({"NewDeviceMetadata": meta}).device_group_key == "-g"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="NewDeviceMetadata"):
        api.new_device_metadata({"AuthenticationResult": {"NewDeviceMetadata": {"DeviceKey": 3}}})


def test_get_tokens_from_refresh_token_carries_the_device_key() -> None:
    device = DeviceSecrets.from_parts(
        device_key="us-east-1_0f1e", device_group_key="-g", device_password="p", salt=b"1"
    )
    request = api.get_tokens_from_refresh_token("client1", "refresh.token", device=device, client_secret="s" * 30)
    assert request == {"RefreshToken": "refresh.token", "ClientId": "client1", "DeviceKey": "us-east-1_0f1e",
                       "ClientSecret": "s" * 30}
    client = boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stub:  # botocore's own model accepts it
        stub.add_response("get_tokens_from_refresh_token", {"AuthenticationResult": {}}, expected_params=request)
        client.get_tokens_from_refresh_token(**request)
    with pytest.raises(ValidationError, match="ClientSecret"):
        api.get_tokens_from_refresh_token("client1", "r", client_secret="short")


# 4. aiobotocore, complete --------------------------------------------------------------------------------


def test_aiobotocore_sign_in_with_an_async_callback_and_async_device_listing(cognito: LocalCognito) -> None:
    async def code(challenge: Any) -> str:
        await asyncio.sleep(0)
        return cognito.last_code("alice")

    async def run() -> tuple[flows.SignInResult, list[api.Device]]:
        session = get_session()
        async with session.create_client(
            "cognito-idp", endpoint_url=cognito.endpoint_url, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        ) as client:
            result = await flows.sign_in_async(client, **{**_kw(cognito), "mfa_code": code})
            listed = [d async for d in api.aiter_devices(client.list_devices, api.list_devices(result.access_token, 1))]
            return result, listed

    result, listed = asyncio.run(run())
    assert result.mfa_asked and result.device is not None
    assert [d.device_key for d in listed] == [result.device.device_key]


def test_an_async_callback_on_the_blocking_flow_is_a_clear_type_error(cognito: LocalCognito) -> None:
    async def code(challenge: Any) -> str:
        return "123456"

    with pytest.raises(TypeError, match=r"use flows\.sign_in_async"):
        flows.sign_in(_client(cognito), **{**_kw(cognito), "mfa_code": code})


# 5. Device storage -----------------------------------------------------------------------------------------


def _device(i: int) -> DeviceSecrets:
    return DeviceSecrets.from_parts(
        device_key=f"us-east-1_{i:04x}", device_group_key="-g", device_password=f"pw-{i}", salt=bytes([1, i % 256])
    )


def test_file_store_is_private_atomic_and_keyed(tmp_path: Path) -> None:
    path = tmp_path / "devices.json"
    store = FileDeviceStore(path)
    assert isinstance(store, DeviceStore) and store.load("us-east-1_P", "c", "alice") is None
    store.save("us-east-1_P", "c", "alice", _device(1))
    store.save("us-east-1_P", "c", "bob", _device(2))
    store.save("us-east-1_P", "other", "alice", _device(3))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.load("us-east-1_P", "c", "alice") == _device(1)
    assert store.load("us-east-1_P", "other", "alice") == _device(3)
    store.forget("us-east-1_P", "c", "alice")
    store.forget("us-east-1_P", "c", "alice")  # nothing stored: nothing happens
    assert store.load("us-east-1_P", "c", "alice") is None and store.load("us-east-1_P", "c", "bob") == _device(2)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_file_store_errors_never_show_a_password(tmp_path: Path) -> None:
    path = tmp_path / "devices.json"
    path.write_text('{"version": 1, "devices": {"us-east-1_P/c/alice": {"device_password": "hunter2-secret"}}}')
    with pytest.raises(ValidationError, match="unreadable") as info:
        FileDeviceStore(path).load("us-east-1_P", "c", "alice")
    assert not _shows(info.value, "hunter2-secret")
    path.write_text('{"version": 1, "devices": {"k": {"device_password": "hunter2-secret"}} ,,')
    with pytest.raises(ValidationError, match="not a srp-device store") as info:
        FileDeviceStore(path).load("us-east-1_P", "c", "alice")
    assert not _shows(info.value, "hunter2-secret")


def _save_many(path: str, worker: int) -> None:
    store = FileDeviceStore(path)
    for i in range(25):
        store.save("us-east-1_P", "c", f"user-{worker}-{i}", _device(worker * 100 + i))


def test_two_processes_lose_none_of_each_others_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "devices.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_many, args=(path, w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(json.loads(Path(path).read_text())["devices"]) == 50


def test_keyring_store_through_the_keyring_library() -> None:
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class Memory(KeyringBackend):  # a real keyring backend, kept in memory for the test
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if self.items.pop((service, username), None) is None:
                raise PasswordDeleteError("no such item")

    previous = keyring.get_keyring()
    memory = Memory()
    keyring.set_keyring(memory)
    try:
        store = KeyringDeviceStore("my-app")
        store.save("us-east-1_P", "c", "alice", _device(7))
        assert list(memory.items) == [("my-app", "us-east-1_P/c/alice")]
        assert store.load("us-east-1_P", "c", "alice") == _device(7)
        store.forget("us-east-1_P", "c", "alice")
        store.forget("us-east-1_P", "c", "alice")
        assert store.load("us-east-1_P", "c", "alice") is None
    finally:
        keyring.set_keyring(previous)


def test_with_a_store_a_device_is_confirmed_once_and_reused(cognito: LocalCognito, tmp_path: Path) -> None:
    client, store = _client(cognito), FileDeviceStore(tmp_path / "devices.json")
    results = [flows.sign_in(client, store=store, **_kw(cognito)) for _ in range(4)]
    assert [r.new_device for r in results] == [True, False, False, False]
    token = results[-1].access_token
    assert len(list(api.iter_devices(client.list_devices, api.list_devices(token)))) == 1


# 7. One sign-in per object ------------------------------------------------------------------------------


def test_a_second_sign_in_on_the_same_object_is_refused(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    challenge = client.initiate_auth(**user.initiate_auth())
    client.respond_to_auth_challenge(**user.respond_to_password_verifier(challenge))
    again = client.initiate_auth(**user.initiate_auth())
    with pytest.raises(ValidationError, match="one UserAuth or DeviceAuth serves one sign-in"):
        user.respond_to_password_verifier(again)
