"""What every export of case data shares: the permission, a stated purpose kept as an
encrypted record of its own, the cases counted once each, and the file written atomically."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from caseapp.domain import roles
from caseapp.errors import PermissionDenied, ValidationError
from caseapp.fsutil import atomic_write
from caseapp.i18n import N_
from caseapp.services import profile_paths
from caseapp.services.base import actor_of
from caseapp.services.session import Session
from caseapp.store import queries
from caseapp.store.records import Record

EXPORT = "export"  # record type: one per export, holding its stated purpose
MAX_PURPOSE_CHARS = 200


def require_export(session: Session) -> roles.Actor:
    actor = actor_of(session)
    if not actor.can(roles.CASE_EXPORT):
        raise PermissionDenied()
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


def record_export(session: Session, kind: str, purpose: str, **details: object) -> str:
    """Keep the stated purpose of an export as an encrypted record of its own, so the audit
    event can name it without holding the text (which may mention a person)."""
    change = session.store.create(EXPORT, {"kind": kind, "purpose": purpose, **details},
                               team=session.team_id)
    return change.record.id


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


def write_file(path: Path, data: bytes, force: bool = False) -> None:
    check_destination(path, force)
    try:
        atomic_write(path, data)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise  # the transaction reports a full disk in its own words
        raise ValidationError(N_("The file cannot be written: %(path)s"),
                              path=str(path)) from exc
