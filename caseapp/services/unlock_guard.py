"""Wrong attempts: back-off, the erase policy and the failure audit (issue 7, item 3;
SECURITY.md item 11).

Every attempt to open a keyslot — unlock, passphrase change, key rotation — goes through
``attempt``:

1. It takes an exclusive lock on the profile's ``unlock.lock`` (parallel attempts queue: each
   sees the failures of the ones before it).
2. It reads ``unlock-state.json`` and checks it against the state key named in the
   authenticated header of the passphrase keyslots (``crypto.unlock_record``). A file that
   is missing, edited, or signed by another key is the *strictest state*: 15 minutes before
   every attempt and erasure after 5 wrong ones, until a successful unlock.
3. It waits out the back-off on a monotonic clock (time since boot, ``boot_clock``), so
   setting the wall clock forward skips nothing; after a reboot the wait starts again.
4. It counts the attempt as a failure *before* the key derivation, so a process killed
   during it (or one whose result is never written) has still spent a guess.
5. On success the caller writes a fresh signed checkpoint (``succeeded``); a wrong secret
   leaves the count as it is and erases the profile when the policy says so.

These controls stop guessing *through the app*. An attacker who copies the keyslot file
guesses offline, slowed only by Argon2id; one who restores an older copy of the state file
(or edits the time of the last failure, which no secret protects) is doing the same.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.crypto import unlock_record
from caseapp.crypto.keyslots import KeyslotFile
from caseapp.errors import (
    ProfileError,
    ProfileNotFound,
    UnlockBackoff,
    UnlockStateDamaged,
    ValidationError,
    WrongPassphrase,
)
from caseapp.fsutil import atomic_write, destroy_file, destroy_retired
from caseapp.i18n import N_
from caseapp.services.profile_paths import ProfilePaths
from caseapp.services.session import Notice, Session
from caseapp.store import meta

try:  # POSIX; on Windows the lock is msvcrt's
    import fcntl
except ImportError:  # pragma: no cover - not on the Linux CI
    fcntl = None  # type: ignore[assignment]

FORMAT = "hifazat-unlock-state"
VERSION = 2
# Failures allowed before waiting starts, and the longest wait (seconds).
FREE_FAILURES = 3
MAX_DELAY = 15 * 60
# The smallest erase policy allowed, which is also the one the strictest state applies.
MIN_ERASE_AFTER = FREE_FAILURES + 2
META_STATE_KEY = "unlock_state_key"
META_ERASE_AFTER = "erase_after"
MSG_ERASED = N_("Too many wrong attempts: this profile was erased as its policy requires.")
MSG_DAMAGED = N_("The record of wrong attempts of this profile was missing or had been changed "
                 "since the last unlock. This was recorded in the audit log.")

Uptime = tuple[str, int]  # (boot id, milliseconds since that boot)


def backoff_seconds(failures: int) -> int:
    """Wait required after ``failures`` consecutive failures: none for the first three,
    then 5 s doubling each time, at most 15 minutes."""
    if failures < FREE_FAILURES:
        return 0
    return min(5 * 2 ** min(failures - FREE_FAILURES, 20), MAX_DELAY)


def boot_clock() -> Uptime:
    """Time since boot (including suspend), which no clock setting moves, and which boot it
    belongs to. Where the boot cannot be named, an estimate of the boot time stands in: a
    changed wall clock then reads as a reboot, which restarts the wait (never skips it)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = f"estimated-{round((time.time() - time.monotonic()) / 60)}"
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    ns = time.clock_gettime_ns(clock) if clock is not None else time.monotonic_ns()
    return boot, ns // 1_000_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Clocks:
    wall_ms: Callable[[], int] = wall_ms  # when: for the audit events only
    uptime: Callable[[], Uptime] = boot_clock  # how long: for the waits


