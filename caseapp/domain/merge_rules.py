"""How fields of each record type merge between replicas (SYNC.md §4), as data.

- **Guarded fields** (identity, legal status and who decided it, consent entries, referral
  decisions, case owner) record a conflict when an edit did not see the value it replaces;
  the newer value shows, marked, until a manager resolves it.
- **Set fields** (aliases, identity documents, cases merged in, route events) merge element
  by element, keyed, so two offline merges of the same case keep every merged id: last
  writer wins per element, never for the list as a whole.
- **Append-only types** (screenings, notes, attachments, referral events, …) are written once
  and never conflict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from caseapp.canonical import sorted_json
from caseapp.domain import identity, names

PERSON_IDENTITY = frozenset({
    "prs_FirstName", "prs_MiddleName", "prs_SecondName", "hfz_NameUrdu", "hfz_FatherName",
    "hfz_FatherNameUrdu", "prs_Birthdate", "hfz_EstimatedAge", "hfz_BirthYearEstimated",
    "prs_IdentityNumber", "prs_Gender"})

GUARDED: dict[str, frozenset[str]] = {
    "person": PERSON_IDENTITY,
    "case": frozenset({"vic_TraffickingStatus", "vic_TraffickingStatusDecisionMakingOrg",
                       "hfz_TraffickingStatusDecision", "cas_CaseOwner"}),
    "consent": frozenset({"purpose", "granted", "providers", "child", "assent",
                          "guardian_name", "guardian_relationship", "best_interests_by",
                          "best_interests_reason"}),
    "referral": frozenset({"hfz_Status", "cas_ReferredOrganisation"}),
}

# The case's historic trafficking events (recruitment, transit, exploitation): a set field of
# the case since schema 9, not records of their own (they were ~700 bytes each at rest).
EVENTS_FIELD = "hte_Events"

APPEND_ONLY = frozenset({"screening", "note", "attachment", "referral_event",
                         "consent_withdrawal", "reintegration_assessment",
                         "service_delivered"})


def _alias_key(value: Any) -> str:
    return names.fold(str(value)).strip()


def _document_key(value: Any) -> str:
    doc = value if isinstance(value, dict) else {}
    number = identity.ascii_digits(str(doc.get("number", ""))).upper()
    return f"{doc.get('type', '')}:{''.join(c for c in number if c.isalnum())}"


def _plain_key(value: Any) -> str:
    return str(value)


def event_key(value: Any) -> str:
    """A route event (``hte_Type``, place, dates) is keyed by what it says: it is never
    edited, only added, so two devices adding the same event add it once. A digest, not the
    text: the key is stored again with the element's clock."""
    text = sorted_json(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


SET_FIELDS: dict[str, dict[str, Callable[[Any], str]]] = {
    "person": {"hfz_Aliases": _alias_key, "hfz_IdentityDocuments": _document_key},
    "case": {"hfz_MergedFrom": _plain_key, EVENTS_FIELD: event_key},
}


def guarded(record_type: str, field: str) -> bool:
    return field in GUARDED.get(record_type, frozenset())


def set_key(record_type: str, field: str) -> Callable[[Any], str] | None:
    return SET_FIELDS.get(record_type, {}).get(field)
