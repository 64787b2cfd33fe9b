"""Real compiler builds of the engine, each variant checked against pow.

The same driver as ctgrind (tests/ctgrind/driver.c), built without valgrind: with gcc as
setup.py builds it, with the portable kernel's 32-bit multiply fallback (the path a
compiler without a 128-bit integer takes), with the x86 kernels compiled out, and with
clang. Each prints its inputs and outputs; every output must equal Python's pow.
Skipped only where the compiler is missing, never in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from srp_device.modexp import N, available_kernels

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "srp_device" / "_engine"
DRIVER = ROOT / "tests" / "ctgrind" / "driver.c"

VARIANTS = {
    "gcc": ("gcc", []),
    "gcc-mac32": ("gcc", ["-DSRP_FORCE_MAC32"]),
    "gcc-portable-only": ("gcc", ["-DSRP_NO_MULX", "-DSRP_NO_IFMA"]),
    "clang": ("clang", []),
}


def build(tmp_path: Path, variant: str) -> Path:
    compiler, flags = VARIANTS[variant]
    if shutil.which(compiler) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{compiler} is needed in CI")
        pytest.skip(f"{compiler} is not installed")
    out = tmp_path / f"driver-{variant}"
    sources = [str(DRIVER), *(str(p) for p in sorted(ENGINE.glob("*.c")) if p.name != "module.c")]
    subprocess.run(
        [compiler, "-O3", "-Wall", "-Wextra", "-Werror", "-DSRP_NO_VALGRIND", *flags, f"-I{ENGINE}", *sources,
         "-o", str(out)],
        check=True,
    )
    return out


def check_against_pow(stdout: str) -> int:
    """Every "OP EBITS E BASE OUT" line must satisfy OUT == BASE**E mod N; returns how many."""
    lines = [line.split() for line in stdout.splitlines() if line.startswith(("powg", "powb"))]
    for op, ebits, e, base, out in lines:
        e_int, base_int = int(e, 16), int(base, 16)
        assert e_int < 2 ** int(ebits)
        assert op != "powg" or base_int == 2
        assert int(out, 16) == pow(base_int, e_int, N), (op, ebits)
    return len(lines)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_build_variant_equals_pow(tmp_path: Path, variant: str) -> None:
    driver = build(tmp_path, variant)
    ran = []
    for kernel in ("ifma", "mulx", "portable"):
        proc = subprocess.run([str(driver), kernel, "clean"], capture_output=True, text=True, timeout=120)
        if proc.returncode == 77:
            assert variant == "gcc-portable-only" or kernel not in available_kernels(), kernel
            continue
        assert proc.returncode == 0, proc.stderr
        assert check_against_pow(proc.stdout) == 3
        ran.append(kernel)
    assert "portable" in ran
    if variant == "gcc-portable-only":
        assert ran == ["portable"]
