"""The DeviceStore protocol: where a user's remembered device is kept between sign-ins.

It lives below ``flows`` and ``stores`` so that both can use it: ``flows.sign_in(store=...)``
loads, saves and forgets through any object that has these three methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ._device import DeviceSecrets
from .exceptions import ValidationError

__all__ = ["DeviceStore", "store_key"]


@runtime_checkable
class DeviceStore(Protocol):
    """A user's remembered device, keyed by user pool id, app client id and username."""

    def load(self, user_pool_id: str, client_id: str, username: str) -> DeviceSecrets | None:
        """The stored device, or None."""

    def save(self, user_pool_id: str, client_id: str, username: str, device: DeviceSecrets) -> None:
        """Keep ``device`` (replacing any stored before)."""

    def forget(self, user_pool_id: str, client_id: str, username: str) -> None:
        """Drop the stored device; nothing happens when there is none."""


def store_key(user_pool_id: str, client_id: str, username: str) -> str:
    """The one key of a user's device: ``POOL_ID/CLIENT_ID/USERNAME`` (neither id holds a '/')."""
    for name, value in (("user_pool_id", user_pool_id), ("client_id", client_id), ("username", username)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        if not value:
            raise ValidationError(name, "must not be empty")
    if "/" in user_pool_id or "/" in client_id:
        raise ValidationError("user_pool_id" if "/" in user_pool_id else "client_id", "must not contain '/'")
    return f"{user_pool_id}/{client_id}/{username}"
