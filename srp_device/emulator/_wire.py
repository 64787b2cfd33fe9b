"""The wire protocol: the service's JSON 1.1 over HTTP, and the few GET documents beside it.

``POST /`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>``; errors
in the service's form (HTTP 400, ``__type``, ``message``). A member sent as JSON ``null``
is treated as absent, as the service treats it (AWS's JS client sends ``"DEVICE_KEY":
null``). GET serves the pool's ``/.well-known/jwks.json`` and
``/.well-known/openid-configuration`` under ``/{userPoolId}``, and, for tests in other
processes and languages, ``/_local/outbox?username=NAME``: the MFA codes "sent".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from ..api import CONSTRAINTS, validate
from ..exceptions import SrpDeviceError
from ._auth import Auth
from ._devices import Devices
from ._errors import FailError
from ._sigv4 import verify_sigv4
from ._tokens import Tokens

__all__ = ["MAX_BODY", "TARGET_PREFIX", "Answer", "Wire", "error_answer", "routes", "without_nulls"]

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
MAX_BODY = 256 * 1024
Route = Callable[[Mapping[str, Any]], dict[str, Any]]


def without_nulls(value: Any) -> Any:
    """The request with every ``null`` member dropped, at every depth (the service reads null as absent)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def routes(auth: Auth, devices: Devices) -> dict[str, Route]:
    return {
        "InitiateAuth": auth.initiate_auth,
        "RespondToAuthChallenge": auth.respond,
        "GetTokensFromRefreshToken": auth.get_tokens_from_refresh_token,
        "RevokeToken": auth.revoke_token,
        "GlobalSignOut": auth.global_sign_out,
        "AssociateSoftwareToken": auth.associate_software_token,
        "VerifySoftwareToken": auth.verify_software_token,
        "ConfirmDevice": devices.confirm_device,
        "UpdateDeviceStatus": devices.update_device_status,
        "ForgetDevice": devices.forget_device,
        "GetDevice": devices.get_device,
        "ListDevices": devices.list_devices,
        "AdminForgetDevice": lambda r: devices.admin(devices.forget_device, r),
        "AdminGetDevice": lambda r: devices.admin(devices.get_device, r),
        "AdminListDevices": lambda r: devices.admin(devices.list_devices, r),
        "AdminUpdateDeviceStatus": lambda r: devices.admin(devices.update_device_status, r),
    }


Answer = tuple[int, dict[str, Any], str]  # (HTTP status, JSON payload, content type)
_JSON11 = "application/x-amz-json-1.1"


def error_answer(code: str, message: str, status: int = 400) -> Answer:
    """An error in the service's form: (status, {"__type", "message"}, JSON 1.1)."""
    return status, {"__type": code, "message": message}, _JSON11


class Wire:
    """The protocol, independent of the HTTP server: a request in, an answer out. Never raises."""

    def __init__(self, operations: dict[str, Route], tokens: Tokens, outbox: Callable[[str], list[str]]) -> None:
        self.operations = operations
        self.tokens = tokens
        self.outbox = outbox

    def get(self, path: str, query: str) -> Answer:
        pool = self.tokens.config.user_pool_id
        if path == f"/{pool}/.well-known/jwks.json":
            return 200, self.tokens.jwks(), "application/json"
        if path == f"/{pool}/.well-known/openid-configuration":
            return 200, self.tokens.openid_configuration(), "application/json"
        if path == "/_local/outbox":
            names = parse_qs(query).get("username", [])
            if len(names) != 1:
                return error_answer("InvalidParameterException", "give one username=")
            return 200, {"username": names[0], "codes": self.outbox(names[0])}, "application/json"
        return error_answer("ResourceNotFoundException", "Not found", 404)

    def post(self, path: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        """A JSON 1.1 call; ``headers`` with lower-case names."""
        try:
            return self._post(path, headers, raw)
        except Exception as exc:  # the server keeps serving whatever a request holds
            return error_answer("InternalErrorException", f"Internal error ({type(exc).__name__})", 500)

    def _post(self, path: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        target = headers.get("x-amz-target", "")
        if not target.startswith(TARGET_PREFIX):
            return error_answer("UnknownOperationException", "Missing or unknown X-Amz-Target")
        operation = target[len(TARGET_PREFIX) :]
        try:
            request = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            return error_answer("SerializationException", "Request body is not valid JSON")
        if not isinstance(request, dict):
            return error_answer("SerializationException", "Request body must be a JSON object")
        request = without_nulls(request)
        if operation not in self.operations:
            return error_answer(
                "UnknownOperationException", f"Operation {operation[:64]} is not served by this local pool"
            )
        try:
            if operation.startswith("Admin"):
                credentials = self.tokens.config.admin_credentials
                verify_sigv4(headers, path, raw, credentials, self.tokens.store.now())
            if operation in CONSTRAINTS:
                validate(operation, {k: v for k, v in request.items() if k in CONSTRAINTS[operation]})
            return 200, self.operations[operation](request), _JSON11
        except FailError as failure:
            return error_answer(failure.error.code, failure.error.message)
        except SrpDeviceError as exc:
            return error_answer("InvalidParameterException", f"Invalid parameter {getattr(exc, 'field', 'request')}")
