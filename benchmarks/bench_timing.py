"""A dudect-style timing test of the native engine: does its time depend on the secret?

For each kernel and operation, two classes of inputs are timed in a random interleaving:
a fixed exponent (all zero bits: what a leaky implementation would skip fastest) against
fresh random exponents. Welch's t statistic over the two samples (after cropping the
slowest 10% of each, as dudect does, to drop interrupts) says whether the classes differ:
|t| < 4.5 is dudect's "no leak detected". The inputs are made before timing, and each
call gets bytes of the same length, so only the values differ. Reported in the benchmark
summary; the run fails above 4.5 with --bench-full and above twice that in short mode.
"""

from __future__ import annotations

import math
import random
import secrets
import time
from collections.abc import Callable

import pytest

from srp_device import modexp
from srp_device.modexp import N

from .conftest import TIMING, TimingResult

LIMIT = 4.5


def welch_t(a: list[int], b: list[int]) -> float:
    """t = (mean_a - mean_b) / sqrt(var_a / n_a + var_b / n_b)."""

    def stats(x: list[int]) -> tuple[float, float]:
        m = sum(x) / len(x)
        return m, sum((v - m) ** 2 for v in x) / (len(x) - 1)

    (ma, va), (mb, vb) = stats(a), stats(b)
    return (ma - mb) / math.sqrt(va / len(a) + vb / len(b))


def crop(x: list[int], keep: float = 0.9) -> list[int]:
    return sorted(x)[: int(len(x) * keep)]


def measure(call: Callable[[bytes], object], fixed: bytes, nbytes: int, samples: int) -> tuple[float, float, float]:
    """(t, median ns of the fixed class, median ns of the random class)."""
    rng = random.Random(20261123)
    plan = [rng.random() < 0.5 for _ in range(samples)]
    inputs = [fixed if is_fixed else secrets.token_bytes(nbytes) for is_fixed in plan]
    for e in inputs[:50]:  # warm up
        call(e)
    fixed_t: list[int] = []
    random_t: list[int] = []
    clock = time.perf_counter_ns
    for is_fixed, e in zip(plan, inputs, strict=True):
        start = clock()
        call(e)
        elapsed = clock() - start
        (fixed_t if is_fixed else random_t).append(elapsed)
    t = welch_t(crop(fixed_t), crop(random_t))
    return t, sorted(fixed_t)[len(fixed_t) // 2], sorted(random_t)[len(random_t) // 2]


@pytest.mark.parametrize("kernel", modexp.available_kernels())
@pytest.mark.parametrize("operation", ["powg 256-bit (comb)", "powb 513-bit (window)"])
def test_time_does_not_depend_on_the_exponent(kernel: str, operation: str, full: bool) -> None:
    native = modexp._native_module()
    native.prepare(kernel)
    base = (N // 7).to_bytes(384, "little")
    if operation.startswith("powg"):
        nbytes, bits = 32, 256

        def call(e: bytes) -> object:
            return native.powg(kernel, e, bits)

    else:
        nbytes, bits = 65, 513

        def call(e: bytes) -> object:
            return native.powb(kernel, base, e, bits)

    samples = (20000 if full else 3000) if operation.startswith("powg") else (4000 if full else 600)
    if kernel == "portable":
        samples //= 2
    t, fixed_ns, random_ns = measure(call, bytes(nbytes), nbytes, samples)
    TIMING.append(TimingResult(kernel, operation, samples, t, fixed_ns, random_ns))
    limit = LIMIT if full else 2 * LIMIT
    assert abs(t) < limit, f"{kernel} {operation}: |t| = {abs(t):.1f} >= {limit}"
