"""DeviceAuth and UserAuth: answers to Cognito's SRP challenges, as boto3 keyword arguments.

This is the thin layer that draws the ephemeral ``a`` and reads the clock; everything
it computes goes through the pure formulas of ``_srp``. Each ``respond_*`` method takes
the whole InitiateAuth / RespondToAuthChallenge response dict as boto3 returns it and
gives back exactly the keyword arguments of the next ``respond_to_auth_challenge`` call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Protocol

from . import _srp
from ._device import validate_device_key, validate_group_key
from ._encoding import b64decode_lenient, cognito_timestamp, parse_signed_hex
from ._random import draw_ephemeral
from .exceptions import InvalidChallengeError, ValidationError
from .modexp import Backend, N, get_backend

__all__ = [
    "DEFAULT_EPHEMERAL_BITS",
    "MFA_CHALLENGES",
    "DeviceAuth",
    "DeviceCredentials",
    "UserAuth",
    "challenge_parameters",
]

#: The MFA challenges a sign-in can meet, and the ChallengeResponses member each is answered in.
MFA_CHALLENGES = {
    "SMS_MFA": "SMS_MFA_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
}

#: 256-bit ephemeral a, as AWS's iOS clients use: 128-bit security, like the group.
DEFAULT_EPHEMERAL_BITS = 256
_USER_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+", re.ASCII)


class DeviceCredentials(Protocol):
    """What a device sign-in needs; DeviceSecrets is one."""

    @property
    def device_key(self) -> str: ...
    @property
    def device_group_key(self) -> str: ...
    @property
    def device_password(self) -> str: ...


def _nonempty_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValidationError(name, "must not be empty")
    return value


def _optional_str(value: object, name: str) -> str | None:
    return None if value is None else _nonempty_str(value, name)


def _aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, not {type(now).__name__}")
    return now


def challenge_parameters(challenge: object, expected: str) -> tuple[Mapping[str, Any], str]:
    """(ChallengeParameters, Session) of a boto3 response whose ChallengeName must be ``expected``."""
    if not isinstance(challenge, Mapping):
        raise TypeError(f"challenge must be the response dict, not {type(challenge).__name__}")
    name = challenge.get("ChallengeName")
    if name != expected:
        got = name if isinstance(name, str) and len(name) <= 64 else type(name).__name__
        raise InvalidChallengeError("ChallengeName", f"expected {expected}, got {got}")
    params = challenge.get("ChallengeParameters", {})
    if not isinstance(params, Mapping):
        raise InvalidChallengeError("ChallengeParameters", "must be a mapping")
    session = challenge.get("Session")
    if not isinstance(session, str) or not session:
        raise InvalidChallengeError("Session", "missing: every challenge answer must chain the Session")
    return params, session


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidChallengeError(name, "missing from ChallengeParameters or not a non-empty string")
    return value


class _Ephemeral:
    """The client's a and A = g^a mod N."""

    __slots__ = ("_a", "_bits", "_used", "backend", "big_a")

    def __init__(self, ephemeral: int | None, bits: int, backend: Backend) -> None:
        if isinstance(bits, bool) or not isinstance(bits, int):
            raise TypeError("ephemeral_bits must be an int")
        if not 128 <= bits <= 4096:
            raise ValidationError("ephemeral_bits", "must be 128..4096")
        declared: int | None = bits  # a drawn a is below 2**bits: that length is public
        if ephemeral is None:
            a = draw_ephemeral(bits)
        else:
            declared = None  # an injected a (tests, vectors) is processed at its 256-bit class
            if isinstance(ephemeral, bool) or not isinstance(ephemeral, int):
                raise TypeError("ephemeral must be an int")
            if ephemeral <= 0 or ephemeral % N == 0:
                raise ValidationError("ephemeral", "must be a positive int, not a multiple of N")
            a = ephemeral
        self._a = a
        self._used = False
        self._bits = declared
        self.backend = backend
        self.big_a = _srp.compute_a_public(a, backend=backend, bits=declared)

    def signature(
        self, params: Mapping[str, Any], *, pool: str, identity: str, password: str, timestamp: str
    ) -> tuple[str, str]:
        """(PASSWORD_CLAIM_SECRET_BLOCK, PASSWORD_CLAIM_SIGNATURE) for a verifier challenge.

        An ephemeral signs once: a second sign-in on the same object would reuse ``a``.
        """
        if self._used:
            raise ValidationError(
                "ephemeral", "one UserAuth or DeviceAuth serves one sign-in: make a new one (a fresh a) for the next"
            )
        bad = InvalidChallengeError
        big_b = parse_signed_hex(_param(params, "SRP_B"), "SRP_B", error=bad)
        salt = parse_signed_hex(_param(params, "SALT"), "SALT", error=bad)
        block_text = _param(params, "SECRET_BLOCK")
        block = b64decode_lenient(block_text, "SECRET_BLOCK", error=bad)
        if big_b % N == 0:
            raise InvalidChallengeError("SRP_B", "B mod N is 0")
        u = _srp.compute_u(big_a=self.big_a, big_b=big_b)
        x = _srp.compute_x(salt=salt, pool=pool, identity=identity, password=password)
        s = _srp.compute_s_client(big_b=big_b, x=x, a=self._a, u=u, backend=self.backend, a_bits=self._bits)
        key = _srp.derive_key(s=s, u=u)
        self._used = True
        return block_text, _srp.claim_signature(
            key, pool=pool, identity=identity, secret_block=block, timestamp=timestamp
        )


