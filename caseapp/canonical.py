"""Canonical JSON: the one byte form that is hashed and signed (sorted keys, UTF-8, no floats)."""

from __future__ import annotations

import json
from typing import Any


def reject_floats(value: Any) -> None:
    """TypeError for a float anywhere in ``value``."""
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON")
    if isinstance(value, dict):
        for item in value.values():
            reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            reject_floats(item)


def canonical_json(value: Any) -> bytes:
    reject_floats(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
