"""The whole remembered-device sign-in, over any boto3-compatible ``cognito-idp`` client.

:func:`sign_in` does USER_SRP_AUTH (with the stored device, if any), answers the device
challenges or the MFA challenge, confirms a new device and remembers it when asked,
recovers from "Device does not exist." by signing in without the stale device, and
returns the tokens and the :class:`~srp_device.DeviceSecrets` to store.

The client object is duck-typed: anything with boto3's ``initiate_auth``,
``respond_to_auth_challenge``, ``confirm_device`` and ``update_device_status`` methods
(this module never imports boto3); :func:`sign_in_async` takes one whose methods are
awaitable, as aiobotocore's are. Both run the same steps. Service errors come back as the library's typed
errors (:mod:`srp_device.exceptions`), with the client's exception chained.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import api
from ._auth import MFA_CHALLENGES, DeviceAuth, DeviceCredentials, UserAuth
from ._device import DeviceSecrets
from .exceptions import ServiceError, ValidationError
from .modexp import Backend

__all__ = ["SignInResult", "sign_in", "sign_in_async"]



@dataclass(frozen=True)
class SignInResult:
    """What a sign-in gave: the tokens, and the device to keep (store it whole, or forget it).

    ``device`` is the device to use next time: the one given (if it still exists), a new
    one confirmed in this sign-in, or None. ``steps`` names the challenges answered, in
    order; ``mfa_asked`` tells whether the pool asked for an MFA code.
    """

    tokens: Mapping[str, Any] = field(repr=False)
    device: DeviceSecrets | DeviceCredentials | None = field(repr=False)
    steps: tuple[str, ...]
    mfa_asked: bool
    new_device: bool = False
    device_remembered: bool | None = None
    forgot_stale_device: bool = False

    @property
    def access_token(self) -> str:
        return str(self.tokens["AccessToken"])


def _typed(exc: Exception) -> Exception:
    """botocore's ClientError (boto3's or aiobotocore's) as the library's typed service error."""
    if isinstance(getattr(exc, "response", None), Mapping):
        typed = api.error_from_client_error(exc)
        typed.__cause__ = exc
        return typed
    return exc


# One sign-in is a generator: it yields (client method name, keyword arguments) and is sent
# each response, or thrown the call's typed error, so the same steps (recovery included)
# drive a blocking client and an awaitable one.
_Steps = Generator[tuple[str, dict[str, Any]], Mapping[str, Any], SignInResult]


def _run(client: Any, steps: _Steps) -> SignInResult:
    try:
        call = next(steps)
        while True:
            name, request = call
            try:
                response = getattr(client, name)(**request)
            except Exception as exc:
                call = steps.throw(_typed(exc))
            else:
                call = steps.send(response)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()


async def _run_async(client: Any, steps: _Steps) -> SignInResult:
    try:
        call = next(steps)
        while True:
            name, request = call
            try:
                response = await getattr(client, name)(**request)
            except Exception as exc:
                call = steps.throw(_typed(exc))
            else:
                call = steps.send(response)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()


@dataclass(frozen=True)
class _Plan:
    """Everything one sign-in needs, but the device (which recovery may drop)."""

    user_pool_id: str
    client_id: str
    username: str
    password: str = field(repr=False)
    client_secret: str | None = field(repr=False)
    remember: bool
    device_name: str | None
    mfa_code: Callable[[Mapping[str, Any]], str] | None
    now: Callable[[], datetime] | None
    backend: str | Backend | None


def _recovering(**options: Any) -> _Steps:
    """The sign-in with the stored device; if the service no longer knows it, once more without it."""
    stored = options.pop("device")
    plan = _Plan(**options)
    try:
        return (yield from _sign_in_steps(plan, stored, forgot=False))
    except ServiceError as exc:
        if stored is None or not api.is_device_not_found(exc):
            raise
    return (yield from _sign_in_steps(plan, None, forgot=True))


def sign_in(
    client: Any,
    *,
    user_pool_id: str,
    client_id: str,
    username: str,
    password: str,
    client_secret: str | None = None,
    device: DeviceCredentials | None = None,
    remember: bool = True,
    device_name: str | None = None,
    mfa_code: Callable[[Mapping[str, Any]], str] | None = None,
    now: Callable[[], datetime] | None = None,
    backend: str | Backend | None = None,
) -> SignInResult:
    """Sign ``username`` in; answer every challenge; confirm (and remember) a new device.

    ``mfa_code(challenge)`` is asked for the code when the pool sends an MFA challenge.
    ``remember`` answers the pool's "remember this device?" (UserConfirmationNecessary).
    ``now`` supplies the instant signed into TIMESTAMP (default: the current UTC time).
    A stored device that the service no longer knows is dropped and the sign-in
    restarted without it (``forgot_stale_device``); any other service error is raised
    as its typed :class:`~srp_device.exceptions.ServiceError`. NotAuthorized on a device
    step means the stored device password is stale (see
    :func:`srp_device.api.is_device_password_stale`): forget the device and sign in again.
    """
    # every keyword argument above, by name: the plan both drivers share
    return _run(client, _recovering(**{k: v for k, v in locals().items() if k != "client"}))


async def sign_in_async(
    client: Any,
    *,
    user_pool_id: str,
    client_id: str,
    username: str,
    password: str,
    client_secret: str | None = None,
    device: DeviceCredentials | None = None,
    remember: bool = True,
    device_name: str | None = None,
    mfa_code: Callable[[Mapping[str, Any]], str] | None = None,
    now: Callable[[], datetime] | None = None,
    backend: str | Backend | None = None,
) -> SignInResult:
    """:func:`sign_in` for a client whose methods are awaitable (aiobotocore's ``cognito-idp``)."""
    return await _run_async(client, _recovering(**{k: v for k, v in locals().items() if k != "client"}))


def _sign_in_steps(plan: _Plan, device: DeviceCredentials | None, *, forgot: bool) -> _Steps:
    def clock() -> datetime | None:
        return plan.now() if plan.now is not None else None

    user = UserAuth(
        plan.user_pool_id,
        plan.client_id,
        plan.username,
        plan.password,
        plan.client_secret,
        device,
        backend=plan.backend,
    )
    response = yield "initiate_auth", user.initiate_auth()
    steps: list[str] = []
    mfa_asked = False
    device_auth: DeviceAuth | None = None
    while "AuthenticationResult" not in response:
        name = response.get("ChallengeName")
        steps.append(str(name))
        if name == "PASSWORD_VERIFIER":
            request = user.respond_to_password_verifier(response, now=clock())
        elif name == "DEVICE_SRP_AUTH":
            device_auth = user.device_auth()
            request = device_auth.respond_to_device_srp_auth(response)
        elif name == "DEVICE_PASSWORD_VERIFIER":
            if device_auth is None:
                raise ValidationError("ChallengeName", "DEVICE_PASSWORD_VERIFIER came before DEVICE_SRP_AUTH")
            request = device_auth.respond_to_device_password_verifier(response, now=clock())
        elif name in MFA_CHALLENGES:
            mfa_asked = True
            if plan.mfa_code is None:
                raise ValidationError("mfa_code", f"the pool asked for {name}; pass mfa_code= to answer it")
            request = user.respond_to_mfa(response, plan.mfa_code(response))
        else:
            raise ValidationError("ChallengeName", f"{name} is not a challenge this flow answers")
        response = yield "respond_to_auth_challenge", request

    tokens = response["AuthenticationResult"]
    metadata = tokens.get("NewDeviceMetadata")
    if not metadata:
        return SignInResult(tokens, device, tuple(steps), mfa_asked, forgot_stale_device=forgot)
    secrets = DeviceSecrets.generate(
        device_key=metadata["DeviceKey"], device_group_key=metadata["DeviceGroupKey"], backend=plan.backend
    )
    access = tokens["AccessToken"]
    confirmed = yield "confirm_device", dict(api.confirm_device(access, secrets, plan.device_name))
    outcome = api.parse_confirm_device(confirmed)
    remembered = not outcome.user_confirmation_necessary
    if outcome.user_confirmation_necessary and plan.remember:
        yield "update_device_status", dict(api.update_device_status(access, secrets.device_key, remembered=True))
        remembered = True
    return SignInResult(
        tokens,
        secrets,
        tuple(steps),
        mfa_asked,
        new_device=True,
        device_remembered=remembered,
        forgot_stale_device=forgot,
    )
