"""The auth flows: USER_SRP_AUTH, USER_PASSWORD_AUTH, USER_AUTH, refreshes, the SRP, device and
MFA challenges (SMS and TOTP), token revocation and global sign-out.

SRP state (the server's secret b, A, the user, the challenge) is sealed with AES-GCM into
the SECRET_BLOCK the client echoes, as the service carries it: a PASSWORD_VERIFIER answer
is accepted with or without its Session. A Session is spent only when its answer
succeeds, so a client may send the same answer again after "Device does not exist."
(without the DEVICE_KEY), and a mistyped MFA code may be corrected, up to
``PoolConfig.mfa_attempts`` times.
"""

from __future__ import annotations

import base64
import binascii
import secrets as _csprng
import sqlite3
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from .. import _srp
from .._encoding import b64, pad
from .._random import draw_ephemeral
from .._server import SrpServer
from ..exceptions import (
    CodeMismatchError,
    InvalidParameterError,
    NotAuthorizedError,
    ResourceNotFoundError,
    ServiceError,
    ValidationError,
    VerificationError,
)
from ._errors import INCORRECT, FailError, fail
from ._store import Store
from ._tokens import Tokens

__all__ = ["Auth"]

_TOTP_STEP = 30


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise fail(InvalidParameterError, f"Missing required parameter {name}")
    return value


def _totp(secret_b32: str) -> TOTP:
    return TOTP(base64.b32decode(secret_b32), 6, SHA1(), _TOTP_STEP, enforce_key_length=False)