@dataclass
class GuardState:
    """The state read under the lock. ``failures`` counts consecutive wrong attempts (the
    chain position); ``strict`` is the strictest state; ``legacy`` a profile whose slots
    name no state key yet (written before version 2, upgraded at its next unlock)."""

    failures: int = 0
    erase_after: int | None = None
    strict: bool = False
    legacy: bool = False
    checkpoint: dict[str, object] | None = None
    signature: str | None = None
    anchor: bytes = b""
    link: bytes = b""
    last: Uptime | None = None
    failed_at: list[int] = field(default_factory=list)

    @property
    def erase_limit(self) -> int | None:
        return MIN_ERASE_AFTER if self.strict else self.erase_after

    @property
    def required_wait_ms(self) -> int:
        return MAX_DELAY * 1000 if self.strict else backoff_seconds(self.failures) * 1000

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "version": VERSION, "strict": self.strict,
                "checkpoint": self.checkpoint, "signature": self.signature,
                # A strict state has no signed anchor: it keeps its own, for counting only.
                "anchor": self.anchor.hex() if self.strict else None,
                "link": self.link.hex(),
                "last_failure": None if self.last is None else
                {"boot": self.last[0], "uptime_ms": self.last[1]},
                "failed_at": self.failed_at[-1000:]}

    def save(self, path: Path) -> None:
        atomic_write(path, json.dumps(self.to_json()).encode())


