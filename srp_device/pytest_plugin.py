"""The pytest plugin: a started local Cognito emulator, and a boto3 client for it.

Installed with srp-device (entry point ``pytest11``), it gives every test suite two
fixtures:

``local_cognito``
    A started :class:`~srp_device.emulator.LocalCognito`, closed after the test. By
    default one user, ``alice`` with password ``Passw0rd!`` and no MFA, in a pool with
    device tracking ``"always"``. Configure it with the marker
    ``@pytest.mark.local_cognito(users=..., config=PoolConfig(...), **pool_settings)``
    or by indirect parametrisation with a dict of the same keywords.
``local_cognito_client``
    A boto3 ``cognito-idp`` client pointed at it (needs boto3: ``srp-device[demo]``).

Nothing is imported until a test asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USERNAME", "local_cognito", "local_cognito_client"]

DEFAULT_USERNAME = "alice"
DEFAULT_PASSWORD = "Passw0rd!"
_KEYWORDS = ("users", "config", "backend")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "local_cognito(users=None, config=None, backend=None, **pool_settings): "
        "configure the local_cognito fixture (srp-device)",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker("local_cognito")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.local_cognito takes keyword arguments only")
        options.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, Mapping):
            raise pytest.UsageError("an indirect local_cognito parameter must be a dict of keyword arguments")
        options.update(param)
    return options


@pytest.fixture
def local_cognito(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A started local Cognito user pool (srp_device.emulator.LocalCognito)."""
    from .emulator import LocalCognito, PoolConfig, UserSpec

    options = _options(request)
    users = options.pop("users", None) or {DEFAULT_USERNAME: UserSpec(DEFAULT_PASSWORD, mfa=False)}
    config = options.pop("config", None)
    backend = options.pop("backend", None)
    if options:  # the rest are PoolConfig fields
        if config is not None:
            raise pytest.UsageError("give local_cognito either config= or PoolConfig fields, not both")
        settings = {"device_tracking": "always", **options}
        try:
            config = PoolConfig(**settings)
        except TypeError as exc:
            raise pytest.UsageError(f"local_cognito: {exc}") from None
    elif config is None:
        config = PoolConfig(device_tracking="always")
    with LocalCognito(users, config=config, backend=backend) as cognito:
        yield cognito


@pytest.fixture
def local_cognito_client(local_cognito: Any) -> Any:
    """A boto3 cognito-idp client for the local_cognito fixture."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise pytest.UsageError("local_cognito_client needs boto3: pip install 'srp-device[demo]'") from None
    return boto3.client(
        "cognito-idp",
        endpoint_url=local_cognito.endpoint_url,
        region_name=local_cognito.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )
