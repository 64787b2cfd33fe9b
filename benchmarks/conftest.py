"""Benchmarks: each measures srp_device against the plain reference in the same run.

``pytest benchmarks`` is the short mode CI runs: few rounds, and a failure only when a
ratio falls below half its goal (shared machines are noisy). ``--bench-full`` takes more
rounds and holds every ratio to its full goal. ``--ratio-table FILE`` writes the results
as the Markdown table README shows.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from srp_device import available_backends
from srp_device.modexp import available_kernels

VERIFIER = "device verifier (from_parts)"
CLIENT = "DEVICE_PASSWORD_VERIFIER client side"
BULK = "generate_many(2000), 2 threads vs 1"

#: reference-time / our-time goals, by (operation, backend); "native" is the default kernel
GOALS: dict[tuple[str, str], float] = {
    (VERIFIER, "native:ifma"): 55.0,
    (VERIFIER, "native:mulx"): 28.0,
    (VERIFIER, "native:portable"): 17.0,
    (CLIENT, "native:ifma"): 55.0,
    (CLIENT, "native:mulx"): 25.0,
    (CLIENT, "native:portable"): 12.0,
    (BULK, "native"): 1.7,
    ("device sign-in, both sides in process (ifma vs mulx)", "native:ifma"): 2.0,
}


def benchmark_backends() -> list[str]:
    """Every native kernel this machine runs, then the other constant-time backends."""
    out: list[str] = []
    for name in available_backends():
        if name == "native":
            out.extend(f"native:{k}" for k in available_kernels())
        elif name != "python":  # python is the reference itself
            out.append(name)
    return out


@dataclass
class Result:
    operation: str
    backend: str
    reference_s: float
    ours_s: float

    @property
    def ratio(self) -> float:
        return self.reference_s / self.ours_s


RESULTS: list[Result] = []


@dataclass
class TimingResult:
    kernel: str
    operation: str
    samples: int
    t: float
    fixed_ns: int
    random_ns: int


TIMING: list[TimingResult] = []
#: (kernel, operation, best seconds) of the engine called directly
FLOOR: list[tuple[str, str, float]] = []


def _timing_table() -> str:
    lines = [
        "| kernel | operation | samples | median, fixed e | median, random e | Welch t |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in TIMING:
        lines.append(
            f"| {r.kernel} | {r.operation} | {r.samples} | {r.fixed_ns / 1e3:.1f} us | {r.random_ns / 1e3:.1f} us "
            f"| {r.t:+.2f} |"
        )
    return "\n".join(lines)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-full", action="store_true", help="more rounds; hold ratios to their full goals")
    parser.addoption("--ratio-table", default=None, help="write the ratio table (Markdown) to this file")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        names = benchmark_backends()
        wanted = getattr(metafunc.function, "backends", None)
        if wanted is not None:
            names = [w for w in wanted if w in names or w in available_backends()]
        metafunc.parametrize("backend", names)


@pytest.fixture
def full(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--bench-full"))


def min_time(fn: Callable[[], Any], rounds: int, batch: int = 1) -> float:
    """Seconds per call: the fastest of ``rounds`` samples of ``batch`` calls in a row."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        best = min(best, (time.perf_counter() - start) / batch)
    return best


def compare(
    operation: str,
    backend: str,
    reference: Callable[[], Any],
    ours: Callable[[], Any],
    *,
    rounds: int,
    full: bool,
    batch: int = 1,
) -> Result:
    """Time both, interleaved, record the ratio, and hold it to the goal (half of it in short mode).

    Each sample of ``ours`` is ``batch`` calls in a row (steady state, as in bulk use);
    the slow reference is sampled one call at a time.
    """
    ref_t = ours_t = float("inf")
    for _ in range(rounds):
        ref_t = min(ref_t, min_time(reference, 1))
        ours_t = min(ours_t, min_time(ours, 1, batch))
    result = Result(operation, backend, ref_t, ours_t)
    RESULTS.append(result)
    goal = GOALS.get((operation, backend))
    if goal is not None:
        floor = goal if full else goal / 2
        assert result.ratio >= floor, f"{operation} [{backend}]: {result.ratio:.1f}x < {floor:.2f}x"
    return result


def _table() -> str:
    lines = [
        "| operation | backend | reference | srp_device | ratio | goal |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in RESULTS:
        goal = GOALS.get((r.operation, r.backend))
        lines.append(
            f"| {r.operation} | {r.backend} | {r.reference_s * 1e3:.2f} ms | {r.ours_s * 1e3:.3f} ms "
            f"| {r.ratio:.1f}x | {f'>= {goal:g}x' if goal else '-'} |"
        )
    lines.append("")
    lines.append(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}.")
    return "\n".join(lines)


def _floor_table() -> str:
    lines = ["| kernel | operation | best time |", "|---|---|---:|"]
    lines += [f"| {kernel} | {operation} | {best * 1e6:.1f} us |" for kernel, operation, best in FLOOR]
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    sections = []
    if RESULTS:
        sections.append(("srp_device speed, reference-time / our-time", _table()))
    if FLOOR:
        sections.append(("the engine called directly (best of the rounds)", _floor_table()))
    if TIMING:
        title = "timing against the exponent (dudect-style Welch t; |t| < 4.5: no leak seen)"
        sections.append((title, _timing_table()))
    for title, table in sections:
        terminalreporter.write_sep("=", title)
        terminalreporter.write_line(table)
    path = config.getoption("--ratio-table")
    if path and sections:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n\n".join(f"{title}:\n\n{table}" for title, table in sections) + "\n")
