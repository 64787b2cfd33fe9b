"""Tokens and keys: the pool's RS256 signing key and JWKS, access/id/refresh tokens, revocation,
and the AES-GCM key that seals a challenge's state into the SECRET_BLOCK the client echoes.

Keys are made once per pool and kept in the store, so a file-backed pool keeps them
across restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets as _csprng
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..exceptions import NotAuthorizedError, UserNotFoundError
from ._errors import fail
from ._store import Store

__all__ = ["Tokens", "b64url", "b64url_decode"]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding, as JWTs are written: anything else is refused."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:  # non-canonical trailing bits
        raise ValueError("not canonical base64url")
    return data


class Tokens:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.config = store.config
        pem = store.meta("signing_key")
        if pem is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            store.set_meta("signing_key", pem)
        loaded = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        self._key = loaded
        numbers = loaded.public_key().public_numbers()
        self.kid = b64url(hashlib.sha256(numbers.n.to_bytes(256, "big")).digest()[:9])
        seal = store.meta("seal_key")
        if seal is None:
            seal = b64url(AESGCM.generate_key(bit_length=256))
            store.set_meta("seal_key", seal)
        self._seal = AESGCM(b64url_decode(seal))
        #: the emulator's own base URL, set once it listens (for issuer "local")
        self.base_url = ""

    # -- issuer and keys -------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        if self.config.issuer == "local" and self.base_url:
            return f"{self.base_url}/{self.config.user_pool_id}"
        return f"https://cognito-idp.{self.config.region}.amazonaws.com/{self.config.user_pool_id}"

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "alg": "RS256",
                    "e": b64url(numbers.e.to_bytes(3, "big")),
                    "kid": self.kid,
                    "kty": "RSA",
                    "n": b64url(numbers.n.to_bytes(256, "big")),
                    "use": "sig",
                }
            ]
        }

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code", "token"],
        }

    # -- sealing the SRP state into SECRET_BLOCK ----------------------------------------------------
    def seal(self, state: dict[str, Any]) -> bytes:
        nonce = _csprng.token_bytes(12)
        return nonce + self._seal.encrypt(nonce, json.dumps(state).encode(), self.config.user_pool_id.encode())

    def unseal(self, block: bytes) -> dict[str, Any] | None:
        """The state sealed in ``block``, or None for a block this pool did not seal (or one tampered with)."""
        if len(block) < 28:
            return None
        try:
            state: dict[str, Any] = json.loads(
                self._seal.decrypt(block[:12], block[12:], self.config.user_pool_id.encode())
            )
        except (InvalidTag, ValueError):
            return None
        return state

    # -- JWTs --------------------------------------------------------------------------------------
    def _jwt(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def verify_access_token(self, token: object) -> dict[str, Any]:
        """The claims of a valid, unexpired, unrevoked access token of this pool; NotAuthorized otherwise."""
        bad = fail(NotAuthorizedError, "Invalid Access Token")
        if not isinstance(token, str) or token.count(".") != 2 or len(token) > 8192:
            raise bad
        head, body, sig = token.split(".")
        claims: Any = None
        try:
            header = json.loads(b64url_decode(head))
            self._key.public_key().verify(
                b64url_decode(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(b64url_decode(body))
        except (InvalidSignature, ValueError, binascii.Error, RecursionError):
            claims = None
        if not isinstance(claims, dict) or not isinstance(header, dict) or header.get("alg") != "RS256":
            raise bad
        if claims.get("token_use") != "access" or claims.get("client_id") != self.config.client_id:
            raise bad
        if claims.get("iss") != self.issuer:
            raise bad
        if not isinstance(claims.get("exp"), int) or claims["exp"] < self.store.now().timestamp():
            raise fail(NotAuthorizedError, "Access Token has expired")
        if self.store.q("SELECT 1 FROM revoked_origins WHERE origin = ?", claims.get("origin_jti")):
            raise fail(NotAuthorizedError, "Access Token has been revoked")
        if not self.store.q("SELECT 1 FROM users WHERE username = ?", claims.get("username")):
            raise fail(UserNotFoundError, "User does not exist.")
        return claims

    def issue(
        self,
        username: str,
        device_key: str | None,
        *,
        refresh: bool = True,
        origin: str | None = None,
        refresh_device: str | None = None,
    ) -> dict[str, Any]:
        """Tokens; the refresh token is bound to the device signed in with (or just issued).

        ``origin`` ties the tokens to one sign-in (a refresh keeps it), so that revoking the
        refresh token, or a global sign-out, revokes the access tokens issued from it.
        """
        (user,) = self.store.q("SELECT sub FROM users WHERE username = ?", username)
        now = int(self.store.now().timestamp())
        exp = now + int(self.config.token_ttl.total_seconds())
        origin = origin or str(uuid.uuid4())
        common = {
            "sub": user["sub"],
            "iss": self.issuer,
            "iat": now,
            "auth_time": now,
            "exp": exp,
            "origin_jti": origin,
            "jti": str(uuid.uuid4()),
        }
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
            self.store.q(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?)",
                token,
                username,
                device_key or refresh_device,
                origin,
                now + 30 * 86400,
            )
            result["RefreshToken"] = token
        return result

    def refresh(self, token: object, device_key: object) -> dict[str, Any]:
        """New access and id tokens for a refresh token; one bound to a device needs its DEVICE_KEY."""
        rows = self.store.q("SELECT * FROM refresh_tokens WHERE token = ?", token)
        invalid = fail(NotAuthorizedError, "Invalid Refresh Token")
        if not rows or rows[0]["expires"] < self.store.now().timestamp():
            raise invalid
        row = rows[0]
        if self.store.q("SELECT 1 FROM revoked_origins WHERE origin = ?", row["origin"]):
            raise fail(NotAuthorizedError, "Refresh Token has been revoked")
        if row["device_key"] is not None:
            if device_key != row["device_key"]:
                raise invalid  # as the service: DEVICE_KEY is required
            self.store.device(row["device_key"], row["username"])
        return self.issue(row["username"], row["device_key"], refresh=False, origin=row["origin"])

    def refresh_owner(self, token: object) -> str | None:
        rows = self.store.q("SELECT username FROM refresh_tokens WHERE token = ?", token)
        return str(rows[0]["username"]) if rows else None

    def revoke_refresh_token(self, token: object) -> None:
        """RevokeToken: the refresh token and every token issued from it."""
        rows = self.store.q("SELECT origin, username FROM refresh_tokens WHERE token = ?", token)
        if rows:
            self.store.q("INSERT OR IGNORE INTO revoked_origins VALUES (?, ?)", rows[0]["origin"], rows[0]["username"])

    def sign_out_everywhere(self, username: str) -> None:
        """GlobalSignOut: every refresh token of the user, and the tokens issued from them."""
        self.store.q(
            "INSERT OR IGNORE INTO revoked_origins SELECT origin, username FROM refresh_tokens WHERE username = ?",
            username,
        )
