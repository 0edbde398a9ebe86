"""What every export of case data shares: the permission, a stated purpose kept as an
encrypted record of its own, the cases counted once each, and the file written atomically.

The order of an export (``run_export``) is what makes a kill harmless (issue 7, item 2):

1. commit the export record (purpose, destination, the temp file's name) and an
   ``…_export_started`` audit event, in a transaction of their own;
2. write the file (temp file, fsync, rename);
3. commit ``…_exported``, or ``…_export_failed`` with the kind of failure (never a value).

A file at the destination therefore always has its started event and its purpose in the
vault. A kill in step 2 leaves the hidden temp file with every name: the next unlock finds
the export still marked started (``finish_interrupted``), overwrites and removes the temp
file, records ``export_interrupted`` and tells the user. The paths are kept only in the
encrypted export record, never in the audit chain.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from caseapp.crypto.compare import same
from caseapp.domain import roles
from caseapp.errors import CaseAppError, PermissionDenied, ValidationError
from caseapp.fsutil import atomic_write, shred_leftover, temp_path
from caseapp.i18n import N_
from caseapp.services import profile_paths
from caseapp.services.base import actor_of
from caseapp.services.consent import ConsentService
from caseapp.services.session import Notice, Session
from caseapp.store import queries
from caseapp.store.ids import uuid7
from caseapp.store.records import Record

EXPORT = "export"  # record type: one per export, holding its stated purpose
MAX_PURPOSE_CHARS = 200

# The export record's ``state``; records written before there were states have none.
STARTED, COMPLETED, FAILED, INTERRUPTED = "started", "completed", "failed", "interrupted"

# What the next unlock found of an export a kill cut off (the ``outcome`` of the record and
# of the ``export_interrupted`` event), and what the user is told.
TEMP_REMOVED, TEMP_LEFT, FILE_WRITTEN, NOTHING_WRITTEN = (
    "temp_removed", "temp_left", "file_written", "nothing_written")
INTERRUPTED_MESSAGES = {
    TEMP_REMOVED: N_("An earlier export to %(path)s was interrupted. Its unfinished temporary "
                     "file, which held case data, has been removed."),
    TEMP_LEFT: N_("An earlier export to %(path)s was interrupted and left a temporary file "
                  "with case data that could not be removed: %(temp)s. Delete it yourself."),
    FILE_WRITTEN: N_("An earlier export to %(path)s was interrupted just after its file was "
                     "written. The file is complete and holds case data: keep it safe, or "
                     "delete it."),
    NOTHING_WRITTEN: N_("An earlier export to %(path)s was interrupted before its file was "
                        "written. Nothing was left on the disk."),
}


def require_export(session: Session) -> roles.Actor:
    actor = actor_of(session)
    if not actor.can(roles.CASE_EXPORT):
        raise PermissionDenied()
    return actor


def require_identified_export(session: Session) -> roles.Actor:
    """A file of names and identity numbers for every case: managers and administrators
    only. Anonymised statistics need only ``require_export``."""
    actor = require_export(session)
    if not actor.can(roles.CASE_EXPORT_IDENTIFIED):
        raise PermissionDenied(
            N_("Your role (%(role)s) may not export identified case data, such as names and "
               "identity numbers, in bulk. Ask a manager or an administrator to make this "
               "export, or publish anonymised statistics instead."),
            role=roles.ROLE_NAMES.get(actor.role, actor.role))
    return actor


def check_purpose(purpose: str) -> str:
    purpose = " ".join(purpose.split())
    if not purpose:
        raise ValidationError(N_("State the purpose of the export."))
    if len(purpose) > MAX_PURPOSE_CHARS:
        raise ValidationError(N_("The purpose is longer than %(n)s characters."),
                              n=MAX_PURPOSE_CHARS)
    return purpose


def exported_cases(session: Session) -> Iterator[tuple[Record, dict[str, Any]]]:
    """(case, its person's body) of every case, oldest first; a case merged into another
    describes the same person, so only the kept one is exported."""
    store = session.store
    for case_id in queries.unmerged_case_ids(store.conn):
        case = store.get(case_id)
        if case is None:
            continue
        person = store.get(case.parent or "")
        yield case, (person.body if person else {})


def consented_cases(session: Session, purpose: str,
                    cases: Iterable[tuple[Record, dict[str, Any]]] | None = None
                    ) -> tuple[list[tuple[Record, dict[str, Any]]], int]:
    """The exported cases whose person's consent for ``purpose`` is in force now, and how
    many were left out for want of it; of ``cases`` when given, else of every case.
    RESEARCH §6.2: each purpose is checked where its data is used, and a withdrawal stops
    future sharing. No override: a bulk file is no place to decide, case by case, that a
    person's refusal does not count."""
    permitting = ConsentService(session).cases_permitting(purpose)
    kept: list[tuple[Record, dict[str, Any]]] = []
    left_out = 0
    for case, person in exported_cases(session) if cases is None else cases:
        if case.id in permitting:
            kept.append((case, person))
        else:
            left_out += 1
    return kept, left_out


def children_by_parent(session: Session, record_type: str) -> dict[str, list[Record]]:
    """Every live record of a type grouped by parent, each group oldest first (as
    ``children`` orders them): one read for an export instead of one per case."""
    grouped: dict[str, list[Record]] = {}
    for record in session.store.list(record_type, limit=-1):
        grouped.setdefault(record.parent or "", []).append(record)
    for records in grouped.values():
        records.sort(key=lambda r: r.id)
    return grouped


def new_export_id() -> str:
    """The id of an export's record, made before the export is built: a document prints it
    in its watermark and footer."""
    return uuid7()


def record_export(session: Session, kind: str, purpose: str, *, export_id: str | None = None,
                  **details: object) -> str:
    """Keep the stated purpose of an export as an encrypted record of its own, so the audit
    event can name it without holding the text (which may mention a person)."""
    change = session.store.create(EXPORT, {"kind": kind, "purpose": purpose, **details},
                                  team=session.team_id, record_id=export_id)
    return change.record.id


def run_export(session: Session, path: Path, data: bytes, *, kind: str, purpose: str,
               fields: list[str], force: bool = False, export_id: str | None = None,
               **details: object) -> str:
    """Write an export in the crash-safe order of the module docstring; returns the id of
    its record. ``fields`` (columns and counts, never a value) go into every audit event of
    the export; ``details`` into its record."""
    if session.in_transaction:
        # Joined to an outer transaction, the started event would commit only after the
        # file is written: exactly the window this order closes.
        raise RuntimeError("an export commits its own transactions")
    check_destination(path, force)
    tmp = temp_path(path)
    with session.write():
        export_id = record_export(
            session, kind, purpose, export_id=export_id, **details, state=STARTED,
            device=session.device_id, destination=str(path.absolute()),
            temp=str(tmp.absolute()), size=len(data), sha256=hashlib.sha256(data).hexdigest())
        session.audit.append(session.user_id, f"{kind}_export_started", export_id, fields)
    try:
        write_file(path, data, force, tmp=tmp)
    except BaseException as exc:
        _record_failure(session, export_id, kind, fields, exc)
        raise
    with session.write():
        session.store.update(export_id, {"state": COMPLETED})
        session.audit.append(session.user_id, f"{kind}_exported", export_id, fields)
    return export_id


def failure_kind(exc: BaseException) -> str:
    """What kind of failure stopped an export, for its record and audit event: a word from
    a fixed list, never a message, a path or a value."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    cause = exc if isinstance(exc, OSError) else exc.__cause__
    if isinstance(cause, OSError):
        if cause.errno == errno.ENOSPC:
            return "disk_full"
        if cause.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "not_permitted"
        return "drive_error"
    if isinstance(exc, ValidationError):
        return "refused"
    return "error"


def _record_failure(session: Session, export_id: str, kind: str, fields: list[str],
                    exc: BaseException) -> None:
    """Best effort: the failure that is being raised matters more than its record. If this
    commit fails too (a full disk holds the vault as well), the export stays "started" and
    the next unlock reports it."""
    reason = failure_kind(exc)
    try:
        with session.write():
            session.store.update(export_id, {"state": FAILED, "reason": reason})
            session.audit.append(session.user_id, f"{kind}_export_failed", export_id,
                                 [*fields, f"reason:{reason}"])
    except (CaseAppError, OSError):
        pass


def finish_interrupted(session: Session) -> list[Notice]:
    """At unlock: every export of this device still marked started was cut off by a kill.
    Remove its temp file (overwritten first, best effort), record what was found and return
    what the user must be told. Files are removed before the commit, so a kill here only
    means the work is done again at the next unlock."""
    notices: list[Notice] = []
    assert session.conn is not None
    for export_id in queries.unfinished_export_ids(session.conn, session.device_id):
        record = session.store.get(export_id)
        if record is None:
            continue
        body = record.body
        destination = str(body.get("destination", ""))
        temp = str(body.get("temp", ""))
        outcome = _clear_leftover(body, Path(temp) if temp else None,
                                  Path(destination) if destination else None)
        try:
            with session.write():
                session.store.update(export_id, {"state": INTERRUPTED, "outcome": outcome})
                session.audit.append(session.user_id, "export_interrupted", export_id,
                                     [f"kind:{body.get('kind', '')}", f"outcome:{outcome}"])
        except CaseAppError:
            pass  # told now, recorded at a later unlock
        notices.append(Notice(INTERRUPTED_MESSAGES[outcome],
                              {"path": destination, "temp": temp}))
    return notices


def _clear_leftover(body: dict[str, Any], temp: Path | None, destination: Path | None) -> str:
    if temp is not None and os.path.lexists(temp):
        return TEMP_REMOVED if shred_leftover(temp, int(body.get("size", 0))) else TEMP_LEFT
    if destination is not None and _holds(destination, int(body.get("size", -1)),
                                          str(body.get("sha256", ""))):
        return FILE_WRITTEN
    return NOTHING_WRITTEN


def _holds(path: Path, size: int, sha256: str) -> bool:
    """Whether ``path`` is exactly the export (renamed into place before the kill). Only a
    regular file of the export's size is read: a pipe planted there must not hang the
    unlock."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != size:
        return False
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return same(digest.hexdigest(), sha256)


def check_destination(path: Path, force: bool = False) -> None:
    """Refuse a destination that would destroy something: anything inside the profiles
    folder (an export once replaced a vault's keyslots.json, and every case was lost), also
    through a link, and an existing file unless ``force``. Checked before any work."""
    target = path.expanduser().resolve()
    profiles_root = profile_paths.home().resolve()
    if target == profiles_root or profiles_root in target.parents:
        raise ValidationError(N_("An export cannot be written into the profiles folder "
                                 "(%(path)s): it could replace a case file or its keys."),
                              path=str(path))
    # Checked here: the storage layer would report a missing folder as a failing drive.
    if not path.parent.is_dir() or path.is_dir():
        raise ValidationError(N_("The file cannot be written: %(path)s"), path=str(path))
    if os.path.lexists(path) and not force:
        raise ValidationError(N_("%(path)s already exists; choose another name, or add "
                              "--force to replace it."), path=str(path))


def write_file(path: Path, data: bytes, force: bool = False, tmp: Path | None = None) -> None:
    check_destination(path, force)
    try:
        atomic_write(path, data, tmp=tmp)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise  # the transaction reports a full disk in its own words
        raise ValidationError(N_("The file cannot be written: %(path)s"),
                              path=str(path)) from exc
