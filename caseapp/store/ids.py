"""UUIDv7 ids (RFC 9562): time-ordered, so new records sort last and index pages stay warm."""

from __future__ import annotations

import secrets
import threading
import time

_RAND_BITS = 74  # rand_a (12 bits) and rand_b (62 bits)
_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random bits) of the newest id made by this process


def uuid7(now_ms: int | None = None) -> str:
    global _last
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = secrets.randbits(_RAND_BITS)
    with _lock:
        last_ms, last_rand = _last
        if ms == last_ms:
            # Several ids in one millisecond: count up from the last one by a random step
            # (RFC 9562 §6.2, method 2), so ids made here sort in the order they were made.
            rand = last_rand + 1 + secrets.randbits(32)
            if rand >> _RAND_BITS:
                ms, rand = ms + 1, secrets.randbits(_RAND_BITS)
        if ms >= last_ms:
            _last = (ms, rand)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    # str(uuid.UUID(int=value)), without building the object: four ids a case written.
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
