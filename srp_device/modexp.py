"""Modular exponentiation in Cognito's 3072-bit group: the ONLY module that knows which backends exist.

Two operations, ints in and out, modulus always N:

* ``powg(e, bits=...)``       = 2**e mod N (fixed base g = 2)
* ``powb(base, e, bits=...)`` = base**e mod N

Backends, by name:

``"native"``
    srp_device's own C engine (``srp_device._native``), built by ``pip install``.
    Constant time, exponent length included: a fixed-base comb for ``powg`` and a fixed
    window for ``powb``, masked full-scan table reads, a branch-free final subtraction.
    It releases the GIL while it computes. Its arithmetic comes in kernels, chosen at run
    time from the CPU's features (best first): ``ifma`` (AVX-512 IFMA), ``mulx`` (x86-64
    BMI2 + ADX) and ``portable`` (any CPU). ``$SRP_DEVICE_KERNEL`` or the name
    ``"native:KERNEL"`` forces one. The default.
``"gmpy2"``
    GMP's ``mpz_powm_sec`` (constant time, but the exponent's bit length shows), via
    ``gmpy2.powmod_sec``: the constant-time fallback where the C engine was not built.
``"python"``
    Built-in ``pow``: **variable time**. The fallback of last resort, and the reference.

Which one is used: the ``backend=`` argument of the computing entry points, else the
``SRP_DEVICE_BACKEND`` environment variable, else ``"auto"`` (native, then gmpy2, then
python). A backend asked for by name that cannot be used raises
:class:`~srp_device.exceptions.BackendUnavailableError`; only auto falls back, and
``get_backend().constant_time`` (and ``srp-device info``) tells when it fell back to a
variable-time one. Each backend passes a known-answer self-test against ``pow`` the first
time it is chosen.

LEAKAGE CONTRACT of the native backend. ``bits`` is the exponent's declared length, a
public upper bound: the engine processes exactly that many bits, so its timing may leak
``bits``, never the exponent's value or its actual bit length, nor the base. Without
``bits`` the length is the smallest multiple of 256 that holds the exponent (that class
is what shows). Above the engine, CPython's integers are variable-size: turning a secret
int into the engine's fixed-length bytes takes time in proportion to its count of 30-bit
digits, which shows whether its top digit is zero (about 2**-16 for a random 256-bit
value); reducing a base not already below N, and exponents over 8192 bits (reduced mod
the group order first), use CPython's variable-time arithmetic.
"""

from __future__ import annotations

import importlib
import os
import platform
import threading
from typing import Any, Protocol, runtime_checkable

from .exceptions import BackendUnavailableError

