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


# Encoders made once: ``json.dumps`` with any option builds a new encoder on every call, and
# each record written is dumped a dozen times (bodies, clocks, changes, events, audit).
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
sorted_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def canonical_json(value: Any) -> bytes:
    reject_floats(value)
    return sorted_json(value).encode()
