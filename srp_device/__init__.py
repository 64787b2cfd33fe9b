"""srp-device: the client side of Amazon Cognito's remembered devices (device SRP)."""

from __future__ import annotations

import importlib
from typing import Any

from ._auth import DeviceAuth, DeviceCredentials, UserAuth
from ._device import DeviceSecrets
from ._encoding import cognito_timestamp, pad_hex, parse_signed_hex
from ._server import SrpServer
from ._srp import G, K, N
from .exceptions import (
    BackendUnavailableError,
    InvalidChallengeError,
    ServiceError,
    SrpDeviceError,
    ValidationError,
    VerificationError,
)
from .modexp import available_backends, get_backend, precompute

__version__ = "0.1.0"

__all__ = [
    "BackendUnavailableError",
    "DeviceAuth",
    "DeviceCredentials",
    "DeviceSecrets",
    "G",
    "InvalidChallengeError",
    "K",
    "N",
    "ServiceError",
    "SrpDeviceError",
    "SrpServer",
    "UserAuth",
    "ValidationError",
    "VerificationError",
    "__version__",
    "available_backends",
    "cognito_timestamp",
    "get_backend",
    "pad_hex",
    "parse_signed_hex",
    "precompute",
]

_SUBMODULES = ("api", "flows", "emulator", "cli")


def __getattr__(name: str) -> Any:
    # srp_device.api and friends load on first use, keeping `import srp_device` light.
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
