"""AWS's JavaScript clients against the emulator, in Node, from the pinned npm packages in tests/interop_js.

amazon-cognito-identity-js (identity.cjs) and Amplify v6 (amplify.mjs) run whole remembered-
device lifecycles: MFA, their own ConfirmDevice, remembering, a device sign-in without MFA,
listing, refreshing (Amplify through GetTokensFromRefreshToken), the retry after "Device
does not exist." and a refresh that sends ``"DEVICE_KEY": null``. Skipped, with the reason,
only where Node or the packages are missing (``cd tests/interop_js && npm ci``); in CI,
which installs them, a missing one fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from srp_device import api
from srp_device.emulator import LocalCognito, PoolConfig, UserSpec, _wire

JS = Path(__file__).resolve().parent / "interop_js"
PASSWORD = "Correct-Horse-9"


@pytest.fixture(scope="module")
def node() -> str:
    exe = shutil.which("node")
    problem = None
    if exe is None:
        problem = "Node.js is not installed"
    elif (
        not (JS / "node_modules" / "amazon-cognito-identity-js").is_dir()
        or not (JS / "node_modules" / "aws-amplify").is_dir()
    ):
        problem = "the npm packages are not installed (cd tests/interop_js && npm ci)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}: CI installs them")
        pytest.skip(problem)
    assert exe is not None
    return exe


@pytest.fixture
def cognito() -> Iterator[LocalCognito]:
    with LocalCognito({"alice": UserSpec(PASSWORD, mfa=True)}, config=PoolConfig(device_tracking="opt_in")) as c:
        yield c


def run(node: str, script: str, c: LocalCognito, steps: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    args = {
        "endpoint": c.endpoint_url,
        "poolId": c.user_pool_id,
        "clientId": c.client_id,
        "username": "alice",
        "password": PASSWORD,
        "storage": str(tmp_path / "localStorage.json"),
        "outbox": f"{c.endpoint_url}/_local/outbox",
        "steps": steps,
    }
    proc = subprocess.run(
        [node, str(JS / script), json.dumps(args)], capture_output=True, text=True, timeout=300, cwd=JS
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_identity_js_remembered_device_lifecycle(node: str, cognito: LocalCognito, tmp_path: Path) -> None:
    first, remember, again, listed, refresh = run(
        node, "identity.cjs", cognito, ["signIn", "remember", "signIn", "listDevices", "refresh"], tmp_path
    )
    assert first["ok"] and first["mfa"] and first["userConfirmationNecessary"]  # it confirmed the device itself
    assert remember["ok"] and cognito.device_count("alice") == 1
    assert again["ok"] and not again["mfa"] and again["deviceKey"] == first["deviceKey"]
    assert listed["keys"] == [first["deviceKey"]]
    assert refresh["ok"]  # REFRESH_TOKEN_AUTH with the DEVICE_KEY


def test_identity_js_retries_without_a_device_the_pool_forgot(node: str, cognito: LocalCognito, tmp_path: Path) -> None:
    first, remember = run(node, "identity.cjs", cognito, ["signIn", "remember"], tmp_path)
    assert first["ok"] and remember["ok"]
    admin = boto3.client(
        "cognito-idp",
        endpoint_url=cognito.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    admin.admin_forget_device(**api.admin_forget_device(cognito.user_pool_id, "alice", first["deviceKey"]))
    (again,) = run(node, "identity.cjs", cognito, ["signIn"], tmp_path)  # its storage still holds the old device
    assert again["ok"] and again["mfa"] and again["deviceKey"] != first["deviceKey"]


def test_identity_js_refresh_sends_a_null_device_key(
    node: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    real = _wire.without_nulls

    def recording(request: Any) -> Any:
        if isinstance(request, dict) and "AuthFlow" in request:  # the request itself (it recurses into members)
            seen.append(request)
        return real(request)

    monkeypatch.setattr(_wire, "without_nulls", recording)
    with LocalCognito({"alice": UserSpec(PASSWORD, mfa=False)}, config=PoolConfig(device_tracking="off")) as c:
        first, refresh = run(node, "identity.cjs", c, ["signIn", "refresh"], tmp_path)
    assert first["ok"] and refresh["ok"]
    refreshes = [r for r in seen if r.get("AuthFlow") == "REFRESH_TOKEN_AUTH"]
    assert (
        refreshes
        and "DEVICE_KEY" in refreshes[0]["AuthParameters"]
        and refreshes[0]["AuthParameters"]["DEVICE_KEY"] is None
    )


def test_amplify_v6_remembered_device_lifecycle(node: str, cognito: LocalCognito, tmp_path: Path) -> None:
    steps = [
        "signIn",
        "remember",
        "signOut",
        "signIn",
        "fetchDevices",
        "refresh",
        "forgetDevice",
        "signOut",
        "signInUserAuth",
    ]
    first, remember, out, again, devices, refresh, forget, out2, user_auth = run(
        node, "amplify.mjs", cognito, steps, tmp_path
    )
    assert first["ok"] and first["mfa"]
    assert remember["ok"] and out["ok"]
    assert again["ok"] and not again["mfa"], again  # the remembered device: no MFA
    assert len(devices["ids"]) == 1
    assert refresh["ok"], refresh  # GetTokensFromRefreshToken with the DeviceKey
    assert forget["ok"] and out2["ok"]
    assert user_auth["ok"] and user_auth["mfa"]  # USER_AUTH with PASSWORD_SRP, a new device again
    assert cognito.device_count("alice") == 1  # the forgotten one is gone, the new one confirmed
