"""Roles and what each may do. Services enforce this table; the UI only hides what it forbids.

Perpetrator context (HTCDS ``per_`` fields) is visible only to law-enforcement users: border /
FIA officers, and any user whose account is flagged as law enforcement (an FIA manager).
"""

from __future__ import annotations

from dataclasses import dataclass

from caseapp.i18n import N_

CASEWORKER = "caseworker"
BORDER_OFFICER = "border_officer"
MANAGER = "manager"
ADMINISTRATOR = "administrator"
ROLES = (CASEWORKER, BORDER_OFFICER, MANAGER, ADMINISTRATOR)
ROLE_NAMES: dict[str, str] = {  # message ids, translated where shown
    CASEWORKER: N_("caseworker"), BORDER_OFFICER: N_("border officer"),
    MANAGER: N_("manager"), ADMINISTRATOR: N_("administrator"),
}

CASE_CREATE = "case.create"
CASE_VIEW = "case.view"
CASE_EDIT = "case.edit"
CASE_DELETE = "case.delete"
CASE_EXPORT = "case.export"  # anonymised statistics; with the next, identified data too
# A file of every name and identity number leaves the vault's protection for good: the
# office's managers make such exports, not each caseworker (issue 7, item 2).
CASE_EXPORT_IDENTIFIED = "case.export_identified"
CASE_TRANSITION = "case.transition"
STATUS_DECIDE = "trafficking_status.decide"
PERPETRATOR = "perpetrator.access"
AUDIT_VERIFY = "audit.verify"
USERS_MANAGE = "users.manage"
CONFLICT_RESOLVE = "conflict.resolve"

_CASEWORK = {CASE_CREATE, CASE_VIEW, CASE_EDIT, CASE_TRANSITION}
PERMISSIONS: dict[str, frozenset[str]] = {
    CASEWORKER: frozenset(_CASEWORK | {CASE_EXPORT}),
    # FIA officers make the formal identification, so they record it (issue 8).
    BORDER_OFFICER: frozenset(_CASEWORK | {PERPETRATOR, STATUS_DECIDE}),
    MANAGER: frozenset(_CASEWORK | {CASE_EXPORT, CASE_EXPORT_IDENTIFIED, CASE_DELETE,
                                    STATUS_DECIDE, AUDIT_VERIFY, CONFLICT_RESOLVE}),
    ADMINISTRATOR: frozenset(_CASEWORK | {CASE_EXPORT, CASE_EXPORT_IDENTIFIED, CASE_DELETE,
                                          STATUS_DECIDE, AUDIT_VERIFY, USERS_MANAGE,
                                          CONFLICT_RESOLVE}),
}

# Field prefixes and fields that need a permission beyond case.view / case.edit.
RESTRICTED_FIELDS: tuple[tuple[str, str], ...] = (
    ("per_", PERPETRATOR),
    ("vic_TraffickingStatus", STATUS_DECIDE),  # also covers ...DecisionMakingOrg
    ("hfz_TraffickingStatus", STATUS_DECIDE),  # the decision's date, legal basis and FIR
)


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str
    law_enforcement: bool = False

    def can(self, permission: str) -> bool:
        # Law-enforcement users (an anti-trafficking circle's investigator) see perpetrator
        # context and record the formal identification they make, whatever their role.
        if permission in (PERPETRATOR, STATUS_DECIDE) and self.law_enforcement:
            return True
        return permission in PERMISSIONS.get(self.role, frozenset())

    def may_read_field(self, name: str) -> bool:
        # Everyone who can see a case sees its trafficking status; only deciding it is
        # restricted. Perpetrator context is hidden from everyone outside law enforcement.
        return not name.startswith("per_") or self.can(PERPETRATOR)

    def may_write_field(self, name: str) -> bool:
        return all(self.can(perm) for prefix, perm in RESTRICTED_FIELDS
                   if name.startswith(prefix))
