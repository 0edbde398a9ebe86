"""Conflicts on guarded fields (SYNC.md §4): listed for managers, resolved by them. A
resolution is a change of its own, written over the newer of the two clocks, so every replica
marks the conflict resolved when it applies it."""

from __future__ import annotations

from typing import Any

from caseapp.domain import roles
from caseapp.errors import NotFound, PermissionDenied, ValidationError
from caseapp.i18n import N_
from caseapp.services.base import actor_of
from caseapp.services.session import Session
from caseapp.services.sync_state import maybe_load
from caseapp.store.hlc import Hlc

MINE = "mine"
THEIRS = "theirs"


def _actor(session: Session) -> roles.Actor:
    """The certified role once the profile syncs, else the vault's."""
    state = maybe_load(session)
    if state is not None and state.certificate is not None:
        return roles.Actor(session.user_id, str(state.certificate["body"]["role"]))
    return actor_of(session)


def open_conflicts(session: Session) -> list[dict[str, Any]]:
    found = []
    for conflict in session.store.conflicts():
        if conflict["resolved_by"] is not None:
            continue
        record = session.store.get(conflict["record_id"])
        if record is None:
            continue
        found.append({**conflict, "record_type": record.type,
                      "mine": _side(session, conflict, MINE)})
    return found


def _side(session: Session, conflict: dict[str, Any], which: str) -> str | None:
    """'a' or 'b': the value this device wrote (mine) or the other (theirs)."""
    a = Hlc.parse(conflict["clock_a"]).device == session.device_id
    b = Hlc.parse(conflict["clock_b"]).device == session.device_id
    if a == b:
        return None
    mine = "a" if a else "b"
    return mine if which == MINE else ("b" if mine == "a" else "a")


def resolve(session: Session, conflict_id: str, keep: str) -> Any:
    """Keep ``mine``, ``theirs`` or a value given; returns the value kept."""
    if not _actor(session).can(roles.CONFLICT_RESOLVE):
        raise PermissionDenied()
    conflict = next((c for c in session.store.conflicts() if c["id"] == conflict_id), None)
    if conflict is None:
        raise NotFound()
    if conflict["resolved_by"] is not None:
        raise ValidationError(N_("This conflict was resolved already."))
    if keep in (MINE, THEIRS):
        side = _side(session, conflict, keep)
        if side is None:
            raise ValidationError(N_("--keep: neither value was written on this device; give "
                                     "the value to keep."))
        value = conflict[f"value_{side}"]
    else:
        value = keep
    seen = max(conflict["clock_a"], conflict["clock_b"])
    with session.write():
        session.store.resolve(conflict["record_id"], conflict["field"], value, seen)
        session.audit.append(session.user_id, "conflict.resolved", conflict["record_id"],
                             [conflict["field"]])
    return value
