"""The device calls: ConfirmDevice, UpdateDeviceStatus, ForgetDevice, GetDevice, ListDevices and
their Admin* forms.

ListDevices (and AdminListDevices) list remembered devices only, as the service does.
ConfirmDevice is one atomic update: of concurrent confirmations of one key, exactly one
wins. An access token issued to a device that was forgotten no longer works here.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from .. import _srp
from ..exceptions import (
    DeviceKeyExistsError,
    InvalidParameterError,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)
from ._errors import fail
from ._store import Store
from ._tokens import Tokens, b64url, b64url_decode

__all__ = ["Devices"]


class Devices:
    def __init__(self, store: Store, tokens: Tokens) -> None:
        self.store = store
        self.tokens = tokens
        self.config = store.config

    def _owner(self, req: Mapping[str, Any]) -> str:
        claims = self.tokens.verify_access_token(req.get("AccessToken"))
        username = str(claims["username"])
        bound = claims.get("device_key")
        if bound is not None and not self.store.q("SELECT 1 FROM devices WHERE device_key = ?", bound):
            raise fail(NotAuthorizedError, "Access Token has been revoked")  # its device was forgotten
        return username

    def confirm_device(self, req: Mapping[str, Any]) -> dict[str, Any]:
        username = self._owner(req)
        device = self.store.device(req.get("DeviceKey"), username)
        config = req.get("DeviceSecretVerifierConfig") or {}
        try:
            salt = base64.b64decode(config["Salt"], validate=True)
            verifier = base64.b64decode(config["PasswordVerifier"], validate=True)
            if not salt or not 0 < int.from_bytes(verifier, "big", signed=True) < _srp.N:
                raise ValueError
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise fail(InvalidParameterError, "Invalid DeviceSecretVerifierConfig.") from None
        always = self.config.device_tracking == "always"
        won = self.store.changed(
            "UPDATE devices SET salt = ?, verifier = ?, confirmed = 1, remembered = ?, name = ?, modified = ? "
            "WHERE device_key = ? AND confirmed = 0",
            salt,
            verifier,
            int(always),
            req.get("DeviceName"),
            self.store.now().timestamp(),
            device["device_key"],
        )
        if won != 1:
            raise fail(DeviceKeyExistsError, "Device key already exists.")
        return {"UserConfirmationNecessary": not always}

    def update_device_status(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        device = self.store.device(req.get("DeviceKey"), username)
        remembered = req.get("DeviceRememberedStatus") == "remembered"
        self.store.q(
            "UPDATE devices SET remembered = ?, modified = ? WHERE device_key = ?",
            int(remembered),
            self.store.now().timestamp(),
            device["device_key"],
        )
        return {}

    def forget_device(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        device = self.store.device(req.get("DeviceKey"), username)
        self.store.q("DELETE FROM devices WHERE device_key = ?", device["device_key"])
        self.store.q("DELETE FROM refresh_tokens WHERE device_key = ?", device["device_key"])
        return {}

    def get_device(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        return {"Device": self._record(self.store.device(req.get("DeviceKey"), username))}

    def list_devices(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        """Remembered devices, a page at a time."""
        username = username or self._owner(req)
        limit = int(req.get("Limit") or 60)
        after = ""
        if req.get("PaginationToken") is not None:
            try:
                after = b64url_decode(str(req["PaginationToken"])).decode()
            except (ValueError, UnicodeDecodeError):
                raise fail(InvalidParameterError, "Invalid pagination token.") from None
        rows = self.store.q(
            "SELECT * FROM devices WHERE username = ? AND confirmed = 1 AND remembered = 1 AND device_key > ? "
            "ORDER BY device_key LIMIT ?",
            username,
            after,
            limit + 1,
        )
        out: dict[str, Any] = {"Devices": [self._record(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["PaginationToken"] = b64url(rows[limit - 1]["device_key"].encode())
        return out

    def _record(self, row: sqlite3.Row) -> dict[str, Any]:
        attrs = [
            {"Name": "dev:device_remembered_status", "Value": "remembered" if row["remembered"] else "not_remembered"},
            {"Name": "dev:device_status", "Value": "valid" if row["confirmed"] else "unconfirmed"},
        ]
        if row["name"]:
            attrs.append({"Name": "device_name", "Value": row["name"]})
        record: dict[str, Any] = {
            "DeviceKey": row["device_key"],
            "DeviceAttributes": attrs,
            "DeviceCreateDate": row["created"],
            "DeviceLastModifiedDate": row["modified"],
        }
        if row["last_auth"] is not None:
            record["DeviceLastAuthenticatedDate"] = row["last_auth"]
        return record

    def admin(self, op: Callable[..., dict[str, Any]], req: Mapping[str, Any]) -> dict[str, Any]:
        """An Admin* call: the pool and the user named, then the device call as that user."""
        if req.get("UserPoolId") != self.config.user_pool_id:
            raise fail(ResourceNotFoundError, f"User pool {req.get('UserPoolId')} does not exist.")
        rows = self.store.q(
            "SELECT username FROM users WHERE username = ? OR sub = ?", req.get("Username"), req.get("Username")
        )
        if not rows:
            raise fail(UserNotFoundError, "User does not exist.")
        return op(req, rows[0]["username"])
