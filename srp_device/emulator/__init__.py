"""A local Cognito user pool that really verifies SRP, for tests and the demo.

It speaks the service's JSON 1.1 wire protocol on loopback (``POST /`` with
``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>``), so an unmodified client
(boto3, aiobotocore, awscli, AWS's JavaScript clients, pycognito) pointed at
:attr:`~srp_device.emulator.LocalCognito.endpoint_url` talks to it::

    with LocalCognito(users={"alice": "Passw0rd!"}) as cognito:
        client = boto3.client("cognito-idp", endpoint_url=cognito.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")

One concept a file: the pool's settings (``_config``), the store (``_store``), tokens and
keys (``_tokens``), the auth flows (``_auth``), the device calls (``_devices``), the wire
protocol (``_wire``) and the server (``_local``). README's fidelity table says what it
does as the service does, and where it departs.
"""

from __future__ import annotations

from ._config import ALL_AUTH_FLOWS, PoolConfig, UserSpec
from ._local import LocalCognito
from ._wire import MAX_BODY, TARGET_PREFIX

__all__ = ["ALL_AUTH_FLOWS", "MAX_BODY", "TARGET_PREFIX", "LocalCognito", "PoolConfig", "UserSpec"]
