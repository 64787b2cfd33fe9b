"""The whole remembered-device sign-in, over any boto3-compatible ``cognito-idp`` client.

:func:`sign_in` does USER_SRP_AUTH (with the stored device, if any), answers the device
challenges or the MFA challenge, confirms a new device and remembers it when asked,
recovers from "Device does not exist." by signing in without the stale device, and
returns the tokens and the :class:`~srp_device.DeviceSecrets` to store.

The client object is duck-typed: anything with boto3's ``initiate_auth``,
``respond_to_auth_challenge``, ``confirm_device`` and ``update_device_status`` methods
(this module never imports boto3). Service errors come back as the library's typed
errors (:mod:`srp_device.exceptions`), with the client's exception chained.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import api
from ._auth import DeviceAuth, DeviceCredentials, UserAuth
from ._device import DeviceSecrets
from .exceptions import ServiceError, ValidationError
from .modexp import Backend

__all__ = ["SignInResult", "sign_in"]

MFA_CHALLENGES = ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
_MFA_ANSWER = {
    "SMS_MFA": "SMS_MFA_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
}


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


def _call(method: Callable[..., Any], request: Mapping[str, Any]) -> Any:
    try:
        return method(**request)
    except Exception as exc:
        if isinstance(getattr(exc, "response", None), Mapping):  # botocore's ClientError
            raise api.error_from_client_error(exc) from exc
        raise


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
    attempt = functools.partial(
        _sign_in_once,
        client,
        user_pool_id,
        client_id,
        username,
        password,
        client_secret,
        remember=remember,
        device_name=device_name,
        mfa_code=mfa_code,
        now=now,
        backend=backend,
    )
    try:
        return attempt(device, forgot=False)
    except ServiceError as exc:
        if device is None or not api.is_device_not_found(exc):
            raise
    return attempt(None, forgot=True)


def _sign_in_once(
    client: Any,
    user_pool_id: str,
    client_id: str,
    username: str,
    password: str,
    client_secret: str | None,
    device: DeviceCredentials | None,
    *,
    remember: bool,
    device_name: str | None,
    mfa_code: Callable[[Mapping[str, Any]], str] | None,
    now: Callable[[], datetime] | None,
    backend: str | Backend | None,
    forgot: bool,
) -> SignInResult:
    def clock() -> datetime | None:
        return now() if now is not None else None

    user = UserAuth(user_pool_id, client_id, username, password, client_secret, device, backend=backend)
    response = _call(client.initiate_auth, user.initiate_auth())
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
            if mfa_code is None:
                raise ValidationError("mfa_code", f"the pool asked for {name}; pass mfa_code= to answer it")
            params = response.get("ChallengeParameters", {})
            answer_name = params.get("USERNAME", username) if isinstance(params, Mapping) else username
            responses = {"USERNAME": answer_name, _MFA_ANSWER[str(name)]: mfa_code(response)}
            if client_secret is not None:
                from . import _srp

                responses["SECRET_HASH"] = _srp.secret_hash(
                    client_secret=client_secret, username=answer_name, client_id=client_id
                )
            if device is not None:
                responses["DEVICE_KEY"] = device.device_key
            request = dict(api.respond_to_auth_challenge(client_id, str(name), responses, response.get("Session")))
        else:
            raise ValidationError("ChallengeName", f"{name} is not a challenge this flow answers")
        response = _call(client.respond_to_auth_challenge, request)

    tokens = response["AuthenticationResult"]
    metadata = tokens.get("NewDeviceMetadata")
    if not metadata:
        return SignInResult(tokens, device, tuple(steps), mfa_asked, forgot_stale_device=forgot)
    secrets = DeviceSecrets.generate(
        device_key=metadata["DeviceKey"], device_group_key=metadata["DeviceGroupKey"], backend=backend
    )
    access = tokens["AccessToken"]
    outcome = api.parse_confirm_device(_call(client.confirm_device, api.confirm_device(access, secrets, device_name)))
    remembered = not outcome.user_confirmation_necessary
    if outcome.user_confirmation_necessary and remember:
        _call(client.update_device_status, api.update_device_status(access, secrets.device_key, remembered=True))
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
