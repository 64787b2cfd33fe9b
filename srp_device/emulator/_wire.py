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
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..api import CONSTRAINTS, validate
from ..exceptions import SrpDeviceError
from ._auth import Auth
from ._devices import Devices
from ._errors import FailError
from ._sigv4 import verify_sigv4
from ._tokens import Tokens

__all__ = ["MAX_BODY", "TARGET_PREFIX", "Handler", "routes", "without_nulls"]

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


class Handler(BaseHTTPRequestHandler):
    server_version = "srp-device-local-cognito"
    # set on the subclass made per emulator
    routes: dict[str, Route]
    tokens: Tokens
    outbox: Callable[[str], list[str]]

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: requests carry secrets; the emulator logs nothing

    def _send(self, status: int, payload: Mapping[str, Any], content_type: str = "application/x-amz-json-1.1") -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, code: str, message: str, status: int = 400) -> None:
        self._send(status, {"__type": code, "message": message})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        pool = self.tokens.config.user_pool_id
        if url.path == f"/{pool}/.well-known/jwks.json":
            self._send(200, self.tokens.jwks(), "application/json")
        elif url.path == f"/{pool}/.well-known/openid-configuration":
            self._send(200, self.tokens.openid_configuration(), "application/json")
        elif url.path == "/_local/outbox":
            names = parse_qs(url.query).get("username", [])
            if len(names) != 1:
                self._error("InvalidParameterException", "give one username=", 400)
            else:
                self._send(200, {"username": names[0], "codes": self.outbox(names[0])}, "application/json")
        else:
            self._error("ResourceNotFoundException", "Not found", 404)

    def do_POST(self) -> None:
        try:
            self._post()
        except Exception as exc:  # the server keeps serving whatever a request holds
            self._error("InternalErrorException", f"Internal error ({type(exc).__name__})", 500)

    def _post(self) -> None:
        target = self.headers.get("X-Amz-Target", "")
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isascii() or not length_text.isdigit() or len(length_text) > 9:
            self._error("SerializationException", "Content-Length is required", 411)
            return
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True
            self._error("RequestEntityTooLargeException", f"Request body is larger than {MAX_BODY} bytes", 413)
            return
        raw = self.rfile.read(length)
        if not target.startswith(TARGET_PREFIX):
            self._error("UnknownOperationException", "Missing or unknown X-Amz-Target")
            return
        operation = target[len(TARGET_PREFIX) :]
        try:
            request = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            self._error("SerializationException", "Request body is not valid JSON")
            return
        if not isinstance(request, dict):
            self._error("SerializationException", "Request body must be a JSON object")
            return
        request = without_nulls(request)
        if operation not in self.routes:
            self._error("UnknownOperationException", f"Operation {operation[:64]} is not served by this local pool")
            return
        try:
            if operation.startswith("Admin"):
                headers = {k.lower(): v for k, v in self.headers.items()}
                verify_sigv4(headers, self.path, raw, self.tokens.config.admin_credentials, self.tokens.store.now())
            if operation in CONSTRAINTS:
                validate(operation, {k: v for k, v in request.items() if k in CONSTRAINTS[operation]})
            self._send(200, self.routes[operation](request))
        except FailError as failure:
            self._error(failure.error.code, failure.error.message)
        except SrpDeviceError as exc:
            field_name = getattr(exc, "field", "request")
            self._error("InvalidParameterException", f"Invalid parameter {field_name}")
