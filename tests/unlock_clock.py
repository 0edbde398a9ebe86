"""A wall clock for tests that unlock a profile many times: an hour passes between attempts,
so the wrong attempts a test makes on purpose never put a later one under back-off (the
longest wait is 15 minutes)."""

from __future__ import annotations

import time
from typing import Protocol

from caseapp.errors import WrongPassphrase
from caseapp.services import profiles
from caseapp.services.unlock_guard import Clocks


class HourlyClock:
    def __init__(self) -> None:
        self.now = time.time_ns() // 1_000_000

    def __call__(self) -> int:
        self.now += 3_600_000
        return self.now

    def uptime(self) -> tuple[str, int]:
        return "test-boot", self()

    @property
    def clocks(self) -> Clocks:
        return Clocks(wall_ms=self, uptime=self.uptime)


class GivesClocks(Protocol):
    @property
    def clocks(self) -> Clocks: ...


def opens(name: str, secret: str, clock: GivesClocks) -> bool:
    """Whether ``secret`` unlocks ``name`` (the session closed again at once)."""
    try:
        session = profiles.unlock(name, secret, clocks=clock.clocks)
    except WrongPassphrase:
        return False
    session.close()
    return True
