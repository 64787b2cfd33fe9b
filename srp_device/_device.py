"""DeviceSecrets: the material a client makes before ConfirmDevice, and keeps afterwards.

This layer draws randomness (``generate``) and then calls the pure core
(``from_parts``); tests and vectors call ``from_parts`` only.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets as _csprng
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import _srp
from ._bulk import map_chunks
from ._encoding import b64, pad
from .exceptions import ValidationError
from .modexp import Backend, get_backend

__all__ = ["STORAGE_VERSION", "DeviceSecrets", "validate_device_key", "validate_group_key"]

_DEVICE_KEY = re.compile(r"[\w-]+_[0-9a-f-]+", re.ASCII)
STORAGE_VERSION = 1


def _require_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def validate_device_key(device_key: object, field_name: str = "device_key") -> str:
    """The DeviceKey, checked against the API model: pattern [\\w-]+_[0-9a-f-]+, 1..55 chars."""
    key = _require_str(device_key, field_name)
    if not 1 <= len(key) <= 55:
        raise ValidationError(field_name, "length must be 1..55")
    if not _DEVICE_KEY.fullmatch(key):
        raise ValidationError(field_name, r"must match [\w-]+_[0-9a-f-]+ (for example us-east-1_0f1e...)")
    return key


def validate_group_key(device_group_key: object) -> str:
    group_key = _require_str(device_group_key, "device_group_key")
    if not group_key:
        raise ValidationError("device_group_key", "must not be empty")
    return group_key


@dataclass(frozen=True, slots=True)
class DeviceSecrets:
    """A remembered device's secrets and its ConfirmDevice material.

    ``salt`` and ``verifier`` are the bytes exactly as sent (Java ``toByteArray`` form);
    ``device_password`` is secret and never appears in ``repr``/``str``.
    """

    device_key: str
    device_group_key: str
    device_password: str = field(repr=False)
    salt: bytes
    verifier: bytes = field(repr=False)

    @classmethod
    def generate(
        cls,
        *,
        device_key: str,
        device_group_key: str,
        backend: str | Backend | None = None,
    ) -> DeviceSecrets:
        """New device password (base64 of 40 CSPRNG bytes) and salt (16 CSPRNG bytes)."""
        return cls.from_parts(
            device_key=device_key,
            device_group_key=device_group_key,
            device_password=b64(_csprng.token_bytes(40)),
            salt=_csprng.token_bytes(16),
            backend=backend,
        )

    @classmethod
    def from_parts(
        cls,
        *,
        device_key: str,
        device_group_key: str,
        device_password: str,
        salt: bytes,
        backend: str | Backend | None = None,
    ) -> DeviceSecrets:
        """Deterministic: x = H(pad(salt) || H(UTF8(DeviceGroupKey || DeviceKey || ":" || pw))), v = g^x mod N.

        ``salt`` is the raw random bytes, read as an unsigned integer and stored in
        canonical ``pad`` form, as AWS's JS client does with its random salt hex.
        """
        validate_device_key(device_key)
        validate_group_key(device_group_key)
        _require_str(device_password, "device_password")
        if not device_password:
            raise ValidationError("device_password", "must not be empty")
        if not isinstance(salt, (bytes, bytearray)):
            raise TypeError(f"salt must be bytes, not {type(salt).__name__}")
        if not salt:
            raise ValidationError("salt", "must not be empty")
        salt_int = int.from_bytes(salt, "big")
        x = _srp.compute_x(salt=salt_int, pool=device_group_key, identity=device_key, password=device_password)
        v = _srp.compute_verifier(x, backend=get_backend(backend))
        return cls(device_key, device_group_key, device_password, pad(salt_int), pad(v))

    @classmethod
    def generate_many(
        cls,
        devices: Iterable[tuple[str, str]],
        *,
        backend: str | Backend | None = None,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        chunk_size: int = 32,
    ) -> list[DeviceSecrets]:
        """``generate`` for many ``(device_key, device_group_key)`` pairs, on every core.

        Work is spread over ``workers`` threads (default: the CPUs this process may use);
        the native engine releases the GIL, so they run in parallel. Every pair is
        checked before any work starts. ``progress(done, total)`` is called in the
        calling thread as chunks finish. Results keep the input order.
        """
        pairs = list(devices)
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError("devices must be (device_key, device_group_key) tuples")
            validate_device_key(pair[0])
            validate_group_key(pair[1])
        chosen = get_backend(backend)  # loaded once (comb table included), shared by every thread

        def one(pair: tuple[str, str]) -> DeviceSecrets:
            return cls.generate(device_key=pair[0], device_group_key=pair[1], backend=chosen)

        return map_chunks(one, pairs, workers=workers, chunk_size=chunk_size, progress=progress)

    @property
    def verifier_config(self) -> dict[str, str]:
        """ConfirmDevice's DeviceSecretVerifierConfig: {"PasswordVerifier": b64(pad(v)), "Salt": b64(pad(salt))}."""
        return {"PasswordVerifier": b64(self.verifier), "Salt": b64(self.salt)}

    def to_json_including_password(self) -> str:
        """The versioned JSON record to persist; it CONTAINS THE DEVICE PASSWORD, store it as a secret."""
        return json.dumps(
            {
                "version": STORAGE_VERSION,
                "device_key": self.device_key,
                "device_group_key": self.device_group_key,
                "device_password": self.device_password,
                "salt": b64(self.salt),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, backend: str | Backend | None = None) -> DeviceSecrets:
        """Read back what :meth:`to_json_including_password` wrote (the verifier is recomputed)."""
        if not isinstance(text, (str, bytes)):
            raise TypeError(f"text must be str or bytes, not {type(text).__name__}")
        # Raised outside the except block: the decoder's error holds the whole record (the
        # device password) and must not ride along as __context__.
        record: Any = None
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):
            pass
        if record is None:
            raise ValidationError("record", "is not JSON (or nests too deeply)")
        if not isinstance(record, dict):
            raise ValidationError("record", "must be a JSON object")
        if record.get("version") != STORAGE_VERSION:
            raise ValidationError("version", f"unsupported record version (this library reads {STORAGE_VERSION})")
        for name in ("device_key", "device_group_key", "device_password", "salt"):
            if not isinstance(record.get(name), str):
                raise ValidationError(name, "missing from the record or not a string")
        try:
            salt = base64.b64decode(record["salt"], validate=True)
        except binascii.Error:
            raise ValidationError("salt", "is not base64") from None
        if not salt or pad(int.from_bytes(salt, "big", signed=True)) != salt or salt[0] & 0x80:
            raise ValidationError("salt", "is not a canonical positive integer encoding")
        return cls.from_parts(
            device_key=record["device_key"],
            device_group_key=record["device_group_key"],
            device_password=record["device_password"],
            salt=salt,
            backend=backend,
        )
