"""Modular exponentiation in Cognito's 3072-bit group: the ONLY module that knows gmpy2 or OpenSSL.

Two operations, ints in and out, modulus always N:

* ``powg(e)``       = 2**e mod N (fixed base g = 2)
* ``powb(base, e)`` = base**e mod N

Backends, by name:

``"openssl"``
    OpenSSL's constant-time ``BN_mod_exp_mont_consttime``, reached through the
    finite-field Diffie-Hellman of ``cryptography``. The default when available.
``"gmpy2"``
    GMP's ``mpz_powm_sec`` (constant time), via ``gmpy2.powmod_sec``.
``"gmpy2-table"``
    Fastest: a fixed-window table of powers of g for ``powg`` and ``gmpy2.powmod`` for
    ``powb``. **Variable time**: opt in only where timing side channels do not matter.
``"python"``
    Built-in ``pow`` (variable time).

Which one is used: the ``backend=`` argument of the computing entry points, else the
``SRP_DEVICE_BACKEND`` environment variable, else ``"auto"`` (openssl, then gmpy2,
then python). A backend asked for by name that cannot be used raises
:class:`~srp_device.exceptions.BackendUnavailableError`; only auto falls back. Each
backend passes a known-answer self-test against ``pow`` the first time it is chosen.
Nothing here is imported before it is first needed.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import Any, Protocol, runtime_checkable

from .exceptions import BackendUnavailableError

__all__ = [
    "BACKEND_NAMES",
    "ENV_VAR",
    "Backend",
    "N",
    "available_backends",
    "get_backend",
    "precompute",
]

#: The 3072-bit MODP prime of RFC 3526 section 4 / RFC 5054 appendix A.
N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
_G = 2
_Q = (N - 1) // 2  # N is a safe prime: N = 2q + 1, q prime
ENV_VAR = "SRP_DEVICE_BACKEND"
BACKEND_NAMES = ("openssl", "gmpy2", "gmpy2-table", "python")
_AUTO_ORDER = ("openssl", "gmpy2", "python")

# cryptography >= 50 marks finite-field DH deprecated and warns on every object. We use
# it only as a constant-time modexp; the filter is installed once, here, at import,
# because warnings.catch_warnings is not thread-safe.
warnings.filterwarnings(
    "ignore",
    message=r"Diffie-Hellman over finite fields",
    module=r"srp_device\.modexp",
)


@runtime_checkable
class Backend(Protocol):
    """What every backend offers."""

    name: str
    constant_time: bool

    def powg(self, e: int) -> int:
        """powg(e) = g**e mod N."""

    def powb(self, base: int, e: int) -> int:
        """powb(base, e) = base**e mod N."""

    def precompute(self, exponent_bits: int) -> None:
        """Build whatever tables make powg fast for exponents of exponent_bits; idempotent."""


def _check_exponent(e: int) -> None:
    if isinstance(e, bool) or not isinstance(e, int):
        raise TypeError(f"exponent must be an int, not {type(e).__name__}")
    if e < 0:
        raise ValueError("exponent must be non-negative")


def _check_base(base: int) -> None:
    if isinstance(base, bool) or not isinstance(base, int):
        raise TypeError(f"base must be an int, not {type(base).__name__}")


class _PythonBackend:
    name = "python"
    constant_time = False

    def powg(self, e: int) -> int:
        _check_exponent(e)
        return pow(_G, e, N)

    def powb(self, base: int, e: int) -> int:
        _check_base(base)
        _check_exponent(e)
        return pow(base, e, N)

    def precompute(self, exponent_bits: int) -> None:
        return None


class _OpenSSLBackend:
    """base**e mod N as a DH shared secret: OpenSSL's DH_compute_key is constant time."""

    name = "openssl"
    constant_time = True

    def __init__(self) -> None:
        try:
            from cryptography.hazmat.primitives.asymmetric import dh
        except ImportError as exc:  # pragma: no cover - cryptography is a dependency
            raise BackendUnavailableError("openssl: cryptography is not importable") from exc
        if not hasattr(dh, "DHParameterNumbers"):  # pragma: no cover - FFDH removed
            raise BackendUnavailableError("openssl: this cryptography has no finite-field DH")
        self._dh = dh
        try:
            self._params = dh.DHParameterNumbers(N, _G)
            # The public value of our own key is never used by exchange(); any valid one does.
            self._dummy_public = dh.DHPublicNumbers(_G, self._params)
            self._g_public = dh.DHPublicNumbers(_G, self._params).public_key()
        except Exception as exc:  # pragma: no cover - depends on the OpenSSL build
            raise BackendUnavailableError(f"openssl: finite-field DH unusable ({type(exc).__name__})") from exc

    def _exchange(self, public: Any, e: int) -> int:
        private = self._dh.DHPrivateNumbers(e, self._dummy_public).private_key()
        return int.from_bytes(private.exchange(public), "big")

    # OpenSSL refuses (and cryptography panics on) a zero exponent and a shared secret of
    # 1 or N-1. N = 2q + 1 with q prime and 2 of order q, so reducing the exponent (mod q
    # for g, mod N-1 otherwise) and answering base in {0, 1, N-1} and e = q directly leaves
    # only exponents for which the result is never 1 or N-1.
    def powg(self, e: int) -> int:
        _check_exponent(e)
        if e >= _Q:
            e %= _Q
        if e == 0:
            return 1
        return self._exchange(self._g_public, e)

    def powb(self, base: int, e: int) -> int:
        _check_base(base)
        _check_exponent(e)
        base %= N
        if base < 2:
            return base if e else 1
        if e >= N - 1:
            e %= N - 1  # Fermat: base**(N-1) = 1
        if e == 0:
            return 1
        if base == N - 1 or e == _Q:
            return pow(base, e, N)  # the result is 1 or N-1: public by construction
        public = self._dh.DHPublicNumbers(base, self._params).public_key()
        return self._exchange(public, e)

    def precompute(self, exponent_bits: int) -> None:
        return None