class _Client:
    """What both flows share: client id, optional secret, and the response envelope."""

    __slots__ = ("_client_secret", "client_id")

    def __init__(self, client_id: str, client_secret: str | None) -> None:
        self.client_id = _nonempty_str(client_id, "client_id")
        self._client_secret = _optional_str(client_secret, "client_secret")

    def with_secret_hash(self, responses: dict[str, str], username: str) -> dict[str, str]:
        if self._client_secret is not None:
            responses["SECRET_HASH"] = _srp.secret_hash(
                client_secret=self._client_secret, username=username, client_id=self.client_id
            )
        return responses

    def answer(self, name: str, session: str, responses: dict[str, str], username: str) -> dict[str, Any]:
        return {
            "ClientId": self.client_id,
            "ChallengeName": name,
            "Session": session,
            "ChallengeResponses": self.with_secret_hash(responses, username),
        }


class DeviceAuth:
    """Answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER for one remembered device.

    One instance serves one sign-in: it holds a fresh ephemeral ``a`` (256 CSPRNG bits
    by default; ``ephemeral`` injects one for tests). USERNAME is taken from the
    challenge (``username`` is the fallback for a challenge that does not carry it).
    """

    __slots__ = ("_client", "_device", "_eph", "_username")

    def __init__(
        self,
        secrets: DeviceCredentials,
        client_id: str,
        client_secret: str | None = None,
        ephemeral: int | None = None,
        *,
        username: str | None = None,
        backend: str | Backend | None = None,
        ephemeral_bits: int = DEFAULT_EPHEMERAL_BITS,
    ) -> None:
        for attr in ("device_key", "device_group_key", "device_password"):
            if not isinstance(getattr(secrets, attr, None), str):
                raise TypeError(f"secrets must have a str {attr} (a DeviceSecrets)")
        validate_device_key(secrets.device_key)
        validate_group_key(secrets.device_group_key)
        _nonempty_str(secrets.device_password, "device_password")
        self._device = secrets
        self._client = _Client(client_id, client_secret)
        self._username = _optional_str(username, "username")
        self._eph = _Ephemeral(ephemeral, ephemeral_bits, get_backend(backend))

    def __repr__(self) -> str:
        return f"DeviceAuth(device_key={self._device.device_key!r}, client_id={self._client.client_id!r})"

    @property
    def srp_a(self) -> str:
        """A as sent in SRP_A: lower-case hex, no padding (as AWS's clients send it)."""
        return format(self._eph.big_a, "x")

    def _username_from(self, params: Mapping[str, Any]) -> str:
        name = params.get("USERNAME", self._username)
        if not isinstance(name, str) or not name:
            raise InvalidChallengeError("USERNAME", "not in ChallengeParameters and no username was given")
        self._username = name
        return name

    def respond_to_device_srp_auth(self, challenge: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments of RespondToAuthChallenge answering DEVICE_SRP_AUTH."""
        params, session = challenge_parameters(challenge, "DEVICE_SRP_AUTH")
        username = self._username_from(params)
        responses = {"USERNAME": username, "DEVICE_KEY": self._device.device_key, "SRP_A": self.srp_a}
        return self._client.answer("DEVICE_SRP_AUTH", session, responses, username)

    def respond_to_device_password_verifier(
        self, challenge: Mapping[str, Any], *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Keyword arguments of RespondToAuthChallenge answering DEVICE_PASSWORD_VERIFIER.

        ``now`` (aware) is the instant put in TIMESTAMP; default: the current UTC time.
        """
        params, session = challenge_parameters(challenge, "DEVICE_PASSWORD_VERIFIER")
        username = self._username_from(params)
        device = self._device
        if "DEVICE_KEY" in params and params["DEVICE_KEY"] != device.device_key:
            raise InvalidChallengeError("DEVICE_KEY", "the challenge is for another device")
        timestamp = cognito_timestamp(_aware_now(now))
        block, signature = self._eph.signature(
            params,
            pool=device.device_group_key,
            identity=device.device_key,
            password=device.device_password,
            timestamp=timestamp,
        )
        responses = {
            "USERNAME": username,
            "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "DEVICE_KEY": device.device_key,
        }
        return self._client.answer("DEVICE_PASSWORD_VERIFIER", session, responses, username)


class UserAuth:
    """USER_SRP_AUTH: InitiateAuth, then the PASSWORD_VERIFIER answer.

    With ``device`` (a remembered device), DEVICE_KEY is sent on both, and
    :meth:`device_auth` continues with the device challenges.
    """

    __slots__ = ("_client", "_device", "_eph", "_password", "_pool_name", "_username", "backend", "user_pool_id")

    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        username: str,
        password: str,
        client_secret: str | None = None,
        device: DeviceCredentials | None = None,
        ephemeral: int | None = None,
        *,
        backend: str | Backend | None = None,
        ephemeral_bits: int = DEFAULT_EPHEMERAL_BITS,
    ) -> None:
        pool_id = _nonempty_str(user_pool_id, "user_pool_id")
        if len(pool_id) > 55 or not _USER_POOL_ID.fullmatch(pool_id):
            raise ValidationError("user_pool_id", r"must match [\w-]+_[0-9a-zA-Z]+ and be 1..55 chars")
        self.user_pool_id = pool_id
        self._pool_name = pool_id.split("_", 1)[1]
        self._client = _Client(client_id, client_secret)
        self._username = _nonempty_str(username, "username")
        self._password = _nonempty_str(password, "password")
        if device is not None:
            validate_device_key(getattr(device, "device_key", None))
        self._device = device
        self.backend = get_backend(backend)
        self._eph = _Ephemeral(ephemeral, ephemeral_bits, self.backend)

    def __repr__(self) -> str:
        return f"UserAuth(user_pool_id={self.user_pool_id!r}, client_id={self._client.client_id!r})"

    @property
    def srp_a(self) -> str:
        """A as sent in SRP_A: lower-case hex, no padding."""
        return format(self._eph.big_a, "x")

    def initiate_auth(self) -> dict[str, Any]:
        """Keyword arguments of InitiateAuth (AuthFlow USER_SRP_AUTH)."""
        return self._initiate("USER_SRP_AUTH", {"USERNAME": self._username, "SRP_A": self.srp_a})

    def _initiate(self, flow: str, params: dict[str, str]) -> dict[str, Any]:
        """InitiateAuth's keyword arguments: DEVICE_KEY with a device, SECRET_HASH with a client secret."""
        if self._device is not None:
            params["DEVICE_KEY"] = self._device.device_key
        return {
            "AuthFlow": flow,
            "ClientId": self._client.client_id,
            "AuthParameters": self._client.with_secret_hash(params, self._username),
        }

    def initiate_password_auth(self) -> dict[str, Any]:
        """Keyword arguments of InitiateAuth with AuthFlow USER_PASSWORD_AUTH: the password itself
        is sent (over TLS), for app clients that allow that flow. With a remembered device,
        DEVICE_KEY is sent and the service continues with DEVICE_SRP_AUTH (answer it with
        :meth:`device_auth`)."""
        return self._initiate("USER_PASSWORD_AUTH", {"USERNAME": self._username, "PASSWORD": self._password})

    def respond_to_password_verifier(
        self, challenge: Mapping[str, Any], *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Keyword arguments of RespondToAuthChallenge answering PASSWORD_VERIFIER.

        x and the signature use USER_ID_FOR_SRP; USERNAME and SECRET_HASH use the
        USERNAME the challenge returned (never an alias that was typed).
        """
        params, session = challenge_parameters(challenge, "PASSWORD_VERIFIER")
        user_id = _param(params, "USER_ID_FOR_SRP")
        username = params.get("USERNAME", user_id)
        if not isinstance(username, str) or not username:
            raise InvalidChallengeError("USERNAME", "must be a non-empty string")
        self._username = username
        timestamp = cognito_timestamp(_aware_now(now))
        block, signature = self._eph.signature(
            params, pool=self._pool_name, identity=user_id, password=self._password, timestamp=timestamp
        )
        responses = {
            "USERNAME": username,
            "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": signature,
        }
        if self._device is not None:
            responses["DEVICE_KEY"] = self._device.device_key
        return self._client.answer("PASSWORD_VERIFIER", session, responses, username)

    def respond_to_mfa(self, challenge: Mapping[str, Any], code: str) -> dict[str, Any]:
        """Keyword arguments of RespondToAuthChallenge answering an MFA challenge.

        For SMS_MFA, SOFTWARE_TOKEN_MFA and EMAIL_OTP, ``code`` is the code the user
        received (sent as ``<challenge>_CODE``); for SELECT_MFA_TYPE it is the type
        chosen ("SMS_MFA", "SOFTWARE_TOKEN_MFA" or "EMAIL_OTP", sent as ANSWER).
        USERNAME comes from the challenge; SECRET_HASH and DEVICE_KEY are added as in
        the other answers.
        """
        if not isinstance(challenge, Mapping):
            raise TypeError(f"challenge must be the response dict, not {type(challenge).__name__}")
        name = challenge.get("ChallengeName")
        if name == "SELECT_MFA_TYPE":
            member = "ANSWER"
            if code not in MFA_CHALLENGES:
                raise ValidationError("code", f"for SELECT_MFA_TYPE, one of {', '.join(MFA_CHALLENGES)}")
        elif isinstance(name, str) and name in MFA_CHALLENGES:
            member = MFA_CHALLENGES[name]
        else:
            got = name if isinstance(name, str) and len(name) <= 64 else type(name).__name__
            raise InvalidChallengeError("ChallengeName", f"expected an MFA challenge, got {got}")
        params, session = challenge_parameters(challenge, name)
        _nonempty_str(code, "code")
        username = params.get("USERNAME", self._username)
        if not isinstance(username, str) or not username:
            raise InvalidChallengeError("USERNAME", "must be a non-empty string")
        self._username = username
        responses = {"USERNAME": username, member: code}
        if self._device is not None:
            responses["DEVICE_KEY"] = self._device.device_key
        return self._client.answer(name, session, responses, username)

    def device_auth(self, *, ephemeral: int | None = None) -> DeviceAuth:
        """A DeviceAuth for the device challenges that follow, with a fresh ephemeral."""
        if self._device is None:
            raise ValidationError("device", "this UserAuth was made without a device")
        return DeviceAuth(
            self._device,
            self._client.client_id,
            self._client._client_secret,
            ephemeral,
            username=self._username,
            backend=self.backend,
        )
