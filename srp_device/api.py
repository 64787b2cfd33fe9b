"""Requests for every Cognito device call, checked before they leave the process; answers made easy.

Each builder returns a plain dict (typed as a ``TypedDict``) whose keys are the API's own
member names, ready for ``client.<operation>(**request)`` with boto3 or aiobotocore, or
for :func:`http_request` with any HTTP client. Nothing here makes a network call or
imports an AWS SDK.

Every member is checked against the published API model (:data:`CONSTRAINTS`): required
members, types, lengths, patterns, ranges and enums. A breach raises
:class:`~srp_device.exceptions.ValidationError` naming the member and the rule (a
:class:`~srp_device.exceptions.ParameterTypeError` for a wrong type), and never quotes
the value: access tokens, usernames and passwords stay out of error text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple, TypedDict

from . import _srp
from ._auth import DeviceCredentials
from ._device import DeviceSecrets
from .exceptions import (
    CodeMismatchError,
    DeviceKeyExistsError,
    ExpiredCodeError,
    ForbiddenError,
    InternalErrorError,
    InvalidChallengeError,
    InvalidLambdaResponseError,
    InvalidParameterError,
    InvalidPasswordError,
    InvalidUserPoolConfigurationError,
    NotAuthorizedError,
    OperationNotEnabledError,
    ParameterTypeError,
    PasswordResetRequiredError,
    RefreshTokenReuseError,
    ResourceNotFoundError,
    ServiceError,
    TooManyRequestsError,
    UnexpectedLambdaError,
    UnknownServiceError,
    UserLambdaValidationError,
    UsernameExistsError,
    UserNotConfirmedError,
    UserNotFoundError,
    ValidationError,
)

__all__ = [
    "CONSTRAINTS",
    "DEVICE_STEPS",
    "ERROR_CLASSES",
    "SIGNED_OPERATIONS",
    "AdminDeviceRequest",
    "AdminListDevicesRequest",
    "AdminUpdateDeviceStatusRequest",
    "ConfirmDeviceOutcome",
    "ConfirmDeviceRequest",
    "Device",
    "DeviceKeyRequest",
    "GetTokensFromRefreshTokenRequest",
    "HttpRequest",
    "InitiateAuthRequest",
    "ListDevicesRequest",
    "NewDeviceMetadata",
    "RespondToAuthChallengeRequest",
    "Rule",
    "UpdateDeviceStatusRequest",
    "admin_forget_device",
    "admin_get_device",
    "admin_list_devices",
    "admin_update_device_status",
    "aiter_devices",
    "confirm_device",
    "error_from_client_error",
    "error_from_wire",
    "forget_device",
    "get_device",
    "get_tokens_from_refresh_token",
    "http_request",
    "initiate_auth",
    "is_device_not_found",
    "is_device_password_stale",
    "iter_devices",
    "list_devices",
    "new_device_metadata",
    "parse_confirm_device",
    "parse_device",
    "parse_get_device",
    "parse_list_devices",
    "refresh_token_auth",
    "respond_to_auth_challenge",
    "update_device_status",
    "validate",
]


# ---- the API model's constraints ------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One member's constraints, as the cognito-idp API model states them."""

    type: Literal["string", "integer", "map", "structure"]
    required: bool = False
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    sensitive: bool = False


