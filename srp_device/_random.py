"""The one place the SRP ephemerals are drawn from the OS CSPRNG."""

from __future__ import annotations

import secrets

from .modexp import N

__all__ = ["draw_ephemeral"]


def draw_ephemeral(bits: int) -> int:
    """A uniformly drawn ``bits``-bit secret, reduced mod N and never 0."""
    value = 0
    while value == 0:
        value = secrets.randbits(bits) % N
    return value
