"""Every backend equals pow; selection order; lazy, thread-safe tables; a light import."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import srp_device
from srp_device import BackendUnavailableError, DeviceSecrets, modexp
from srp_device.modexp import N

EDGE_BASES = [0, 1, 2, N - 2, N - 1, N, N + 1, 2 * N + 5, 3**500]
EDGE_EXPONENTS = [0, 1, 2, 255, 256, 2**256 - 1, (N - 1) // 2, 3 * (N - 1) // 2, N - 1, N, N + 1, 2**3100 + 7]


@pytest.mark.parametrize("e", EDGE_EXPONENTS)
def test_powg_edges_equal_pow(backend: str, e: int) -> None:
    assert modexp.get_backend(backend).powg(e) == pow(2, e, N)


@pytest.mark.parametrize("base", EDGE_BASES)
@pytest.mark.parametrize("e", [0, 1, 2, 3, 2**255 + 1, (N - 1) // 2, N - 1, N + 1])
def test_powb_edges_equal_pow(backend: str, base: int, e: int) -> None:
    assert modexp.get_backend(backend).powb(base, e) == pow(base, e, N)


@given(base=st.integers(min_value=0, max_value=2 * N), e=st.integers(min_value=0, max_value=2**1400))
def test_every_backend_equals_pow(base: int, e: int) -> None:
    for name in modexp.available_backends():
        be = modexp.get_backend(name)
        assert be.powb(base, e) == pow(base, e, N), name
        assert be.powg(e) == pow(2, e, N), name


def test_negative_and_non_int_exponents_are_refused(backend: str) -> None:
    be = modexp.get_backend(backend)
    with pytest.raises(ValueError):
        be.powg(-1)
    with pytest.raises(TypeError):
        be.powg(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        be.powb("2", 3)  # type: ignore[arg-type]


def test_constant_time_flags() -> None:
    flags = {name: modexp.get_backend(name).constant_time for name in modexp.available_backends()}
    assert flags["python"] is False
    assert flags.get("openssl", True) is True
    assert flags.get("gmpy2", True) is True
    assert flags.get("gmpy2-table", False) is False


def test_auto_prefers_constant_time_openssl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    assert modexp.get_backend().name == "openssl"


def test_keyword_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(modexp.ENV_VAR, "python")
    assert modexp.get_backend().name == "python"
    assert modexp.get_backend("openssl").name == "openssl"
    s = DeviceSecrets.from_parts(device_key="us-east-1_a", device_group_key="-g", device_password="p", salt=b"1")
    t = DeviceSecrets.from_parts(
        device_key="us-east-1_a", device_group_key="-g", device_password="p", salt=b"1", backend="openssl"
    )
    assert s == t


def test_environment_names_a_missing_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(modexp.ENV_VAR, "no-such-backend")
    with pytest.raises(BackendUnavailableError, match="no-such-backend"):
        DeviceSecrets.generate(device_key="us-east-1_a", device_group_key="-g")


def test_named_missing_backend_raises_but_auto_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gmpy2", None)  # as if gmpy2 were not installed
    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    monkeypatch.setattr(modexp, "_AUTO_ORDER", ("gmpy2", "python"))
    with pytest.raises(BackendUnavailableError, match="gmpy2"):
        modexp.get_backend("gmpy2")
    with pytest.raises(BackendUnavailableError, match="gmpy2"):
        modexp.get_backend("gmpy2-table")
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    assert modexp.get_backend().name == "python"
    assert "gmpy2" not in modexp.available_backends()


def test_a_backend_that_fails_its_self_test_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(modexp._PythonBackend):
        name = "python"

        def powg(self, e: int) -> int:
            return super().powg(e) ^ 1

    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    monkeypatch.setitem(modexp._FACTORIES, "python", Broken)
    with pytest.raises(BackendUnavailableError, match="self-test"):
        modexp.get_backend("python")


def test_backend_objects_pass_through() -> None:
    be = modexp.get_backend("python")
    assert modexp.get_backend(be) is be
    with pytest.raises(TypeError):
        modexp.get_backend(42)  # type: ignore[arg-type]


def test_tables_are_built_once_thread_safely(backend: str) -> None:
    fresh = modexp._FACTORIES[backend]()
    exponents = [(2**i + 12345) * 0x9E3779B97F4A7C15 for i in range(0, 1200, 37)]
    results: dict[int, int] = {}
    barrier = threading.Barrier(8)

    def worker(k: int) -> None:
        barrier.wait()
        for e in exponents[k::8]:
            results[e] = fresh.powg(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {e: pow(2, e, N) for e in exponents}


def test_precompute_builds_tables_up_front() -> None:
    if "gmpy2-table" not in modexp.available_backends():
        assert srp_device.precompute(backend="python").name == "python"
        return
    table = modexp._Gmpy2TableBackend()
    assert table._rows == []
    table.precompute(288)
    assert len(table._rows) == 36
    assert srp_device.precompute(backend="gmpy2-table").name == "gmpy2-table"


def _run(code: str, *flags: str) -> str:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_import_is_light() -> None:
    code = (
        "import sys, srp_device; heavy = [m for m in ('gmpy2', 'cryptography.hazmat.primitives.asymmetric.dh',"
        " 'srp_device.api', 'srp_device.emulator') if m in sys.modules]; print(heavy)"
    )
    assert _run(code) == "[]"


def test_openssl_backend_emits_no_deprecation_warning_outside_pytest() -> None:
    code = "import srp_device.modexp as m; print(m.get_backend('openssl').powg(12345) == pow(2, 12345, m.N))"
    assert _run(code, "-W", "error") == "True"


# ---- generate_many ----------------------------------------------------------------------


def test_generate_many_keeps_order_and_reports_progress() -> None:
    pairs = [(f"us-east-1_{i:04x}", f"-group{i % 3}") for i in range(150)]
    seen: list[tuple[int, int]] = []
    out = DeviceSecrets.generate_many(pairs, workers=2, chunk_size=16, progress=lambda d, t: seen.append((d, t)))
    assert [(s.device_key, s.device_group_key) for s in out] == pairs
    assert len({s.device_password for s in out}) == 150
    assert seen[-1] == (150, 150) and all(t == 150 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
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
    with pytest.raises(TypeError):
        DeviceSecrets.generate_many(["us-east-1_ab"])  # type: ignore[list-item]
    assert DeviceSecrets.generate_many([]) == []


def test_openssl_backend_degrades_cleanly_without_ffdh(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a future cryptography drops finite-field DH, openssl is unavailable and auto falls back."""
    import types

    import cryptography.hazmat.primitives.asymmetric as asymmetric

    empty = types.ModuleType("dh")
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.dh", empty)
    monkeypatch.setattr(asymmetric, "dh", empty)
    monkeypatch.setattr(modexp, "_cache", {})
    monkeypatch.setattr(modexp, "_failed", {})
    monkeypatch.delenv(modexp.ENV_VAR, raising=False)
    with pytest.raises(BackendUnavailableError, match="openssl"):
        modexp.get_backend("openssl")
    assert modexp.get_backend().name in ("gmpy2", "python")
