"""Comparing secrets, MACs, hashes, signatures, fingerprints and keys: in constant time
(SECURITY.md, rules that hold everywhere), so how long a refusal takes tells nothing about how
much of a guess was right. ``==`` on such values is refused by tests/test_constant_time.py."""

from __future__ import annotations

import hmac


def same(a: object, b: object) -> bool:
    """Whether ``a`` and ``b`` are the same bytes, compared with ``hmac.compare_digest``.

    Both must be bytes or text (text is compared as UTF-8, so a value read from untrusted
    JSON never raises here); anything else — None, a number, a list — equals nothing, not
    even itself: a missing hash or key is never a match."""
    left, right = _as_bytes(a), _as_bytes(b)
    if left is None or right is None:
        return False
    return hmac.compare_digest(left, right)


def _as_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return None