def _read(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # deep nesting: damaged, not a crash
        return None
    return data if isinstance(data, dict) else None


def _last(data: dict[str, object]) -> Uptime | None:
    last = data.get("last_failure")
    if isinstance(last, dict) and isinstance(last.get("boot"), str) and \
            type(last.get("uptime_ms")) is int:
        return str(last["boot"]), int(last["uptime_ms"])
    return None


def _times(data: dict[str, object], key: str) -> list[int]:
    found = data.get(key)
    return [t for t in found if type(t) is int][-1000:] if isinstance(found, list) else []


def _legacy(data: dict[str, object] | None) -> GuardState:
    """Slots that name no state key: what the file says, as before version 2 (the upgrade
    happens at the next successful unlock)."""
    state = GuardState(legacy=True)
    seed, state.anchor = unlock_record.new_chain()
    state.link = seed
    if data is None:
        return state
    with contextlib.suppress(ValueError, TypeError, KeyError):
        if data.get("version") == VERSION:
            checkpoint = unlock_record.Checkpoint.from_json(data["checkpoint"])
            state.erase_after, state.anchor = checkpoint.erase_after, checkpoint.anchor
            state.link = bytes.fromhex(str(data["link"]))
            state.failures = unlock_record.position(state.link, state.anchor) or 0
            state.checkpoint, state.signature = checkpoint.to_json(), str(data["signature"])
            state.failed_at, state.last = _times(data, "failed_at"), _last(data)
        else:  # version 1: {"failures", "last_failure_ms", "erase_after", "unreported"}
            erase_after = data.get("erase_after")
            state.erase_after = erase_after if type(erase_after) is int else None
            state.failed_at = _times(data, "unreported")
            for _ in range(max(0, int(str(data.get("failures", 0))))):
                state.link = unlock_record.step(state.link)
                state.failures += 1
                if state.failures >= unlock_record.CHAIN_LENGTH:
                    break
    return state


def _verified(data: dict[str, object] | None, public: bytes) -> GuardState | None:
    """The state, when its checkpoint is signed by ``public`` and its link is on the chain."""
    if data is None or data.get("format") != FORMAT or data.get("version") != VERSION or \
            data.get("strict") is not False:
        return None
    try:
        checkpoint = unlock_record.Checkpoint.from_json(data["checkpoint"])
        signature = bytes.fromhex(str(data["signature"]))
        link = bytes.fromhex(str(data["link"]))
    except (KeyError, ValueError, TypeError):
        return None
    if not unlock_record.verify(public, checkpoint, signature):
        return None
    failures = unlock_record.position(link, checkpoint.anchor)
    if failures is None:
        return None
    return GuardState(failures, checkpoint.erase_after, checkpoint=checkpoint.to_json(),
                      signature=signature.hex(), anchor=checkpoint.anchor, link=link,
                      last=_last(data), failed_at=_times(data, "failed_at"))


def _strict(data: dict[str, object] | None) -> GuardState:
    """The strictest state, continuing the count of an earlier strict file if there is one
    (deleting that again only restarts the 15-minute wait)."""
    if data is not None and data.get("strict") is True:
        with contextlib.suppress(KeyError, ValueError, TypeError):
            anchor = bytes.fromhex(str(data["anchor"]))
            link = bytes.fromhex(str(data["link"]))
            failures = unlock_record.position(link, anchor)
            if failures is not None:
                return GuardState(failures, strict=True, anchor=anchor, link=link,
                                  last=_last(data), failed_at=_times(data, "failed_at"))
    seed, anchor = unlock_record.new_chain()
    return GuardState(strict=True, anchor=anchor, link=seed)


def load(p: ProfilePaths, slots: KeyslotFile) -> GuardState:
    data = _read(p.unlock_state)
    bound = {k for k in slots.state_keys() if k is not None}
    if not bound:
        return _legacy(data)
    if len(bound) == 1:
        verified = _verified(data, next(iter(bound)))
        if verified is not None:
            return verified
    return _strict(data)  # missing, edited, or two slots naming different keys


@contextlib.contextmanager
def profile_lock(p: ProfilePaths) -> Iterator[None]:
    """The lock every unlock attempt holds: also held by work that no unlock of the profile
    may meet halfway (``compaction`` replacing the vault's file). Not re-entrant."""
    with _locked(p):
        yield


@contextlib.contextmanager
def _locked(p: ProfilePaths) -> Iterator[None]:
    lock = p.folder / "unlock.lock"
    try:
        handle = open(lock, "a+b")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError as exc:  # erased by a parallel attempt
        raise ProfileNotFound() from exc
    with handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the file closes
        else:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        yield


def _wait_ms(state: GuardState, p: ProfilePaths, now: Uptime) -> int:
    required = state.required_wait_ms
    if required <= 0:
        return 0
    if state.last is None or state.last[0] != now[0] or state.last[1] > now[1]:
        # No usable time of the last failure on this boot (a reboot, a strict state just
        # found): the wait is counted from now. It may restart; it is never skipped.
        state.last = now
        state.save(p.unlock_state)
        return required
    return required - (now[1] - state.last[1])


def wait_seconds(p: ProfilePaths, clocks: Clocks | None = None) -> int:
    """Seconds before the next attempt on ``p`` may try the key (0: now): what the unlock
    window counts down, read under the same lock an attempt takes."""
    clocks = clocks or Clocks()
    with _locked(p):
        state = load(p, KeyslotFile.load(p.keyslots))
        wait = _wait_ms(state, p, clocks.uptime())
    return max(0, (wait + 999) // 1000)


class Attempt:
    """One counted attempt, open while the lock is held (see the module docstring)."""

    def __init__(self, p: ProfilePaths, slots: KeyslotFile, state: GuardState,
                 clocks: Clocks) -> None:
        self.paths, self.slots, self.state, self.clocks = p, slots, state, clocks

    @property
    def earlier_failures(self) -> int:
        """Wrong attempts before this one since the last successful unlock."""
        return self.state.failures - 1

    def failure_times(self) -> list[int | None]:
        """When each earlier failure happened (None where the record lost the time)."""
        count = self.earlier_failures
        known: list[int | None] = list(self.state.failed_at[:-1][-count:]) if count else []
        return [None] * (count - len(known)) + known

    def succeeded(self, session: Session, event: str | None = "unlock") -> None:
        """Audit the earlier failures (and a damaged record), then start a fresh signed
        checkpoint. The audit commits first: a kill in between audits them twice, never
        not at all."""
        times = self.failure_times()
        migrate_policy = self.state.legacy and self.state.erase_after is not None and \
            session.store.meta(META_ERASE_AFTER) is None
        if times or self.state.strict or migrate_policy or event is not None:
            self._audit(session, times, migrate_policy, event)
        if self.state.strict:
            session.notices.append(Notice(MSG_DAMAGED))
        write_checkpoint(session, self.clocks)

    def _audit(self, session: Session, times: list[int | None], migrate_policy: bool,
               event: str | None) -> None:
        with session.write() as tx:
            for at in times:
                session.audit.append(session.user_id, "unlock_failed", at=at)
            if self.state.strict:
                session.audit.append(session.user_id, "unlock_state_damaged")
            if migrate_policy:  # a version-1 file held the policy: the vault holds it now
                meta.write(tx.conn, [(META_ERASE_AFTER, str(self.state.erase_after))])
            if event is not None:
                session.audit.append(session.user_id, event)


def state_key(session: Session) -> Ed25519PrivateKey:
    """The profile's unlock-state signing key, kept in the vault; made on first use (vaults
    written before version 2 have none)."""
    stored = session.store.meta(META_STATE_KEY)
    if stored is not None:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))
    key = unlock_record.new_state_key()
    with session.write() as tx:
        meta.write(tx.conn, [(META_STATE_KEY, key.private_bytes_raw().hex())])
    return key


