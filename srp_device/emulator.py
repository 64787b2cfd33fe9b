"""A local Cognito user pool that really verifies SRP, for tests and the demo.

It speaks the service's JSON 1.1 wire protocol on loopback (``POST /`` with
``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>``), so an unmodified boto3
client pointed at :attr:`~srp_device.emulator.LocalCognito.endpoint_url` talks to it::

    with LocalCognito(users={"alice": "Passw0rd!"}) as cognito:
        client = boto3.client("cognito-idp", endpoint_url=cognito.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")

What it does for real: SRP (user and device) against stored verifiers, TIMESTAMP within
a skew window, SECRET_HASH when the app client has a secret, one-time expiring Sessions,
NewDeviceMetadata for sign-ins from unknown devices, device tracking (always remember /
user opt-in), MFA skipped for a remembered device, RS256 JWT access tokens that device
calls verify, state in SQLite (memory or a file that survives a restart).

What it does not do: sign-up, password reset, Lambda triggers, hosted UI, IAM checks
(Admin* calls accept any SigV4 ``Authorization`` header without verifying it), and the
MFA code is not sent anywhere: read it from :meth:`LocalCognito.outbox`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets as _csprng
import sqlite3
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import _srp
from ._encoding import b64, pad
from ._server import DEFAULT_SKEW, SrpServer
from .api import CONSTRAINTS, validate
from .exceptions import (
    CodeMismatchError,
    DeviceKeyExistsError,
    InternalErrorError,
    InvalidParameterError,
    NotAuthorizedError,
    ResourceNotFoundError,
    ServiceError,
    SrpDeviceError,
    UserNotFoundError,
    ValidationError,
    VerificationError,
)
from .modexp import get_backend

__all__ = ["LocalCognito", "PoolConfig", "UserSpec"]

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
MAX_BODY = 256 * 1024
_INCORRECT = "Incorrect username or password."


@dataclass(frozen=True)
class UserSpec:
    """A user of the local pool. ``mfa`` asks an SMS_MFA-style code after the password."""

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
    """

    user_pool_id: str = "us-east-1_LocalPool1"
    client_id: str = "localclient0000000000000001"
    client_secret: str | None = field(default=None, repr=False)
    device_tracking: str = "opt_in"
    challenge_required_on_new_device: bool = False
    skew: timedelta = DEFAULT_SKEW
    session_ttl: timedelta = timedelta(minutes=3)
    token_ttl: timedelta = timedelta(hours=1)

    @property
    def region(self) -> str:
        return self.user_pool_id.split("_", 1)[0]

    @property
    def pool_name(self) -> str:
        return self.user_pool_id.split("_", 1)[1]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, sub TEXT UNIQUE NOT NULL, salt BLOB NOT NULL, verifier BLOB NOT NULL,
    mfa INTEGER NOT NULL, phone TEXT NOT NULL, group_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    device_key TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
    group_key TEXT NOT NULL, salt BLOB, verifier BLOB, confirmed INTEGER NOT NULL DEFAULT 0,
    remembered INTEGER NOT NULL DEFAULT 0, name TEXT, created REAL NOT NULL, modified REAL NOT NULL,
    last_auth REAL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, challenge TEXT NOT NULL, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY, username TEXT NOT NULL, device_key TEXT, expires REAL NOT NULL);
