"""A device sign-in with aiobotocore: flows.sign_in_async on a real async client.

    python -m pip install aiobotocore
    python examples/aiobotocore_device_sign_in.py

The first sign-in asks for MFA and confirms a new device; the second signs in with the
stored device, and no MFA is asked.
"""

from __future__ import annotations

import asyncio

from _pool import pool
from aiobotocore.session import get_session

from srp_device import flows


async def main() -> None:
    with pool() as p:
        async with get_session().create_client("cognito-idp", **p.client_kwargs()) as client:
            kw = dict(user_pool_id=p.user_pool_id, client_id=p.client_id, username=p.username, password=p.password)
            first = await flows.sign_in_async(client, mfa_code=p.mfa_code, **kw)
            assert first.mfa_asked and first.device is not None
            print("first sign-in: MFA asked, device", first.device.device_key, "remembered:", first.device_remembered)
            again = await flows.sign_in_async(client, device=first.device, **kw)
            assert not again.mfa_asked
            print("second sign-in:", " -> ".join(again.steps), "(no MFA)")


if __name__ == "__main__":
    asyncio.run(main())
