"""The pool's settings: its users, its one app client, device tracking, flows and token issuer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ..exceptions import ValidationError

__all__ = ["ALL_AUTH_FLOWS", "DEVICE_TRACKING", "PoolConfig", "UserSpec"]

#: The app client's ExplicitAuthFlows this emulator knows, all allowed by default.
ALL_AUTH_FLOWS = (
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
)
DEVICE_TRACKING = ("always", "opt_in", "off")
_DEFAULT_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class UserSpec:
    """A user of the local pool. ``mfa`` asks an SMS_MFA-style code after the password
    (a SOFTWARE_TOKEN_MFA code instead once the user enrolled an authenticator app)."""

    password: str = field(repr=False)
    mfa: bool = True
    phone: str = "+15555550100"


@dataclass(frozen=True)
class PoolConfig:
    """The pool and its one app client.

    ``device_tracking``: ``"always"`` (every confirmed device is remembered), ``"opt_in"``
    (ConfirmDevice answers UserConfirmationNecessary; UpdateDeviceStatus remembers), or
    ``"off"``. ``challenge_required_on_new_device`` asks MFA on a sign-in from a device
    that is not remembered, even for a user without MFA.

    ``user_id_for_srp``: what USER_ID_FOR_SRP (and the user's SRP identity) is: the
    ``"username"`` in a pool whose users sign in with a username (the service's default),
    or the ``"sub"`` in one where email or phone number is the username.
    ``explicit_auth_flows``: the app client's allowed flows (ExplicitAuthFlows); a flow
    not listed is refused as the service refuses it. ``issuer``: ``"service"`` puts the
    service's ``https://cognito-idp.REGION.amazonaws.com/POOL`` in the tokens' ``iss``;
    ``"local"`` puts the emulator's own URL there, for verifiers that fetch the JWKS from
    ``iss`` (it is served at ``/POOL/.well-known/jwks.json`` either way).
    ``mfa_attempts``: wrong MFA codes allowed on one challenge before its Session ends.
    ``admin_credentials``: the AWS credentials Admin* calls must be signed with (SigV4).
    """

    user_pool_id: str = "us-east-1_LocalPool1"
    client_id: str = "localclient0000000000000001"
    client_secret: str | None = field(default=None, repr=False)
    device_tracking: str = "opt_in"
    challenge_required_on_new_device: bool = False
    skew: timedelta = _DEFAULT_SKEW
    session_ttl: timedelta = timedelta(minutes=3)
    token_ttl: timedelta = timedelta(hours=1)
    user_id_for_srp: str = "username"
    explicit_auth_flows: tuple[str, ...] = ALL_AUTH_FLOWS
    issuer: str = "service"
    mfa_attempts: int = 3
    #: (access key id, secret access key) that Admin* calls must be signed with (SigV4)
    admin_credentials: tuple[str, str] = field(default=("local", "local"), repr=False)

    def __post_init__(self) -> None:
        if self.device_tracking not in DEVICE_TRACKING:
            raise ValidationError("device_tracking", f"must be one of {', '.join(DEVICE_TRACKING)}")
        if self.user_id_for_srp not in ("username", "sub"):
            raise ValidationError("user_id_for_srp", "must be 'username' or 'sub'")
        if self.issuer not in ("service", "local"):
            raise ValidationError("issuer", "must be 'service' or 'local'")
        unknown = set(self.explicit_auth_flows) - set(ALL_AUTH_FLOWS)
        if unknown:
            raise ValidationError("explicit_auth_flows", f"unknown flows: {', '.join(sorted(unknown))}")
        parts = self.user_pool_id.split("_", 1)
        if len(parts) != 2 or not parts[0] or not parts[1].isalnum() or "/" in self.user_pool_id:
            raise ValidationError("user_pool_id", "must look like us-east-1_Ab12Cd34")
        if not self.client_id or not self.client_id.replace("+", "").replace("_", "").isalnum():
            raise ValidationError("client_id", r"must match [\w+]+")
        if self.mfa_attempts < 1:
            raise ValidationError("mfa_attempts", "must be at least 1")

    @property
    def region(self) -> str:
        return self.user_pool_id.split("_", 1)[0]

    @property
    def pool_name(self) -> str:
        return self.user_pool_id.split("_", 1)[1]

    def allows(self, flow: str) -> bool:
        """Whether the app client allows ``ALLOW_<flow>``."""
        return f"ALLOW_{flow}" in self.explicit_auth_flows
