"""Profiles: one encrypted vault per user on this machine (ARCHITECTURE §4, SECURITY.md):
creation, unlock with back-off and the erase policy, and the keyslot lifecycle. The folder
layout is ``profile_paths``."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.crypto import kdf, passphrase_policy, recovery
from caseapp.crypto.compare import same
from caseapp.crypto.keyslots import (
    PASSPHRASE,
    RECOVERY,
    Keyslot,
    KeyslotFile,
    KeyslotFileError,
    seal,
)
from caseapp.domain import legal_status, projections, roles
from caseapp.errors import (
    CaseAppError,
    FieldErrors,
    FirstPassphraseRequired,
    PermissionDenied,
    ProfileError,
    StorageError,
    ValidationError,
    WrongPassphrase,
)
from caseapp.fsutil import fsync_dir
from caseapp.i18n import N_
from caseapp.services import compaction, directory, exports, role_grants, unlock_guard
from caseapp.services.base import actor_of
from caseapp.services.profile_paths import ProfilePaths, existing, paths
from caseapp.services.session import Session, open_session
from caseapp.services.unlock_guard import Clocks
from caseapp.store import database, identities, meta, migrations
from caseapp.store.ids import uuid7

ROLES = ("caseworker", "border_officer", "manager", "administrator")
# Set in the vault of a user added by an administrator until they change the first passphrase.
MUST_CHANGE = "must_change_passphrase"


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
                   params: kdf.Argon2Params | None = None, team_id: str | None = None,
                   user_id: str | None = None, grant: Grant | None = None,
                   law_enforcement: bool = False,
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
                            {"codes": ", ".join(legal_status.DECIDING_ORG_OF_TYPE)})])
    passphrase_policy.check(passphrase, personal=(name, user_name or ""))
    params = params or kdf.calibrate()
    code = recovery.generate()
    db_key = secrets.token_bytes(32)
    _clear_leftovers(p)
    building = ProfilePaths(name, p.folder.parent / f"{BUILDING}{name}-{secrets.token_hex(4)}")
    building.folder.mkdir(mode=0o700)
    try:
        conn = database.open_database(building.database, db_key)
        try:
            session = initialise_vault(conn, building, user_name=user_name or name, role=role,
                                       team_name=team_name, team_id=team_id, user_id=user_id,
                                       grant=grant, law_enforcement=law_enforcement,
                                       org_type=org_type)
            user_id, device_id = session.user_id, session.device_id
            # The signed unlock state, and its key named in every slot (unlock_guard).
            unlock_guard.write_checkpoint(session)
            public = unlock_guard.state_public_key(session)
            session.close()
        except BaseException:
            conn.close()
            raise
        slots = KeyslotFile([seal(PASSPHRASE, _secret(passphrase), [db_key], params,
                                  state_key=public),
                             seal(RECOVERY, recovery.normalise(code).encode(), [db_key], params,
                                  state_key=public)])
        slots.save(building.keyslots)
        os.rename(building.folder, p.folder)
        fsync_dir(p.folder.parent)
    except BaseException:
        shutil.rmtree(building.folder, ignore_errors=True)
        raise
    return CreatedProfile(name, p.folder, code, user_id, device_id)


Grant = Callable[[str, str], list[tuple[str, str]]]  # (user id, team id) -> signed meta


def initialise_vault(conn: database.Connection, p: ProfilePaths, *, user_name: str,
                     role: str, team_name: str, team_id: str | None = None,
                     user_id: str | None = None, grant: Grant | None = None,
                     law_enforcement: bool = False,
                     org_type: str | None = None) -> Session:
    """Give a new, empty database its schema, device identity and first user; returns the
    open session. (A team id is shared when several vaults belong to one office.)

    The user's role is signed: by ``grant`` (the administrator's organisation key, for a
    user added to an office) or, for a new office, by an organisation key made here."""
    migrations.migrate(conn)
    device_id, user_id, team_id = uuid7(), user_id or uuid7(), team_id or uuid7()
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
        user: dict[str, object] = {"name": user_name, "role": role, "teams": [team_id]}
        if law_enforcement:
            user["law_enforcement"] = True
        session.store.create("user", user, record_id=user_id, team=team_id)
        session.audit.append(user_id, "profile_created")
    if grant is None:
        role_grants.found_office(session, role, law_enforcement)
    else:
        with session.write() as tx:
            meta.write(tx.conn, [*grant(user_id, team_id), (MUST_CHANGE, "1")])
        role_grants.refresh(session)
    # Every profile of the office starts with the service directory, whatever its role:
    # without it no referral can be made (issue 8).
    directory.seed_new_profile(session)
    return session


# -- unlock (the back-off and the erase policy are ``unlock_guard``) ---------------------

backoff_seconds = unlock_guard.backoff_seconds
erase = unlock_guard.erase
set_erase_policy = unlock_guard.set_erase_policy
erase_policy = unlock_guard.erase_policy
FREE_FAILURES = unlock_guard.FREE_FAILURES
MAX_DELAY = unlock_guard.MAX_DELAY


def _typed_secret(secret: str) -> tuple[str, bytes]:
    """A recovery code is recognised by its form; anything else is a passphrase."""
    if recovery.looks_like_code(secret):
        return RECOVERY, recovery.normalise(secret).encode()
    return PASSPHRASE, _secret(secret)


def unlock(name: str, secret: str, *, clocks: Clocks | None = None,
           before_audit: Callable[[Session], None] = lambda session: None,
           upgrading: migrations.Progress | None = None) -> Session:
    """Open a profile with its passphrase or its recovery code (recognised by its form).
    What the user must be told about the profile's state is in ``session.notices``.

    ``before_audit`` runs on the open session before the unlock events are appended: an
    audit check sees the chain exactly as it was found. ``upgrading`` hears how far the
    upgrade of a vault written by an earlier version has come (``migrations.migrate``)."""
    p = existing(name)
    with unlock_guard.attempt(p, clocks or Clocks()) as attempt:
        kind, secret_bytes = _typed_secret(secret)
        slots = attempt.slots
        slot, keys, seconds = slots.unlock_timed(kind, secret_bytes)
        compaction.clear_leftovers(p)  # a cut compaction's temp file (under this lock)
        session = _open_with_any(p, keys, upgrading)
        try:
            # A slot still holding two keys means a key rotation was cut off after its first
            # step: the recovery code it would have printed was never shown, so the user
            # must rotate again.
            session.rotation_interrupted = len(keys) > 1
            before_audit(session)
            attempt.succeeded(session)
            _bind_slot(session, slots, slot, secret_bytes, keys)
            if session.store.meta(MUST_CHANGE) == "1":
                raise FirstPassphraseRequired()
            _strengthen_slot(session, slots, slot.slot_id, secret_bytes, keys, seconds)
            # An export a kill cut off may have left a temp file with every name beside its
            # destination: removed now, and the user is told (``session.notices``).
            session.notices += exports.finish_interrupted(session)
        except BaseException:
            session.close()
            raise
    return session


def _bind_slot(session: Session, slots: KeyslotFile, slot: Keyslot, secret: bytes,
               keys: list[bytes]) -> None:
    """A slot written before version 2 names no unlock-state key: resealed once, now that
    its secret is known, so deleting the state file no longer resets the count. (After the
    signed checkpoint is written: a kill in between leaves a readable legacy profile.)"""
    public = unlock_guard.state_public_key(session)
    if slot.version >= 2 and same(slot.state_key, public):
        return
    slots.replace(seal(slot.kind, secret, keys, slot.params, slot_id=slot.slot_id,
                       state_key=public))
    slots.save(session.paths.keyslots)


def _strengthen_slot(session: Session, slots: KeyslotFile, slot_id: str, secret: bytes,
                     keys: list[bytes], seconds: float) -> None:
    """Rewrap the slot that just opened with stronger Argon2id parameters when it took
    clearly less than the target time here (``kdf.stronger``): a slot calibrated on a
    slower or busy machine, or made at the floor, gets what this machine affords. (A slot
    below the floor never gets this far: it is refused, SECURITY.md item 12.)

    The new file replaces the old one atomically (``fsutil.retire_and_replace``: a temp
    file, fsync, rename, fsync of the folder, then the old file's blocks overwritten), so
    until the new slot is durably in place the old one opens the vault, and a crash at any
    moment leaves one of the two. A write that fails keeps the old slot and does not stop
    the unlock: the rewrap is tried again at the next one."""
    opened = next(s for s in slots.slots if s.slot_id == slot_id)  # as ``_bind_slot`` left it
    params = kdf.stronger(opened.params, seconds)
    if params is None:
        return
    p = session.paths
    # The file as on disk now: a passphrase changed by another process since this unlock
    # read it is never put back (only the very slot that opened is rewrapped).
    try:
        current = KeyslotFile.load(p.keyslots)
    except KeyslotFileError:
        return
    slot = next((s for s in current.slots if s.slot_id == slot_id), None)
    if slot is None or slot.to_json() != opened.to_json():
        return
    current.replace(seal(slot.kind, secret, keys, params, slot_id=slot.slot_id,
                         state_key=unlock_guard.state_public_key(session)))
    try:
        with session.write():
            session.audit.append(session.user_id, "keyslot_strengthened")
            current.save(p.keyslots)
    except (StorageError, OSError):
        # Before the rename the old slot stays, whole; after it (overwriting the old
        # file's blocks failed) the new one is in place. Either opens the vault.
        return


def _open_with_secret(p: ProfilePaths, passphrase: str, clocks: Clocks | None
                      ) -> tuple[KeyslotFile, Keyslot, list[bytes], Session]:
    """Like unlock, for a passphrase change or a key rotation: a wrong passphrase here also
    waits, counts toward the erase policy and is audited, so neither is a way around the
    back-off. The session is open and the failures before it audited."""
    with unlock_guard.attempt(p, clocks or Clocks()) as attempt:
        slot, keys = attempt.slots.unlock(PASSPHRASE, _secret(passphrase))
        session = _open_with_any(p, keys)
        try:
            attempt.succeeded(session, event=None)
        except BaseException:
            session.close()
            raise
    return attempt.slots, slot, keys, session


def _open_with_any(p: ProfilePaths, keys: list[bytes],
                   upgrading: migrations.Progress | None = None) -> Session:
    # During a key rotation a slot holds the old and the new key; whichever opens the
    # database is the right one (the rotation may have been cut off at any step).
    for key in keys:
        try:
            conn = database.open_database(p.database, key)
        except WrongPassphrase as exc:
            disk = _disk_problem(exc)
            if disk is not None:
                raise disk from exc
            continue
        # A vault of the earlier page format is rewritten after its schema is upgraded (the
        # copy is then compact too), each taking half of the upgrade's progress.
        rewrite = database.hmac_of(conn) != database.HMAC
        share = (0.5 if migrations.long_steps_pending(conn) else 0.0) if rewrite else 1.0
        migrations.migrate(conn, progress=_part(upgrading, 0.0, share))
        if rewrite:
            conn = compaction.upgrade_cipher(conn, p, key, progress=_part(upgrading, share, 1.0))
        # What a bulk load cut off before its end left for the duplicate lookup to file.
        with database.transaction(conn):
            identities.settle(conn)
        session = open_session(conn, p, db_key=key)
        try:
            _refresh_projections(session)
            role_grants.upgrade(session)
        except BaseException:
            session.close()
            raise
        return session
    raise ProfileError(N_("The key file does not match the case file of this profile."))


def _part(progress: migrations.Progress | None, start: float, end: float
          ) -> migrations.Progress | None:
    """``progress`` for one part of a longer task, from ``start`` to ``end`` of the whole."""
    if progress is None:
        return None
    whole = progress
    return lambda share: whole(start + (end - start) * share)


# What SQLite says when the drive, not the key, stopped the case file from opening: the
# user must hear that, not "the key file does not match" (a reason to restore old keys).
_DISK_ERRORS = {"SQLITE_FULL": N_("the disk is full"),
                "SQLITE_READONLY": N_("the drive can only be read, not written")}


MSG_CANNOT_OPEN = N_("The case file could not be opened (%(reason)s). Nothing was changed; "
                    "free some disk space or check the drive, then try again.")


def _disk_problem(exc: WrongPassphrase) -> StorageError | None:
    name = str(getattr(exc.__cause__, "sqlite_errorname", ""))
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        return StorageError(MSG_CANNOT_OPEN, reason=N_("the drive reported an error"))
    reason = _DISK_ERRORS.get("_".join(name.split("_", 2)[:2]))
    return StorageError(MSG_CANNOT_OPEN, reason=reason) if reason else None


def _refresh_projections(session: Session) -> None:
    """Labels, statuses and search entries are derived (``domain.projections``): a vault
    written by a version that derived them otherwise — or, before schema 3, not at all for
    every record — has them rebuilt once, here."""
    if session.store.meta("projections") == str(projections.VERSION):
        return
    with session.write() as tx:
        session.store.reproject_all()
        meta.write(tx.conn, [("projections", str(projections.VERSION))])


# -- keyslot lifecycle ------------------------------------------------------------------

def change_passphrase(name: str, old: str, new: str,
                      params: kdf.Argon2Params | None = None,
                      clocks: Clocks | None = None) -> None:
    """Rewrap the one slot that ``old`` opens, with Argon2id recalibrated on this machine
    unless ``params`` is given; other slots are untouched."""
    p = existing(name)
    passphrase_policy.check(new, personal=(name,))
    slots, slot, keys, session = _open_with_secret(p, old, clocks)
    try:
        # A new passphrase is also the moment to recalibrate: the machine may be faster now
        # than when the slot was made (or was busy then).
        slots.replace(seal(PASSPHRASE, _secret(new), keys, params or kdf.calibrate(),
                           slot_id=slot.slot_id,
                           state_key=unlock_guard.state_public_key(session)))
        with session.write() as tx:
            session.audit.append(session.user_id, "passphrase_changed")
            meta.write(tx.conn, [(MUST_CHANGE, "")])  # a first passphrase is now replaced
            slots.save(p.keyslots)
    finally:
        session.close()


def add_passphrase(session: Session, new: str, params: kdf.Argon2Params | None = None) -> str:
    passphrase_policy.check(new)
    slots = KeyslotFile.load(session.paths.keyslots)
    slot = seal(PASSPHRASE, _secret(new), [session.db_key], params or kdf.calibrate(),
                state_key=unlock_guard.state_public_key(session))
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


def new_recovery_code(session: Session, params: kdf.Argon2Params | None = None) -> str:
    """Replace the recovery code alone (the passphrases and the database key stay): the old
    code stops working and its slot is overwritten on disk. The new code is returned, to be
    shown once. The new slot costs what the old one did unless ``params`` says otherwise."""
    slots = KeyslotFile.load(session.paths.keyslots)
    old = slots.of_kind(RECOVERY) or slots.of_kind(PASSPHRASE)
    code = recovery.generate()
    slot = seal(RECOVERY, recovery.normalise(code).encode(), [session.db_key],
                params or old[0].params, state_key=unlock_guard.state_public_key(session))
    slots.slots = [s for s in slots.slots if s.kind != RECOVERY] + [slot]
    with session.write():
        session.audit.append(session.user_id, "recovery_code_replaced")
        slots.save(session.paths.keyslots)
    return code


def rotate_database_key(name: str, passphrase: str,
                        params: kdf.Argon2Params | None = None,
                        after_step: Callable[[str], None] = lambda step: None,
                        clocks: Clocks | None = None) -> str:
    """Re-encrypt the database under a new key (PRAGMA rekey). Every other slot and the old
    recovery code stop working; the new recovery code is returned, to be printed.

    Crash-safe order: (1) slots holding old+new key, (2) rekey, (3) slots holding the new key
    only. A cut at any point leaves a slot that opens the database with this passphrase.
    """
    p = existing(name)
    _slots, slot, _keys, session = _open_with_secret(p, passphrase, clocks)
    old_key = session.db_key
    public = unlock_guard.state_public_key(session)
    new_key = secrets.token_bytes(32)
    code = recovery.generate()
    code_secret = recovery.normalise(code).encode()
    use = params or slot.params
    try:
        KeyslotFile([seal(PASSPHRASE, _secret(passphrase), [old_key, new_key], use,
                          state_key=public),
                     seal(RECOVERY, code_secret, [old_key, new_key], use,
                          state_key=public)]).save(p.keyslots)
        after_step("slots-both")
        assert session.conn is not None  # opened just above, not locked since
        database.rekey(session.conn, new_key)
        session.db_key = new_key
        after_step("rekeyed")
        KeyslotFile([seal(PASSPHRASE, _secret(passphrase), [new_key], use, state_key=public),
                     seal(RECOVERY, code_secret, [new_key], use,
                          state_key=public)]).save(p.keyslots)
        after_step("slots-new")
        with session.write():
            session.audit.append(session.user_id, "database_key_rotated")
    finally:
        session.close()
    return code


def replace_passphrase(session: Session, new: str,
                       params: kdf.Argon2Params | None = None) -> None:
    """After an unlock with the recovery code: the new passphrase replaces every old one
    (which the user has forgotten or which may be known to someone else)."""
    passphrase_policy.check(new, personal=(session.paths.name,))
    slots = KeyslotFile.load(session.paths.keyslots)
    old = [s.slot_id for s in slots.slots if s.kind == PASSPHRASE]
    slots.slots.append(seal(PASSPHRASE, _secret(new), [session.db_key],
                            params or kdf.calibrate(),
                            state_key=unlock_guard.state_public_key(session)))
    for slot_id in old:
        slots.remove(slot_id)
    with session.write() as tx:
        session.audit.append(session.user_id, "passphrase_reset")
        meta.write(tx.conn, [(MUST_CHANGE, "")])  # the user chose this one
        slots.save(session.paths.keyslots)


def unlock_wait(name: str) -> int:
    """Seconds until the next unlock attempt of ``name`` is allowed (0: now), so a window
    can count the back-off down instead of letting the user try into a refusal."""
    return unlock_guard.wait_seconds(existing(name))


def attempts_before_erase(name: str) -> int | None:
    """Wrong attempts left before the profile's erase policy erases it; None without a
    policy (or for a profile already gone). Read-only, for telling the user after a
    failed unlock."""
    try:
        p = existing(name)
        if not p.keyslots.exists():
            return None
        state = unlock_guard.load(p, KeyslotFile.load(p.keyslots))
    except (CaseAppError, OSError, ValueError):
        return None
    limit = state.erase_limit
    if limit is None:
        return None
    return max(limit - state.failures, 0)


def set_office_type(session: Session, org_type: str) -> None:
    """Record the office's HTCDS organisation type, which decides whose legal-status
    decisions its users record (``legal_status.deciding_org``). Administrators only: it
    changes what every user of the office may record."""
    if not actor_of(session).can(roles.USERS_MANAGE):
        raise PermissionDenied()
    if org_type not in legal_status.DECIDING_ORG_OF_TYPE:
        raise FieldErrors([("--set", legal_status.PROBLEMS["act"],
                            {"codes": ", ".join(legal_status.DECIDING_ORG_OF_TYPE)})])
    with session.write():
        session.store.update(session.team_id, {"org_Type": org_type})
        session.audit.append(session.user_id, "office_type_changed", session.team_id,
                             ["org_Type"])
