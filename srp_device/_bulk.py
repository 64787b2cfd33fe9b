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

_Raw = tuple[str, str, str, bytes, bytes]  # the fields of one DeviceSecrets, cheap to pickle


def default_workers() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - non-Linux


def _generate_chunk(cls: Any, backend: str | None, pairs: list[tuple[str, str]]) -> list[_Raw]:
    out = []
    for key, group in pairs:
        s = cls.generate(device_key=key, device_group_key=group, backend=backend)
        out.append((s.device_key, s.device_group_key, s.device_password, s.salt, s.verifier))
    return out


def _context() -> Any:
    # fork shares the parent's imports and tables and starts in milliseconds, but is
    # unsafe once other threads run; spawn is the safe fallback.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _next_chunk(counter: Any, total: int) -> int | None:
    """The next chunk index nobody has taken (shared by every worker), or None when all are taken."""
    with counter.get_lock():
        index = int(counter.value)
        if index >= total:
            return None
        counter.value = index + 1
        return index


def _helper(cls: Any, backend: str | None, chunks: list[list[tuple[str, str]]], counter: Any, conn: Any) -> None:
    """A helper process: takes chunks off the shared counter, a small tick per chunk, then all results."""
    try:
        out = {}
        while (index := _next_chunk(counter, len(chunks))) is not None:
            out[index] = _generate_chunk(cls, backend, chunks[index])
            conn.send(len(chunks[index]))
        conn.send(out)
    except Exception as exc:  # report, never hang the parent
        conn.send(RuntimeError(f"generate_many helper failed: {type(exc).__name__}"))
    finally:
        conn.close()


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
        validate_device_key(pair[0])
        validate_group_key(pair[1])
    total = len(pairs)
    # Load the backend, tables included, before any helper starts: forked helpers share it.
    precompute(backend=backend)
    chunks = [pairs[i : i + chunk_size] for i in range(0, total, chunk_size)]
    n_workers = min(workers or default_workers(), max(1, len(chunks)))
    results: dict[int, list[_Raw]] = {}
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    # Every worker, this process included, takes the next free chunk off one shared counter.
    ctx = _context()
    counter = ctx.Value("q", 0)
    helpers = []
    for _ in range(1, n_workers):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_helper, args=(cls, backend, chunks, counter, send), daemon=True)
        proc.start()
        send.close()
        helpers.append((proc, receive))

    def drain(conn: Any, block: bool) -> bool:
        """Read what a helper sent; True once its results have arrived."""
        while block or conn.poll():
            msg = conn.recv()
            if isinstance(msg, int):
                tick(msg)
                continue
            if isinstance(msg, BaseException):
                raise msg
            results.update(msg)
            return True
        return False

    try:
        waiting = [conn for _, conn in helpers]
        while (index := _next_chunk(counter, len(chunks))) is not None:
            results[index] = _generate_chunk(cls, backend, chunks[index])
            tick(len(chunks[index]))
            waiting = [conn for conn in waiting if not drain(conn, block=False)]
        for conn in waiting:
            drain(conn, block=True)
    finally:
        for proc, conn in helpers:
            conn.close()
            proc.join(timeout=5)
    return [cls(*raw) for i in range(len(chunks)) for raw in results[i]]
