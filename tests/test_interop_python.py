"""Python clients nobody here wrote, against the emulator: pycognito and awscli (as a subprocess).

pycognito answers PASSWORD_VERIFIER without a Session and verifies tokens against the JWKS
it fetches from its endpoint (so the pool uses issuer "local", as a verifier that derives
the JWKS address from ``iss`` needs). awscli signs Admin* calls with SigV4 and sends the
device calls with an access token.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP

from srp_device import flows
from srp_device.emulator import LocalCognito, PoolConfig, UserSpec

PASSWORD = "Correct-Horse-9"
# pycognito itself calls datetime.utcnow(), deprecated since Python 3.12: that one warning,
# raised in pycognito's own modules, is its authors' to fix; every other warning still fails.
pycognito_utcnow = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning:pycognito")


@pytest.fixture
def cognito() -> Iterator[LocalCognito]:
    users = {"alice": UserSpec(PASSWORD, mfa=True), "bob": UserSpec(PASSWORD, mfa=False)}
    with LocalCognito(users, config=PoolConfig(device_tracking="always", issuer="local")) as c:
        yield c


def _client_kwargs(c: LocalCognito) -> dict[str, Any]:
    return {"endpoint_url": c.endpoint_url, "aws_access_key_id": "local", "aws_secret_access_key": "local"}


@pycognito_utcnow
def test_pycognito_signs_in_verifies_tokens_and_renews() -> None:
    config = PoolConfig(device_tracking="off", issuer="local")
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, config=config) as c:
        user = Cognito(c.user_pool_id, c.client_id, username="bob", boto3_client_kwargs=_client_kwargs(c))
        user.authenticate(password=PASSWORD)  # PASSWORD_VERIFIER answered without a Session
        user.verify_tokens()  # the JWKS from the emulator, iss checked
        first = user.access_token
        user.renew_access_token()  # REFRESH_TOKEN_AUTH
        assert user.access_token and user.access_token != first
        user.verify_tokens()


@pycognito_utcnow
def test_pycognito_renewal_without_the_device_key_fails_as_on_the_service(cognito: LocalCognito) -> None:
    """With device tracking on, the refresh token is bound to the device it issued; pycognito
    renews without DEVICE_KEY and is refused with the service's message."""
    from botocore.exceptions import ClientError

    user = Cognito(cognito.user_pool_id, cognito.client_id, username="bob", boto3_client_kwargs=_client_kwargs(cognito))
    user.authenticate(password=PASSWORD)
    with pytest.raises(ClientError, match="Invalid Refresh Token"):
        user.renew_access_token()


@pycognito_utcnow
def test_pycognito_awssrp_with_mfa_reports_the_challenge(cognito: LocalCognito) -> None:
    import boto3
    from pycognito.exceptions import SMSMFAChallengeException

    client = boto3.client("cognito-idp", region_name="us-east-1", **_client_kwargs(cognito))
    srp = AWSSRP("alice", PASSWORD, cognito.user_pool_id, cognito.client_id, client=client)
    with pytest.raises(SMSMFAChallengeException) as info:
        srp.authenticate_user()
    challenge = info.value.get_tokens()
    assert challenge["ChallengeName"] == "SMS_MFA" and challenge["Session"]


# ---- awscli ---------------------------------------------------------------------------------------


def _aws() -> list[str]:
    exe = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("awscli is needed in CI (the test extra installs it)")
        pytest.skip("awscli is not installed (pip install awscli)")
    return [exe]


def _cli(c: LocalCognito, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    proc = subprocess.run(
        [*_aws(), "cognito-idp", *args, "--endpoint-url", c.endpoint_url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_awscli_device_calls_and_admin_calls(cognito: LocalCognito, tmp_path: Path) -> None:
    import boto3

    client = boto3.client("cognito-idp", region_name="us-east-1", **_client_kwargs(cognito))
    kw = dict(user_pool_id=cognito.user_pool_id, client_id=cognito.client_id, username="bob", password=PASSWORD)
    first = flows.sign_in(client, **kw)
    assert first.device is not None
    key = first.device.device_key
    signed_in = _cli(
        cognito,
        "initiate-auth",
        "--client-id",
        cognito.client_id,
        "--auth-flow",
        "USER_PASSWORD_AUTH",
        "--auth-parameters",
        f"USERNAME=bob,PASSWORD={PASSWORD},DEVICE_KEY={key}",
    )
    assert signed_in["ChallengeName"] == "DEVICE_SRP_AUTH"  # a remembered device: the device challenges follow
    token = first.access_token
    listed = _cli(cognito, "list-devices", "--access-token", token)
    assert [d["DeviceKey"] for d in listed["Devices"]] == [key]
    admin = _cli(cognito, "admin-list-devices", "--user-pool-id", cognito.user_pool_id, "--username", "bob")
    assert [d["DeviceKey"] for d in admin["Devices"]] == [key]
    got = _cli(cognito, "get-device", "--device-key", key, "--access-token", token)
    assert got["Device"]["DeviceKey"] == key
    _cli(
        cognito, "admin-forget-device", "--user-pool-id", cognito.user_pool_id, "--username", "bob", "--device-key", key
    )
    again = flows.sign_in(client, device=first.device, **kw)  # the stored device is gone: recovered
    assert again.forgot_stale_device and again.device != first.device
