"""Argon2id parameters: stored with each keyslot, calibrated per machine, never below the floor."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from caseapp.errors import ValidationError
from caseapp.i18n import N_

FLOOR_MEMORY_KIB = 64 * 1024
FLOOR_ITERATIONS = 3
LANES = 4
KEY_LENGTH = 32
MAX_MEMORY_KIB = 1024 * 1024  # calibration stops raising memory here (1 GiB)
# Past these a stored slot is damaged, not strong: calibration never goes there (a machine
# that needs 1,000 passes of 1 GiB for 0.3 s is decades away), and Argon2id given them
# would overflow or run for hours instead of failing.
CEILING_MEMORY_KIB = 4 * 1024 * 1024
CEILING_ITERATIONS = 1000
CEILING_LANES = 255
# The unlock should cost an attacker as much as a user will tolerate (ARCHITECTURE §4).
TARGET_SECONDS = (0.3, 1.0)
# A slot that derived in less than this share of the target's lower bound (0.15 s against
# 0.3 s) is rewrapped with stronger parameters after the unlock it opened (``stronger``): the
# machine is faster than the one, or than the moment, it was calibrated on. Between that and
# the target a slot is left as it is, so timing noise never rewrites it at every unlock.
RECALIBRATE_BELOW = 0.5


class KdfTooWeak(ValidationError):
    msgid = N_("The key derivation settings are below the safe minimum (64 MiB, 3 passes); "
               "the keyslot is refused.")


@dataclass(frozen=True)
class Argon2Params:
    memory_kib: int = FLOOR_MEMORY_KIB
    iterations: int = FLOOR_ITERATIONS
    lanes: int = LANES

    def check_floor(self) -> None:
        if self.memory_kib < FLOOR_MEMORY_KIB or self.iterations < FLOOR_ITERATIONS or \
                self.lanes < 1:
            raise KdfTooWeak()

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Argon2Params:
        """The parameters of a stored slot: KdfTooWeak below the floor (or missing);
        ValueError for what no slot written here holds — a value that is not a whole
        number, or one past the ceiling (whose derivation would overflow, or run for
        hours, instead of failing)."""
        if not isinstance(data, dict):
            raise KdfTooWeak()
        try:
            values = [data["memory_kib"], data["iterations"], data["lanes"]]
        except KeyError as exc:
            raise KdfTooWeak() from exc
        if any(type(v) is not int for v in values):
            raise ValueError("argon2 parameters must be whole numbers")
        params = cls(*values)
        params.check_floor()
        if params.memory_kib > CEILING_MEMORY_KIB or params.iterations > CEILING_ITERATIONS \
                or params.lanes > CEILING_LANES:
            raise ValueError("argon2 parameters past the ceiling")
        return params


FLOOR = Argon2Params()


def derive(secret: bytes, salt: bytes, params: Argon2Params) -> bytes:
    params.check_floor()
    kdf = Argon2id(salt=salt, length=KEY_LENGTH, iterations=params.iterations,
                   lanes=params.lanes, memory_cost=params.memory_kib)
    return kdf.derive(secret)


def _time(params: Argon2Params, runs: int = 2) -> float:
    """The fastest of ``runs`` derivations: other work on a loaded machine only ever makes a
    run slower, and calibrating on a slow run would leave the keyslot weaker than this
    machine can afford."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        derive(b"calibration", b"\0" * 16, params)
        best = min(best, time.perf_counter() - start)
    return best


def calibrate(target: tuple[float, float] | None = None, start: Argon2Params = FLOOR,
              elapsed: float | None = None) -> Argon2Params:
    """Find parameters that take between 0.3 and 1 s here, raising memory first (it is what
    makes GPU guessing expensive), then passes. Never returns less than the floor, nor less
    than ``start`` (whose time here, when already measured, is ``elapsed``)."""
    low, high = target or TARGET_SECONDS
    params = Argon2Params(max(start.memory_kib, FLOOR_MEMORY_KIB),
                          max(start.iterations, FLOOR_ITERATIONS), max(start.lanes, 1))
    elapsed = _time(params) if elapsed is None or params != start else elapsed
    while elapsed < low:
        # Scale the cost by the shortfall, aiming at the middle of the window.
        factor = max(1.2, min(4.0, (low + high) / 2 / max(elapsed, 1e-3)))
        if params.memory_kib < MAX_MEMORY_KIB:
            memory = min(int(params.memory_kib * factor), MAX_MEMORY_KIB)
            params = Argon2Params(memory, params.iterations, params.lanes)
        elif params.iterations < CEILING_ITERATIONS:
            iterations = min(int(params.iterations * factor) + 1, CEILING_ITERATIONS)
            params = Argon2Params(params.memory_kib, iterations, params.lanes)
        else:
            break  # as costly as a slot may be
        elapsed = _time(params)
    return params


def stronger(params: Argon2Params, seconds: float,
             target: tuple[float, float] | None = None) -> Argon2Params | None:
    """What a slot with ``params``, which took ``seconds`` to derive on this machine just now,
    should be rewrapped with; None when it already costs enough here.

    Only ever stronger: a slow measurement (a busy machine) leaves the slot as it is, and
    the result never has less memory or fewer passes than ``params``."""
    low = (target or TARGET_SECONDS)[0]
    if seconds >= low * RECALIBRATE_BELOW:
        return None
    tuned = calibrate(target, start=params, elapsed=seconds)
    return None if tuned == params else tuned
