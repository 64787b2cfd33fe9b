"""End to end with real boto3 against the local emulator: the lifecycle, the failures, load and faults."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from srp_device import DeviceAuth, DeviceSecrets, UserAuth, api, flows
from srp_device.emulator import LocalCognito, PoolConfig, UserSpec
from srp_device.exceptions import NotAuthorizedError, ResourceNotFoundError

PASSWORD = "Correct-Horse-9"


class Clock:
    """A movable clock for the emulator and the client."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def _client(cognito: LocalCognito, **config: Any) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=cognito.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cognito(clock: Clock) -> Iterator[LocalCognito]:
    users = {"alice": UserSpec(PASSWORD, mfa=True), "bob": UserSpec(PASSWORD, mfa=False)}
    with LocalCognito(users, clock=clock) as c:
        yield c


def _sign_in(client: Any, c: LocalCognito, username: str = "alice", **kw: Any) -> flows.SignInResult:
    return flows.sign_in(
        client,
        user_pool_id=c.user_pool_id,
        client_id=c.client_id,
        username=username,
        password=PASSWORD,
        mfa_code=lambda _: c.last_code(username),
        **kw,
    )


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_the_whole_lifecycle(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito)
    assert first.mfa_asked and first.new_device and first.device_remembered
    assert first.steps == ("PASSWORD_VERIFIER", "SMS_MFA")
    device = first.device
    assert isinstance(device, DeviceSecrets) and cognito.device_count("alice") == 1

    second = _sign_in(client, cognito, device=device)
    assert not second.mfa_asked and not second.new_device
    assert second.steps == ("PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")
    claims = json.loads(base64.urlsafe_b64decode(second.access_token.split(".")[1] + "=="))
    assert claims["device_key"] == device.device_key and claims["username"] == "alice"
    assert {"sub", "client_id", "token_use", "exp"} <= claims.keys() and claims["token_use"] == "access"

    devices = list(api.iter_devices(client.list_devices, api.list_devices(second.access_token)))
    assert [d.device_key for d in devices] == [device.device_key] and devices[0].remembered
    got = api.parse_get_device(client.get_device(**api.get_device(device.device_key, second.access_token)))
    assert got.last_authenticated_date is not None

    client.forget_device(**api.forget_device(device.device_key, second.access_token))
    assert cognito.device_count("alice") == 0
    third = _sign_in(client, cognito, device=device)
    assert third.forgot_stale_device and third.mfa_asked and third.new_device


def test_stored_device_json_survives_the_app_restart(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito)
    assert isinstance(first.device, DeviceSecrets)
    stored = first.device.to_json_including_password()
    again = _sign_in(client, cognito, device=DeviceSecrets.from_json(stored))
    assert not again.mfa_asked


def test_wrong_device_password_fails_as_the_service_fails(cognito: LocalCognito) -> None:
    client = _client(cognito)
    device = _sign_in(client, cognito).device
    assert isinstance(device, DeviceSecrets)
    wrong = DeviceSecrets.from_parts(
        device_key=device.device_key, device_group_key=device.device_group_key, device_password="not-it", salt=b"1"
    )
    auth, challenge = _to_device_verifier(client, cognito, wrong)
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**auth.respond_to_device_password_verifier(challenge))
    assert _code(info) == "NotAuthorizedException"
    assert "Incorrect username or password" in str(info.value)
    assert api.is_device_password_stale(info.value, challenge_name="DEVICE_PASSWORD_VERIFIER")


def _to_device_verifier(client: Any, c: LocalCognito, device: DeviceSecrets) -> tuple[DeviceAuth, dict]:
    user = UserAuth(c.user_pool_id, c.client_id, "alice", PASSWORD, device=device)
    step = client.respond_to_auth_challenge(
        **user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
    )
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH"
    auth = user.device_auth()
    return auth, client.respond_to_auth_challenge(**auth.respond_to_device_srp_auth(step))


