"""The one check that a secret shows nowhere in an exception, its chain included."""

from __future__ import annotations

from collections.abc import Iterator


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, then every __cause__ or __context__ behind it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def shows(exc: BaseException, secret: str) -> bool:
    """Whether ``secret`` appears in any exception of the chain: its str, repr, args or attributes."""
    return any(secret in f"{e!s} {e!r} {e.args!r} {vars(e)!r}" for e in chain(exc))