class _Gmpy2Backend:
    name = "gmpy2"
    constant_time = True

    def __init__(self) -> None:
        try:
            import gmpy2
        except ImportError as exc:
            raise BackendUnavailableError("gmpy2: install the extra 'srp-device[gmpy2]'") from exc
        if not hasattr(gmpy2, "powmod_sec"):
            raise BackendUnavailableError("gmpy2: version 2.1.3 or newer is needed (powmod_sec)")
        self._gmpy2 = gmpy2
        self._n = gmpy2.mpz(N)

    def powg(self, e: int) -> int:
        return self.powb(_G, e)

    def powb(self, base: int, e: int) -> int:
        _check_base(base)
        _check_exponent(e)
        if e == 0:  # mpz_powm_sec needs a positive exponent
            return 1
        return int(self._gmpy2.powmod_sec(base % N, e, self._n))

    def precompute(self, exponent_bits: int) -> None:
        return None


class _Gmpy2TableBackend:
    """Fixed-window (w = 8) table of g**(j * 256**i) mod N; variable time.

    Row i holds the 256 powers g**(j * 256**i), so g**e is the product of one entry per
    byte of e: about 32 multiplications for a 256-bit exponent. Rows are added lazily
    (under a lock, once per process) as larger exponents are seen; 36 rows (enough for
    288-bit exponents) take about 3.5 MB.
    """

    name = "gmpy2-table"
    constant_time = False
    _WINDOW = 8

    def __init__(self) -> None:
        try:
            import gmpy2
        except ImportError as exc:
            raise BackendUnavailableError("gmpy2-table: install the extra 'srp-device[gmpy2]'") from exc
        self._gmpy2 = gmpy2
        self._n = gmpy2.mpz(N)
        self._rows: list[list[Any]] = []
        self._lock = threading.Lock()

    def precompute(self, exponent_bits: int) -> None:
        want = -(-max(exponent_bits, 1) // self._WINDOW)
        if len(self._rows) >= want:
            return
        with self._lock:
            mpz, n = self._gmpy2.mpz, self._n
            rows = list(self._rows)
            while len(rows) < want:
                # first entry of the new row: g**(256**i) = (g**(256**(i-1)))**256
                step = mpz(_G) if not rows else self._gmpy2.powmod(rows[-1][1], 256, n)
                row = [mpz(1), step]
                for _ in range(254):
                    row.append(row[-1] * step % n)
                rows.append(row)
            self._rows = rows  # publish the longer list in one assignment

    def powg(self, e: int) -> int:
        _check_exponent(e)
        nbytes = (e.bit_length() + 7) // 8
        if nbytes > len(self._rows):
            self.precompute(max(nbytes * 8, 288))
        rows, n = self._rows, self._n
        acc = self._gmpy2.mpz(1)
        for i, byte in enumerate(e.to_bytes(nbytes, "little")):
            if byte:
                acc = acc * rows[i][byte] % n
        return int(acc)

    def powb(self, base: int, e: int) -> int:
        _check_base(base)
        _check_exponent(e)
        return int(self._gmpy2.powmod(base, e, self._n))


_FACTORIES: dict[str, type] = {
    "openssl": _OpenSSLBackend,
    "gmpy2": _Gmpy2Backend,
    "gmpy2-table": _Gmpy2TableBackend,
    "python": _PythonBackend,
}
_cache: dict[str, Backend] = {}
_failed: dict[str, BackendUnavailableError] = {}
_lock = threading.Lock()


def _self_test(backend: Backend) -> None:
    """Known answers against the built-in pow; a backend that fails is unusable."""
    e = 0xC3A5C85C97CB3127B6AE4F1ED5A0F4E7  # a fixed 128-bit exponent
    b = N // 3
    checks = (
        backend.powg(e) == pow(_G, e, N),
        backend.powb(b, e) == pow(b, e, N),
        backend.powg(0) == 1,
        backend.powb(N - 1, 3) == N - 1,
        backend.powb(0, 5) == 0,
    )
    if not all(checks):
        raise BackendUnavailableError(f"{backend.name}: failed its known-answer self-test")


def _load(name: str) -> Backend:
    with _lock:
        if name in _cache:
            return _cache[name]
        if name in _failed:
            raise _failed[name]
        try:
            backend: Backend = _FACTORIES[name]()
            _self_test(backend)
        except BackendUnavailableError as exc:
            _failed[name] = exc
            raise
        _cache[name] = backend
        return backend


def get_backend(backend: str | Backend | None = None) -> Backend:
    """The backend to use: ``backend`` if given, else ``$SRP_DEVICE_BACKEND``, else auto.

    ``backend`` may be a name from :data:`BACKEND_NAMES`, ``"auto"``, or an object that
    implements :class:`Backend` (used as it is).
    """
    if backend is not None and not isinstance(backend, str):
        if isinstance(backend, Backend):
            return backend
        raise TypeError(f"backend must be a name or a Backend, not {type(backend).__name__}")
    name = backend if backend is not None else (os.environ.get(ENV_VAR) or "auto")
    name = name.strip().lower()
    if name == "auto":
        for candidate in _AUTO_ORDER:
            try:
                return _load(candidate)
            except BackendUnavailableError:
                continue
        raise BackendUnavailableError("no backend is usable")  # pragma: no cover - python always is
    if name not in _FACTORIES:
        raise BackendUnavailableError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)} or 'auto'")
    return _load(name)


def available_backends() -> list[str]:
    """Names of the backends that load and pass their self-test on this machine."""
    names = []
    for name in BACKEND_NAMES:
        try:
            _load(name)
        except BackendUnavailableError:
            continue
        names.append(name)
    return names


def precompute(*, backend: str | Backend | None = None, exponent_bits: int = 288) -> Backend:
    """Build the chosen backend's tables now (a no-op for table-less backends); returns it.

    Useful before bulk work, and before forking workers, so that every worker shares one
    table instead of building its own.
    """
    chosen = get_backend(backend)
    chosen.precompute(exponent_bits)
    return chosen