def test_stale_timestamp_is_refused(cognito: LocalCognito, clock: Clock) -> None:
    client = _client(cognito)
    device = _sign_in(client, cognito).device
    assert isinstance(device, DeviceSecrets)
    auth, challenge = _to_device_verifier(client, cognito, device)
    stale = auth.respond_to_device_password_verifier(challenge, now=clock.now - timedelta(minutes=10))
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**stale)
    assert _code(info) == "NotAuthorizedException"
    auth, challenge = _to_device_verifier(client, cognito, device)
    fresh = auth.respond_to_device_password_verifier(challenge, now=clock.now - timedelta(minutes=4))
    assert "AuthenticationResult" in client.respond_to_auth_challenge(**fresh)


def test_malformed_timestamp_gets_the_services_message(cognito: LocalCognito) -> None:
    client = _client(cognito)
    device = _sign_in(client, cognito).device
    assert isinstance(device, DeviceSecrets)
    auth, challenge = _to_device_verifier(client, cognito, device)
    answer = auth.respond_to_device_password_verifier(challenge)
    day = answer["ChallengeResponses"]["TIMESTAMP"].split()
    day[2] = day[2].zfill(2) if len(day[2]) == 1 else day[2] + "x"
    answer["ChallengeResponses"]["TIMESTAMP"] = " ".join(day)
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**answer)
    assert _code(info) in ("InvalidParameterException", "NotAuthorizedException")


def test_replayed_session_is_refused(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    challenge = client.initiate_auth(**user.initiate_auth())
    answer = user.respond_to_password_verifier(challenge)
    assert "AuthenticationResult" in client.respond_to_auth_challenge(**answer)
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**answer)
    assert _code(info) == "NotAuthorizedException" and "session" in str(info.value).lower()


def test_expired_session_is_refused(cognito: LocalCognito, clock: Clock) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    challenge = client.initiate_auth(**user.initiate_auth())
    clock.now += timedelta(minutes=4)
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**user.respond_to_password_verifier(challenge, now=clock.now))
    assert _code(info) == "NotAuthorizedException" and "expired" in str(info.value)


def test_forgotten_device_is_device_does_not_exist(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito)
    device = first.device
    assert isinstance(device, DeviceSecrets)
    client.forget_device(**api.forget_device(device.device_key, first.access_token))
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "alice", PASSWORD, device=device)
    challenge = client.initiate_auth(**user.initiate_auth())
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**user.respond_to_password_verifier(challenge))
    assert _code(info) == "ResourceNotFoundException"
    assert api.is_device_not_found(info.value) and api.is_device_not_found(api.error_from_client_error(info.value))


def test_client_secret_pool_checks_secret_hash(clock: Clock) -> None:
    config = PoolConfig(client_secret="app-secret")
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=config, clock=clock) as c:
        client = _client(c)
        user = UserAuth(c.user_pool_id, c.client_id, "bob", PASSWORD)  # no secret: no SECRET_HASH
        with pytest.raises(ClientError) as info:
            client.initiate_auth(**user.initiate_auth())
        assert _code(info) == "NotAuthorizedException" and "SECRET_HASH" in str(info.value)
        ok = flows.sign_in(
            client,
            user_pool_id=c.user_pool_id,
            client_id=c.client_id,
            username="bob",
            password=PASSWORD,
            client_secret="app-secret",
        )
        again = flows.sign_in(
            client,
            user_pool_id=c.user_pool_id,
            client_id=c.client_id,
            username="bob",
            password=PASSWORD,
            client_secret="app-secret",
            device=ok.device,
        )
        assert again.steps[-1] == "DEVICE_PASSWORD_VERIFIER"
        wrong = UserAuth(c.user_pool_id, c.client_id, "bob", PASSWORD, client_secret="not-the-secret")
        with pytest.raises(ClientError) as info:
            client.initiate_auth(**wrong.initiate_auth())
        assert _code(info) == "NotAuthorizedException"


def test_refresh_needs_the_device_key(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito, username="bob")
    refresh = first.tokens["RefreshToken"]
    with pytest.raises(ClientError) as info:
        client.initiate_auth(**api.refresh_token_auth(cognito.client_id, refresh))
    assert _code(info) == "NotAuthorizedException"
    result = client.initiate_auth(**api.refresh_token_auth(cognito.client_id, refresh, device=first.device))
    assert "AccessToken" in result["AuthenticationResult"]


