"""The pytest plugin, as a user's suite sees it: loaded through its entry point in a fresh pytest."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = '''
import pytest
from srp_device import flows
from srp_device.emulator import PoolConfig, UserSpec


def test_default_pool_signs_alice_in_and_remembers_her_device(local_cognito, local_cognito_client):
    kw = dict(user_pool_id=local_cognito.user_pool_id, client_id=local_cognito.client_id,
              username="alice", password="Passw0rd!")
    first = flows.sign_in(local_cognito_client, **kw)
    assert first.device is not None and first.device_remembered
    again = flows.sign_in(local_cognito_client, device=first.device, **kw)
    assert again.steps[-2:] == ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")
    devices = local_cognito_client.list_devices(AccessToken=again.tokens["AccessToken"])["Devices"]
    assert [d["DeviceKey"] for d in devices] == [first.device.device_key]


@pytest.mark.local_cognito(users={"bob": UserSpec("Hunter-22", mfa=True)}, user_pool_id="eu-west-1_Marked1")
def test_marker_configures_the_pool(local_cognito, local_cognito_client):
    assert local_cognito.user_pool_id == "eu-west-1_Marked1"
    assert local_cognito_client.meta.region_name == "eu-west-1"
    result = flows.sign_in(local_cognito_client, user_pool_id=local_cognito.user_pool_id,
                           client_id=local_cognito.client_id, username="bob", password="Hunter-22",
                           mfa_code=lambda _: local_cognito.last_code("bob"))
    assert result.mfa_asked


@pytest.mark.parametrize("local_cognito", [{"config": PoolConfig(device_tracking="off")}], indirect=True)
def test_indirect_parameter_configures_the_pool(local_cognito, local_cognito_client):
    result = flows.sign_in(local_cognito_client, user_pool_id=local_cognito.user_pool_id,
                           client_id=local_cognito.client_id, username="alice", password="Passw0rd!")
    assert result.device is None


@pytest.mark.local_cognito(no_such_setting=1)
def test_unknown_setting(local_cognito):
    pass
'''


def test_fixtures_marker_and_indirect_parameters(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*local_cognito:*no_such_setting*"])


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*@pytest.mark.local_cognito(users=None, config=None, backend=None*"])
