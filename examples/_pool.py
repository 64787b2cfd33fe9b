"""Where the examples sign in: the user pool named by COGNITO_* environment variables, else a local emulator.

Set COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_USERNAME and COGNITO_PASSWORD (and
AWS_REGION or the pool id's region) to run an example against Amazon Cognito; MFA codes
are then read from the terminal. Without them, each example starts srp-device's local
emulator with one user, ``alice``, who has MFA on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pool:
    user_pool_id: str
    client_id: str
    username: str
    password: str
    mfa_code: Callable[[Mapping[str, Any]], str]
    endpoint_url: str | None = None

    @property
    def region(self) -> str:
        return os.environ.get("AWS_REGION") or self.user_pool_id.split("_", 1)[0]

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for boto3.client / aiobotocore's create_client("cognito-idp", ...)."""
        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url is not None:  # the emulator takes any credentials
            kwargs.update(endpoint_url=self.endpoint_url, aws_access_key_id="local", aws_secret_access_key="local")
        return kwargs


@contextlib.contextmanager
def pool() -> Iterator[Pool]:
    env = os.environ
    if env.get("COGNITO_USER_POOL_ID"):
        yield Pool(
            env["COGNITO_USER_POOL_ID"], env["COGNITO_CLIENT_ID"], env["COGNITO_USERNAME"], env["COGNITO_PASSWORD"],
            mfa_code=lambda challenge: input(f"{challenge['ChallengeName']} code: "),
        )
        return
    from srp_device.emulator import LocalCognito, PoolConfig, UserSpec

    with LocalCognito({"alice": UserSpec("Passw0rd!", mfa=True)}, config=PoolConfig(device_tracking="opt_in")) as c:
        yield Pool(
            c.user_pool_id, c.client_id, "alice", "Passw0rd!", mfa_code=lambda _: c.last_code("alice"),
            endpoint_url=c.endpoint_url,
        )