def state_public_key(session: Session) -> bytes:
    return unlock_record.public_bytes(state_key(session))


def erase_policy(session: Session) -> int | None:
    stored = session.store.meta(META_ERASE_AFTER)
    return int(stored) if stored else None


def write_checkpoint(session: Session, clocks: Clocks | None = None) -> None:
    """A new chain at zero failures, with the vault's erase policy, signed."""
    key = state_key(session)
    seed, anchor = unlock_record.new_chain()
    checkpoint = unlock_record.Checkpoint(erase_policy(session), anchor,
                                          (clocks or Clocks()).wall_ms())
    GuardState(checkpoint=checkpoint.to_json(),
               signature=unlock_record.sign(key, checkpoint).hex(), anchor=anchor,
               link=seed).save(session.paths.unlock_state)


def set_erase_policy(session: Session, failures: int | None) -> None:
    if failures is not None and failures < MIN_ERASE_AFTER:
        raise ValidationError(N_("Erasing after fewer than 5 wrong attempts is not allowed."))
    # The vault holds the policy (changed only with its audit event); the signed file is
    # what an attempt reads before any key is known.
    with session.write() as tx:
        session.audit.append(session.user_id, "erase_policy_changed")
        meta.write(tx.conn, [(META_ERASE_AFTER, "" if failures is None else str(failures))])
    with _locked(session.paths):
        write_checkpoint(session)


@contextlib.contextmanager
def attempt(p: ProfilePaths, clocks: Clocks) -> Iterator[Attempt]:
    """Hold the lock, refuse while a wait runs, count this attempt, then run the block (the
    key derivation with ``Attempt.slots`` and, on success, ``Attempt.succeeded``). A
    WrongPassphrase from the block leaves the failure counted and erases the profile if that
    reaches the policy."""
    with _locked(p):
        # Read under the lock: an attempt that waited for it may find the profile erased or
        # its slots rewritten by the one before.
        if not p.keyslots.exists():
            raise ProfileNotFound()
        destroy_retired(p.keyslots)
        slots = KeyslotFile.load(p.keyslots)
        state = load(p, slots)
        wait = _wait_ms(state, p, clocks.uptime())
        if wait > 0:
            error = UnlockStateDamaged if state.strict else UnlockBackoff
            raise error(seconds=(wait + 999) // 1000)
        limit = state.erase_limit
        if limit is not None and state.failures >= limit:
            # Counted already by attempts that were killed before they could erase.
            _erase_and_raise(p)
        state.failures += 1
        state.link = unlock_record.step(state.link)
        state.last = clocks.uptime()
        state.failed_at.append(clocks.wall_ms())
        state.save(p.unlock_state)
        try:
            yield Attempt(p, slots, state, clocks)
        except WrongPassphrase:
            if limit is not None and state.failures >= limit:
                _erase_and_raise(p)
            raise


def _erase_and_raise(p: ProfilePaths) -> None:
    erase(p)
    raise ProfileError(MSG_ERASED)


def erase(p: ProfilePaths) -> None:
    """Crypto-erase: destroy the wrapped keys first (that alone makes the data unreadable),
    then remove the database files."""
    destroy_file(p.keyslots)
    destroy_retired(p.keyslots)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{p.database}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(p.folder, ignore_errors=True)
