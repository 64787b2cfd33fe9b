"""``srp-device demo``: the remembered-device lifecycle on the embedded emulator, with real boto3.

The one module of the package that uses an AWS SDK: boto3 is imported here, when the
demo runs, and nowhere else in srp_device.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import api, flows
from ._auth import UserAuth
from ._device import DeviceSecrets

USERNAME = "alice"
PASSWORD = "Passw0rd!-demo"


@dataclass
class _Row:
    step: str
    outcome: str
    ok: bool
    seconds: float


class _Steps:
    def __init__(self, out: Any) -> None:
        self.rows: list[_Row] = []
        self.out = out

    def run(self, step: str, fn: Callable[[], tuple[bool, str]]) -> None:
        """Run one step; a progress line appears if it takes over a second."""
        done = threading.Event()

        def progress() -> None:
            waited = 1
            while not done.wait(1.0 if waited > 1 else 0.0):
                print(f"  ... {step}: still working ({waited} s)", file=self.out, flush=True)
                waited += 1

        timer = threading.Timer(1.0, progress)
        timer.daemon = True
        start = time.perf_counter()
        timer.start()
        try:
            ok, outcome = fn()
        except Exception as exc:  # a failed step is reported, the table still printed
            ok, outcome = False, f"{type(exc).__name__}: {exc}"
        finally:
            done.set()
            timer.cancel()
        self.rows.append(_Row(step, outcome, ok, time.perf_counter() - start))
        mark = "ok " if ok else "FAIL"
        print(f"  [{mark}] {step}: {outcome}", file=self.out, flush=True)

    def table(self) -> str:
        w1 = max(len(r.step) for r in self.rows)
        w2 = max(len(r.outcome) for r in self.rows)
        lines = [f"{'#':>2}  {'step':<{w1}}  {'result':<{w2}}  {'ok':<4}  {'ms':>8}"]
        lines.append("-" * len(lines[0]))
        for i, r in enumerate(self.rows, 1):
            ok = "yes" if r.ok else "NO"
            lines.append(f"{i:>2}  {r.step:<{w1}}  {r.outcome:<{w2}}  {ok:<4}  {r.seconds * 1e3:>8.1f}")
        return "\n".join(lines)


def run(*, backend: str | None = None, out: Any = None) -> int:
    """Run the lifecycle; print each step and a summary table; 0 when every step went as expected."""
    out = out or sys.stdout
    try:
        import boto3
    except ImportError:
        print('srp-device demo needs boto3: pip install "srp-device[demo]"', file=sys.stderr)
        return 2
    from .emulator import LocalCognito, PoolConfig, UserSpec

    print("srp-device demo: a remembered device's whole life, on a local Cognito, with boto3", file=out)
    steps = _Steps(out)
    state: dict[str, Any] = {}
    cognito = LocalCognito(
        {USERNAME: UserSpec(password=PASSWORD, mfa=True)}, config=PoolConfig(device_tracking="opt_in")
    )
    with cognito:
        client = boto3.client(
            "cognito-idp",
            endpoint_url=cognito.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        pool, app = cognito.user_pool_id, cognito.client_id
        print(f"  local Cognito at {cognito.endpoint_url}, pool {pool}, user {USERNAME}", file=out)

        def sign_in_password() -> tuple[bool, str]:
            user = UserAuth(pool, app, USERNAME, PASSWORD, backend=backend)
            challenge = client.initiate_auth(**user.initiate_auth())
            answer = client.respond_to_auth_challenge(**user.respond_to_password_verifier(challenge))
            state["mfa_challenge"] = answer
            return answer.get("ChallengeName") == "SMS_MFA", f"password verified; MFA asked ({answer['ChallengeName']})"

        def answer_mfa() -> tuple[bool, str]:
            challenge = state["mfa_challenge"]
            responses = {
                "USERNAME": challenge["ChallengeParameters"]["USERNAME"],
                "SMS_MFA_CODE": cognito.last_code(USERNAME),
            }
            result = client.respond_to_auth_challenge(
                **api.respond_to_auth_challenge(app, "SMS_MFA", responses, challenge["Session"])
            )["AuthenticationResult"]
            state["tokens"] = result
            meta = result.get("NewDeviceMetadata")
            state["meta"] = meta
            return (
                meta is not None,
                f"signed in; new device {meta['DeviceKey'][:22]}..." if meta else "no device offered",
            )

        def confirm() -> tuple[bool, str]:
            meta = state["meta"]
            secrets = DeviceSecrets.generate(
                device_key=meta["DeviceKey"], device_group_key=meta["DeviceGroupKey"], backend=backend
            )
            state["device"] = secrets
            outcome = api.parse_confirm_device(
                client.confirm_device(**api.confirm_device(state["tokens"]["AccessToken"], secrets, "demo laptop"))
            )
            return True, f"verifier sent; UserConfirmationNecessary={outcome.user_confirmation_necessary}"

        def remember() -> tuple[bool, str]:
            client.update_device_status(
                **api.update_device_status(state["tokens"]["AccessToken"], state["device"].device_key, remembered=True)
            )
            return True, "device remembered"

        def sign_in_with_stored_device(**options: Any) -> flows.SignInResult:
            return flows.sign_in(
                client,
                user_pool_id=pool,
                client_id=app,
                username=USERNAME,
                password=PASSWORD,
                device=state["device"],
                backend=backend,
                **options,
            )

        def sign_in_device() -> tuple[bool, str]:
            result = sign_in_with_stored_device()
            state["tokens"] = result.tokens
            return (
                not result.mfa_asked and "DEVICE_PASSWORD_VERIFIER" in result.steps,
                " -> ".join(result.steps) + (" (MFA asked!)" if result.mfa_asked else "; no MFA"),
            )

        def list_devices() -> tuple[bool, str]:
            devices = list(api.iter_devices(client.list_devices, api.list_devices(state["tokens"]["AccessToken"])))
            names = ", ".join(f"{d.name} (remembered={d.remembered})" for d in devices)
            return len(devices) == 1 and devices[0].remembered is True, f"{len(devices)} device: {names}"

        def forget() -> tuple[bool, str]:
            client.forget_device(**api.forget_device(state["device"].device_key, state["tokens"]["AccessToken"]))
            return cognito.device_count(USERNAME) == 0, "device forgotten"

        def sign_in_forgotten() -> tuple[bool, str]:
            result = sign_in_with_stored_device(remember=False, mfa_code=lambda _: cognito.last_code(USERNAME))
            return (
                result.mfa_asked and result.forgot_stale_device,
                f"'Device does not exist.' -> stale device dropped; {' -> '.join(result.steps)} (MFA asked again)",
            )

        steps.run("InitiateAuth USER_SRP_AUTH + PASSWORD_VERIFIER", sign_in_password)
        steps.run("answer SMS_MFA", answer_mfa)
        steps.run("ConfirmDevice", confirm)
        steps.run("UpdateDeviceStatus remembered", remember)
        steps.run("sign in again with the device", sign_in_device)
        steps.run("ListDevices", list_devices)
        steps.run("ForgetDevice", forget)
        steps.run("sign in with the forgotten device", sign_in_forgotten)

    print(file=out)
    print(steps.table(), file=out)
    ok = all(r.ok for r in steps.rows)
    print(f"\n{'every step went as expected' if ok else 'SOME STEPS FAILED'}", file=out)
    return 0 if ok else 1
