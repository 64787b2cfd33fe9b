"""The server side of Cognito's SRP, for tests, self-checks and the local emulator.

From a stored ``(salt, verifier)`` it makes ``b`` and ``B``, and verifies a client's
PASSWORD_CLAIM_SIGNATURE (constant-time comparison) with its TIMESTAMP within a skew
window. Randomness (``b``, the secret block) is drawn here unless injected; the math is
``_srp``'s.
"""

from __future__ import annotations

import secrets as _csprng
from datetime import datetime, timedelta

from . import _srp
from ._encoding import b64decode_lenient, from_java_bytes, parse_cognito_timestamp, parse_signed_hex, within_skew
from ._random import draw_ephemeral
from .exceptions import InvalidChallengeError, ValidationError, VerificationError
from .modexp import Backend, N, get_backend

__all__ = ["DEFAULT_SKEW", "SrpServer"]

#: How far a TIMESTAMP may be from the server's clock. The service's own window is not
#: published; five minutes is the usual allowance for signed requests.
DEFAULT_SKEW = timedelta(minutes=5)
_EPHEMERAL_BITS = 256  # b: 256 CSPRNG bits, a public length


class SrpServer:
    """One server-side SRP session for a stored verifier.

    ``pool``/``identity`` are the DeviceGroupKey/DeviceKey for a device, or the pool
    name/USER_ID_FOR_SRP for a user. ``salt`` and ``verifier`` are the bytes the client
    sent to ConfirmDevice (read as Java reads them: signed big-endian).
    """

    __slots__ = ("_b", "_backend", "_bits", "_v", "big_b", "identity", "pool", "salt", "secret_block")

    def __init__(
        self,
        *,
        pool: str,
        identity: str,
        salt: bytes,
        verifier: bytes,
        ephemeral: int | None = None,
        secret_block: bytes | None = None,
        backend: str | Backend | None = None,
    ) -> None:
        for name, value in (("pool", pool), ("identity", identity)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str")
        self.pool, self.identity = pool, identity
        self.salt = from_java_bytes(salt)
        self._v = from_java_bytes(verifier)
        if not 0 < self._v < N:
            raise ValidationError("verifier", "must be in 1..N-1")
        self._backend = get_backend(backend)
        self._bits: int | None = None
        if ephemeral is None:
            ephemeral = draw_ephemeral(_EPHEMERAL_BITS)
            self._bits = _EPHEMERAL_BITS
        elif isinstance(ephemeral, bool) or not isinstance(ephemeral, int) or ephemeral <= 0:
            raise ValidationError("ephemeral", "must be a positive int")
        self._b = ephemeral
        self.big_b = _srp.compute_b_public(v=self._v, b=ephemeral, backend=self._backend, b_bits=self._bits)
        self.secret_block = _csprng.token_bytes(64) if secret_block is None else bytes(secret_block)

    def __repr__(self) -> str:
        return f"SrpServer(pool={self.pool!r}, identity={self.identity!r})"

    @property
    def srp_b(self) -> str:
        """B as the service sends SRP_B: lower-case hex."""
        return format(self.big_b, "x")

    @property
    def salt_hex(self) -> str:
        """SALT as the service sends it: Java ``BigInteger.toString(16)`` (a '-' if negative)."""
        return format(self.salt, "x")

    def verify(
        self,
        *,
        srp_a: str,
        secret_block: str,
        timestamp: str,
        signature: str,
        now: datetime,
        skew: timedelta = DEFAULT_SKEW,
    ) -> None:
        """Raise unless ``signature`` proves the password for this verifier; return None if it does.

        Malformed input raises ValidationError naming the parameter; a wrong password,
        secret block or stale timestamp raises VerificationError.
        """
        big_a = parse_signed_hex(srp_a, "SRP_A")
        if big_a % N == 0:
            raise InvalidChallengeError("SRP_A", "A mod N is 0")
        block = b64decode_lenient(secret_block, "PASSWORD_CLAIM_SECRET_BLOCK")
        claimed = b64decode_lenient(signature, "PASSWORD_CLAIM_SIGNATURE")
        stamp = parse_cognito_timestamp(timestamp)
        if not _srp.bytes_eq(block, self.secret_block):
            raise VerificationError("the secret block is not the one this session issued")
        u = _srp.compute_u(big_a=big_a, big_b=self.big_b)
        s = _srp.compute_s_server(big_a=big_a, v=self._v, u=u, b=self._b, backend=self._backend, b_bits=self._bits)
        key = _srp.derive_key(s=s, u=u)
        expected = _srp.claim_signature(
            key, pool=self.pool, identity=self.identity, secret_block=block, timestamp=timestamp
        )
        if not _srp.bytes_eq(b64decode_lenient(expected, "expected"), claimed):
            raise VerificationError("Incorrect username or password.")
        if not within_skew(stamp, now, skew):
            raise VerificationError("TIMESTAMP is outside the allowed clock skew")
