"""The emulator answers as the service does (issue: fidelity for every real client), with real boto3.

Each test names the behaviour it pins. AWS's JS clients, pycognito, awscli and aiobotocore
are driven in tests/test_interop_*.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from srp_device import UserAuth, api, flows
from srp_device.emulator import LocalCognito, PoolConfig, UserSpec

PASSWORD = "Correct-Horse-9"


def _client(c: LocalCognito) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=c.endpoint_url,
        region_name=c.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def cognito() -> Iterator[LocalCognito]:
    users = {"alice": UserSpec(PASSWORD, mfa=True), "bob": UserSpec(PASSWORD, mfa=False)}
    with LocalCognito(users, config=PoolConfig(device_tracking="opt_in")) as c:
        yield c


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def _kw(c: LocalCognito, username: str = "alice") -> dict[str, Any]:
    return dict(
        user_pool_id=c.user_pool_id,
        client_id=c.client_id,
        username=username,
        password=PASSWORD,
        mfa_code=lambda _: c.last_code(username),
    )


def _post(c: LocalCognito, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        c.endpoint_url,
        json.dumps(body).encode(),
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
        },
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# 1. PASSWORD_VERIFIER without a Session ---------------------------------------------------------------


def test_password_verifier_is_answered_without_a_session(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    challenge = client.initiate_auth(**user.initiate_auth())
    answer = user.respond_to_password_verifier(challenge)
    del answer["Session"]  # as pycognito answers
    result = client.respond_to_auth_challenge(**answer)
    assert "AccessToken" in result["AuthenticationResult"]
    with pytest.raises(ClientError) as replay:  # the sealed state answers once
        client.respond_to_auth_challenge(**answer)
    assert _code(replay)[0] == "NotAuthorizedException"


def test_a_secret_block_from_elsewhere_or_tampered_is_refused(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    answer = user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
    block = bytearray(base64.b64decode(answer["ChallengeResponses"]["PASSWORD_CLAIM_SECRET_BLOCK"]))
    block[20] ^= 1
    answer["ChallengeResponses"]["PASSWORD_CLAIM_SECRET_BLOCK"] = base64.b64encode(bytes(block)).decode()
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**answer)
    assert _code(info) == ("NotAuthorizedException", "Incorrect username or password.")


# 2. JSON null is absent ---------------------------------------------------------------------------------


def test_a_null_device_key_on_refresh_is_read_as_absent(cognito: LocalCognito) -> None:
    with LocalCognito({"carol": UserSpec(PASSWORD, mfa=False)}, config=PoolConfig(device_tracking="off")) as c:
        tokens = flows.sign_in(_client(c), **_kw(c, "carol")).tokens
        status, body = _post(
            c,
            "InitiateAuth",
            {
                "ClientId": c.client_id,
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"], "DEVICE_KEY": None},
                "ClientMetadata": None,
            },
        )
        assert status == 200 and "AccessToken" in body["AuthenticationResult"]


# 3. The retry after "Device does not exist." -------------------------------------------------------------


def test_the_same_answer_without_the_stale_device_key_succeeds(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = flows.sign_in(client, **_kw(cognito))
    assert first.device is not None
    client.forget_device(**api.forget_device(first.device.device_key, first.access_token))
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "alice", PASSWORD, device=first.device)
    answer = user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**answer)
    assert _code(info) == ("ResourceNotFoundException", "Device does not exist.")
    del answer["ChallengeResponses"]["DEVICE_KEY"]  # as AWS's JS clients retry
    assert client.respond_to_auth_challenge(**answer)["ChallengeName"] == "SMS_MFA"


# 4. A wrong MFA code may be corrected ----------------------------------------------------------------------


def test_a_wrong_mfa_code_can_be_retried_on_the_same_challenge(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "alice", PASSWORD)
    mfa = client.respond_to_auth_challenge(
        **user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
    )
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(
            **user.respond_to_mfa(mfa, "000000" if cognito.last_code("alice") != "000000" else "111111")
        )
    assert _code(info) == ("CodeMismatchException", "Invalid code or auth state for the user.")
    result = client.respond_to_auth_challenge(**user.respond_to_mfa(mfa, cognito.last_code("alice")))
    assert "AccessToken" in result["AuthenticationResult"]


def test_mfa_attempts_run_out(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "alice", PASSWORD)
    mfa = client.respond_to_auth_challenge(
        **user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
    )
    wrong = "000000" if cognito.last_code("alice") != "000000" else "111111"
    for _ in range(cognito.config.mfa_attempts):
        with pytest.raises(ClientError):
            client.respond_to_auth_challenge(**user.respond_to_mfa(mfa, wrong))
    with pytest.raises(ClientError) as info:
        client.respond_to_auth_challenge(**user.respond_to_mfa(mfa, cognito.last_code("alice")))
    assert _code(info)[0] == "NotAuthorizedException"


# 5. ListDevices lists remembered devices only ----------------------------------------------------------------


def test_list_devices_lists_remembered_devices_only(cognito: LocalCognito) -> None:
    client = _client(cognito)
    result = flows.sign_in(client, remember=False, **_kw(cognito))
    assert result.new_device and result.device_remembered is False and result.device is not None
    token = result.access_token
    admin = api.admin_list_devices(cognito.user_pool_id, "alice")
    assert list(api.iter_devices(client.list_devices, api.list_devices(token))) == []
    assert list(api.iter_devices(client.admin_list_devices, admin)) == []
    client.update_device_status(**api.update_device_status(token, result.device.device_key, True))
    assert [d.device_key for d in api.iter_devices(client.list_devices, api.list_devices(token))] == [
        result.device.device_key
    ]
    assert len(list(api.iter_devices(client.admin_list_devices, admin))) == 1


# 6. Signing keys --------------------------------------------------------------------------------------------


def _verify_with_jwks(jwks: dict[str, Any], token: str) -> dict[str, Any]:
    head, body, sig = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]

    def num(text: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

    public = rsa.RSAPublicNumbers(num(key["e"]), num(key["n"])).public_key()
    public.verify(
        base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)),
        f"{head}.{body}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


@pytest.mark.parametrize("issuer", ["service", "local"])
def test_the_pool_serves_its_jwks_and_openid_configuration(issuer: str) -> None:
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=PoolConfig(issuer=issuer)) as c:
        tokens = flows.sign_in(_client(c), **_kw(c, "bob")).tokens
        with urllib.request.urlopen(f"{c.endpoint_url}/{c.user_pool_id}/.well-known/openid-configuration") as r:
            oidc = json.load(r)
        expected_iss = (
            f"https://cognito-idp.us-east-1.amazonaws.com/{c.user_pool_id}"
            if issuer == "service"
            else f"{c.endpoint_url}/{c.user_pool_id}"
        )
        assert oidc["issuer"] == expected_iss
        with urllib.request.urlopen(c.jwks_url) as r:
            jwks = json.load(r)
        if issuer == "local":
            assert oidc["jwks_uri"] == c.jwks_url
        for name in ("AccessToken", "IdToken"):
            claims = _verify_with_jwks(jwks, tokens[name])
            assert claims["iss"] == expected_iss and claims["exp"] > time.time()


# 7. USER_ID_FOR_SRP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["username", "sub"])
def test_user_id_for_srp_follows_the_pool_setting(setting: str) -> None:
    config = PoolConfig(user_id_for_srp=setting)
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=config) as c:
        client = _client(c)
        user = UserAuth(c.user_pool_id, c.client_id, "bob", PASSWORD)
        challenge = client.initiate_auth(**user.initiate_auth())
        srp_id = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
        assert (srp_id == "bob") == (setting == "username")
        result = client.respond_to_auth_challenge(**user.respond_to_password_verifier(challenge))
        assert "AccessToken" in result["AuthenticationResult"]


# 8. The flows real clients use with devices ----------------------------------------------------------------


def _totp(secret_b32: str, at: float) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s), as authenticator apps compute it."""
    key = base64.b32decode(secret_b32)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