def test_device_calls_verify_the_access_token(cognito: LocalCognito, clock: Clock) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito, username="bob")
    token = first.access_token
    head, body, sig = token.split(".")
    forged_claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged_claims["username"] = "alice"
    forged = f"{head}.{base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b'=').decode()}.{sig}"
    for bad in (forged, "a.b.c", token[:-4] + "AAAA"):
        with pytest.raises(ClientError) as info:
            client.list_devices(**api.list_devices(bad))
        assert _code(info) == "NotAuthorizedException"
    clock.now += timedelta(hours=2)
    with pytest.raises(ClientError) as info:
        client.list_devices(**api.list_devices(token))
    assert "expired" in str(info.value)


def test_always_remember_pool_needs_no_opt_in(clock: Clock) -> None:
    with LocalCognito({"alice": UserSpec(PASSWORD)}, config=PoolConfig(device_tracking="always"), clock=clock) as c:
        client = _client(c)
        first = _sign_in(client, c)
        assert first.device_remembered is True
        assert not _sign_in(client, c, device=first.device).mfa_asked


def test_opt_in_device_not_remembered_still_asks_mfa(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito, remember=False)
    assert first.device_remembered is False
    again = _sign_in(client, cognito, device=first.device)
    assert again.mfa_asked and not again.new_device


def test_challenge_required_on_new_device(clock: Clock) -> None:
    config = PoolConfig(device_tracking="always", challenge_required_on_new_device=True)
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=config, clock=clock) as c:
        client = _client(c)
        first = _sign_in(client, c, username="bob")
        assert first.mfa_asked  # a new device is challenged even without user MFA
        assert not _sign_in(client, c, username="bob", device=first.device).mfa_asked


def test_pagination_and_admin_calls(cognito: LocalCognito) -> None:
    client = _client(cognito)
    keys = set()
    token = ""
    for _ in range(3):
        result = _sign_in(client, cognito, username="bob")
        assert isinstance(result.device, DeviceSecrets)
        keys.add(result.device.device_key)
        token = result.access_token
    pages = []
    request: dict[str, Any] = dict(api.list_devices(token, limit=1))
    while True:
        response = client.list_devices(**request)
        pages.append([d["DeviceKey"] for d in response["Devices"]])
        if "PaginationToken" not in response:
            break
        request["PaginationToken"] = response["PaginationToken"]
    assert len(pages) == 3 and {k for p in pages for k in p} == keys
    admin = [
        d.device_key
        for d in api.iter_devices(client.admin_list_devices, api.admin_list_devices(cognito.user_pool_id, "bob"))
    ]
    assert set(admin) == keys
    one = sorted(keys)[0]
    client.admin_update_device_status(
        **api.admin_update_device_status(cognito.user_pool_id, "bob", one, remembered=False)
    )
    got = api.parse_get_device(client.admin_get_device(**api.admin_get_device(cognito.user_pool_id, "bob", one)))
    assert got.remembered is False
    client.admin_forget_device(**api.admin_forget_device(cognito.user_pool_id, "bob", one))
    with pytest.raises(ClientError) as info:
        client.admin_get_device(**api.admin_get_device(cognito.user_pool_id, "bob", one))
    assert _code(info) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        client.admin_list_devices(**api.admin_list_devices(cognito.user_pool_id, "nobody"))
    assert _code(info) == "UserNotFoundException"