"""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _FailError(Exception):
    """An error answer: the typed service error to send."""

    def __init__(self, error: ServiceError) -> None:
        self.error = error


def _fail(cls: type[ServiceError], message: str) -> _FailError:
    return _FailError(cls(message))


class _Pool:
    """The pool's state and operations; thread-safe (one SQLite connection under a lock)."""

    def __init__(
        self,
        config: PoolConfig,
        users: Mapping[str, str | UserSpec],
        db: str,
        clock: Callable[[], datetime],
        backend: str | None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.backend = get_backend(backend)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(_SCHEMA)
        self.closed = False
        self.outbox: dict[str, list[str]] = {}
        self._load_signing_key()
        for name, spec in users.items():
            self.add_user(name, spec if isinstance(spec, UserSpec) else UserSpec(password=spec))

    # -- storage helpers ---------------------------------------------------------------------------
    def _q(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self.lock:
            if self.closed:
                raise _fail(InternalErrorError, "The local pool is shutting down.")
            return list(self.db.execute(sql, args))

    def close(self) -> None:
        """Close the database once no query runs (handler threads may still be finishing)."""
        with self.lock:
            if not self.closed:
                self.closed = True
                self.db.close()

    def _load_signing_key(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        rows = self._q("SELECT value FROM meta WHERE name = 'signing_key'")
        if rows:
            key = serialization.load_pem_private_key(rows[0]["value"].encode(), password=None)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            self._q("INSERT INTO meta VALUES ('signing_key', ?)", pem)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._key = key
        self._kid = _b64url(hashlib.sha256(key.public_key().public_numbers().n.to_bytes(256, "big")).digest()[:9])

    def add_user(self, username: str, spec: UserSpec) -> None:
        if self._q("SELECT 1 FROM users WHERE username = ?", username):
            return  # a file-backed pool keeps its users across restarts
        sub = str(uuid.uuid4())
        salt = _csprng.token_bytes(16)
        salt_int = int.from_bytes(salt, "big")
        x = _srp.compute_x(salt=salt_int, pool=self.config.pool_name, identity=sub, password=spec.password)
        verifier = pad(_srp.compute_verifier(x, backend=self.backend))
        group_key = "-" + _b64url(_csprng.token_bytes(7))[:9]
        self._q(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
            username,
            sub,
            pad(salt_int),
            verifier,
            int(spec.mfa),
            spec.phone,
            group_key,
        )

    def now(self) -> datetime:
        return self.clock()

    # -- tokens -------------------------------------------------------------------------------------
    def _jwt(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"alg": "RS256", "kid": self._kid, "typ": "JWT"}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def verify_access_token(self, token: object) -> dict[str, Any]:
        """The claims of a valid, unexpired access token of this pool; NotAuthorized otherwise."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        bad = _fail(NotAuthorizedError, "Invalid Access Token")
        if not isinstance(token, str) or token.count(".") != 2:
            raise bad
        head, body, sig = token.split(".")
        try:
            self._key.public_key().verify(
                _b64url_decode(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(_b64url_decode(body))
        except (InvalidSignature, ValueError):
            raise bad from None
        if claims.get("token_use") != "access" or claims.get("client_id") != self.config.client_id:
            raise bad
        if claims.get("exp", 0) < self.now().timestamp():
            raise _fail(NotAuthorizedError, "Access Token has expired")
        if not self._q("SELECT 1 FROM users WHERE username = ?", claims.get("username")):
            raise _fail(UserNotFoundError, "User does not exist.")
        return dict(claims)

    def _tokens(
        self, username: str, device_key: str | None, *, refresh: bool = True, refresh_device: str | None = None
    ) -> dict[str, Any]:
        """Tokens; the refresh token is bound to the device signed in with (or just issued)."""
        (user,) = self._q("SELECT sub FROM users WHERE username = ?", username)
        now = int(self.now().timestamp())
        exp = now + int(self.config.token_ttl.total_seconds())
        iss = f"https://cognito-idp.{self.config.region}.amazonaws.com/{self.config.user_pool_id}"
        common = {"sub": user["sub"], "iss": iss, "iat": now, "auth_time": now, "exp": exp, "jti": str(uuid.uuid4())}
        access = {
            **common,
            "token_use": "access",
            "client_id": self.config.client_id,
            "username": username,
            "scope": "aws.cognito.signin.user.admin",
        }
        if device_key is not None:
            access["device_key"] = device_key
        ident = {**common, "token_use": "id", "aud": self.config.client_id, "cognito:username": username}
        result: dict[str, Any] = {
            "AccessToken": self._jwt(access),
            "ExpiresIn": exp - now,
            "TokenType": "Bearer",
            "IdToken": self._jwt(ident),
        }
        if refresh:
            token = _csprng.token_urlsafe(64)
            self._q(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?)",
                token,
                username,
                device_key or refresh_device,
                now + 30 * 86400,
            )
            result["RefreshToken"] = token
        return result

    # -- sessions -------------------------------------------------------------------------------------
    def new_session(self, challenge: str, data: dict[str, Any]) -> str:
        sid = _csprng.token_urlsafe(48)
        expires = (self.now() + self.config.session_ttl).timestamp()
        self._q("INSERT INTO sessions VALUES (?, ?, ?, ?)", sid, challenge, json.dumps(data), expires)
        return sid

    def take_session(self, sid: object, challenge: str) -> dict[str, Any]:
        """The session's data, deleted as it is read: a Session answers one challenge, once."""
        if not isinstance(sid, str) or not sid:
            raise _fail(InvalidParameterError, "Missing required parameter Session")
        with self.lock:
            rows = self._q("SELECT challenge, data, expires FROM sessions WHERE id = ?", sid)
            self._q("DELETE FROM sessions WHERE id = ?", sid)
        if not rows:
            raise _fail(NotAuthorizedError, "Invalid session for the user.")
        row = rows[0]
        if row["expires"] < self.now().timestamp():
            raise _fail(NotAuthorizedError, "Invalid session for the user, session is expired.")
        if row["challenge"] != challenge:
            raise _fail(NotAuthorizedError, "Invalid session for the user.")
        return dict(json.loads(row["data"]))

    # -- checks ----------------------------------------------------------------------------------------------
    def check_client(self, client_id: object) -> None:
        if client_id != self.config.client_id:
            raise _fail(ResourceNotFoundError, "User pool client does not exist.")

    def check_secret_hash(self, given: object, username: str) -> None:
        secret = self.config.client_secret
        if secret is None:
            return
        if not isinstance(given, str):
            raise _fail(
                NotAuthorizedError,
                f"Client {self.config.client_id} is configured with secret but SECRET_HASH was not received",
            )
        expected = _srp.secret_hash(client_secret=secret, username=username, client_id=self.config.client_id)
        if not _srp.bytes_eq(expected.encode(), given.encode()):
            raise _fail(NotAuthorizedError, f"Unable to verify secret hash for client {self.config.client_id}")

    def user(self, username: object) -> sqlite3.Row:
        rows = self._q("SELECT * FROM users WHERE username = ? OR sub = ?", username, username)
        if not rows:
            raise _fail(NotAuthorizedError, _INCORRECT)
        return rows[0]

    def device(self, device_key: object, username: str) -> sqlite3.Row:
        rows = self._q("SELECT * FROM devices WHERE device_key = ? AND username = ?", device_key, username)
        if not rows:
            raise _fail(ResourceNotFoundError, "Device does not exist.")
        return rows[0]

    def srp_challenge(
        self, challenge: str, username: str, pool: str, identity: str, salt: bytes, verifier: bytes, **state: Any
    ) -> tuple[SrpServer, str]:
        """A fresh server side (b, B, secret block) and the Session that remembers it for ``challenge``."""
        server = SrpServer(pool=pool, identity=identity, salt=salt, verifier=verifier, backend=self.backend)
        session = self.new_session(
            challenge,
            {"username": username, "b": format(server._b, "x"), "block": b64(server.secret_block), **state},
        )
        return server, session

    def verify_claim(
        self,
        pool: str,
        identity: str,
        salt: bytes,
        verifier: bytes,
        state: Mapping[str, Any],
        params: Mapping[str, Any],
    ) -> None:
        """Check the client's PASSWORD_CLAIM_SIGNATURE against the server side the Session remembers."""
        server = SrpServer(
            pool=pool,
            identity=identity,
            salt=salt,
            verifier=verifier,
            ephemeral=int(state["b"], 16),
            secret_block=base64.b64decode(state["block"]),
            backend=self.backend,
        )
        srp_a = state["srp_a"]
        try:
            server.verify(
                srp_a=srp_a,
                secret_block=params.get("PASSWORD_CLAIM_SECRET_BLOCK"),  # type: ignore[arg-type]
                timestamp=params.get("TIMESTAMP"),  # type: ignore[arg-type]
                signature=params.get("PASSWORD_CLAIM_SIGNATURE"),  # type: ignore[arg-type]
                now=self.now(),
                skew=self.config.skew,
            )
        except ValidationError as exc:
            if exc.field == "TIMESTAMP":
                raise _fail(
                    InvalidParameterError, "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
                ) from None
            raise _fail(NotAuthorizedError, _INCORRECT) from None
        except VerificationError:
            raise _fail(NotAuthorizedError, _INCORRECT) from None

    # -- auth ----------------------------------------------------------------------------------------------
    def initiate_auth(self, req: Mapping[str, Any]) -> dict[str, Any]:
        self.check_client(req.get("ClientId"))
        params = req.get("AuthParameters") or {}
        flow = req.get("AuthFlow")
        if flow == "REFRESH_TOKEN_AUTH" or flow == "REFRESH_TOKEN":
            return self._refresh(params)
        if flow == "USER_PASSWORD_AUTH":
            return self._password_auth(params)
        if flow != "USER_SRP_AUTH":
            raise _fail(InvalidParameterError, f"Auth flow {flow} is not enabled for this local pool")
        user = self.user(params.get("USERNAME"))
        self.check_secret_hash(params.get("SECRET_HASH"), str(params.get("USERNAME")))
        srp_a = params.get("SRP_A")
        server, session = self.srp_challenge(
            "PASSWORD_VERIFIER",
            user["username"],
            self.config.pool_name,
            user["sub"],
            user["salt"],
            user["verifier"],
            srp_a=srp_a,
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": session,
            "ChallengeParameters": {
                "SALT": server.salt_hex,
                "SRP_B": server.srp_b,
                "SECRET_BLOCK": b64(server.secret_block),
                "USER_ID_FOR_SRP": user["sub"],
                "USERNAME": user["sub"],
            },
        }

    def _refresh(self, params: Mapping[str, Any]) -> dict[str, Any]:
        rows = self._q("SELECT * FROM refresh_tokens WHERE token = ?", params.get("REFRESH_TOKEN"))
        if not rows or rows[0]["expires"] < self.now().timestamp():
            raise _fail(NotAuthorizedError, "Invalid Refresh Token")
        row = rows[0]
        user = self.user(row["username"])
        self.check_secret_hash(params.get("SECRET_HASH"), user["sub"])
        if row["device_key"] is not None:
            if params.get("DEVICE_KEY") != row["device_key"]:
                raise _fail(NotAuthorizedError, "Invalid Refresh Token")  # as the service: DEVICE_KEY is required
            self.device(row["device_key"], row["username"])
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": self._tokens(row["username"], row["device_key"], refresh=False),
        }

    def respond(self, req: Mapping[str, Any]) -> dict[str, Any]:
        self.check_client(req.get("ClientId"))
        name = req.get("ChallengeName")
        params = req.get("ChallengeResponses") or {}
        handlers = {
            "PASSWORD_VERIFIER": self._password_verifier,
            "SMS_MFA": self._sms_mfa,
            "DEVICE_SRP_AUTH": self._device_srp_auth,
            "DEVICE_PASSWORD_VERIFIER": self._device_password_verifier,
        }
        if name not in handlers:
            raise _fail(InvalidParameterError, f"Challenge {name} is not supported by this local pool")
        state = self.take_session(req.get("Session"), str(name))
        user = self.user(state["username"])
        if params.get("USERNAME") not in (user["username"], user["sub"]):
            raise _fail(NotAuthorizedError, _INCORRECT)
        self.check_secret_hash(params.get("SECRET_HASH"), params["USERNAME"])
        return handlers[str(name)](user, params, state)

    def _password_auth(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """USER_PASSWORD_AUTH: the password itself, checked against the stored verifier."""
        user = self.user(params.get("USERNAME"))
        self.check_secret_hash(params.get("SECRET_HASH"), str(params.get("USERNAME")))
        password = params.get("PASSWORD")
        if not isinstance(password, str) or not password:
            raise _fail(InvalidParameterError, "Missing required parameter PASSWORD")
        salt = int.from_bytes(user["salt"], "big")
        x = _srp.compute_x(salt=salt, pool=self.config.pool_name, identity=user["sub"], password=password)
        if not _srp.bytes_eq(pad(_srp.compute_verifier(x, backend=self.backend)), bytes(user["verifier"])):
            raise _fail(NotAuthorizedError, _INCORRECT)
        return self._after_password(user, params.get("DEVICE_KEY"))

    def _password_verifier(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        self.verify_claim(self.config.pool_name, user["sub"], user["salt"], user["verifier"], state, params)
        return self._after_password(user, params.get("DEVICE_KEY"))

    def _after_password(self, user: sqlite3.Row, device_key: Any) -> dict[str, Any]:
        """The user proved the password: the device challenges, MFA, or the tokens."""
        if device_key is not None:
            device = self.device(device_key, user["username"])  # "Device does not exist." when forgotten
            if device["confirmed"] and device["remembered"]:
                session = self.new_session(
                    "DEVICE_SRP_AUTH", {"username": user["username"], "device_key": device["device_key"]}
                )
                return {
                    "ChallengeName": "DEVICE_SRP_AUTH",
                    "Session": session,
                    "ChallengeParameters": {"USERNAME": user["sub"]},
                }
        needs_mfa = user["mfa"] or (
            self.config.challenge_required_on_new_device and self.config.device_tracking != "off"
        )
        if needs_mfa:
            code = f"{_csprng.randbelow(10**6):06d}"
            with self.lock:
                self.outbox.setdefault(user["username"], []).append(code)
            session = self.new_session(
                "SMS_MFA", {"username": user["username"], "code": code, "device_key": device_key}
            )
            return {
                "ChallengeName": "SMS_MFA",
                "Session": session,
                "ChallengeParameters": {
                    "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                    "CODE_DELIVERY_DESTINATION": "+*******" + user["phone"][-4:],
                    "USERNAME": user["sub"],
                },
            }
        return self._signed_in(user["username"], device_key)

    def _sms_mfa(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        code = params.get("SMS_MFA_CODE")
        if not isinstance(code, str) or not _srp.bytes_eq(code.encode(), state["code"].encode()):
            raise _fail(CodeMismatchError, "Invalid code received for user")
        return self._signed_in(user["username"], state.get("device_key"))

    def _device_srp_auth(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        if params.get("DEVICE_KEY") != state["device_key"]:
            raise _fail(NotAuthorizedError, _INCORRECT)
        device = self.device(state["device_key"], user["username"])
        if not device["confirmed"]:
            raise _fail(NotAuthorizedError, "Device is not confirmed.")
        server, session = self.srp_challenge(
            "DEVICE_PASSWORD_VERIFIER",
            user["username"],
            device["group_key"],
            device["device_key"],
            device["salt"],
            device["verifier"],
            srp_a=params.get("SRP_A"),
            device_key=device["device_key"],
        )
        return {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": session,
            "ChallengeParameters": {
                "SRP_B": server.srp_b,
                "SALT": server.salt_hex,
                "SECRET_BLOCK": b64(server.secret_block),
                "USERNAME": user["sub"],
                "DEVICE_KEY": device["device_key"],
            },
        }

    def _device_password_verifier(
        self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        if params.get("DEVICE_KEY") != state["device_key"]:
            raise _fail(NotAuthorizedError, _INCORRECT)
        device = self.device(state["device_key"], user["username"])
        self.verify_claim(device["group_key"], device["device_key"], device["salt"], device["verifier"], state, params)
        now = self.now().timestamp()
        self._q("UPDATE devices SET last_auth = ? WHERE device_key = ?", now, device["device_key"])
        return self._signed_in(user["username"], device["device_key"])

    def _signed_in(self, username: str, device_key: str | None) -> dict[str, Any]:
        if device_key is not None or self.config.device_tracking == "off":
            return {"ChallengeParameters": {}, "AuthenticationResult": self._tokens(username, device_key)}
        (user,) = self._q("SELECT group_key FROM users WHERE username = ?", username)
        key = f"{self.config.region}_{uuid.uuid4()}"
        now = self.now().timestamp()
        self._q(
            "INSERT INTO devices (device_key, username, group_key, created, modified) VALUES (?, ?, ?, ?, ?)",
            key,
            username,
            user["group_key"],
            now,
            now,
        )
        result = self._tokens(username, None, refresh_device=key)
        result["NewDeviceMetadata"] = {"DeviceKey": key, "DeviceGroupKey": user["group_key"]}
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    # -- device calls -----------------------------------------------------------------------------------------
    def _owner(self, req: Mapping[str, Any]) -> str:
        return str(self.verify_access_token(req.get("AccessToken"))["username"])

    def confirm_device(self, req: Mapping[str, Any]) -> dict[str, Any]:
        username = self._owner(req)
        device = self.device(req.get("DeviceKey"), username)
        if device["confirmed"]:
            raise _fail(DeviceKeyExistsError, "Device key already exists.")
        config = req.get("DeviceSecretVerifierConfig") or {}
        try:
            salt = base64.b64decode(config["Salt"], validate=True)
            verifier = base64.b64decode(config["PasswordVerifier"], validate=True)
            if not salt or not 0 < int.from_bytes(verifier, "big", signed=True) < _srp.N:
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise _fail(InvalidParameterError, "Invalid DeviceSecretVerifierConfig.") from None
        always = self.config.device_tracking == "always"
        self._q(
            "UPDATE devices SET salt = ?, verifier = ?, confirmed = 1, remembered = ?, name = ?, modified = ? "
            "WHERE device_key = ?",
            salt,
            verifier,
            int(always),
            req.get("DeviceName"),
            self.now().timestamp(),
            device["device_key"],
        )
        return {"UserConfirmationNecessary": not always}

    def update_device_status(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        device = self.device(req.get("DeviceKey"), username)
        remembered = req.get("DeviceRememberedStatus") == "remembered"
        self._q(
            "UPDATE devices SET remembered = ?, modified = ? WHERE device_key = ?",
            int(remembered),
            self.now().timestamp(),
            device["device_key"],
        )
        return {}

    def forget_device(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        device = self.device(req.get("DeviceKey"), username)
        self._q("DELETE FROM devices WHERE device_key = ?", device["device_key"])
        self._q("DELETE FROM refresh_tokens WHERE device_key = ?", device["device_key"])
        return {}

    def get_device(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        return {"Device": self._record(self.device(req.get("DeviceKey"), username))}

    def list_devices(self, req: Mapping[str, Any], username: str | None = None) -> dict[str, Any]:
        username = username or self._owner(req)
        limit = req.get("Limit") or 60
        after = ""
        if req.get("PaginationToken") is not None:
            try:
                after = _b64url_decode(str(req["PaginationToken"])).decode()
            except ValueError:
                raise _fail(InvalidParameterError, "Invalid pagination token.") from None
        rows = self._q(
            "SELECT * FROM devices WHERE username = ? AND confirmed = 1 AND device_key > ? ORDER BY device_key LIMIT ?",
            username,
            after,
            int(limit) + 1,
        )
        out: dict[str, Any] = {"Devices": [self._record(r) for r in rows[: int(limit)]]}
        if len(rows) > int(limit):
            out["PaginationToken"] = _b64url(rows[int(limit) - 1]["device_key"].encode())
        return out

    def _record(self, row: sqlite3.Row) -> dict[str, Any]:
        attrs = [
            {"Name": "dev:device_remembered_status", "Value": "remembered" if row["remembered"] else "not_remembered"},
            {"Name": "dev:device_status", "Value": "valid" if row["confirmed"] else "unconfirmed"},
        ]
        if row["name"]:
            attrs.append({"Name": "device_name", "Value": row["name"]})
        record: dict[str, Any] = {
            "DeviceKey": row["device_key"],
            "DeviceAttributes": attrs,
            "DeviceCreateDate": row["created"],
            "DeviceLastModifiedDate": row["modified"],
        }
        if row["last_auth"] is not None:
            record["DeviceLastAuthenticatedDate"] = row["last_auth"]
        return record

    def admin(self, op: Callable[..., dict[str, Any]], req: Mapping[str, Any]) -> dict[str, Any]:
        if req.get("UserPoolId") != self.config.user_pool_id:
            raise _fail(ResourceNotFoundError, f"User pool {req.get('UserPoolId')} does not exist.")
        rows = self._q(
            "SELECT username FROM users WHERE username = ? OR sub = ?", req.get("Username"), req.get("Username")
        )
        if not rows:
            raise _fail(UserNotFoundError, "User does not exist.")
        return op(req, rows[0]["username"])

    def device_count(self, username: str | None = None) -> int:
        """Confirmed devices, for one user or all (for tests and the demo)."""
        sql = "SELECT COUNT(*) AS n FROM devices WHERE confirmed = 1" + (" AND username = ?" if username else "")
        return int(self._q(sql, *([username] if username else []))[0]["n"])


class _Handler(BaseHTTPRequestHandler):
    server_version = "srp-device-local-cognito"
    pool: _Pool  # set on the subclass made per emulator

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: requests carry secrets; the emulator logs nothing

    def _send(self, status: int, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, code: str, message: str, status: int = 400) -> None:
        self._send(status, {"__type": code, "message": message})

    def do_GET(self) -> None:
        self._error("UnknownOperationException", "Only POST / is served", 404)

    def do_POST(self) -> None:
        try:
            self._post()
        except Exception as exc:  # the server keeps serving whatever a request holds
            self._error("InternalErrorException", f"Internal error ({type(exc).__name__})", 500)

    def _post(self) -> None:
        target = self.headers.get("X-Amz-Target", "")
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._error("SerializationException", "Content-Length is required", 411)
            return
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True
            self._error("RequestEntityTooLargeException", f"Request body is larger than {MAX_BODY} bytes", 413)
            return
        raw = self.rfile.read(length)
        if not target.startswith(TARGET_PREFIX):
            self._error("UnknownOperationException", "Missing or unknown X-Amz-Target")
            return
        operation = target[len(TARGET_PREFIX) :]
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            self._error("SerializationException", "Request body is not valid JSON")
            return
        if not isinstance(request, dict):
            self._error("SerializationException", "Request body must be a JSON object")
            return
        pool = self.pool
        routes: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "InitiateAuth": pool.initiate_auth,
            "RespondToAuthChallenge": pool.respond,
            "ConfirmDevice": pool.confirm_device,
            "UpdateDeviceStatus": pool.update_device_status,
            "ForgetDevice": pool.forget_device,
            "GetDevice": pool.get_device,
            "ListDevices": pool.list_devices,
            "AdminForgetDevice": lambda r: pool.admin(pool.forget_device, r),
            "AdminGetDevice": lambda r: pool.admin(pool.get_device, r),
            "AdminListDevices": lambda r: pool.admin(pool.list_devices, r),
            "AdminUpdateDeviceStatus": lambda r: pool.admin(pool.update_device_status, r),
        }
        if operation not in routes:
            self._error("UnknownOperationException", f"Operation {operation[:64]} is not served by this local pool")
            return
        if operation.startswith("Admin") and not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256"):
            self._error("MissingAuthenticationTokenException", "Admin operations need a SigV4-signed request", 403)
            return
        try:
            validate(operation, {k: v for k, v in request.items() if k in CONSTRAINTS[operation]})
            self._send(200, routes[operation](request))
        except _FailError as fail:
            self._error(fail.error.code, fail.error.message)
        except SrpDeviceError as exc:
            field_name = getattr(exc, "field", "request")
            self._error("InvalidParameterException", f"Invalid parameter {field_name}")


class LocalCognito:
    """A local user pool on loopback, started on ``__enter__`` (or :meth:`~srp_device.emulator.LocalCognito.start`).

    ``users`` maps usernames to passwords (or :class:`UserSpec`). ``db`` is ``":memory:"``
    or a file path (state survives a restart). ``port=0`` picks a free port.
    ``clock`` returns the aware "now" the pool uses (tests move it).
    """

    def __init__(
        self,
        users: Mapping[str, str | UserSpec] | None = None,
        *,
        config: PoolConfig | None = None,
        db: str = ":memory:",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        backend: str | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValidationError("host", "the emulator serves loopback only")
        self.config = config or PoolConfig()
        self._pool = _Pool(self.config, users or {}, db, clock or (lambda: datetime.now(timezone.utc)), backend)
        handler = type("Handler", (_Handler,), {"pool": self._pool})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"LocalCognito(endpoint_url={self.endpoint_url!r}, user_pool_id={self.config.user_pool_id!r})"

    @property
    def endpoint_url(self) -> str:
        """The URL to give a client as its endpoint (``http://127.0.0.1:PORT``)."""
        host, port = self._httpd.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{'[' + text + ']' if ':' in text else text}:{port}"

    @property
    def user_pool_id(self) -> str:
        """The pool's id, as :class:`PoolConfig` set it."""
        return self.config.user_pool_id

    @property
    def client_id(self) -> str:
        """The app client's id, as :class:`PoolConfig` set it."""
        return self.config.client_id

    def start(self) -> LocalCognito:
        """Serve in a background thread (idempotent); returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="local-cognito", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and close the store."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self._pool.close()

    def __enter__(self) -> LocalCognito:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def outbox(self, username: str) -> list[str]:
        """The MFA codes "sent" to a user, oldest first."""
        with self._pool.lock:
            return list(self._pool.outbox.get(username, []))

    def last_code(self, username: str) -> str:
        """The newest MFA code sent to ``username``."""
        codes = self.outbox(username)
        if not codes:
            raise ValidationError("username", "no MFA code was sent to this user")
        return codes[-1]

    def device_count(self, username: str | None = None) -> int:
        """How many confirmed devices the pool holds (for one user, or all)."""
        return self._pool.device_count(username)

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI's mode)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()
            self._pool.close()
