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

import inspect
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import api
from ._auth import MFA_CHALLENGES, DeviceAuth, DeviceCredentials, UserAuth
from ._device import DeviceSecrets
from ._storage import DeviceStore
from .exceptions import InvalidChallengeError, ServiceError, ValidationError
from .modexp import Backend

__all__ = ["CodeCallback", "SignInResult", "sign_in", "sign_in_async"]



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
        """The access token, for the device calls."""
        return str(self.tokens["AccessToken"])

    @property
    def secrets(self) -> DeviceSecrets | None:
        """``device`` when it is a :class:`~srp_device.DeviceSecrets` (always, for a new device), else None."""
        return self.device if isinstance(self.device, DeviceSecrets) else None


_OPERATIONS = {
    "initiate_auth": "InitiateAuth",
    "respond_to_auth_challenge": "RespondToAuthChallenge",
    "confirm_device": "ConfirmDevice",
    "update_device_status": "UpdateDeviceStatus",
}
# A step the driver answers itself: call the app's callback (awaiting it in the async
# driver) and send back what it returned.
_ASK = "_ask"


def _typed(exc: Exception, name: str, request: Mapping[str, Any]) -> Exception:
    """botocore's ClientError (boto3's or aiobotocore's) as the library's typed service error,
    marked with the step it answered: the challenge name, or the operation."""
    typed: Exception = exc
    if isinstance(getattr(exc, "response", None), Mapping):
        typed = api.error_from_client_error(exc)
        typed.__cause__ = exc
    if isinstance(typed, ServiceError) and typed.step is None:
        challenge = request.get("ChallengeName") if name == "respond_to_auth_challenge" else None
        typed.step = str(challenge) if challenge else _OPERATIONS.get(name, name)
    return typed


# One sign-in is a generator: it yields (client method name, keyword arguments) and is sent
# each response, or thrown the call's typed error, so the same steps (recovery included)
# drive a blocking client and an awaitable one.
_Steps = Generator[tuple[str, dict[str, Any]], Any, SignInResult]


def _run(client: Any, steps: _Steps) -> SignInResult:
    try:
        call = next(steps)
        while True:
            name, request = call
            if name == _ASK:
                answer = request["callback"](request["challenge"])
                if inspect.isawaitable(answer):
                    if inspect.iscoroutine(answer):
                        answer.close()  # never awaited: close it rather than leave a warning behind
                    raise TypeError(f"{request['what']} returned an awaitable: use flows.sign_in_async for it")
                call = steps.send(answer)
                continue
            try:
                response = getattr(client, name)(**request)
            except Exception as exc:
                call = steps.throw(_typed(exc, name, request))
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
            if name == _ASK:
                answer = request["callback"](request["challenge"])
                if inspect.isawaitable(answer):
                    answer = await answer
                call = steps.send(answer)
                continue
            try:
                response = await getattr(client, name)(**request)
            except Exception as exc:
                call = steps.throw(_typed(exc, name, request))
            else:
                call = steps.send(response)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()


#: A code callback: given the challenge (its ChallengeName says which), the code; it may be async.
CodeCallback = Callable[[Mapping[str, Any]], "str | Awaitable[str]"]


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
    mfa_code: CodeCallback | None
    now: Callable[[], datetime] | None
    backend: str | Backend | None
    auth_flow: str
    store: DeviceStore | None


