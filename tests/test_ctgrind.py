"""ctgrind: the C engine under valgrind memcheck, with its secrets marked undefined.

A real compiler build of the engine (the flags setup.py uses) plus tests/ctgrind/driver.c.
Memcheck flags any branch or memory index that depends on the secret exponent or base;
the driver's deliberately leaky modes prove that it would. Skipped only where gcc or
valgrind is missing, and never in CI (CI=true turns that skip into a failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from srp_device.modexp import available_kernels

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "srp_device" / "_engine"
DRIVER = ROOT / "tests" / "ctgrind" / "driver.c"
# The kernels valgrind can run (it cannot decode AVX-512, so not ifma).
KERNELS = ("portable", "mulx")


def _tools_or_skip() -> None:
    missing = [t for t in ("gcc", "valgrind") if shutil.which(t) is None]
    if not missing and not Path("/usr/include/valgrind/memcheck.h").exists():
        missing.append("valgrind/memcheck.h")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"ctgrind needs {', '.join(missing)} in CI")
        pytest.skip(f"ctgrind needs {', '.join(missing)}")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _tools_or_skip()
    out = tmp_path_factory.mktemp("ctgrind") / "driver"
    sources = [str(DRIVER), *(str(p) for p in sorted(ENGINE.glob("*.c")) if p.name != "module.c")]
    subprocess.run(["gcc", "-O3", "-g", "-Wall", "-Wextra", f"-I{ENGINE}", *sources, "-o", str(out)], check=True)
    return out


def _memcheck(driver: Path, kernel: str, mode: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if kernel in available_kernels():
        env["SRP_CTGRIND_FORCE"] = "1"  # valgrind's virtual CPU hides ADX; the real one has it
    return subprocess.run(
        ["valgrind", "-q", "--error-exitcode=99", str(driver), kernel, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _runnable(kernel: str) -> None:
    if kernel not in available_kernels():
        pytest.skip(f"this CPU cannot run the {kernel} kernel")


@pytest.mark.parametrize("kernel", KERNELS)
def test_engine_is_clean_with_secrets_undefined(driver: Path, kernel: str) -> None:
    _runnable(kernel)
    proc = _memcheck(driver, kernel, "clean")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and f"{kernel} clean rc=0" in proc.stdout


@pytest.mark.parametrize("mode", ["leaky-branch", "leaky-index"])
def test_ctgrind_flags_a_deliberate_leak(driver: Path, mode: str) -> None:
    proc = _memcheck(driver, "portable", mode)
    assert proc.returncode == 99, proc.stdout + proc.stderr
    assert "uninitialised" in proc.stderr


def test_kernels_agree_under_valgrind(driver: Path) -> None:
    checks = {k: _memcheck(driver, k, "clean").stdout.split("check=")[-1] for k in KERNELS if k in available_kernels()}
    assert len(set(checks.values())) == 1, checks
