"""Profiles: one encrypted vault per user on this machine (ARCHITECTURE §4, SECURITY.md):
creation, unlock with back-off and the erase policy, and the keyslot lifecycle. The folder
layout is ``profile_paths``."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.crypto import kdf, passphrase_policy, recovery
from caseapp.crypto.keyslots import PASSPHRASE, RECOVERY, Keyslot, KeyslotFile, seal
from caseapp.domain import legal_status, projections, roles
from caseapp.errors import (
    FieldErrors,
    PermissionDenied,
    ProfileError,
    UnlockBackoff,
    ValidationError,
    WrongPassphrase,
)
from caseapp.fsutil import atomic_write, destroy_file, fsync_dir
from caseapp.i18n import N_
from caseapp.services import exports
from caseapp.services.base import actor_of
from caseapp.services.profile_paths import ProfilePaths, existing, paths
from caseapp.services.session import Session, open_session
from caseapp.store import database, meta, migrations
from caseapp.store.ids import uuid7

ROLES = ("caseworker", "border_officer", "manager", "administrator")
# Failures allowed before waiting starts, and the longest wait (seconds).
FREE_FAILURES = 3
MAX_DELAY = 15 * 60


@dataclass(frozen=True)
class CreatedProfile:
    name: str
    folder: Path
    recovery_code: str
    user_id: str
    device_id: str


BUILDING = ".creating-"  # a profile folder being built: never listed, cleared when stale


def _clear_leftovers(p: ProfilePaths) -> None:
    """What a crash during an earlier creation of this name left: its hidden build folder,
    or (written by versions that built in place) a folder without a key file. The latter is
    moved aside, not deleted: its data opens only with a key file restored from a backup."""
    for stale in p.folder.parent.glob(f"{BUILDING}{p.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if p.folder.exists() and not p.keyslots.exists():
        os.rename(p.folder, p.folder.parent / f".incomplete-{p.name}-{secrets.token_hex(4)}")


def _secret(text: str) -> bytes:
    return passphrase_policy.normalise(text).encode()


def create_profile(name: str, passphrase: str, *, user_name: str | None = None,
                   role: str = "administrator", team_name: str = "Office",
                   params: kdf.Argon2Params | None = None,
                   org_type: str | None = None) -> CreatedProfile:
    """Create a vault with a passphrase slot and a recovery slot; the first user of a
    standalone office is its administrator.

    The profile is built in a hidden folder and renamed into place only when complete, so a
    crash at any moment leaves either the whole profile or no profile under ``name``."""
    p = paths(name)
    if p.keyslots.exists():
        raise ProfileError(N_("A profile with that name already exists."))
    if role not in ROLES:
        raise ValidationError(N_("Unknown role."))
    if org_type is not None and org_type not in legal_status.DECIDING_ORG_OF_TYPE:
        raise FieldErrors([("--org-type", legal_status.PROBLEMS["act"],
                            {"value": str(org_type)[:40],
                             "codes": ", ".join(legal_status.DECIDING_ORG_OF_TYPE)})])
    passphrase_policy.check(passphrase)
    params = params or kdf.calibrate()
    code = recovery.generate()
    db_key = secrets.token_bytes(32)
    _clear_leftovers(p)
    building = ProfilePaths(name, p.folder.parent / f"{BUILDING}{name}-{secrets.token_hex(4)}")
    building.folder.mkdir(mode=0o700)
    try:
        slots = KeyslotFile([seal(PASSPHRASE, _secret(passphrase), [db_key], params),
                             seal(RECOVERY, recovery.normalise(code).encode(), [db_key], params)])
        conn = database.open_database(building.database, db_key)
        try:
            session = initialise_vault(conn, building, user_name=user_name or name, role=role,
                                       team_name=team_name, org_type=org_type)
            user_id, device_id = session.user_id, session.device_id
            session.close()
        except BaseException:
            conn.close()
            raise
        slots.save(building.keyslots)
        os.rename(building.folder, p.folder)
        fsync_dir(p.folder.parent)
    except BaseException:
        shutil.rmtree(building.folder, ignore_errors=True)
        raise
    return CreatedProfile(name, p.folder, code, user_id, device_id)


def initialise_vault(conn: database.Connection, p: ProfilePaths, *, user_name: str,
                     role: str, team_name: str, team_id: str | None = None,
                     org_type: str | None = None) -> Session:
    """Give a new, empty database its schema, device identity and first user; returns the
    open session. (A team id is shared when several vaults belong to one office.)"""
    migrations.migrate(conn)
    device_id, user_id, team_id = uuid7(), uuid7(), team_id or uuid7()
    sign_key = Ed25519PrivateKey.generate()
    with database.transaction(conn):
        meta.write(conn, [("device_id", device_id), ("user_id", user_id),
                          ("team_id", team_id),
                          ("device_sign_key", sign_key.private_bytes_raw().hex()),
                          ("profile_name", p.name),
                          ("projections", str(projections.VERSION))])
    session = open_session(conn, p)
    session.anchor_new_vault()
    with session.write():
        # The office's HTCDS organisation type decides whose legal-status decisions its
        # users record (legal_status.deciding_org).
        team: dict[str, str] = {"name": team_name}
        if org_type is not None:
            team["org_Type"] = org_type
        session.store.create("team", team, record_id=team_id, team=team_id)
        session.store.create("user", {"name": user_name, "role": role, "teams": [team_id]},
                             record_id=user_id, team=team_id)
        session.audit.append(user_id, "profile_created")
    return session


# -- unlock, back-off and the erase policy ----------------------------------------------

@dataclass
class UnlockState:
    failures: int = 0
    last_failure_ms: int = 0
    erase_after: int | None = None
    unreported: list[int] = field(default_factory=list)  # failed attempts not yet audited

    @classmethod
    def load(cls, path: Path) -> UnlockState:
        try:
            data = json.loads(path.read_bytes())
            return cls(int(data["failures"]), int(data["last_failure_ms"]),
                       data.get("erase_after"), list(data.get("unreported", []))[-1000:])
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def save(self, path: Path) -> None:
        atomic_write(path, json.dumps(self.__dict__).encode())


def backoff_seconds(failures: int) -> int:
    """Wait required after ``failures`` consecutive failures: none for the first three,
    then 5 s doubling each time, at most 15 minutes."""
    if failures < FREE_FAILURES:
        return 0
    return min(5 * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def unlock(name: str, secret: str, *, now_ms: Callable[[], int] = _now_ms,
           before_audit: Callable[[Session], None] = lambda session: None) -> Session:
    """Open a profile with its passphrase or its recovery code (recognised by its form).
    What the user must be told about the profile's state is in ``session.notices``.

    ``before_audit`` runs on the open session before the unlock events are appended: an
    audit check sees the chain exactly as it was found."""
    p = existing(name)
    state = _check_backoff(p, now_ms())
    slots = KeyslotFile.load(p.keyslots)
    try:
        if recovery.looks_like_code(secret):
            _slot, keys = slots.unlock(RECOVERY, recovery.normalise(secret).encode())
        else:
            _slot, keys = slots.unlock(PASSPHRASE, _secret(secret))
    except WrongPassphrase:
        _record_failure(p, state, now_ms())
        raise
    session = _open_with_any(p, keys)
    # A slot still holding two keys means a key rotation was cut off after its first step:
    # the recovery code it would have printed was never shown, so the user must rotate again.
    session.rotation_interrupted = len(keys) > 1
    try:
        before_audit(session)
    except BaseException:
        session.close()
        raise
    if state.unreported or state.failures:
        with session.write():
            for at in state.unreported:
                session.audit.append(session.user_id, "unlock_failed", at=at)
            session.audit.append(session.user_id, "unlock")
        UnlockState(erase_after=state.erase_after).save(p.unlock_state)
    else:
        with session.write():
            session.audit.append(session.user_id, "unlock")
    # An export a kill cut off may have left a temp file with every name beside its
    # destination: removed now, and the user is told (``session.notices``).
    try:
        session.notices += exports.finish_interrupted(session)
    except BaseException:
        session.close()
        raise
    return session


def _check_backoff(p: ProfilePaths, now: int) -> UnlockState:
    """The unlock state; UnlockBackoff while the wait after recent failures runs."""
    state = UnlockState.load(p.unlock_state)
    if now < state.last_failure_ms:
        # The clock was set back since the last failure: count the wait from now, or a
        # single typo would lock the user out until the clock catches up again.
        state.last_failure_ms = now
        state.save(p.unlock_state)
    wait_ms = backoff_seconds(state.failures) * 1000 - (now - state.last_failure_ms)
    if wait_ms > 0:
        raise UnlockBackoff(seconds=(wait_ms + 999) // 1000)
    return state


def _open_passphrase_slot(p: ProfilePaths, slots: KeyslotFile,
                          passphrase: str) -> tuple[Keyslot, list[bytes]]:
    """Like unlock: a wrong passphrase here also waits, counts toward the erase policy and
    is audited, so changing a passphrase is no way around the back-off."""
    state = _check_backoff(p, _now_ms())
    try:
        return slots.unlock(PASSPHRASE, _secret(passphrase))
    except WrongPassphrase:
        _record_failure(p, state, _now_ms())
        raise


def _record_failure(p: ProfilePaths, state: UnlockState, at: int) -> None:
    state.failures += 1
    state.last_failure_ms = at
    state.unreported.append(at)
    if state.erase_after is not None and state.failures >= state.erase_after:
        erase(p)
        raise ProfileError(N_("Too many wrong attempts: this profile was erased as its "
                              "policy requires."))
    state.save(p.unlock_state)


def _open_with_any(p: ProfilePaths, keys: list[bytes]) -> Session:
    # During a key rotation a slot holds the old and the new key; whichever opens the
    # database is the right one (the rotation may have been cut off at any step).
    for key in keys:
        try:
            conn = database.open_database(p.database, key)
        except WrongPassphrase:
            continue
        migrations.migrate(conn)
        session = open_session(conn, p, db_key=key)
        _refresh_projections(session)
        return session
    raise ProfileError(N_("The key file does not match the case file of this profile."))


def _refresh_projections(session: Session) -> None:
    """Labels, statuses and search entries are derived (``domain.projections``): a vault
    written by a version that derived them otherwise — or, before schema 3, not at all for
    every record — has them rebuilt once, here."""
    if session.store.meta("projections") == str(projections.VERSION):
        return
    with session.write() as tx:
        session.store.reproject_all()
        meta.write(tx.conn, [("projections", str(projections.VERSION))])


def erase(p: ProfilePaths) -> None:
    """Crypto-erase: destroy the wrapped keys first (that alone makes the data unreadable),
    then remove the database files."""
    destroy_file(p.keyslots)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{p.database}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(p.folder, ignore_errors=True)


def set_erase_policy(session: Session, failures: int | None) -> None:
    if failures is not None and failures < FREE_FAILURES + 2:
        raise ValidationError(N_("Erasing after fewer than 5 wrong attempts is not allowed."))
    state = UnlockState.load(session.paths.unlock_state)
    state.erase_after = failures
    # The file is saved inside the audit transaction: no change without its event.
    with session.write():
        session.audit.append(session.user_id, "erase_policy_changed")
        state.save(session.paths.unlock_state)


# -- keyslot lifecycle ------------------------------------------------------------------

def change_passphrase(name: str, old: str, new: str,
                      params: kdf.Argon2Params | None = None) -> None:
    """Rewrap the one slot that ``old`` opens; other slots are untouched."""
    p = existing(name)
    passphrase_policy.check(new)
    slots = KeyslotFile.load(p.keyslots)
    slot, keys = _open_passphrase_slot(p, slots, old)
    session = _open_with_any(p, keys)
    try:
        slots.replace(seal(PASSPHRASE, _secret(new), keys, params or slot.params,
                           slot_id=slot.slot_id))
        with session.write():
            session.audit.append(session.user_id, "passphrase_changed")
            slots.save(p.keyslots)
    finally:
        session.close()


def add_passphrase(session: Session, new: str, params: kdf.Argon2Params | None = None) -> str:
    passphrase_policy.check(new)
    slots = KeyslotFile.load(session.paths.keyslots)
    slot = seal(PASSPHRASE, _secret(new), [session.db_key], params or kdf.calibrate())
    slots.slots.append(slot)
    with session.write():
        session.audit.append(session.user_id, "keyslot_added")
        slots.save(session.paths.keyslots)
    return slot.slot_id


def remove_slot(session: Session, slot_id: str) -> None:
    slots = KeyslotFile.load(session.paths.keyslots)
    if all(s.slot_id != slot_id for s in slots.slots):
        raise ValidationError(N_("No key slot with that id exists."))
    slots.remove(slot_id)
    with session.write():
        session.audit.append(session.user_id, "keyslot_removed")
        slots.save(session.paths.keyslots)


def rotate_database_key(name: str, passphrase: str,
                        params: kdf.Argon2Params | None = None,
                        after_step: Callable[[str], None] = lambda step: None) -> str:
    """Re-encrypt the database under a new key (PRAGMA rekey). Every other slot and the old
    recovery code stop working; the new recovery code is returned, to be printed.

    Crash-safe order: (1) slots holding old+new key, (2) rekey, (3) slots holding the new key
    only. A cut at any point leaves a slot that opens the database with this passphrase.
    """
    p = existing(name)
    slots = KeyslotFile.load(p.keyslots)
    slot, keys = _open_passphrase_slot(p, slots, passphrase)
    session = _open_with_any(p, keys)
    old_key = session.db_key
    new_key = secrets.token_bytes(32)
    code = recovery.generate()
    code_secret = recovery.normalise(code).encode()
    use = params or slot.params
    try:
        KeyslotFile([seal(PASSPHRASE, _secret(passphrase), [old_key, new_key], use),
                     seal(RECOVERY, code_secret, [old_key, new_key], use)]).save(p.keyslots)
        after_step("slots-both")
        assert session.conn is not None  # opened just above, not locked since
        database.rekey(session.conn, new_key)
        session.db_key = new_key
        after_step("rekeyed")
        KeyslotFile([seal(PASSPHRASE, _secret(passphrase), [new_key], use),
                     seal(RECOVERY, code_secret, [new_key], use)]).save(p.keyslots)
        after_step("slots-new")
        with session.write():
            session.audit.append(session.user_id, "database_key_rotated")
    finally:
        session.close()
    return code


def attempts_before_erase(name: str) -> int | None:
    """Wrong attempts left before the profile's erase policy erases it; None without a
    policy (or for a profile already gone). Read-only, for telling the user after a
    failed unlock."""
    try:
        p = existing(name)
    except ProfileError:
        return None
    state = UnlockState.load(p.unlock_state)
    if state.erase_after is None:
        return None
    return max(state.erase_after - state.failures, 0)


def set_office_type(session: Session, org_type: str) -> None:
    """Record the office's HTCDS organisation type, which decides whose legal-status
    decisions its users record (``legal_status.deciding_org``). Administrators only: it
    changes what every user of the office may record."""
    if not actor_of(session).can(roles.USERS_MANAGE):
        raise PermissionDenied()
    if org_type not in legal_status.DECIDING_ORG_OF_TYPE:
        raise FieldErrors([("--set", legal_status.PROBLEMS["act"],
                            {"value": str(org_type)[:40],
                             "codes": ", ".join(legal_status.DECIDING_ORG_OF_TYPE)})])
    with session.write():
        session.store.update(session.team_id, {"org_Type": org_type})
        session.audit.append(session.user_id, "office_type_changed", session.team_id,
                             ["org_Type"])
