"""Confirm and remember a device with boto3, step by step, then sign in with it and skip MFA.

    python examples/confirm_and_remember_device.py

The first sign-in answers USER_SRP_AUTH and the MFA code; Cognito returns NewDeviceMetadata.
The device gets a random password and verifier (DeviceSecrets), is confirmed
(ConfirmDevice) and remembered (UpdateDeviceStatus), and its record is kept. The second
sign-in proves the device password (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER): no MFA.
"""

from __future__ import annotations

import boto3
from _pool import pool

import srp_device
from srp_device import api


def main() -> None:
    with pool() as p:
        client = boto3.client("cognito-idp", **p.client_kwargs())

        user = srp_device.UserAuth(p.user_pool_id, p.client_id, p.username, p.password)
        response = client.initiate_auth(**user.initiate_auth())
        response = client.respond_to_auth_challenge(**user.respond_to_password_verifier(response))
        if response.get("ChallengeName") in ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"):
            response = client.respond_to_auth_challenge(**user.respond_to_mfa(response, p.mfa_code(response)))
        result = response["AuthenticationResult"]
        metadata = result["NewDeviceMetadata"]
        print("signed in with MFA; new device", metadata["DeviceKey"])

        device = srp_device.DeviceSecrets.generate(
            device_key=metadata["DeviceKey"], device_group_key=metadata["DeviceGroupKey"]
        )
        outcome = api.parse_confirm_device(
            client.confirm_device(**api.confirm_device(result["AccessToken"], device, "example laptop"))
        )
        if outcome.user_confirmation_necessary:  # the pool lets users choose: this one says yes
            client.update_device_status(**api.update_device_status(result["AccessToken"], device.device_key, True))
        record = device.to_json_including_password()  # keep this in your app's secret storage
        print("device confirmed and remembered; record of", len(record), "bytes kept")

        device = srp_device.DeviceSecrets.from_json(record)
        user = srp_device.UserAuth(p.user_pool_id, p.client_id, p.username, p.password, device=device)
        response = client.initiate_auth(**user.initiate_auth())
        response = client.respond_to_auth_challenge(**user.respond_to_password_verifier(response))
        assert response["ChallengeName"] == "DEVICE_SRP_AUTH", response.get("ChallengeName")
        auth = user.device_auth()
        response = client.respond_to_auth_challenge(**auth.respond_to_device_srp_auth(response))
        response = client.respond_to_auth_challenge(**auth.respond_to_device_password_verifier(response))
        assert "AccessToken" in response["AuthenticationResult"]
        print("signed in again with the remembered device: no MFA asked")


if __name__ == "__main__":
    main()
