"""The ifma kernel against mulx on a whole device sign-in, and the engine's own floor.

Goal (issue: an AVX-512 IFMA kernel): one full device sign-in with the server side
included, ifma at least twice as fast as mulx. Measured twice:

* in process: DeviceAuth's answers and the emulator's SrpServer verifying them: every
  exponentiation of a device sign-in, both sides, and nothing else (goal >= 2x);
* over HTTP: a real boto3 client signing a remembered device in to the emulator, whose
  server side runs on the same kernel (reported; the HTTP and boto3 time is the same for
  both kernels, so this ratio is lower).

The engine's floor (powg with a 256-bit exponent, powb with a 512-bit one, called
directly) is reported per kernel for README's comparison with the prototype figures.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest

from srp_device import DeviceAuth, DeviceSecrets, SrpServer, flows
from srp_device.modexp import N, _native_module, available_kernels

from .conftest import FLOOR, compare

needs_ifma = pytest.mark.skipif(
    not {"ifma", "mulx"} <= set(available_kernels()), reason="this CPU has no AVX-512 IFMA (or no mulx)"
)
DEVICE = DeviceSecrets.from_parts(
    device_key="us-east-1_0f1e2d3c-aaaa-4bbb-8ccc-0123456789ab",
    device_group_key="-nNwnPidS",
    device_password="bench-device-password",
    salt=bytes(range(1, 17)),
)


def device_exchange(kernel: str) -> None:
    backend = f"native:{kernel}"
    now = datetime.now(timezone.utc)
    auth = DeviceAuth(DEVICE, "client", backend=backend)
    server = SrpServer(
        pool=DEVICE.device_group_key, identity=DEVICE.device_key, salt=DEVICE.salt, verifier=DEVICE.verifier,
        backend=backend,
    )
    challenge = {
        "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
        "Session": "s",
        "ChallengeParameters": {
            "SRP_B": server.srp_b, "SALT": server.salt_hex, "SECRET_BLOCK": "c2VjcmV0", "USERNAME": "alice",
            "DEVICE_KEY": DEVICE.device_key,
        },
    }
    server.secret_block = b"secret"
    answer = auth.respond_to_device_password_verifier(challenge, now=now)["ChallengeResponses"]
    server.verify(
        srp_a=auth.srp_a, secret_block=answer["PASSWORD_CLAIM_SECRET_BLOCK"], timestamp=answer["TIMESTAMP"],
        signature=answer["PASSWORD_CLAIM_SIGNATURE"], now=now,
    )


@needs_ifma
def test_device_sign_in_both_sides_ifma_vs_mulx(full: bool) -> None:
    device_exchange("ifma")
    device_exchange("mulx")
    compare(
        "device sign-in, both sides in process (ifma vs mulx)", "native:ifma",
        lambda: device_exchange("mulx"), lambda: device_exchange("ifma"), rounds=30 if full else 8, full=full,
        batch=3,
    )


@needs_ifma
def test_emulator_device_sign_in_over_http_ifma_vs_mulx(full: bool) -> None:
    boto3 = pytest.importorskip("boto3")
    from srp_device.emulator import LocalCognito, UserSpec

    def runner(kernel: str) -> Any:
        cognito = LocalCognito({"bob": UserSpec("Correct-Horse-9", mfa=False)}, backend=f"native:{kernel}")
        cognito.start()
        client = boto3.client(
            "cognito-idp", endpoint_url=cognito.endpoint_url, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )
        kw = dict(user_pool_id=cognito.user_pool_id, client_id=cognito.client_id, username="bob",
                  password="Correct-Horse-9", backend=f"native:{kernel}")
        device = flows.sign_in(client, **kw).device
        assert device is not None

        def sign_in() -> None:
            result = flows.sign_in(client, device=device, **kw)
            assert result.steps[-1] == "DEVICE_PASSWORD_VERIFIER" and result.device == device

        return cognito, sign_in

    ifma_cognito, ifma_sign_in = runner("ifma")
    mulx_cognito, mulx_sign_in = runner("mulx")
    try:
        compare(
            "emulator device sign-in over HTTP, boto3 (ifma vs mulx)", "native:ifma", mulx_sign_in, ifma_sign_in,
            rounds=20 if full else 5, full=full,
        )
    finally:
        ifma_cognito.close()
        mulx_cognito.close()


@pytest.mark.parametrize("kernel", available_kernels())
def test_engine_floor(kernel: str, full: bool) -> None:
    native = _native_module()
    native.prepare(kernel)
    e256, e512, base = bytes(range(32)), bytes(range(64)), (N // 3).to_bytes(384, "little")
    rounds = 200 if full else 40
    for name, call, n in (
        ("powg, 256-bit exponent", lambda: native.powg(kernel, e256, 256), rounds),
        ("powb, 512-bit exponent", lambda: native.powb(kernel, base, e512, 512), rounds // 4),
    ):
        best = float("inf")
        for _ in range(n):
            start = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - start)
        FLOOR.append((kernel, name, best))