def test_confirm_device_twice_and_bad_verifier(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = _sign_in(client, cognito, username="bob")
    assert isinstance(first.device, DeviceSecrets)
    with pytest.raises(ClientError) as info:
        client.confirm_device(**api.confirm_device(first.access_token, first.device))
    assert _code(info) == "DeviceKeyExistsException"


# ---- the wire: raw HTTP, malformed requests ----------------------------------------------------------


def _raw(c: LocalCognito, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    host, port = c.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_raw_http_request_builder_talks_to_the_emulator(cognito: LocalCognito) -> None:
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    req = api.http_request("InitiateAuth", user.initiate_auth(), "us-east-1")
    status, body = _raw(cognito, req.body, req.headers)
    assert status == 200 and body["ChallengeName"] == "PASSWORD_VERIFIER"
    answer = user.respond_to_password_verifier(body)
    req = api.http_request("RespondToAuthChallenge", answer, "us-east-1")
    status, body = _raw(cognito, req.body, req.headers)
    assert status == 200 and "AccessToken" in body["AuthenticationResult"]
    status, err = _raw(cognito, req.body, req.headers)  # replay
    assert status == 400 and isinstance(api.error_from_wire(status, err), NotAuthorizedError)


JSON = {"Content-Type": "application/x-amz-json-1.1"}


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (
            b"{not json",
            {**JSON, "X-Amz-Target": "AWSCognitoIdentityProviderService.GetDevice"},
            "SerializationException",
        ),
        (b"[]", {**JSON, "X-Amz-Target": "AWSCognitoIdentityProviderService.GetDevice"}, "SerializationException"),
        (
            b"{}",
            {**JSON, "X-Amz-Target": "AWSCognitoIdentityProviderService.DeleteUserPool"},
            "UnknownOperationException",
        ),
        (b"{}", JSON, "UnknownOperationException"),
        (b"{}", {**JSON, "X-Amz-Target": "AWSCognitoIdentityProviderService.GetDevice"}, "InvalidParameterException"),
        (
            b"x" * 300_000,
            {**JSON, "X-Amz-Target": "AWSCognitoIdentityProviderService.GetDevice"},
            "RequestEntityTooLargeException",
        ),
        (
            b"{}",
            {**JSON, "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetDevice"},
            "MissingAuthenticationTokenException",
        ),
    ],
)
def test_bad_requests_get_clean_errors_and_the_server_keeps_serving(
    cognito: LocalCognito, body: bytes, headers: dict[str, str], code: str
) -> None:
    status, err = _raw(cognito, body, headers)
    assert status >= 400 and err["__type"] == code and isinstance(err["message"], str)
    assert _sign_in(_client(cognito), cognito, username="bob").tokens


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LocalCognito]:
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}) as c:
        yield c


@settings(max_examples=60, deadline=None)
@given(
    target=st.one_of(
        st.sampled_from([f"AWSCognitoIdentityProviderService.{op}" for op in api.CONSTRAINTS]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    ),
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(
                [
                    "AccessToken",
                    "DeviceKey",
                    "ClientId",
                    "AuthFlow",
                    "AuthParameters",
                    "Session",
                    "ChallengeName",
                    "ChallengeResponses",
                    "Limit",
                    "PaginationToken",
                    "UserPoolId",
                    "Username",
                ]
            ),
            st.one_of(
                st.text(max_size=30),
                st.integers(),
                st.none(),
                st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
            ),
        ).map(lambda d: json.dumps(d).encode()),
    ),
)
def test_fuzzed_bodies_and_headers_never_crash_the_server(fuzz_server: LocalCognito, target: str, body: bytes) -> None:
    server = fuzz_server
    headers = {**JSON, "Authorization": "AWS4-HMAC-SHA256 Credential=x"}
    if target.strip():
        headers["X-Amz-Target"] = target
    status, answer = _raw(server, body, headers)
    assert status == 200 or (400 <= status < 500 and "__type" in answer and "message" in answer)


# ---- load and restarts ---------------------------------------------------------------------------------


def test_100_concurrent_device_sign_ins(clock: Clock) -> None:
    users = {f"user{i}": UserSpec(PASSWORD, mfa=False) for i in range(10)}
    with LocalCognito(users, config=PoolConfig(device_tracking="always"), clock=clock) as c:
        client = _client(c, max_pool_connections=50)

        def one(i: int) -> tuple[str, tuple[str, ...]]:
            name = f"user{i % 10}"
            first = flows.sign_in(
                client, user_pool_id=c.user_pool_id, client_id=c.client_id, username=name, password=PASSWORD
            )
            assert isinstance(first.device, DeviceSecrets)
            again = flows.sign_in(
                client,
                user_pool_id=c.user_pool_id,
                client_id=c.client_id,
                username=name,
                password=PASSWORD,
                device=first.device,
            )
            return first.device.device_key, again.steps

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(one, range(100)))
        keys = [k for k, _ in results]
        assert len(set(keys)) == 100
        assert all(steps[-1] == "DEVICE_PASSWORD_VERIFIER" for _, steps in results)
        assert c.device_count() == 100
        assert sum(c.device_count(f"user{i}") for i in range(10)) == 100


