"""generate_many: DeviceSecrets for a fleet, spread over processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from typing import Any

from ._device import validate_device_key, validate_group_key
from .modexp import precompute

__all__ = ["default_workers", "generate_many"]


def default_workers() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - non-Linux


def _generate_chunk(args: tuple[Any, str | None, list[tuple[str, str]]]) -> list[Any]:
    cls, backend, pairs = args
    return [cls.generate(device_key=k, device_group_key=g, backend=backend) for k, g in pairs]


def _context() -> Any:
    # fork shares the parent's imports and tables and starts in milliseconds, but is
    # unsafe once other threads run; spawn is the safe fallback.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def generate_many(
    cls: Any,
    pairs: list[tuple[str, str]],
    *,
    backend: str | None,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
    chunk_size: int,
) -> list[Any]:
    if backend is not None and not isinstance(backend, str):
        raise TypeError("generate_many takes a backend by name (it is sent to worker processes)")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError("workers must be a positive int")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError("chunk_size must be a positive int")
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError("devices must be (device_key, device_group_key) tuples")
    total = len(pairs)
    chunks = [pairs[i : i + chunk_size] for i in range(0, total, chunk_size)]
    # Validate every input and load the backend (tables included) before any worker starts.
    precompute(backend=backend)
    for k, g in pairs:
        validate_device_key(k)
        validate_group_key(g)
    n_workers = min(workers or default_workers(), max(1, len(chunks)))
    results: list[Any] = []
    done = 0
    if n_workers == 1:
        for chunk in chunks:
            results.extend(_generate_chunk((cls, backend, chunk)))
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return results
    with _context().Pool(n_workers) as pool:
        for out in pool.imap(_generate_chunk, [(cls, backend, c) for c in chunks]):
            results.extend(out)
            done += len(out)
            if progress is not None:
                progress(done, total)
    return results
