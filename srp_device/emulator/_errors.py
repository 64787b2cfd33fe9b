"""Error answers: the typed service error a handler raises, sent in the service's form."""

from __future__ import annotations

from ..exceptions import ServiceError

__all__ = ["INCORRECT", "FailError", "fail"]

INCORRECT = "Incorrect username or password."


class FailError(Exception):
    """An error answer: the typed service error to send (HTTP 400, ``__type``, ``message``)."""

    def __init__(self, error: ServiceError) -> None:
        self.error = error


def fail(cls: type[ServiceError], message: str) -> FailError:
    return FailError(cls(message))
