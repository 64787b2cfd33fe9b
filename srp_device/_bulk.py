"""A chunked map over threads with a progress callback: the engine of generate_many.

It knows nothing of devices (``_device`` calls it), so it sits below ``_device``. Threads
are enough: the native engine releases the GIL while it exponentiates, so every core
works; no process start method, no ``if __name__ == "__main__"`` guard.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

__all__ = ["default_workers", "map_chunks"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - non-Linux


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int")
    return value


def map_chunks(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int | None,
    chunk_size: int,
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """[fn(item) for item in items], in order, on ``workers`` threads, ``chunk_size`` items a task.

    ``progress(done, total)`` is called in the calling thread after each chunk. The first
    exception (from ``fn`` or ``progress``) cancels the chunks not yet started and is raised.
    """
    n_workers = default_workers() if workers is None else _positive(workers, "workers")
    _positive(chunk_size, "chunk_size")
    total = len(items)
    chunks = [items[i : i + chunk_size] for i in range(0, total, chunk_size)]
    results: list[list[R]] = [[] for _ in chunks]
    if not chunks:
        return []

    def run(chunk: Sequence[T]) -> list[R]:
        return [fn(item) for item in chunk]

    done = 0
    with ThreadPoolExecutor(max_workers=min(n_workers, len(chunks)), thread_name_prefix="srp-device") as pool:
        pending: dict[Future[list[R]], int] = {pool.submit(run, chunk): i for i, chunk in enumerate(chunks)}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    results[index] = future.result()
                    done += len(results[index])
                    if progress is not None:
                        progress(done, total)
        finally:
            for future in pending:
                future.cancel()
    return [r for chunk in results for r in chunk]
