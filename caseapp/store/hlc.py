"""Hybrid logical clocks (SYNC.md §4): (wall ms, counter, device id), never below the highest
clock seen, so a device whose wall clock jumps back still orders its own edits correctly.

The text form sorts like the tuple, so clocks compare as strings in SQL and in Python.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# The text form pads the counter to five digits; it must never need a sixth.
MAX_COUNTER = 99_999


@dataclass(frozen=True, order=True)
class Hlc:
    wall_ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}.{self.counter:05d}.{self.device}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        wall, counter, device = text.split(".", 2)
        return cls(int(wall), int(counter), device)


class HybridClock:
    def __init__(self, device: str, last: str | None = None,
                 now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self.device = device
        self._now = now_ms
        self._last = Hlc.parse(last) if last else Hlc(0, 0, device)
        # tick() reads and writes _last: two threads ticking at once must not hand out the
        # same clock, or two edits would tie.
        self._lock = threading.Lock()

    @property
    def last(self) -> str:
        return str(self._last)

    def tick(self) -> str:
        with self._lock:
            wall = max(self._now(), self._last.wall_ms)
            counter = self._last.counter + 1 if wall == self._last.wall_ms else 0
            if counter > MAX_COUNTER:
                # A sixth counter digit would sort "…100000" before "…99999": move to the next
                # millisecond instead (a clock set back keeps the wall part still for long).
                wall, counter = wall + 1, 0
            self._last = Hlc(wall, counter, self.device)
            return str(self._last)

    def observe(self, remote: str) -> None:
        other = Hlc.parse(remote)
        with self._lock:
            if (other.wall_ms, other.counter) > (self._last.wall_ms, self._last.counter):
                self._last = Hlc(other.wall_ms, other.counter, self.device)
