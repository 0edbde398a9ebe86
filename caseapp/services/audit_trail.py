"""Verifying the audit chain: only roles that may, and the verification is itself an event."""

from __future__ import annotations

from caseapp.domain import roles
from caseapp.errors import PermissionDenied
from caseapp.i18n import N_
from caseapp.services.base import actor_of
from caseapp.services.session import Session
from caseapp.services.sync_state import maybe_load
from caseapp.store.audit import VerifyReport

__all__ = ["VerifyReport", "record_verified", "verify_chain"]


def verify_chain(session: Session) -> VerifyReport:
    if not actor_of(session).can(roles.AUDIT_VERIFY):
        raise PermissionDenied()
    report = session.verify_audit()
    state = maybe_load(session)
    if report.ok and state is not None and state.rollback:
        # The sync server signed a later head from this device than this copy holds: the
        # whole profile folder (database and head file) was restored from an older copy.
        return VerifyReport(False, report.events, report.events + 1, MSG_RESTORED)
    return report


MSG_RESTORED = N_("the sync server has seen a later audit trail from this device: this copy "
                  "of the profile was restored from an older one")


def record_verified(session: Session) -> None:
    with session.write():
        session.audit.append(session.user_id, "audit_verified")
