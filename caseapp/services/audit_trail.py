"""Verifying the audit chain: only roles that may, and the verification is itself an event."""

from __future__ import annotations

from caseapp.domain import roles
from caseapp.errors import PermissionDenied
from caseapp.services.base import actor_of
from caseapp.services.session import Session
from caseapp.store.audit import VerifyReport

__all__ = ["VerifyReport", "record_verified", "verify_chain"]


def verify_chain(session: Session) -> VerifyReport:
    if not actor_of(session).can(roles.AUDIT_VERIFY):
        raise PermissionDenied()
    return session.verify_audit()


def record_verified(session: Session) -> None:
    with session.write():
        session.audit.append(session.user_id, "audit_verified")