def _recovering(**options: Any) -> _Steps:
    """The sign-in with the stored device; once more without it if a device step refused it.

    Forgotten: a device the service no longer knows ("Device does not exist.") and one whose
    password a device step refused (NotAuthorized on DEVICE_SRP_AUTH/DEVICE_PASSWORD_VERIFIER).
    Never for a refusal of the user's own password (PASSWORD_VERIFIER): that keeps the device.
    """
    plan = _Plan(**{k: v for k, v in options.items() if k != "device"})
    if plan.auth_flow not in ("USER_SRP_AUTH", "USER_PASSWORD_AUTH"):
        raise ValidationError("auth_flow", "must be USER_SRP_AUTH or USER_PASSWORD_AUTH")
    if plan.store is not None and not isinstance(plan.store, DeviceStore):
        raise TypeError("store must have load, save and forget (a srp_device.stores.DeviceStore)")
    keys = (plan.user_pool_id, plan.client_id, plan.username)
    stored = options["device"]
    if stored is None and plan.store is not None:
        stored = plan.store.load(*keys)
    try:
        result = yield from _sign_in_steps(plan, stored, forgot=False)
    except ServiceError as exc:
        if stored is None or not (api.is_device_not_found(exc) or api.is_device_password_stale(exc)):
            raise
        if plan.store is not None:
            plan.store.forget(*keys)
        result = yield from _sign_in_steps(plan, None, forgot=True)
    if plan.store is not None and result.new_device and isinstance(result.device, DeviceSecrets):
        plan.store.save(*keys, result.device)
    return result


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
    mfa_code: CodeCallback | None = None,
    now: Callable[[], datetime] | None = None,
    backend: str | Backend | None = None,
    auth_flow: str = "USER_SRP_AUTH",
    store: DeviceStore | None = None,
) -> SignInResult:
    """Sign ``username`` in; answer every challenge; confirm (and remember) a new device.

    ``mfa_code(challenge)`` is asked for the code when the pool sends an MFA challenge
    (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP: ``challenge["ChallengeName"]`` says which),
    and for the type to use when it sends SELECT_MFA_TYPE. ``remember`` answers the pool's
    "remember this device?" (UserConfirmationNecessary). ``now`` supplies the instant
    signed into TIMESTAMP (default: the current UTC time). ``auth_flow`` is USER_SRP_AUTH
    (the password never leaves the app) or USER_PASSWORD_AUTH (the password is sent,
    over TLS); with a device, both lead to the device challenges.

    ``device`` is the stored device; with ``store`` (a :class:`~srp_device.stores.DeviceStore`)
    it is loaded from there when not given, a new device is saved there, and a forgotten
    one dropped. The stored device is forgotten, and the sign-in restarted without it
    (``forgot_stale_device``), only when the service no longer knows it ("Device does not
    exist.") or refuses its password at a device step; a wrong user password raises
    NotAuthorized at PASSWORD_VERIFIER and leaves the device alone. Every service error
    comes as its typed :class:`~srp_device.exceptions.ServiceError`, with ``.step`` set.
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
    mfa_code: CodeCallback | None = None,
    now: Callable[[], datetime] | None = None,
    backend: str | Backend | None = None,
    auth_flow: str = "USER_SRP_AUTH",
    store: DeviceStore | None = None,
) -> SignInResult:
    """:func:`sign_in` for a client whose methods are awaitable (aiobotocore's ``cognito-idp``).

    ``mfa_code`` may be a plain function or a coroutine function.
    """
    return await _run_async(client, _recovering(**{k: v for k, v in locals().items() if k != "client"}))


def _answer(response: object) -> Mapping[str, Any]:
    """A service answer, checked for the shape the steps read: bad data is a typed error, never a KeyError."""
    if not isinstance(response, Mapping):
        raise InvalidChallengeError("response", "is not an object")
    if "AuthenticationResult" in response:
        tokens = response["AuthenticationResult"]
        if not isinstance(tokens, Mapping) or not isinstance(tokens.get("AccessToken"), str):
            raise InvalidChallengeError("AuthenticationResult", "must be an object with an AccessToken")
    elif not isinstance(response.get("ChallengeName"), str):
        raise InvalidChallengeError("ChallengeName", "the answer has neither tokens nor a challenge")
    return response


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
    if plan.auth_flow == "USER_PASSWORD_AUTH":
        response = _answer((yield "initiate_auth", user.initiate_password_auth()))
    else:
        response = _answer((yield "initiate_auth", user.initiate_auth()))
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
        elif name in MFA_CHALLENGES or name == "SELECT_MFA_TYPE":
            mfa_asked = True
            if plan.mfa_code is None:
                raise ValidationError("mfa_code", f"the pool asked for {name}; pass mfa_code= to answer it")
            code = yield _ASK, {"callback": plan.mfa_code, "challenge": response, "what": "mfa_code"}
            if not isinstance(code, str) or not code:
                raise ValidationError("mfa_code", f"must return the {name} answer as a non-empty str")
            request = user.respond_to_mfa(response, code)
        else:
            raise ValidationError("ChallengeName", f"{name} is not a challenge this flow answers")
        response = _answer((yield "respond_to_auth_challenge", request))

    tokens = response["AuthenticationResult"]
    metadata = api.new_device_metadata(response)
    if metadata is None:
        return SignInResult(tokens, device, tuple(steps), mfa_asked, forgot_stale_device=forgot)
    secrets = DeviceSecrets.generate(
        device_key=metadata.device_key, device_group_key=metadata.device_group_key, backend=plan.backend
    )
    access = tokens["AccessToken"]
    confirmed = yield "confirm_device", dict(api.confirm_device(access, secrets, plan.device_name))
    if not isinstance(confirmed, Mapping):
        raise InvalidChallengeError("ConfirmDevice", "the answer is not an object")
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
