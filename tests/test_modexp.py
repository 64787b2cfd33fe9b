"""Every backend and every native kernel equals pow; selection; fixed lengths; strict warnings."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import srp_device
from srp_device import BackendUnavailableError, DeviceSecrets, modexp
from srp_device.modexp import N

from .conftest import every_backend

Q = (N - 1) // 2
ALL_ONES = 2**3072 - 1
# Carry stress: limbs of all ones, alternating limbs, values just under and over N.
EDGE_BASES = [
    0, 1, 2, 3, N - 2, N - 1, N, N + 1, 2 * N + 5, 3**500,
    ALL_ONES, ALL_ONES - N, N - 2**64, sum(0xFFFFFFFFFFFFFFFF << (128 * i) for i in range(24)) % N,
    2**3071, 2**3071 - 1, 2**64 - 1, 2**2048 - 1,
]
EDGE_EXPONENTS = [
    0, 1, 2, 3, 31, 32, 255, 256, 257, 2**255, 2**256 - 1, 2**264 - 1, 2**264, 2**512 + 1, 2**513 - 1,
    Q - 1, Q, Q + 1, 3 * Q, N - 2, N - 1, N, N + 1, 2**3072 - 1, 2**8192 - 1, 2**8192, 2**9000 + 7,
]


def native_kernels() -> list[str]:
    return modexp.available_kernels()


@pytest.mark.parametrize("e", EDGE_EXPONENTS)
def test_powg_edges_equal_pow(backend: str, e: int) -> None:
    assert modexp.get_backend(backend).powg(e) == pow(2, e, N)


@pytest.mark.parametrize("base", EDGE_BASES)
@pytest.mark.parametrize("e", [0, 1, 2, 3, 31, 2**255 + 1, 2**513 - 1, Q, N - 1, N + 1, 2**8192 + 3])
def test_powb_edges_equal_pow(backend: str, base: int, e: int) -> None:
    assert modexp.get_backend(backend).powb(base, e) == pow(base, e, N)


@pytest.mark.parametrize("bits", [1, 5, 8, 255, 256, 257, 263, 264, 265, 513, 1024, 3072, 8192])
def test_declared_lengths_equal_pow(backend: str, bits: int) -> None:
    be = modexp.get_backend(backend)
    for e in (0, 1, 2 ** (bits - 1), 2**bits - 1, (2**bits - 1) // 3):
        assert be.powg(e, bits=bits) == pow(2, e, N), e
        assert be.powb(N - 5, e, bits=bits) == pow(N - 5, e, N), e


@given(base=st.integers(min_value=0, max_value=2 * N), e=st.integers(min_value=0, max_value=2**1400))
def test_every_backend_equals_pow(selected_backends: list[str], base: int, e: int) -> None:
    for name in selected_backends:
        be = modexp.get_backend(name)
        assert be.powb(base, e) == pow(base, e, N), name
        assert be.powg(e) == pow(2, e, N), name


@given(e=st.integers(min_value=0, max_value=2**256 - 1), base=st.integers(min_value=0, max_value=N - 1))
def test_kernels_agree_at_srp_lengths(e: int, base: int) -> None:
    """The lengths SRP uses (256-bit comb, 513-bit window), every kernel, against pow and each other."""
    outs = set()
    for kernel in native_kernels():
        be = modexp.get_backend(f"native:{kernel}")
        g, b = be.powg(e, bits=256), be.powb(base, e * e + e, bits=513)
        assert (g, b) == (pow(2, e, N), pow(base, e * e + e, N)), kernel
        outs.add((g, b))
    assert len(outs) <= 1


@pytest.mark.parametrize("kernel", native_kernels())
def test_an_exponent_longer_than_declared_is_refused(kernel: str) -> None:
    be = modexp.get_backend(f"native:{kernel}")
    with pytest.raises(ValueError, match="longer than its declared bits"):
        be.powg(2**256, bits=256)
    with pytest.raises(ValueError, match="bits must be positive"):
        be.powb(3, 1, bits=0)
    with pytest.raises(TypeError):
        be.powg(1, bits=1.5)  # type: ignore[arg-type]


def test_length_class_without_bits() -> None:
    assert modexp.exponent_bits(0, None) == 256
    assert modexp.exponent_bits(2**256 - 1, None) == 256
    assert modexp.exponent_bits(2**256, None) == 512
    assert modexp.exponent_bits(5, 3) == 3


def test_negative_and_non_int_exponents_are_refused(backend: str) -> None:
    be = modexp.get_backend(backend)
    with pytest.raises(ValueError):
        be.powg(-1)
    with pytest.raises(TypeError):
        be.powg(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        be.powb("2", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        be.powb(True, 3)


def test_native_is_the_constant_time_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    monkeypatch.delenv(modexp.KERNEL_ENV_VAR, raising=False)
    be = srp_device.get_backend()
    assert (be.name, be.constant_time, be.kernel) == ("native", True, native_kernels()[0])
    assert modexp.get_backend("python").constant_time is False
    assert modexp.get_backend("python").kernel is None


def test_kernel_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    for kernel in native_kernels():
        monkeypatch.setenv(modexp.KERNEL_ENV_VAR, kernel)
        assert srp_device.get_backend().kernel == kernel
        assert srp_device.get_backend("native").kernel == kernel
    monkeypatch.setenv(modexp.KERNEL_ENV_VAR, "no-such-kernel")
    with pytest.raises(BackendUnavailableError, match="no-such-kernel"):
        srp_device.get_backend()  # a forced kernel is never silently replaced by auto
    with pytest.raises(BackendUnavailableError, match="no-such-kernel"):
        DeviceSecrets.generate(device_key="us-east-1_a", device_group_key="-g")


def test_a_kernel_the_cpu_cannot_run_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    native = modexp._native_module()
    real = native.kernels()
    monkeypatch.setattr(native, "kernels", lambda: tuple((name, name == "portable") for name, _ in real))
    monkeypatch.setattr(modexp, "_runnable", None)
    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    monkeypatch.setenv(modexp.KERNEL_ENV_VAR, "mulx")
    with pytest.raises(BackendUnavailableError, match="this CPU cannot run the mulx kernel"):
        srp_device.get_backend()
    monkeypatch.delenv(modexp.KERNEL_ENV_VAR)
    assert srp_device.get_backend().kernel == "portable"  # the dispatch takes the best one that runs


def test_removed_backends_say_what_replaced_them() -> None:
    for name in ("openssl", "gmpy2-table"):
        with pytest.raises(BackendUnavailableError, match="'native'"):
            modexp.get_backend(name)


def test_keyword_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(modexp.ENV_VAR, "python")
    assert modexp.get_backend().name == "python"
    assert modexp.get_backend("native").name == "native"
    s = DeviceSecrets.from_parts(device_key="us-east-1_a", device_group_key="-g", device_password="p", salt=b"1")
    t = DeviceSecrets.from_parts(
        device_key="us-east-1_a", device_group_key="-g", device_password="p", salt=b"1", backend="native"
    )
    assert s == t


def test_environment_names_a_missing_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(modexp.ENV_VAR, "no-such-backend")
    with pytest.raises(BackendUnavailableError, match="no-such-backend"):
        DeviceSecrets.generate(device_key="us-east-1_a", device_group_key="-g")


def test_without_the_engine_auto_falls_back_visibly(monkeypatch: pytest.MonkeyPatch) -> None:
    """An install with no compiler: native is unavailable, auto takes gmpy2, else python, and says so."""
    monkeypatch.setitem(sys.modules, "srp_device._native", None)  # as if the extension were not built
    monkeypatch.setattr(modexp, "_runnable", None)
    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    monkeypatch.delenv(modexp.KERNEL_ENV_VAR, raising=False)
    with pytest.raises(BackendUnavailableError, match="C engine was not built"):
        modexp.get_backend("native")
    assert modexp.available_kernels() == []
    info = modexp.describe()
    assert info["native_built"] is False and "not built" in info["native_error"]
    assert info["backend"] == modexp.get_backend().name
    monkeypatch.setitem(sys.modules, "gmpy2", None)
    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    fallback = modexp.get_backend()
    assert (fallback.name, fallback.constant_time) == ("python", False)
    assert modexp.describe()["constant_time"] is False


def test_a_backend_that_fails_its_self_test_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(modexp._PythonBackend):
        def powg(self, e: int, *, bits: int | None = None) -> int:
            return super().powg(e) ^ 1

    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    monkeypatch.setattr(modexp, "_PythonBackend", Broken)
    with pytest.raises(BackendUnavailableError, match="self-test"):
        modexp.get_backend("python")


def test_backend_objects_pass_through() -> None:
    be = modexp.get_backend("python")
    assert modexp.get_backend(be) is be
    with pytest.raises(TypeError):
        modexp.get_backend(42)  # type: ignore[arg-type]


def test_native_engine_is_shared_by_threads() -> None:
    """One comb table per process, read by many threads at once, each result right."""
    exponents = [(2**i + 12345) * 0x9E3779B97F4A7C15 % 2**256 for i in range(0, 1200, 37)]
    results: dict[tuple[str, int], int] = {}
    barrier = threading.Barrier(8)
    kernels = native_kernels()

    def worker(k: int) -> None:
        barrier.wait()
        for kernel in kernels:
            be = modexp.get_backend(f"native:{kernel}")
            for e in exponents[k::8]:
                results[(kernel, e)] = be.powg(e, bits=256)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {(kernel, e): pow(2, e, N) for kernel in kernels for e in exponents}


def test_native_engine_input_checks() -> None:
    native = modexp._native_module()
    kernel = native_kernels()[0]
    with pytest.raises(ValueError, match="ceil"):
        native.powg(kernel, b"\x01\x02", 8)
    with pytest.raises(ValueError, match="ebits"):
        native.powg(kernel, b"", -1)
    with pytest.raises(ValueError, match="384"):
        native.powb(kernel, b"\x01", b"\x01", 8)
    with pytest.raises(ValueError, match="reduced"):
        native.powb(kernel, N.to_bytes(384, "little"), b"\x01", 8)
    with pytest.raises(LookupError):
        native.powg("no-such", b"\x01", 8)


def _run(code: str, *flags: str) -> str:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_import_is_light() -> None:
    code = (
        "import sys, srp_device; heavy = [m for m in ('gmpy2', 'srp_device._native', 'srp_device.api',"
        " 'srp_device.emulator', 'cryptography.hazmat.primitives.asymmetric.dh') if m in sys.modules]; print(heavy)"
    )
    assert _run(code) == "[]"


def test_no_finite_field_dh_anywhere() -> None:
    """The deprecated FFDH module is never imported, by any backend, through a whole sign-in."""
    code = textwrap.dedent(
        """
        import sys, srp_device
        for name in srp_device.available_backends():
            s = srp_device.DeviceSecrets.generate(device_key="us-east-1_a", device_group_key="-g", backend=name)
        print([m for m in sys.modules if m.endswith("asymmetric.dh") or "decrepit" in m])
        """
    )
    assert _run(code, "-W", "error") == "[]"


STRICT_USER_TEST = '''
from datetime import datetime, timezone

import srp_device


def test_a_device_signs_in() -> None:
    s = srp_device.DeviceSecrets.generate(device_key="us-east-1_0f1e", device_group_key="-nNwn", backend=BACKEND)
    server = srp_device.SrpServer(pool=s.device_group_key, identity=s.device_key, salt=s.salt,
                                  verifier=s.verifier, backend=BACKEND)
    auth = srp_device.DeviceAuth(s, "client", backend=BACKEND)
    now = datetime.now(timezone.utc)
    challenge = {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "Session": "s", "ChallengeParameters": {
        "SRP_B": server.srp_b, "SALT": server.salt_hex, "SECRET_BLOCK": "c2VjcmV0",
        "USERNAME": "u", "DEVICE_KEY": s.device_key}}
    server.secret_block = b"secret"
    answer = auth.respond_to_device_password_verifier(challenge, now=now)["ChallengeResponses"]
    server.verify(srp_a=auth.srp_a, secret_block=answer["PASSWORD_CLAIM_SECRET_BLOCK"],
                  timestamp=answer["TIMESTAMP"], signature=answer["PASSWORD_CLAIM_SIGNATURE"], now=now)
    assert srp_device.DeviceSecrets.generate_many([("us-east-1_ab", "-g")] * 4, workers=2, backend=BACKEND)
'''


@pytest.mark.parametrize("name", every_backend())
def test_a_users_strict_warnings_suite_passes(tmp_path: Path, name: str) -> None:
    """pytest with filterwarnings = error over a user's test file: no warning, no error, any backend."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings =\n    error\n", encoding="utf-8")
    (tmp_path / "test_user.py").write_text(f"BACKEND = {name!r}\n" + STRICT_USER_TEST, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout and "warning" not in proc.stdout.lower()


# ---- generate_many ----------------------------------------------------------------------


def test_generate_many_keeps_order_and_reports_progress() -> None:
    pairs = [(f"us-east-1_{i:04x}", f"-group{i % 3}") for i in range(150)]
    seen: list[tuple[int, int]] = []
    caller = threading.get_ident()
    threads: set[int] = set()

    def progress(done: int, total: int) -> None:
        threads.add(threading.get_ident())
        seen.append((done, total))

    out = DeviceSecrets.generate_many(pairs, workers=2, chunk_size=16, progress=progress)
    assert [(s.device_key, s.device_group_key) for s in out] == pairs
    assert len({s.device_password for s in out}) == 150
    assert seen[-1] == (150, 150) and all(t == 150 for _, t in seen) and len(seen) == 10
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert threads == {caller}  # progress runs in the calling thread
    for s in out[:5]:
        again = DeviceSecrets.from_parts(
            device_key=s.device_key, device_group_key=s.device_group_key, device_password=s.device_password, salt=s.salt
        )
        assert again == s


def test_generate_many_in_process(backend: str) -> None:
    out = DeviceSecrets.generate_many([("us-east-1_ab", "-g")] * 3, workers=1, backend=backend)
    assert len(out) == 3 and len({s.verifier for s in out}) == 3


def test_generate_many_validates_before_starting() -> None:
    with pytest.raises(ValueError, match="device_key"):
        DeviceSecrets.generate_many([("us-east-1_ab", "-g"), ("bad", "-g")])
    with pytest.raises(ValueError, match="workers"):
        DeviceSecrets.generate_many([("us-east-1_ab", "-g")], workers=0)
    with pytest.raises(ValueError, match="chunk_size"):
        DeviceSecrets.generate_many([("us-east-1_ab", "-g")], chunk_size=0)
    with pytest.raises(TypeError):
        DeviceSecrets.generate_many(["us-east-1_ab"])  # type: ignore[list-item]
    assert DeviceSecrets.generate_many([]) == []


def test_generate_many_stops_on_a_failing_progress_callback() -> None:
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        DeviceSecrets.generate_many([("us-east-1_ab", "-g")] * 64, workers=1, chunk_size=4, progress=progress)
    assert len(calls) == 1


def test_generate_many_needs_no_main_guard(tmp_path: Path) -> None:
    """A script with no ``if __name__ == "__main__"`` guard, run as a file: threads, not processes."""
    script = tmp_path / "fleet.py"
    script.write_text(
        "import srp_device\n"
        "out = srp_device.DeviceSecrets.generate_many([('us-east-1_ab', '-g')] * 40, workers=2)\n"
        "print(len(out))\n",
        encoding="utf-8",
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout.strip()) == (0, "40"), proc.stderr
