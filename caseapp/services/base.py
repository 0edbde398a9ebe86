"""What every case-work service starts from: the session, its record store, the signed-in
user's permissions, and the lookup of the case a call is about."""

from __future__ import annotations

from collections.abc import Iterable

from caseapp.domain import roles
from caseapp.errors import NotFound, PermissionDenied
from caseapp.services.session import Session
from caseapp.store.records import Record

CASE = "case"


def actor_of(session: Session) -> roles.Actor:
    # The signed grant, not the user record (which the vault's holder could edit).
    return roles.Actor(session.user_id, session.role, session.law_enforcement)


class Service:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.store = session.store
        self.actor = actor_of(session)

    def _require(self, permission: str) -> None:
        if not self.actor.can(permission):
            raise PermissionDenied()

    def _viewed(self, action: str, record_id: str | None = None,
                fields: Iterable[str] = ()) -> None:
        """A view is an audit event too (ARCHITECTURE §6): which fields, never values."""
        with self.session.write(view=True):
            self.session.audit.append(self.session.user_id, action, record_id, list(fields))

    def _case(self, case_id: str) -> Record:
        record = self.store.get(case_id)
        if record is None or record.type != CASE:
            raise NotFound()
        return record
