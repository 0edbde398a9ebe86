"""Canonical JSON: the one byte form that is hashed and signed (sorted keys, UTF-8, no floats)."""

from __future__ import annotations

import json
from typing import Any


def reject_floats(value: Any) -> None:
    """TypeError for a float anywhere in ``value``. A loop, not recursion: every change and
    audit event passes here, and most of what it holds is text."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if isinstance(item, float):
            raise TypeError("floats are not allowed in canonical JSON")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def canonical_json(value: Any) -> bytes:
    reject_floats(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