def test_file_backed_emulator_keeps_devices_across_a_restart(tmp_path: Any, clock: Clock) -> None:
    db = str(tmp_path / "pool.sqlite3")
    users = {"alice": UserSpec(PASSWORD, mfa=True)}
    devices = []
    with LocalCognito(users, db=db, clock=clock) as c:
        client = _client(c)
        for _ in range(3):
            devices.append(_sign_in(client, c).device)
        token = _sign_in(client, c, device=devices[0]).access_token
    with LocalCognito(users, db=db, clock=clock) as c:  # a new process would see the same
        client = _client(c)
        assert c.device_count("alice") == 3
        for device in devices:
            assert not _sign_in(client, c, device=device).mfa_asked
        assert len(client.list_devices(**api.list_devices(token))["Devices"]) == 3  # the signing key persisted


def test_restart_mid_run_loses_no_confirmed_device(tmp_path: Any, clock: Clock) -> None:
    db = str(tmp_path / "pool.sqlite3")
    users = {f"u{i}": UserSpec(PASSWORD, mfa=False) for i in range(4)}
    confirmed: list[Any] = []
    stop = threading.Event()

    def worker(c: LocalCognito, name: str) -> None:
        client = _client(c)
        while not stop.is_set():
            try:
                result = flows.sign_in(
                    client, user_pool_id=c.user_pool_id, client_id=c.client_id, username=name, password=PASSWORD
                )
            except Exception:
                return  # the server went away mid-call: that sign-in never completed
            confirmed.append((name, result.device))

    c = LocalCognito(users, db=db, clock=clock).start()
    threads = [threading.Thread(target=worker, args=(c, f"u{i}")) for i in range(4)]
    for t in threads:
        t.start()
    while len(confirmed) < 12:
        threading.Event().wait(0.01)
    c.close()
    stop.set()
    for t in threads:
        t.join()
    with LocalCognito(users, db=db, clock=clock) as c2:
        client = _client(c2)
        assert c2.device_count() >= len(confirmed)
        for name, device in confirmed[:6]:
            again = flows.sign_in(
                client,
                user_pool_id=c2.user_pool_id,
                client_id=c2.client_id,
                username=name,
                password=PASSWORD,
                device=device,
            )
            assert again.steps[-1] == "DEVICE_PASSWORD_VERIFIER"


def test_emulator_serves_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LocalCognito({}, host="0.0.0.0")


def test_emulator_repr_and_outbox(cognito: LocalCognito) -> None:
    assert cognito.endpoint_url.startswith("http://127.0.0.1:")
    with pytest.raises(ValueError, match="no MFA code"):
        cognito.last_code("alice")
    assert PASSWORD not in repr(UserSpec(PASSWORD))
    assert isinstance(ResourceNotFoundError("x"), Exception)


class AwaitableClient:
    """A client whose methods are awaitable, as aiobotocore's are (boto3 underneath, in a thread)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        import asyncio

        method = getattr(self._client, name)

        async def call(**kwargs: Any) -> Any:
            return await asyncio.to_thread(method, **kwargs)

        return call


def test_the_lifecycle_with_an_awaitable_client(cognito: LocalCognito) -> None:
    import asyncio

    client = AwaitableClient(_client(cognito))

    def sign_in(**kw: Any) -> flows.SignInResult:
        options = {"password": PASSWORD, **kw}
        return asyncio.run(
            flows.sign_in_async(
                client,
                user_pool_id=cognito.user_pool_id,
                client_id=cognito.client_id,
                username="alice",
                mfa_code=lambda _: cognito.last_code("alice"),
                **options,
            )
        )

    first = sign_in()
    assert first.mfa_asked and first.new_device and first.device_remembered
    second = sign_in(device=first.device)
    assert second.steps == ("PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")
    assert isinstance(first.device, DeviceSecrets)
    _client(cognito).forget_device(**api.forget_device(first.device.device_key, second.access_token))
    third = sign_in(device=first.device)
    assert third.forgot_stale_device and third.mfa_asked
    with pytest.raises(NotAuthorizedError):
        sign_in(password="wrong")
