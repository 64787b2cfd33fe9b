"""Fleet provisioning: many devices' secrets on every core, with progress, then ConfirmDevice for each.

    python examples/fleet_provisioning.py [COUNT]

Each new device gets its NewDeviceMetadata from a sign-in (here, COUNT sign-ins of one
user, as a factory line would sign each unit in once). DeviceSecrets.generate_many makes
every device's password, salt and verifier on threads (the C engine releases the GIL) and
reports progress; each device is then confirmed, and its record would be flashed onto it.
"""

from __future__ import annotations

import sys

import boto3
from _pool import pool

import srp_device
from srp_device import api


def main(count: int) -> None:
    with pool() as p:
        client = boto3.client("cognito-idp", **p.client_kwargs())
        metadata, tokens = [], []
        for _ in range(count):
            user = srp_device.UserAuth(p.user_pool_id, p.client_id, p.username, p.password)
            response = client.initiate_auth(**user.initiate_auth())
            response = client.respond_to_auth_challenge(**user.respond_to_password_verifier(response))
            if "AuthenticationResult" not in response:  # the pool asked for an MFA code
                response = client.respond_to_auth_challenge(**user.respond_to_mfa(response, p.mfa_code(response)))
            result = response["AuthenticationResult"]
            metadata.append((result["NewDeviceMetadata"]["DeviceKey"], result["NewDeviceMetadata"]["DeviceGroupKey"]))
            tokens.append(result["AccessToken"])

        def progress(done: int, total: int) -> None:
            print(f"\rsecrets: {done}/{total}", end="", flush=True)

        devices = srp_device.DeviceSecrets.generate_many(metadata, progress=progress, chunk_size=4)
        print()
        for device, token in zip(devices, tokens, strict=True):
            confirmed = client.confirm_device(**api.confirm_device(token, device, f"unit {device.device_key[-6:]}"))
            if api.parse_confirm_device(confirmed).user_confirmation_necessary:
                client.update_device_status(**api.update_device_status(token, device.device_key, True))
        listed = client.list_devices(AccessToken=tokens[-1], Limit=60)["Devices"]
        print(f"{len(devices)} devices confirmed and remembered; the pool lists {len(listed)} for {p.username}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