_DEVICE_KEY = Rule("string", True, 1, 55, r"[\w-]+_[0-9a-f-]+")
_ACCESS_TOKEN = Rule("string", True, pattern=r"[A-Za-z0-9-_=.]+", sensitive=True)
_POOL_ID = Rule("string", True, 1, 55, r"[\w-]+_[0-9a-zA-Z]+")
_USERNAME = Rule("string", True, 1, 128, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", sensitive=True)
_LIMIT = Rule("integer", min=0, max=60)
_PAGINATION = Rule("string", min=1, pattern=r"[\S]+")
_STATUS = Rule("string", enum=("remembered", "not_remembered"))
_CLIENT_ID = Rule("string", True, 1, 128, r"[\w+]+", sensitive=True)
_SESSION = Rule("string", min=20, max=4096, sensitive=True)
_OPTIONAL = {"required": False}


def _optional(rule: Rule) -> Rule:
    return Rule(**{**rule.__dict__, **_OPTIONAL})


#: Operation -> member -> Rule, for every member the builders fill. A test compares this
#: table with botocore's shipped service model, so a model change is caught.
CONSTRAINTS: dict[str, dict[str, Rule]] = {
    "ConfirmDevice": {
        "AccessToken": _ACCESS_TOKEN,
        "DeviceKey": _DEVICE_KEY,
        "DeviceSecretVerifierConfig": Rule("structure"),
        "DeviceName": Rule("string", min=1, max=1024),
    },
    "UpdateDeviceStatus": {"AccessToken": _ACCESS_TOKEN, "DeviceKey": _DEVICE_KEY, "DeviceRememberedStatus": _STATUS},
    "ForgetDevice": {"AccessToken": _optional(_ACCESS_TOKEN), "DeviceKey": _DEVICE_KEY},
    "GetDevice": {"DeviceKey": _DEVICE_KEY, "AccessToken": _optional(_ACCESS_TOKEN)},
    "ListDevices": {"AccessToken": _ACCESS_TOKEN, "Limit": _LIMIT, "PaginationToken": _PAGINATION},
    "AdminForgetDevice": {"UserPoolId": _POOL_ID, "Username": _USERNAME, "DeviceKey": _DEVICE_KEY},
    "AdminGetDevice": {"DeviceKey": _DEVICE_KEY, "UserPoolId": _POOL_ID, "Username": _USERNAME},
    "AdminListDevices": {
        "UserPoolId": _POOL_ID,
        "Username": _USERNAME,
        "Limit": _LIMIT,
        "PaginationToken": _PAGINATION,
    },
    "AdminUpdateDeviceStatus": {
        "UserPoolId": _POOL_ID,
        "Username": _USERNAME,
        "DeviceKey": _DEVICE_KEY,
        "DeviceRememberedStatus": _STATUS,
    },
    "GetTokensFromRefreshToken": {
        "RefreshToken": _ACCESS_TOKEN,
        "ClientId": _CLIENT_ID,
        "ClientSecret": Rule("string", False, 24, 64, r"[\w+]+", sensitive=True),
        "DeviceKey": _optional(_DEVICE_KEY),
    },
    "InitiateAuth": {
        "AuthFlow": Rule(
            "string",
            True,
            enum=(
                "USER_SRP_AUTH",
                "REFRESH_TOKEN_AUTH",
                "REFRESH_TOKEN",
                "CUSTOM_AUTH",
                "ADMIN_NO_SRP_AUTH",
                "USER_PASSWORD_AUTH",
                "ADMIN_USER_PASSWORD_AUTH",
                "USER_AUTH",
            ),
        ),
        "AuthParameters": Rule("map", sensitive=True),
        "ClientId": _CLIENT_ID,
    },
    "RespondToAuthChallenge": {
        "ClientId": _CLIENT_ID,
        "ChallengeName": Rule(
            "string",
            True,
            enum=(
                "SMS_MFA",
                "EMAIL_OTP",
                "SOFTWARE_TOKEN_MFA",
                "SELECT_MFA_TYPE",
                "MFA_SETUP",
                "PASSWORD_VERIFIER",
                "CUSTOM_CHALLENGE",
                "SELECT_CHALLENGE",
                "DEVICE_SRP_AUTH",
                "DEVICE_PASSWORD_VERIFIER",
                "ADMIN_NO_SRP_AUTH",
                "NEW_PASSWORD_REQUIRED",
                "SMS_OTP",
                "PASSWORD",
                "WEB_AUTHN",
                "PASSWORD_SRP",
            ),
        ),
        "Session": _SESSION,
        "ChallengeResponses": Rule("map", sensitive=True),
    },
}

#: Operations that need a SigV4-signed (IAM) client; http_request refuses them.
SIGNED_OPERATIONS = frozenset({"AdminForgetDevice", "AdminGetDevice", "AdminListDevices", "AdminUpdateDeviceStatus"})

# Java's regex classes, as the service applies them: \w and \S are ASCII there.
_JAVA_WS = " \t\n\x0b\f\r"


def _ascii_regex(pattern: str, flags: int = 0) -> Callable[[str], bool]:
    compiled = re.compile(pattern, flags)
    return lambda s: compiled.fullmatch(s) is not None


_COMPILED: dict[str, Callable[[str], bool]] = {
    r"[\w-]+_[0-9a-f-]+": _ascii_regex(r"[\w-]+_[0-9a-f-]+", re.ASCII),
    r"[\w-]+_[0-9a-zA-Z]+": _ascii_regex(r"[\w-]+_[0-9a-zA-Z]+", re.ASCII),
    r"[A-Za-z0-9-_=.]+": _ascii_regex(r"[A-Za-z0-9\-_=.]+"),
    r"[\w+]+": _ascii_regex(r"[\w+]+", re.ASCII),
    r"[\S]+": lambda s: bool(s) and not any(c in _JAVA_WS for c in s),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+": lambda s: bool(s) and all(unicodedata.category(c)[0] in "LMSNP" for c in s),
}


def _check(operation: str, member: str, value: object) -> None:
    rule = CONSTRAINTS[operation][member]
    if rule.type == "string":
        if not isinstance(value, str):
            raise ParameterTypeError(member, f"must be a string, not {type(value).__name__}")
        if rule.min is not None and len(value) < rule.min:
            raise ValidationError(member, f"length must be at least {rule.min}")
        if rule.max is not None and len(value) > rule.max:
            raise ValidationError(member, f"length must be at most {rule.max}")
        if rule.pattern is not None and not _COMPILED[rule.pattern](value):
            raise ValidationError(member, f"must match the pattern {rule.pattern}")
        if rule.enum is not None and value not in rule.enum:
            raise ValidationError(member, f"must be one of {', '.join(rule.enum)}")
    elif rule.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterTypeError(member, f"must be an integer, not {type(value).__name__}")
        if (rule.min is not None and value < rule.min) or (rule.max is not None and value > rule.max):
            raise ValidationError(member, f"must be in the range {rule.min}..{rule.max}")
    elif rule.type == "map":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ParameterTypeError(member, "must be a mapping of strings to strings")
    elif not isinstance(value, Mapping):  # structure
        raise ParameterTypeError(member, "must be a mapping")


def validate(operation: str, request: Mapping[str, Any]) -> None:
    """Check ``request`` against the API model's constraints for ``operation``; raise on the first breach."""
    if operation not in CONSTRAINTS:
        raise ValidationError("operation", f"not one this library builds: {', '.join(CONSTRAINTS)}")
    if not isinstance(request, Mapping):
        raise TypeError("request must be a mapping")
    members = CONSTRAINTS[operation]
    for member, rule in members.items():
        if rule.required and member not in request:
            raise ValidationError(member, "is required")
    for member, value in request.items():
        if member not in members:
            raise ValidationError(member, f"is not a member this library builds for {operation}")
        _check(operation, member, value)


def _build(operation: str, **members: Any) -> Any:
    request = {k: v for k, v in members.items() if v is not None}
    validate(operation, request)
    return request


def _status(remembered: object) -> str:
    if not isinstance(remembered, bool):
        raise ParameterTypeError("remembered", "must be a bool")
    return "remembered" if remembered else "not_remembered"


# ---- request shapes -------------------------------------------------------------------------


class DeviceSecretVerifierConfigType(TypedDict):
    PasswordVerifier: str
    Salt: str


class _ConfirmDeviceRequired(TypedDict):
    AccessToken: str
    DeviceKey: str
    DeviceSecretVerifierConfig: DeviceSecretVerifierConfigType


class ConfirmDeviceRequest(_ConfirmDeviceRequired, total=False):
    DeviceName: str


class UpdateDeviceStatusRequest(TypedDict):
    AccessToken: str
    DeviceKey: str
    DeviceRememberedStatus: str


class _DeviceKeyRequired(TypedDict):
    DeviceKey: str


class DeviceKeyRequest(_DeviceKeyRequired, total=False):
    """ForgetDevice and GetDevice."""

    AccessToken: str


class _ListDevicesRequired(TypedDict):
    AccessToken: str


class ListDevicesRequest(_ListDevicesRequired, total=False):
    Limit: int
    PaginationToken: str


class AdminDeviceRequest(TypedDict):
    """AdminForgetDevice and AdminGetDevice."""

    UserPoolId: str
    Username: str
    DeviceKey: str


class _AdminListDevicesRequired(TypedDict):
    UserPoolId: str
    Username: str


class AdminListDevicesRequest(_AdminListDevicesRequired, total=False):
    Limit: int
    PaginationToken: str


class AdminUpdateDeviceStatusRequest(TypedDict):
    UserPoolId: str
    Username: str
    DeviceKey: str
    DeviceRememberedStatus: str


class InitiateAuthRequest(TypedDict):
    AuthFlow: str
    ClientId: str
    AuthParameters: dict[str, str]


class _GetTokensRequired(TypedDict):
    RefreshToken: str
    ClientId: str


class GetTokensFromRefreshTokenRequest(_GetTokensRequired, total=False):
    ClientSecret: str
    DeviceKey: str


class _RespondRequired(TypedDict):
    ClientId: str
    ChallengeName: str
    ChallengeResponses: dict[str, str]


class RespondToAuthChallengeRequest(_RespondRequired, total=False):
    Session: str


# ---- builders ---------------------------------------------------------------------------------


def confirm_device(access_token: str, secrets: DeviceSecrets, device_name: str | None = None) -> ConfirmDeviceRequest:
    """ConfirmDevice: the new device's key and its verifier config (from DeviceSecrets)."""
    if not isinstance(secrets, DeviceSecrets):
        raise TypeError("secrets must be a DeviceSecrets")
    return _build(  # type: ignore[no-any-return]
        "ConfirmDevice",
        AccessToken=access_token,
        DeviceKey=secrets.device_key,
        DeviceSecretVerifierConfig=secrets.verifier_config,
        DeviceName=device_name,
    )


def update_device_status(access_token: str, device_key: str, remembered: bool) -> UpdateDeviceStatusRequest:
    """UpdateDeviceStatus: remembered (skip MFA next time) or not_remembered."""
    return _build(  # type: ignore[no-any-return]
        "UpdateDeviceStatus",
        AccessToken=access_token,
        DeviceKey=device_key,
        DeviceRememberedStatus=_status(remembered),
    )


def forget_device(device_key: str, access_token: str | None = None) -> DeviceKeyRequest:
    """ForgetDevice as the signed-in user."""
    return _build("ForgetDevice", AccessToken=access_token, DeviceKey=device_key)  # type: ignore[no-any-return]


def get_device(device_key: str, access_token: str | None = None) -> DeviceKeyRequest:
    """GetDevice as the signed-in user."""
    return _build("GetDevice", DeviceKey=device_key, AccessToken=access_token)  # type: ignore[no-any-return]


def list_devices(
    access_token: str, limit: int | None = None, pagination_token: str | None = None
) -> ListDevicesRequest:
    """ListDevices: one page (Limit 0..60); see :func:`iter_devices` for all of them."""
    return _build(  # type: ignore[no-any-return]
        "ListDevices", AccessToken=access_token, Limit=limit, PaginationToken=pagination_token
    )


def admin_forget_device(user_pool_id: str, username: str, device_key: str) -> AdminDeviceRequest:
    """AdminForgetDevice (needs an IAM-signed client)."""
    return _build(  # type: ignore[no-any-return]
        "AdminForgetDevice", UserPoolId=user_pool_id, Username=username, DeviceKey=device_key
    )


def admin_get_device(user_pool_id: str, username: str, device_key: str) -> AdminDeviceRequest:
    """AdminGetDevice (needs an IAM-signed client)."""
    return _build(  # type: ignore[no-any-return]
        "AdminGetDevice", DeviceKey=device_key, UserPoolId=user_pool_id, Username=username
    )


def admin_list_devices(
    user_pool_id: str, username: str, limit: int | None = None, pagination_token: str | None = None
) -> AdminListDevicesRequest:
    """AdminListDevices (needs an IAM-signed client)."""
    return _build(  # type: ignore[no-any-return]
        "AdminListDevices", UserPoolId=user_pool_id, Username=username, Limit=limit, PaginationToken=pagination_token
    )


def admin_update_device_status(
    user_pool_id: str, username: str, device_key: str, remembered: bool
) -> AdminUpdateDeviceStatusRequest:
    """AdminUpdateDeviceStatus (needs an IAM-signed client)."""
    return _build(  # type: ignore[no-any-return]
        "AdminUpdateDeviceStatus",
        UserPoolId=user_pool_id,
        Username=username,
        DeviceKey=device_key,
        DeviceRememberedStatus=_status(remembered),
    )


def initiate_auth(client_id: str, auth_flow: str, auth_parameters: Mapping[str, str]) -> InitiateAuthRequest:
    """InitiateAuth, checked (UserAuth.initiate_auth builds the USER_SRP_AUTH one)."""
    return _build(  # type: ignore[no-any-return]
        "InitiateAuth", AuthFlow=auth_flow, ClientId=client_id, AuthParameters=dict(auth_parameters)
    )


def respond_to_auth_challenge(
    client_id: str, challenge_name: str, challenge_responses: Mapping[str, str], session: str | None = None
) -> RespondToAuthChallengeRequest:
    """RespondToAuthChallenge, checked (DeviceAuth/UserAuth build the SRP ones)."""
    return _build(  # type: ignore[no-any-return]
        "RespondToAuthChallenge",
        ClientId=client_id,
        ChallengeName=challenge_name,
        Session=session,
        ChallengeResponses=dict(challenge_responses),
    )


def refresh_token_auth(
    client_id: str,
    refresh_token: str,
    *,
    device: DeviceCredentials | None = None,
    client_secret: str | None = None,
    username: str | None = None,
) -> InitiateAuthRequest:
    """InitiateAuth REFRESH_TOKEN_AUTH. With a remembered device, DEVICE_KEY is sent: without
    it the service refuses the refresh. SECRET_HASH (with ``username``, the user's sub or
    USERNAME) is added when the app client has a secret."""
    if not isinstance(refresh_token, str) or not refresh_token:
        raise ParameterTypeError("REFRESH_TOKEN", "must be a non-empty string")
    params = {"REFRESH_TOKEN": refresh_token}
    if device is not None:
        params["DEVICE_KEY"] = device.device_key
    if client_secret is not None:
        if not isinstance(username, str) or not username:
            raise ValidationError("username", "is needed to compute SECRET_HASH")
        params["SECRET_HASH"] = _srp.secret_hash(client_secret=client_secret, username=username, client_id=client_id)
    return initiate_auth(client_id, "REFRESH_TOKEN_AUTH", params)


def get_tokens_from_refresh_token(
    client_id: str,
    refresh_token: str,
    *,
    device: DeviceCredentials | None = None,
    client_secret: str | None = None,
) -> GetTokensFromRefreshTokenRequest:
    """GetTokensFromRefreshToken (the operation current Amplify uses to refresh). With a
    remembered device, DeviceKey is sent: a refresh token issued to a device sign-in is
    refused without it. ClientSecret goes as it is, when the app client has one."""
    request: dict[str, Any] = {"RefreshToken": refresh_token, "ClientId": client_id}
    if device is not None:
        request["DeviceKey"] = device.device_key
    if client_secret is not None:
        request["ClientSecret"] = client_secret
    return _build("GetTokensFromRefreshToken", **request)  # type: ignore[no-any-return]


class NewDeviceMetadata(NamedTuple):
    """The device identity an authentication result carries when the pool tracks a new device."""

    device_key: str
    device_group_key: str


def new_device_metadata(response: Mapping[str, Any]) -> NewDeviceMetadata | None:
    """NewDeviceMetadata from any authentication answer (InitiateAuth, RespondToAuthChallenge,
    a refresh, GetTokensFromRefreshToken), or None when the pool issued no new device."""
    if not isinstance(response, Mapping):
        raise TypeError(f"response must be the response dict, not {type(response).__name__}")
    result = response.get("AuthenticationResult", response)
    metadata = result.get("NewDeviceMetadata") if isinstance(result, Mapping) else None
    if not metadata:
        return None
    if not isinstance(metadata, Mapping):
        raise InvalidChallengeError("NewDeviceMetadata", "must be an object")
    key, group = metadata.get("DeviceKey"), metadata.get("DeviceGroupKey")
    if not isinstance(key, str) or not key or not isinstance(group, str) or not group:
        raise InvalidChallengeError("NewDeviceMetadata", "needs DeviceKey and DeviceGroupKey strings")
    return NewDeviceMetadata(key, group)


# ---- raw HTTP -------------------------------------------------------------------------------------


class HttpRequest(NamedTuple):
    """What to POST for an unsigned call: method, URL, headers and the JSON body."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


def http_request(operation: str, request: Mapping[str, Any], region: str) -> HttpRequest:
    """The raw HTTP form of a built request, for the calls that need no SigV4 signature.

    The Admin* operations need an IAM-signed client (boto3, aiobotocore) and are refused.
    """
    if operation in SIGNED_OPERATIONS:
        raise ValidationError(
            "operation", f"{operation} must be signed with AWS credentials (SigV4): send it with boto3 or aiobotocore"
        )
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ValidationError("region", "must look like us-east-1")
    validate(operation, request)
    return HttpRequest(
        "POST",
        f"https://cognito-idp.{region}.amazonaws.com/",
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
        },
        json.dumps(dict(request), separators=(",", ":")).encode(),
    )


# ---- responses --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmDeviceOutcome:
    """What ConfirmDevice answered. When ``user_confirmation_necessary`` is true the pool
    lets the user choose: call UpdateDeviceStatus(remembered=True) if they opt in, or the
    device stays tracked but not remembered (MFA is still asked)."""

    user_confirmation_necessary: bool

    @property
    def next_step(self) -> str:
        if self.user_confirmation_necessary:
            return "ask the user; if they agree, call UpdateDeviceStatus with DeviceRememberedStatus=remembered"
        return "none: the device is remembered"


def parse_confirm_device(response: Mapping[str, Any]) -> ConfirmDeviceOutcome:
    """The ConfirmDevice response, boto3's dict or the wire JSON."""
    if not isinstance(response, Mapping):
        raise TypeError("response must be a mapping")
    flag = response.get("UserConfirmationNecessary", False)
    if not isinstance(flag, bool):
        raise ValidationError("UserConfirmationNecessary", "must be a boolean")
    return ConfirmDeviceOutcome(flag)


@dataclass(frozen=True)
class Device:
    """A device record from GetDevice/ListDevices: attributes as a dict, dates aware (UTC)."""

    device_key: str
    attributes: dict[str, str] = field(default_factory=dict)
    create_date: datetime | None = None
    last_modified_date: datetime | None = None
    last_authenticated_date: datetime | None = None

    @property
    def name(self) -> str | None:
        """The device_name attribute, when the device reported one."""
        return self.attributes.get("device_name")

    @property
    def remembered(self) -> bool | None:
        """The dev:device_remembered_status attribute, when present."""
        status = self.attributes.get("dev:device_remembered_status")
        return None if status is None else status == "remembered"


def _date(value: object, member: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # boto3 parses timestamps already
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # the wire: epoch seconds
        parsed = None
        try:
            parsed = datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):  # NaN, infinities, years past 9999
            pass
        if parsed is not None:
            return parsed
        raise ValidationError(member, "is not a timestamp a date can hold")
    raise ValidationError(member, "must be a timestamp")


def parse_device(record: Mapping[str, Any]) -> Device:
    """One DeviceType, from boto3 or the wire JSON."""
    if not isinstance(record, Mapping):
        raise TypeError("record must be a mapping")
    key = record.get("DeviceKey")
    if not isinstance(key, str):
        raise ValidationError("DeviceKey", "missing from the device record")
    attrs = record.get("DeviceAttributes", [])
    if not isinstance(attrs, list) or not all(isinstance(a, Mapping) and isinstance(a.get("Name"), str) for a in attrs):
        raise ValidationError("DeviceAttributes", "must be a list of {Name, Value}")
    return Device(
        device_key=key,
        attributes={a["Name"]: a.get("Value", "") for a in attrs},
        create_date=_date(record.get("DeviceCreateDate"), "DeviceCreateDate"),
        last_modified_date=_date(record.get("DeviceLastModifiedDate"), "DeviceLastModifiedDate"),
        last_authenticated_date=_date(record.get("DeviceLastAuthenticatedDate"), "DeviceLastAuthenticatedDate"),
    )


def parse_get_device(response: Mapping[str, Any]) -> Device:
    """GetDevice/AdminGetDevice response -> Device."""
    if not isinstance(response, Mapping) or not isinstance(response.get("Device"), Mapping):
        raise ValidationError("Device", "missing from the response")
    return parse_device(response["Device"])


def parse_list_devices(response: Mapping[str, Any]) -> tuple[list[Device], str | None]:
    """ListDevices/AdminListDevices response -> (devices, PaginationToken or None)."""
    if not isinstance(response, Mapping):
        raise TypeError("response must be a mapping")
    devices = response.get("Devices", [])
    if not isinstance(devices, list):
        raise ValidationError("Devices", "must be a list")
    token = response.get("PaginationToken")
    if token is not None and not isinstance(token, str):
        raise ValidationError("PaginationToken", "must be a string")
    if not all(isinstance(d, Mapping) for d in devices):
        raise ValidationError("Devices", "must be a list of device records")
    return [parse_device(d) for d in devices], token or None


def _next_page(page: dict[str, Any], token: str | None, seen: set[str]) -> bool:
    """Point ``page`` at the next page; False when there is none. A repeated token is refused, not looped on."""
    if token is None:
        return False
    if token in seen:
        raise ValidationError("PaginationToken", "the service repeated a pagination token")
    seen.add(token)
    page["PaginationToken"] = token
    return True


async def aiter_devices(
    call: Callable[..., Awaitable[Mapping[str, Any]]], request: Mapping[str, Any]
) -> AsyncIterator[Device]:
    """:func:`iter_devices` for an awaitable client (aiobotocore):
    ``async for d in aiter_devices(client.list_devices, list_devices(token))``."""
    page: dict[str, Any] = dict(request)
    seen: set[str] = set()
    while True:
        devices, token = parse_list_devices(await call(**page))
        for device in devices:
            yield device
        if not _next_page(page, token, seen):
            return


def iter_devices(call: Callable[..., Mapping[str, Any]], request: Mapping[str, Any]) -> Iterator[Device]:
    """Every device, following PaginationToken: ``iter_devices(client.list_devices, list_devices(token))``.

    Works the same with ``client.admin_list_devices`` and ``admin_list_devices(...)``. A
    token that repeats is refused rather than looped on.
    """
    page: dict[str, Any] = dict(request)
    seen: set[str] = set()
    while True:
        devices, token = parse_list_devices(call(**page))
        yield from devices
        if not _next_page(page, token, seen):
            return


# ---- errors ------------------------------------------------------------------------------------------

ERROR_CLASSES: dict[str, type[ServiceError]] = {
    cls.code: cls
    for cls in (
        ResourceNotFoundError,
        InvalidParameterError,
        NotAuthorizedError,
        InvalidPasswordError,
        InvalidLambdaResponseError,
        UsernameExistsError,
        InvalidUserPoolConfigurationError,
        TooManyRequestsError,
        PasswordResetRequiredError,
        UserNotFoundError,
        UserNotConfirmedError,
        InternalErrorError,
        DeviceKeyExistsError,
        ForbiddenError,
        OperationNotEnabledError,
        CodeMismatchError,
        ExpiredCodeError,
        UnexpectedLambdaError,
        UserLambdaValidationError,
        RefreshTokenReuseError,
    )
}


def _typed(code: str, message: str, status: int | None) -> ServiceError:
    short = code.rsplit("#", 1)[-1].split(":", 1)[0].strip()
    cls = ERROR_CLASSES.get(short)
    if cls is None:
        return UnknownServiceError(message, code=short or "UnknownError", status=status)
    return cls(message, status=status)


def error_from_wire(status: int, body: bytes | str | Mapping[str, Any]) -> ServiceError:
    """A typed error from the service's JSON error body (``__type``, ``message``)."""
    data: Any = body
    if isinstance(body, (bytes, str)):
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
    if not isinstance(data, Mapping):
        data = {}
    code = str(data.get("__type") or data.get("code") or "")
    message = data.get("message", data.get("Message", ""))
    return _typed(code, message if isinstance(message, str) else "", status)


def error_from_client_error(exc: BaseException) -> ServiceError:
    """A typed error from botocore's ClientError (read through its ``response`` dict)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        raise TypeError("not a botocore ClientError (it has no response dict)")
    error = response.get("Error", {}) if isinstance(response.get("Error"), Mapping) else {}
    meta = response.get("ResponseMetadata", {}) if isinstance(response.get("ResponseMetadata"), Mapping) else {}
    status = meta.get("HTTPStatusCode")
    return _typed(
        str(error.get("Code", "")),
        str(error.get("Message", "")),
        status if isinstance(status, int) else None,
    )


def _as_service_error(error: BaseException) -> ServiceError | None:
    if isinstance(error, ServiceError):
        return error
    if isinstance(getattr(error, "response", None), Mapping):
        return error_from_client_error(error)
    return None


def is_device_not_found(error: BaseException) -> bool:
    """True when a sign-in failed because the stored device is gone ("Device does not exist.").

    Then forget the stored device and sign in again without it (AWS's JS and iOS
    clients do the same).
    """
    err = _as_service_error(error)
    return isinstance(err, ResourceNotFoundError) and "device" in err.message.lower()


#: The challenges that prove the device password.
DEVICE_STEPS = ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")


def is_device_password_stale(error: BaseException, *, challenge_name: str | None = None) -> bool:
    """True when NotAuthorized answered a device step (DEVICE_SRP_AUTH/DEVICE_PASSWORD_VERIFIER):
    the stored device password no longer matches the service's verifier. Forget the
    stored device; the next sign-in goes through MFA and confirms a new one.

    The step is read from the error itself (``error.step``, which the sign-in flows set);
    ``challenge_name`` names it for an error that comes from elsewhere. NotAuthorized on
    PASSWORD_VERIFIER is the user's password, never the device's: keep the device.
    """
    err = _as_service_error(error)
    step = challenge_name if challenge_name is not None else getattr(err, "step", None)
    return isinstance(err, NotAuthorizedError) and step in DEVICE_STEPS