def test_totp_enrolment_then_software_token_mfa(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = flows.sign_in(client, **_kw(cognito, "bob"))
    secret = client.associate_software_token(AccessToken=first.access_token)["SecretCode"]
    with pytest.raises(ClientError) as wrong:
        client.verify_software_token(
            AccessToken=first.access_token, UserCode="000000" if _totp(secret, time.time()) != "000000" else "111111"
        )
    assert _code(wrong)[0] == "EnableSoftwareTokenMFAException"
    assert (
        client.verify_software_token(AccessToken=first.access_token, UserCode=_totp(secret, time.time()))["Status"]
        == "SUCCESS"
    )
    seen: list[str] = []

    def code(challenge: Any) -> str:
        seen.append(challenge["ChallengeName"])
        return _totp(secret, time.time())

    again = flows.sign_in(client, **{**_kw(cognito, "bob"), "mfa_code": code})
    assert seen == ["SOFTWARE_TOKEN_MFA"] and again.mfa_asked


def test_user_auth_with_password_srp_and_with_select_challenge(cognito: LocalCognito) -> None:
    client = _client(cognito)
    user = UserAuth(cognito.user_pool_id, cognito.client_id, "bob", PASSWORD)
    challenge = client.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": "bob", "PREFERRED_CHALLENGE": "PASSWORD_SRP", "SRP_A": user.srp_a},
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    assert (
        "AccessToken"
        in client.respond_to_auth_challenge(**user.respond_to_password_verifier(challenge))["AuthenticationResult"]
    )
    select = client.initiate_auth(ClientId=cognito.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "bob"})
    assert select["ChallengeName"] == "SELECT_CHALLENGE"
    assert set(select["AvailableChallenges"]) >= {"PASSWORD", "PASSWORD_SRP"}
    result = client.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=select["Session"],
        ChallengeResponses={"USERNAME": "bob", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in result["AuthenticationResult"]


def test_get_tokens_from_refresh_token_needs_the_device_key(cognito: LocalCognito) -> None:
    client = _client(cognito)
    result = flows.sign_in(client, **_kw(cognito))
    assert result.device is not None
    with pytest.raises(ClientError) as info:
        client.get_tokens_from_refresh_token(
            **api.get_tokens_from_refresh_token(cognito.client_id, result.tokens["RefreshToken"])
        )
    assert _code(info) == ("NotAuthorizedException", "Invalid Refresh Token")
    refreshed = client.get_tokens_from_refresh_token(
        **api.get_tokens_from_refresh_token(cognito.client_id, result.tokens["RefreshToken"], device=result.device)
    )
    assert "AccessToken" in refreshed["AuthenticationResult"]


def test_revoked_and_signed_out_tokens_stop_working(cognito: LocalCognito) -> None:
    client = _client(cognito)
    one = flows.sign_in(client, **_kw(cognito))
    client.revoke_token(Token=one.tokens["RefreshToken"], ClientId=cognito.client_id)
    with pytest.raises(ClientError) as revoked:
        client.list_devices(**api.list_devices(one.access_token))
    assert _code(revoked)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError):
        client.initiate_auth(**api.refresh_token_auth(cognito.client_id, one.tokens["RefreshToken"], device=one.device))
    two = flows.sign_in(client, device=one.device, **_kw(cognito))
    client.global_sign_out(AccessToken=two.access_token)
    with pytest.raises(ClientError) as signed_out:
        client.list_devices(**api.list_devices(two.access_token))
    assert _code(signed_out)[0] == "NotAuthorizedException"