__all__ = [
    "BACKEND_NAMES",
    "ENV_VAR",
    "KERNEL_ENV_VAR",
    "Backend",
    "N",
    "available_backends",
    "available_kernels",
    "describe",
    "exponent_bits",
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
_Q = (N - 1) // 2  # N is a safe prime: N = 2q + 1, q prime, and 2 has order q
#: The environment variable that names the backend when ``backend=`` is not given.
ENV_VAR = "SRP_DEVICE_BACKEND"
#: The environment variable that forces a kernel of the native engine.
KERNEL_ENV_VAR = "SRP_DEVICE_KERNEL"
#: The backends, in the order auto tries them.
BACKEND_NAMES = ("native", "gmpy2", "python")
_AUTO_ORDER = BACKEND_NAMES
_REMOVED = {
    "openssl": "the openssl backend (cryptography's deprecated finite-field DH) was removed; 'native' replaces it",
    "gmpy2-table": "the variable-time gmpy2-table backend was removed; 'native' is faster and constant time",
}
#: The length class of an exponent given without ``bits``.
_LENGTH_CLASS = 256
#: The longest exponent the engine takes; longer ones are first reduced mod the order.
_MAX_EBITS = 8192


@runtime_checkable
class Backend(Protocol):
    """What every backend offers."""

    name: str
    constant_time: bool
    #: the native engine's kernel ("ifma", "mulx", "portable"); None for other backends
    kernel: str | None

    def powg(self, e: int, *, bits: int | None = None) -> int:
        """powg(e) = g**e mod N; ``bits`` is a public bound on e's length."""

    def powb(self, base: int, e: int, *, bits: int | None = None) -> int:
        """powb(base, e) = base**e mod N; ``bits`` is a public bound on e's length."""

    def precompute(self, exponent_bits: int) -> None:
        """Build whatever tables make powg fast; idempotent."""


def _check_exponent(e: int) -> None:
    if isinstance(e, bool) or not isinstance(e, int):
        raise TypeError(f"exponent must be an int, not {type(e).__name__}")
    if e < 0:
        raise ValueError("exponent must be non-negative")


def _check_base(base: int) -> None:
    if isinstance(base, bool) or not isinstance(base, int):
        raise TypeError(f"base must be an int, not {type(base).__name__}")


def exponent_bits(e: int, bits: int | None) -> int:
    """The length at which ``e`` is processed: ``bits`` if given (checked), else its 256-bit class."""
    if bits is None:
        return max(_LENGTH_CLASS, -(-e.bit_length() // _LENGTH_CLASS) * _LENGTH_CLASS)
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise TypeError(f"bits must be an int, not {type(bits).__name__}")
    if bits < 1:
        raise ValueError("bits must be positive")
    if e >> bits:
        raise ValueError("the exponent is longer than its declared bits")
    return bits


def _fixed_length(e: int, bits: int | None, order: int) -> tuple[int, int]:
    """(e, length) for the engine; over its longest, e is reduced mod a multiple of the base's order."""
    n = exponent_bits(e, bits)
    if n > _MAX_EBITS:
        e %= order  # variable time, and only for exponents far longer than any SRP value
        n = order.bit_length()
    return e, n


class _PythonBackend:
    name = "python"
    constant_time = False
    kernel: str | None = None

    def powg(self, e: int, *, bits: int | None = None) -> int:
        _check_exponent(e)
        return pow(_G, e, N)

    def powb(self, base: int, e: int, *, bits: int | None = None) -> int:
        _check_base(base)
        _check_exponent(e)
        return pow(base, e, N)

    def precompute(self, exponent_bits: int) -> None:
        return None


class _Gmpy2Backend:
    name = "gmpy2"
    constant_time = True
    kernel: str | None = None

    def __init__(self) -> None:
        try:
            import gmpy2
        except ImportError as exc:
            raise BackendUnavailableError("gmpy2: install the extra 'srp-device[gmpy2]'") from exc
        if not hasattr(gmpy2, "powmod_sec"):
            raise BackendUnavailableError("gmpy2: version 2.1.3 or newer is needed (powmod_sec)")
        self._gmpy2 = gmpy2
        self._n = gmpy2.mpz(N)

    def powg(self, e: int, *, bits: int | None = None) -> int:
        return self.powb(_G, e, bits=bits)

    def powb(self, base: int, e: int, *, bits: int | None = None) -> int:
        _check_base(base)
        _check_exponent(e)
        if e == 0:  # mpz_powm_sec needs a positive exponent
            return 1
        return int(self._gmpy2.powmod_sec(base % N, e, self._n))

    def precompute(self, exponent_bits: int) -> None:
        return None


def _native_module() -> Any:
    try:
        native = importlib.import_module("srp_device._native")
    except ImportError as exc:
        raise BackendUnavailableError(
            "native: the C engine was not built (no C compiler when srp-device was installed?)"
        ) from exc
    return native


_runnable: list[str] | None = None  # the CPU does not change: asked once (CPUID is slow in a VM)


def available_kernels() -> list[str]:
    """The native engine's kernels this machine can run, best first ([] without the engine)."""
    global _runnable
    if _runnable is None:
        try:
            native = _native_module()
        except BackendUnavailableError:
            return []
        _runnable = [name for name, runs in native.kernels() if runs]
    return list(_runnable)


class _NativeBackend:
    """srp_device's C engine with one kernel; constant time (see the module's leakage contract)."""

    name = "native"
    constant_time = True

    def __init__(self, kernel: str) -> None:
        native = _native_module()
        kernels = dict(native.kernels())
        if kernel not in kernels:
            raise BackendUnavailableError(f"native: no kernel {kernel!r} in this build (it has {', '.join(kernels)})")
        if not kernels[kernel]:
            raise BackendUnavailableError(f"native: this CPU cannot run the {kernel} kernel")
        native.prepare(kernel)  # the kernel's constants and its comb table, once per process
        self._native = native
        self.kernel: str | None = kernel
        self._kernel = kernel

    def powg(self, e: int, *, bits: int | None = None) -> int:
        _check_exponent(e)
        e, n = _fixed_length(e, bits, _Q)
        out = self._native.powg(self._kernel, e.to_bytes((n + 7) // 8, "little"), n)
        return int.from_bytes(out, "little")

    def powb(self, base: int, e: int, *, bits: int | None = None) -> int:
        _check_base(base)
        _check_exponent(e)
        if not 0 <= base < N:
            base %= N
        e, n = _fixed_length(e, bits, N - 1)
        out = self._native.powb(self._kernel, base.to_bytes(384, "little"), e.to_bytes((n + 7) // 8, "little"), n)
        return int.from_bytes(out, "little")

    def precompute(self, exponent_bits: int) -> None:
        return None  # the comb table was built when the backend was loaded


_BUILTIN = (_NativeBackend, _Gmpy2Backend, _PythonBackend)
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
        backend.powb(b, e + (1 << 600)) == pow(b, e + (1 << 600), N),
        backend.powg(0) == 1,
        backend.powb(N - 1, 3) == N - 1,
        backend.powb(0, 5) == 0,
    )
    if not all(checks):
        raise BackendUnavailableError(f"{backend.name}: failed its known-answer self-test")


def _make(key: str) -> Backend:
    if key.startswith("native:"):
        return _NativeBackend(key.partition(":")[2])
    if key == "gmpy2":
        return _Gmpy2Backend()
    if key == "python":
        return _PythonBackend()
    raise BackendUnavailableError(f"unknown backend {key!r}")  # pragma: no cover - keys are checked first


def _load(key: str) -> Backend:
    with _lock:
        if key in _cache:
            return _cache[key]
        if key in _failed:
            raise _failed[key]
        try:
            backend = _make(key)
            _self_test(backend)
        except BackendUnavailableError as exc:
            _failed[key] = exc
            raise
        _cache[key] = backend
        return backend


def _key(name: str) -> str:
    """The cache key of a backend name: 'native' resolves to 'native:KERNEL'."""
    if name in _REMOVED:
        raise BackendUnavailableError(_REMOVED[name])
    if name == "native":
        forced = (os.environ.get(KERNEL_ENV_VAR) or "").strip().lower()
        if forced:
            return f"native:{forced}"
        kernels = available_kernels()
        if not kernels:
            _native_module()  # raises with the reason
            raise BackendUnavailableError("native: no kernel can run here")  # pragma: no cover
        return f"native:{kernels[0]}"
    if name.startswith("native:") or name in BACKEND_NAMES:
        return name
    raise BackendUnavailableError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)} or 'auto'")


def get_backend(backend: str | Backend | None = None) -> Backend:
    """The backend to use: ``backend`` if given, else ``$SRP_DEVICE_BACKEND``, else auto.

    ``backend`` may be a name from :data:`~srp_device.modexp.BACKEND_NAMES`,
    ``"native:KERNEL"``, ``"auto"``, or an object that implements
    :class:`~srp_device.modexp.Backend` (used as it is).
    """
    if backend is not None and not isinstance(backend, str):
        if isinstance(backend, _BUILTIN) or isinstance(backend, Backend):  # the first test is fast
            return backend
        raise TypeError(f"backend must be a name or a Backend, not {type(backend).__name__}")
    name = backend if backend is not None else (os.environ.get(ENV_VAR) or "auto")
    name = name.strip().lower()
    if name == "auto":
        if (os.environ.get(KERNEL_ENV_VAR) or "").strip():
            return _load(_key("native"))  # a forced kernel is never silently replaced
        for candidate in _AUTO_ORDER:
            try:
                return _load(_key(candidate))
            except BackendUnavailableError:
                continue
        raise BackendUnavailableError("no backend is usable")  # pragma: no cover - python always is
    return _load(_key(name))


def available_backends() -> list[str]:
    """Names of the backends that load and pass their self-test on this machine."""
    names = []
    for name in BACKEND_NAMES:
        try:
            _load(_key(name))
        except BackendUnavailableError:
            continue
        names.append(name)
    return names


def precompute(*, backend: str | Backend | None = None, exponent_bits: int = 288) -> Backend:
    """Load the chosen backend and build its tables now (the native comb table); returns it."""
    chosen = get_backend(backend)
    chosen.precompute(exponent_bits)
    return chosen


def describe(backend: str | Backend | None = None) -> dict[str, Any]:
    """What ``srp-device info`` prints: the backend in use, its kernel, constant time or not, the machine."""
    chosen = get_backend(backend)
    try:
        cpu = dict(_native_module().cpu())
        built = [name for name, _ in _native_module().kernels()]
    except BackendUnavailableError as exc:
        cpu, built = {}, []
        native_error: str | None = str(exc)
    else:
        native_error = None
    return {
        "backend": chosen.name,
        "kernel": chosen.kernel,
        "constant_time": chosen.constant_time,
        "native_built": native_error is None,
        "native_error": native_error,
        "kernels_built": built,
        "kernels_runnable": available_kernels(),
        "cpu_features": sorted(k for k, v in cpu.items() if v),
        "machine": platform.machine(),
    }
