"""Testing an app against the local emulator with srp-device's pytest plugin.

    python -m pip install "srp-device[demo]" pytest
    python -m pytest examples/test_with_the_emulator.py

The plugin's ``local_cognito`` fixture is a started local user pool (default user
``alice`` / ``Passw0rd!``, no MFA, every device remembered); ``local_cognito_client`` is a
boto3 client pointed at it. The marker configures the pool.
"""

from __future__ import annotations

from typing import Any

import pytest

from srp_device import flows
from srp_device.emulator import UserSpec


def sign_in(client: Any, cognito: Any, username: str, password: str, **kw: Any) -> flows.SignInResult:
    """The code under test: an app's sign-in, which keeps the device it is given."""
    return flows.sign_in(
        client, user_pool_id=cognito.user_pool_id, client_id=cognito.client_id, username=username,
        password=password, **kw,
    )


def test_a_remembered_device_signs_in_without_mfa(local_cognito: Any, local_cognito_client: Any) -> None:
    first = sign_in(local_cognito_client, local_cognito, "alice", "Passw0rd!")
    assert first.device_remembered
    again = sign_in(local_cognito_client, local_cognito, "alice", "Passw0rd!", device=first.device)
    assert again.steps[-1] == "DEVICE_PASSWORD_VERIFIER"


@pytest.mark.local_cognito(users={"bob": UserSpec("Hunter-22", mfa=True)})
def test_mfa_is_asked_once_per_device(local_cognito: Any, local_cognito_client: Any) -> None:
    def code(challenge: Any) -> str:
        return str(local_cognito.last_code("bob"))

    first = sign_in(local_cognito_client, local_cognito, "bob", "Hunter-22", mfa_code=code)
    assert first.mfa_asked
    again = sign_in(local_cognito_client, local_cognito, "bob", "Hunter-22", device=first.device, mfa_code=code)
    assert not again.mfa_asked
