"""Device stores: where apps keep a remembered device's record (with its password) between sign-ins.

``FileDeviceStore`` keeps many users' devices in one JSON file, readable by its owner only;
``KeyringDeviceStore`` keeps each in the platform's secret store through ``keyring``
(``pip install "srp-device[keyring]"``). Both implement :class:`DeviceStore`; pass one to
``flows.sign_in(..., store=...)`` and a device is confirmed once and reused, never piled up
as duplicates. The records contain device passwords: no method's error text ever shows one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from ._device import DeviceSecrets
from ._storage import DeviceStore, store_key
from .exceptions import BackendUnavailableError, ValidationError

__all__ = ["DeviceStore", "FileDeviceStore", "KeyringDeviceStore", "store_key"]

_FILE_VERSION = 1


def _record(device: DeviceSecrets) -> dict[str, Any]:
    if not isinstance(device, DeviceSecrets):
        raise TypeError(f"device must be a DeviceSecrets, not {type(device).__name__}")
    record: dict[str, Any] = json.loads(device.to_json_including_password())
    return record


def _device_from(text: str, key: str) -> DeviceSecrets:
    """The stored record read back; an unreadable one is named by its key and field only."""
    field = None
    try:
        return DeviceSecrets.from_json(text)
    except ValidationError as exc:
        field = exc.field
    raise ValidationError("store", f"the device stored for {key} is unreadable ({field})")


class FileDeviceStore:
    """One JSON file of devices: created mode 0600, replaced atomically (written, fsynced,
    renamed), and locked (an advisory lock on ``PATH.lock``) while it is read or changed,
    so two processes never lose each other's writes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))

    def __repr__(self) -> str:
        return f"FileDeviceStore({self.path!r})"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self) -> dict[str, Any]:
        # Errors are raised outside the except blocks: a decoder's error holds the whole
        # file (device passwords) and must not ride along as __context__.
        parsed = True
        try:
            with open(self.path, encoding="utf-8") as f:
                data: Any = json.load(f)
        except FileNotFoundError:
            return {"version": _FILE_VERSION, "devices": {}}
        except (ValueError, UnicodeDecodeError, RecursionError):
            parsed = False
        if not parsed:
            raise ValidationError("store", f"{self.path} is not a srp-device store file")
        usable = isinstance(data, dict) and data.get("version") == _FILE_VERSION
        if not (usable and isinstance(data.get("devices"), dict)):
            raise ValidationError("store", f"{self.path} is not a srp-device store file (version {_FILE_VERSION})")
        checked: dict[str, Any] = data
        return checked

    def _write(self, data: dict[str, Any]) -> None:
        directory = os.path.dirname(self.path)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(self.path)}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp made it 0600
                json.dump(data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if sys.platform != "win32":
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the rename itself survives a crash
            finally:
                os.close(dir_fd)

    def load(self, user_pool_id: str, client_id: str, username: str) -> DeviceSecrets | None:
        key = store_key(user_pool_id, client_id, username)
        with self._locked():
            record = self._read()["devices"].get(key)
        if record is None:
            return None
        return _device_from(json.dumps(record), key)

    def save(self, user_pool_id: str, client_id: str, username: str, device: DeviceSecrets) -> None:
        key, record = store_key(user_pool_id, client_id, username), _record(device)
        with self._locked():
            data = self._read()
            data["devices"][key] = record
            self._write(data)

    def forget(self, user_pool_id: str, client_id: str, username: str) -> None:
        key = store_key(user_pool_id, client_id, username)
        with self._locked():
            data = self._read()
            if data["devices"].pop(key, None) is not None:
                self._write(data)


class KeyringDeviceStore:
    """Each device in the platform's secret store (macOS Keychain, Windows Credential Locker,
    Secret Service), through the ``keyring`` library, under ``service`` and the device's key."""

    def __init__(self, service: str = "srp-device") -> None:
        if not isinstance(service, str) or not service:
            raise ValidationError("service", "must be a non-empty str")
        try:
            import keyring
            import keyring.errors
        except ImportError:
            raise BackendUnavailableError("keyring: install the extra 'srp-device[keyring]'") from None
        self.service = service
        self._keyring = keyring

    def __repr__(self) -> str:
        return f"KeyringDeviceStore({self.service!r})"

    def load(self, user_pool_id: str, client_id: str, username: str) -> DeviceSecrets | None:
        key = store_key(user_pool_id, client_id, username)
        text = self._keyring.get_password(self.service, key)
        if text is None:
            return None
        return _device_from(text, key)

    def save(self, user_pool_id: str, client_id: str, username: str, device: DeviceSecrets) -> None:
        record = json.dumps(_record(device), sort_keys=True)
        self._keyring.set_password(self.service, store_key(user_pool_id, client_id, username), record)

    def forget(self, user_pool_id: str, client_id: str, username: str) -> None:
        with contextlib.suppress(self._keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(self.service, store_key(user_pool_id, client_id, username))


_: type[DeviceStore] = FileDeviceStore  # both satisfy the protocol (checked by mypy)
__: type[DeviceStore] = KeyringDeviceStore