class Auth:
    def __init__(self, store: Store, tokens: Tokens) -> None:
        self.store = store
        self.tokens = tokens
        self.config = store.config

    # -- checks ----------------------------------------------------------------------------------
    def check_client(self, client_id: object) -> None:
        if client_id != self.config.client_id:
            raise fail(ResourceNotFoundError, "User pool client does not exist.")

    def check_flow(self, flow: str) -> None:
        if not self.config.allows(flow):
            raise fail(InvalidParameterError, f"{flow} flow not enabled for this client")

    def check_secret_hash(self, given: object, username: str) -> None:
        secret = self.config.client_secret
        if secret is None:
            return
        if not isinstance(given, str):
            raise fail(
                NotAuthorizedError,
                f"Client {self.config.client_id} is configured with secret but SECRET_HASH was not received",
            )
        expected = _srp.secret_hash(client_secret=secret, username=username, client_id=self.config.client_id)
        if not _srp.bytes_eq(expected.encode(), given.encode()):
            raise fail(NotAuthorizedError, f"Unable to verify secret hash for client {self.config.client_id}")

    def check_client_secret(self, given: object) -> None:
        secret = self.config.client_secret
        if secret is not None and not (isinstance(given, str) and _srp.bytes_eq(given.encode(), secret.encode())):
            raise fail(NotAuthorizedError, f"Client {self.config.client_id} is configured with secret")

    # -- InitiateAuth ------------------------------------------------------------------------------
    def initiate_auth(self, req: Mapping[str, Any]) -> dict[str, Any]:
        self.check_client(req.get("ClientId"))
        params = req.get("AuthParameters") or {}
        flow = req.get("AuthFlow")
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            self.check_flow("REFRESH_TOKEN_AUTH")
            owner = self.tokens.refresh_owner(params.get("REFRESH_TOKEN"))
            if owner is not None:
                self.check_secret_hash(params.get("SECRET_HASH"), str(self.store.user(owner)["sub"]))
            result = self.tokens.refresh(params.get("REFRESH_TOKEN"), params.get("DEVICE_KEY"))
            return {"ChallengeParameters": {}, "AuthenticationResult": result}
        if flow not in ("USER_SRP_AUTH", "USER_PASSWORD_AUTH", "USER_AUTH"):
            raise fail(InvalidParameterError, f"Auth flow {flow} is not supported by this local pool")
        self.check_flow(str(flow))
        user = self.store.user(params.get("USERNAME"))
        self.check_secret_hash(params.get("SECRET_HASH"), str(params.get("USERNAME")))
        device_key = params.get("DEVICE_KEY")
        if flow == "USER_SRP_AUTH":
            return self._password_verifier_challenge(user, params.get("SRP_A"), device_key)
        if flow == "USER_PASSWORD_AUTH":
            self._check_password(user, params.get("PASSWORD"))
            return self._after_password(user, device_key, None)
        preferred = params.get("PREFERRED_CHALLENGE")
        if preferred == "PASSWORD_SRP":
            return self._password_verifier_challenge(user, params.get("SRP_A"), device_key)
        if preferred == "PASSWORD":
            self._check_password(user, params.get("PASSWORD"))
            return self._after_password(user, device_key, None)
        session = self.store.new_session("SELECT_CHALLENGE", {"username": user["username"], "device_key": device_key})
        return {
            "ChallengeName": "SELECT_CHALLENGE",
            "Session": session,
            "ChallengeParameters": {},
            "AvailableChallenges": ["PASSWORD", "PASSWORD_SRP"],
        }

    def _check_password(self, user: sqlite3.Row, password: object) -> None:
        """USER_PASSWORD_AUTH and PASSWORD: the password itself, checked against the stored verifier."""
        if not isinstance(password, str) or not password:
            raise fail(InvalidParameterError, "Missing required parameter PASSWORD")
        salt = int.from_bytes(user["salt"], "big")
        x = _srp.compute_x(salt=salt, pool=self.config.pool_name, identity=user["srp_id"], password=password)
        if not _srp.bytes_eq(pad(_srp.compute_verifier(x, backend=self.store.backend)), bytes(user["verifier"])):
            raise fail(NotAuthorizedError, INCORRECT)

    # -- SRP challenges, their state sealed in SECRET_BLOCK ------------------------------------------
    def _srp_challenge(
        self,
        challenge: str,
        user: sqlite3.Row,
        pool: str,
        identity: str,
        salt: bytes,
        verifier: bytes,
        srp_a: object,
        **extra: Any,
    ) -> tuple[SrpServer, str]:
        if not isinstance(srp_a, str) or not srp_a:
            raise fail(InvalidParameterError, "Missing required parameter SRP_A")
        try:
            big_a = int(srp_a, 16)
        except ValueError:
            raise fail(InvalidParameterError, "SRP_A is not a hexadecimal number") from None
        if len(srp_a) > 2 * 385 or big_a.bit_length() > _srp.N.bit_length() or big_a % _srp.N == 0:
            raise fail(InvalidParameterError, "SRP_A is not a valid SRP value")
        sid = self.store.new_session(challenge, {"username": user["username"], **extra})
        b = draw_ephemeral(256)
        expires = (self.store.now() + self.config.session_ttl).timestamp()
        state = {"c": challenge, "s": sid, "u": user["username"], "b": format(b, "x"), "a": srp_a, "exp": expires}
        block = self.tokens.seal(state)
        server = SrpServer(
            pool=pool,
            identity=identity,
            salt=salt,
            verifier=verifier,
            ephemeral=b,
            secret_block=block,
            backend=self.store.backend,
        )
        return server, sid

    def _password_verifier_challenge(self, user: sqlite3.Row, srp_a: object, device_key: object) -> dict[str, Any]:
        server, sid = self._srp_challenge(
            "PASSWORD_VERIFIER",
            user,
            self.config.pool_name,
            user["srp_id"],
            user["salt"],
            user["verifier"],
            srp_a,
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": sid,
            "ChallengeParameters": {
                "SALT": server.salt_hex,
                "SRP_B": server.srp_b,
                "SECRET_BLOCK": b64(server.secret_block),
                "USER_ID_FOR_SRP": user["srp_id"],
                "USERNAME": user["srp_id"],
            },
        }

    def _claim_state(self, challenge: str, params: Mapping[str, Any], session: object) -> dict[str, Any]:
        """The sealed state an SRP answer echoes (its Session, when one is sent, must be the same)."""
        block_text = _param(params, "PASSWORD_CLAIM_SECRET_BLOCK")
        try:
            block = base64.b64decode(block_text, validate=True)
        except (binascii.Error, ValueError):
            raise fail(NotAuthorizedError, INCORRECT) from None
        state = self.tokens.unseal(block)
        if state is None or state.get("c") != challenge:
            raise fail(NotAuthorizedError, INCORRECT)
        if state["exp"] < self.store.now().timestamp():
            raise fail(NotAuthorizedError, "Invalid session for the user, session is expired.")
        if session is not None and session != state["s"]:
            raise fail(NotAuthorizedError, "Invalid session for the user.")
        data = self.store.peek_session(state["s"], challenge)  # spent already: refused
        return {**data, **state, "_block": block}

    def _verify_claim(
        self,
        state: Mapping[str, Any],
        params: Mapping[str, Any],
        pool: str,
        identity: str,
        salt: bytes,
        verifier: bytes,
    ) -> None:
        server = SrpServer(
            pool=pool,
            identity=identity,
            salt=salt,
            verifier=verifier,
            ephemeral=int(state["b"], 16),
            secret_block=state["_block"],
            backend=self.store.backend,
        )
        try:
            server.verify(
                srp_a=state["a"],
                secret_block=_param(params, "PASSWORD_CLAIM_SECRET_BLOCK"),
                timestamp=_param(params, "TIMESTAMP"),
                signature=_param(params, "PASSWORD_CLAIM_SIGNATURE"),
                now=self.store.now(),
                skew=self.config.skew,
            )
        except ValidationError as exc:
            if exc.field == "TIMESTAMP":
                raise fail(
                    InvalidParameterError, "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
                ) from None
            raise fail(NotAuthorizedError, INCORRECT) from None
        except VerificationError:
            raise fail(NotAuthorizedError, INCORRECT) from None

    # -- RespondToAuthChallenge ---------------------------------------------------------------------
    def respond(self, req: Mapping[str, Any]) -> dict[str, Any]:
        self.check_client(req.get("ClientId"))
        name = req.get("ChallengeName")
        params = req.get("ChallengeResponses") or {}
        session = req.get("Session")
        if name in ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"):
            state = self._claim_state(str(name), params, session)
        elif name in ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "DEVICE_SRP_AUTH", "SELECT_CHALLENGE"):
            state = self.store.peek_session(session, str(name))
        else:
            raise fail(InvalidParameterError, f"Challenge {name} is not supported by this local pool")
        user = self.store.user(state.get("u", state.get("username")))
        if params.get("USERNAME") not in (user["username"], user["sub"], user["srp_id"]):
            raise fail(NotAuthorizedError, INCORRECT)
        self.check_secret_hash(params.get("SECRET_HASH"), str(params["USERNAME"]))
        handler = {
            "PASSWORD_VERIFIER": self._password_verifier,
            "SMS_MFA": self._mfa,
            "SOFTWARE_TOKEN_MFA": self._mfa,
            "DEVICE_SRP_AUTH": self._device_srp_auth,
            "DEVICE_PASSWORD_VERIFIER": self._device_password_verifier,
            "SELECT_CHALLENGE": self._select_challenge,
        }[str(name)]
        return handler(user, params, state)

    def _password_verifier(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        self._verify_claim(state, params, self.config.pool_name, user["srp_id"], user["salt"], user["verifier"])
        return self._after_password(user, params.get("DEVICE_KEY"), state["s"])

    def _after_password(self, user: sqlite3.Row, device_key: object, spend: str | None) -> dict[str, Any]:
        """The user proved the password: the device challenges, MFA, or the tokens.

        "Device does not exist." is raised before the Session is spent: the client may send
        the same answer again without the DEVICE_KEY, as AWS's clients do.
        """
        username = user["username"]
        if device_key is not None:
            device = self.store.device(device_key, username)
            if device["confirmed"] and device["remembered"]:
                self.store.spend_session(spend)
                sid = self.store.new_session("DEVICE_SRP_AUTH", {"username": username, "device_key": device_key})
                return {
                    "ChallengeName": "DEVICE_SRP_AUTH",
                    "Session": sid,
                    "ChallengeParameters": {"USERNAME": user["srp_id"]},
                }
        totp = bool(user["totp_enabled"])
        needs_mfa = (
            totp
            or user["mfa"]
            or (self.config.challenge_required_on_new_device and self.config.device_tracking != "off")
        )
        self.store.spend_session(spend)
        if not needs_mfa:
            return self._signed_in(username, device_key)
        if totp:
            sid = self.store.new_session("SOFTWARE_TOKEN_MFA", {"username": username, "device_key": device_key})
            return {
                "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "Session": sid,
                "ChallengeParameters": {"USERNAME": user["srp_id"], "FRIENDLY_DEVICE_NAME": "authenticator"},
            }
        code = self.store.send_code(username)
        sid = self.store.new_session("SMS_MFA", {"username": username, "code": code, "device_key": device_key})
        return {
            "ChallengeName": "SMS_MFA",
            "Session": sid,
            "ChallengeParameters": {
                "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                "CODE_DELIVERY_DESTINATION": "+*******" + user["phone"][-4:],
                "USERNAME": user["srp_id"],
            },
        }

    def _mfa(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """A wrong code may be corrected on the same Session, up to the pool's attempts."""
        if "code" in state:
            given = params.get("SMS_MFA_CODE")
            ok = isinstance(given, str) and _srp.bytes_eq(given.encode(), str(state["code"]).encode())
        else:
            ok = self._totp_ok(user, params.get("SOFTWARE_TOKEN_MFA_CODE"))
        if not ok:
            attempts = int(state.get("attempts", 0)) + 1
            if attempts >= self.config.mfa_attempts:
                self.store.spend_session(state["_sid"])
            else:
                self.store.update_session(state["_sid"], {**state, "attempts": attempts})
            raise fail(CodeMismatchError, "Invalid code or auth state for the user.")
        self.store.spend_session(state["_sid"])
        return self._signed_in(user["username"], state.get("device_key"))

    def _totp_ok(self, user: sqlite3.Row, code: object) -> bool:
        secret = user["totp_secret"]
        if not isinstance(code, str) or not code.isdigit() or secret is None:
            return False
        now = int(self.store.now().timestamp())
        for at in (now, now - _TOTP_STEP):  # the current step, or the one just past
            try:
                _totp(secret).verify(code.encode(), at)
                return True
            except InvalidToken:
                continue
        return False

    def _select_challenge(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        answer = params.get("ANSWER")
        self.store.spend_session(state["_sid"])
        if answer == "PASSWORD_SRP":
            return self._password_verifier_challenge(user, params.get("SRP_A"), state.get("device_key"))
        if answer == "PASSWORD":
            self._check_password(user, params.get("PASSWORD"))
            return self._after_password(user, state.get("device_key"), None)
        raise fail(InvalidParameterError, "ANSWER must be one of PASSWORD, PASSWORD_SRP")

    def _device_srp_auth(self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        if params.get("DEVICE_KEY") != state["device_key"]:
            raise fail(NotAuthorizedError, INCORRECT)
        device = self.store.device(state["device_key"], user["username"])
        if not device["confirmed"]:
            raise fail(NotAuthorizedError, "Device is not confirmed.")
        server, sid = self._srp_challenge(
            "DEVICE_PASSWORD_VERIFIER",
            user,
            device["group_key"],
            device["device_key"],
            device["salt"],
            device["verifier"],
            params.get("SRP_A"),
            device_key=device["device_key"],
        )
        self.store.spend_session(state["_sid"])
        return {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": sid,
            "ChallengeParameters": {
                "SRP_B": server.srp_b,
                "SALT": server.salt_hex,
                "SECRET_BLOCK": b64(server.secret_block),
                "USERNAME": user["srp_id"],
            },
        }

    def _device_password_verifier(
        self, user: sqlite3.Row, params: Mapping[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        device = self.store.device(state["device_key"], user["username"])
        if params.get("DEVICE_KEY") != device["device_key"]:
            raise fail(NotAuthorizedError, INCORRECT)
        self._verify_claim(state, params, device["group_key"], device["device_key"], device["salt"], device["verifier"])
        self.store.spend_session(state["s"])
        self.store.q(
            "UPDATE devices SET last_auth = ? WHERE device_key = ?", self.store.now().timestamp(), device["device_key"]
        )
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": self.tokens.issue(user["username"], device["device_key"]),
        }

    def _signed_in(self, username: str, device_key: object) -> dict[str, Any]:
        """Tokens; with device tracking on and no device signed in with, a new device to confirm.

        A DEVICE_KEY given here was checked to exist when the password was proved.
        """
        if isinstance(device_key, str) or self.config.device_tracking == "off":
            known = device_key if isinstance(device_key, str) else None
            return {"ChallengeParameters": {}, "AuthenticationResult": self.tokens.issue(username, known)}
        user = self.store.user(username)
        key = f"{self.config.region}_{uuid.uuid4()}"
        now = self.store.now().timestamp()
        self.store.q(
            "INSERT INTO devices (device_key, username, group_key, created, modified) VALUES (?, ?, ?, ?, ?)",
            key,
            username,
            user["group_key"],
            now,
            now,
        )
        result = self.tokens.issue(username, None, refresh_device=key)
        result["NewDeviceMetadata"] = {"DeviceKey": key, "DeviceGroupKey": user["group_key"]}
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    # -- tokens: refresh, revoke, sign out ----------------------------------------------------------
    def get_tokens_from_refresh_token(self, req: Mapping[str, Any]) -> dict[str, Any]:
        self.check_client(req.get("ClientId"))
        self.check_flow("REFRESH_TOKEN_AUTH")
        self.check_client_secret(req.get("ClientSecret"))
        return {"AuthenticationResult": self.tokens.refresh(req.get("RefreshToken"), req.get("DeviceKey"))}

    def revoke_token(self, req: Mapping[str, Any]) -> dict[str, Any]:
        self.check_client(req.get("ClientId"))
        self.check_client_secret(req.get("ClientSecret"))
        self.tokens.revoke_refresh_token(req.get("Token"))
        return {}

    def global_sign_out(self, req: Mapping[str, Any]) -> dict[str, Any]:
        claims = self.tokens.verify_access_token(req.get("AccessToken"))
        self.tokens.sign_out_everywhere(str(claims["username"]))
        return {}

    # -- TOTP enrolment ------------------------------------------------------------------------------
    def associate_software_token(self, req: Mapping[str, Any]) -> dict[str, Any]:
        username = str(self.tokens.verify_access_token(req.get("AccessToken"))["username"])
        secret = base64.b32encode(_csprng.token_bytes(20)).decode()
        self.store.q("UPDATE users SET totp_secret = ?, totp_enabled = 0 WHERE username = ?", secret, username)
        return {"SecretCode": secret}

    def verify_software_token(self, req: Mapping[str, Any]) -> dict[str, Any]:
        username = str(self.tokens.verify_access_token(req.get("AccessToken"))["username"])
        user = self.store.user(username)
        if not self._totp_ok(user, req.get("UserCode")):
            raise FailError(ServiceError("Code mismatch", code="EnableSoftwareTokenMFAException"))
        self.store.q("UPDATE users SET totp_enabled = 1 WHERE username = ?", username)
        return {"Status": "SUCCESS"}
