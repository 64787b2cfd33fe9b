"""The one way tests read vectors/: load_vectors(name) -> list of vector dicts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def load_vectors(name: str) -> list[dict[str, Any]]:
    with open(VECTORS / name, encoding="utf-8") as f:
        doc = json.load(f)
    assert {"description", "source", "vectors"} <= doc.keys(), name
    return list(doc["vectors"])


def vector_ids(v: dict[str, Any]) -> str:
    return str(v["id"])


def iso_utc(text: str) -> datetime:
    """An ISO-8601 instant as JS's Date.toISOString() writes it (trailing Z)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