def test_tokens_of_a_forgotten_device_stop_working_for_device_calls(cognito: LocalCognito) -> None:
    client = _client(cognito)
    first = flows.sign_in(client, **_kw(cognito))
    again = flows.sign_in(client, device=first.device, **_kw(cognito))
    assert first.device is not None
    client.forget_device(**api.forget_device(first.device.device_key, first.access_token))
    with pytest.raises(ClientError) as info:
        client.list_devices(**api.list_devices(again.access_token))  # issued to the forgotten device
    assert _code(info) == ("NotAuthorizedException", "Access Token has been revoked")


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH", "USER_AUTH"])
def test_a_flow_the_app_client_does_not_allow_is_refused(flow: str) -> None:
    allowed = tuple(
        f
        for f in ("ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
        if f != f"ALLOW_{flow}"
    )
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=PoolConfig(explicit_auth_flows=allowed)) as c:
        with pytest.raises(ClientError) as info:
            _client(c).initiate_auth(
                ClientId=c.client_id,
                AuthFlow=flow,
                AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD, "SRP_A": "ab"},
            )
        assert _code(info) == ("InvalidParameterException", f"{flow} flow not enabled for this client")


# 9. The shell emulator, usable as it starts ---------------------------------------------------------------------


def _start_shell(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "srp_device", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    lines = []
    while not lines or lines[-1] != "}\n":
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        lines.append(line)
    return proc, json.loads("".join(lines))


def test_the_shell_emulator_tells_its_user_and_every_code(tmp_path: Path) -> None:
    proc, info = _start_shell(tmp_path, "--codes", "codes.jsonl", "--verbose")
    try:
        assert info["users"] == {"alice": {"password": "Passw0rd!", "mfa": True}}
        client = boto3.client(
            "cognito-idp",
            endpoint_url=info["endpoint_url"],
            region_name=info["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

        def code(challenge: Any) -> str:
            with urllib.request.urlopen(f"{info['endpoint_url']}/_local/outbox?username=alice") as r:
                return str(json.load(r)["codes"][-1])

        result = flows.sign_in(
            client,
            user_pool_id=info["user_pool_id"],
            client_id=info["client_id"],
            username="alice",
            password="Passw0rd!",
            mfa_code=code,
        )
        assert result.mfa_asked
        sent = json.loads((tmp_path / "codes.jsonl").read_text().splitlines()[-1])
        assert sent["username"] == "alice" and sent["code"] == code({})
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert f'"code": "{sent["code"]}"' in stderr
    log = [line for line in stderr.splitlines() if line.startswith("POST ")]
    assert any(line.startswith("POST RespondToAuthChallenge 200 ") for line in log)  # --verbose: a request log
    for secret in ("Passw0rd!", result.tokens["AccessToken"], result.tokens["RefreshToken"]):
        assert secret not in stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"usres": {}}, "unknown key 'usres'"),
        ({"device_tracking": 3}, "device_tracking must be a JSON string"),
        ({"device_tracking": "sometimes"}, "device_tracking: must be one of always, opt_in, off"),
        ({"user_pool_id": "not a pool"}, "user_pool_id: must look like us-east-1_Ab12Cd34"),
        ({"users": {"bob": {"password": "x", "mfa": "yes"}}}, "users.bob.mfa is not a known key of the right type"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_a_bad_config_is_a_clear_error(tmp_path: Path, config: Any, message: str) -> None:
    (tmp_path / "pool.json").write_text(json.dumps(config))
    proc = subprocess.run(
        [sys.executable, "-m", "srp_device", "emulator", "--config", "pool.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("srp-device: error: --config pool.json: ") and message in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- the store: private, and it forgets what expired --------------------------------------------------


def test_the_database_and_its_journal_are_private(tmp_path: Path) -> None:
    import stat

    db = tmp_path / "pool.sqlite3"
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, db=str(db)) as c:
        flows.sign_in(_client(c), **_kw(c, "bob"))
        created = [p for p in tmp_path.iterdir() if p.name.startswith("pool.sqlite3")]
        assert created and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in created)
    db.chmod(0o644)
    with LocalCognito({}, db=str(db)):
        assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_unanswered_sign_ins_are_purged_once_expired() -> None:
    from datetime import datetime, timedelta, timezone

    now = [datetime.now(timezone.utc)]
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, clock=lambda: now[0]) as c:
        client = _client(c)
        for _ in range(200):
            client.initiate_auth(**UserAuth(c.user_pool_id, c.client_id, "bob", PASSWORD).initiate_auth())
        assert c._store.q("SELECT COUNT(*) AS n FROM sessions")[0]["n"] == 200
        now[0] += c.config.session_ttl + timedelta(seconds=1)
        client.initiate_auth(**UserAuth(c.user_pool_id, c.client_id, "bob", PASSWORD).initiate_auth())
        assert c._store.q("SELECT COUNT(*) AS n FROM sessions")[0]["n"] == 1


# ---- Admin* calls are authenticated as SigV4 with the emulator's credentials --------------------------


def _admin(c: LocalCognito, key: str = "local", secret: str = "local") -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=c.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_admin_calls_need_a_valid_sigv4_signature(cognito: LocalCognito) -> None:
    request = api.admin_list_devices(cognito.user_pool_id, "alice")
    assert _admin(cognito).admin_list_devices(**request)["Devices"] == []
    with pytest.raises(ClientError) as wrong_secret:
        _admin(cognito, secret="not-the-secret").admin_list_devices(**request)
    assert _code(wrong_secret)[0] == "InvalidSignatureException"
    with pytest.raises(ClientError) as unknown_key:
        _admin(cognito, key="AKIDOTHER").admin_list_devices(**request)
    assert _code(unknown_key)[0] == "UnrecognizedClientException"
    forged = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/cognito-idp/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": "20260101T000000Z",
    }
    body = json.dumps(request).encode()
    http = urllib.request.Request(
        cognito.endpoint_url,
        body,
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminListDevices",
            **forged,
        },
    )
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(http)
    assert json.load(unsigned.value)["__type"] == "InvalidSignatureException"


def test_admin_credentials_are_a_pool_setting() -> None:
    config = PoolConfig(admin_credentials=("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG"))
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=config) as c:
        request = api.admin_list_devices(c.user_pool_id, "bob")
        assert _admin(c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG").admin_list_devices(**request)["Devices"] == []
        with pytest.raises(ClientError):
            _admin(c).admin_list_devices(**request)
