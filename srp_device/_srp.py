"""Cognito's SRP-6a, one pure function per formula.

No clock, no randomness, no I/O: every input is an argument, so known-answer vectors
can drive each formula directly. The user flow and the device flow are one algorithm:
P (the "pool") is the pool name or the DeviceGroupKey, I (the "identity") is
USER_ID_FOR_SRP or the DeviceKey.

H is SHA-256; pad is Java's ``BigInteger.toByteArray()`` (see ``_encoding.pad``).
"""

from __future__ import annotations

import hashlib
import hmac as _stdlib_hmac

from ._encoding import b64, pad, utf8
from .exceptions import InvalidChallengeError, ValidationError
from .modexp import Backend, N, exponent_bits

__all__ = [
    "HASH_BITS",
    "HKDF_INFO",
    "G",
    "K",
    "N",
    "bytes_eq",
    "claim_signature",
    "compute_a_public",
    "compute_b_public",
    "compute_k",
    "compute_s_client",
    "compute_s_server",
    "compute_u",
    "compute_verifier",
    "compute_x",
    "derive_key",
    "identity_hash",
    "secret_hash",
]

G = 2
#: x and u are SHA-256 outputs: their length, declared to the backend, is public.
HASH_BITS = 256
HKDF_INFO = b"Caldera Derived Key"


def _h(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def compute_k(*, n: int = N, g: int = G) -> int:
    """k = H(pad(N) || pad(g)), read as an unsigned integer (not RFC 5054's PAD(g))."""
    return int.from_bytes(_h(pad(n), pad(g)), "big")


#: k = H(pad(N) || pad(g)) for Cognito's group.
K = compute_k()


def identity_hash(*, pool: str, identity: str, password: str) -> bytes:
    """H(UTF8(P || I || ":" || pw))."""
    # UTF-8 of a concatenation is the concatenation of the UTF-8s: each part is encoded on
    # its own, so that a malformed one is named (and a password never shown).
    return _h(utf8(pool, "pool"), utf8(identity, "identity"), b":", utf8(password, "password"))


def compute_x(*, salt: int, pool: str, identity: str, password: str) -> int:
    """x = H(pad(salt) || H(UTF8(P || I || ":" || pw)))."""
    return int.from_bytes(_h(pad(salt), identity_hash(pool=pool, identity=identity, password=password)), "big")


def compute_verifier(x: int, *, backend: Backend) -> int:
    """v = g^x mod N (x processed as the 256-bit hash it is)."""
    return backend.powg(x, bits=HASH_BITS)


def compute_a_public(a: int, *, backend: Backend, bits: int | None = None) -> int:
    """A = g^a mod N; A mod N = 0 is refused. ``bits``: a's public length bound."""
    big_a = backend.powg(a, bits=bits)
    if big_a % N == 0:  # pragma: no cover - impossible for a generator of a prime field
        raise ValidationError("ephemeral", "A mod N must not be 0")
    return big_a


def compute_u(*, big_a: int, big_b: int) -> int:
    """u = H(pad(A) || pad(B)); u = 0 is refused."""
    u = int.from_bytes(_h(pad(big_a), pad(big_b)), "big")
    if u == 0:
        raise InvalidChallengeError("SRP_B", "u = H(A, B) is 0")
    return u


def compute_s_client(
    *, big_b: int, x: int, a: int, u: int, backend: Backend, a_bits: int | None = None
) -> int:
    """S = (B - k*g^x)^(a + u*x) mod N, non-negative; B mod N = 0 is refused.

    The exponent a + u*x is processed at the fixed length max(a_bits, 512) + 1, where
    ``a_bits`` is a's public length bound (default: its 256-bit class).
    """
    if big_b % N == 0:
        raise InvalidChallengeError("SRP_B", "B mod N is 0")
    base = (big_b - K * backend.powg(x, bits=HASH_BITS)) % N
    bits = max(exponent_bits(a, a_bits), 2 * HASH_BITS) + 1
    return backend.powb(base, a + u * x, bits=bits)


def compute_b_public(*, v: int, b: int, backend: Backend, b_bits: int | None = None) -> int:
    """B = (k*v + g^b) mod N. ``b_bits``: b's public length bound."""
    return (K * v + backend.powg(b, bits=b_bits)) % N


def compute_s_server(*, big_a: int, v: int, u: int, b: int, backend: Backend, b_bits: int | None = None) -> int:
    """S = (A * v^u)^b mod N; A mod N = 0 is refused. ``b_bits``: b's public length bound."""
    if big_a % N == 0:
        raise InvalidChallengeError("SRP_A", "A mod N is 0")
    return backend.powb(big_a * backend.powb(v, u, bits=HASH_BITS) % N, b, bits=b_bits)


def derive_key(*, s: int, u: int) -> bytes:
    """key = HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key")[:16]."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=16, salt=pad(u), info=HKDF_INFO).derive(pad(s))


def _hmac_sha256(key: bytes, *parts: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes, hmac

    mac = hmac.HMAC(key, hashes.SHA256())
    for part in parts:
        mac.update(part)
    return mac.finalize()


def claim_signature(key: bytes, *, pool: str, identity: str, secret_block: bytes, timestamp: str) -> str:
    """b64(HMAC-SHA256(key, UTF8(P) || UTF8(I) || SECRET_BLOCK || UTF8(TIMESTAMP)))."""
    return b64(
        _hmac_sha256(key, utf8(pool, "pool"), utf8(identity, "identity"), secret_block, utf8(timestamp, "TIMESTAMP"))
    )


def secret_hash(*, client_secret: str, username: str, client_id: str) -> str:
    """SECRET_HASH = b64(HMAC-SHA256(UTF8(client_secret), UTF8(USERNAME || client_id)))."""
    return b64(
        _hmac_sha256(utf8(client_secret, "client_secret"), utf8(username, "username"), utf8(client_id, "client_id"))
    )


def bytes_eq(a: bytes, b: bytes) -> bool:
    """Constant-time equality of two byte strings (the one helper for comparing secrets)."""
    if not isinstance(a, bytes) or not isinstance(b, bytes):
        raise TypeError("bytes_eq compares bytes only")
    return _stdlib_hmac.compare_digest(a, b)
