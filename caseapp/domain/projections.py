"""What lists and search show of a record — its label, its status and its search terms —
computed from the record's body (and its parent's), one projection per record type.

The store applies these on every local write and on every applied remote change alike, so
no caller sets a derived column by hand and a change from another device rebuilds them too.
Pure functions: the parent's body is handed in, never read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from caseapp.domain import identity, lookup_blocks, names
from caseapp.domain import referrals as plan_rules

Body = Mapping[str, Any]
Filing = tuple[list[str], int, str, dict[str, Any]]
# Raise when a projection below changes what it derives: vaults written with another version
# rebuild their labels, statuses and search entries when next unlocked.
# 2: aspiration (ھ and Latin bh/ph/th/dh...) folded, "Abd al-" compounds one key (issue 8).
VERSION = 2
OPEN = "open"
DONE = "done"


def display_name(person: Body) -> str:
    parts = [person.get(k) for k in ("prs_FirstName", "prs_MiddleName", "prs_SecondName")]
    return " ".join(p for p in parts if p) or str(person.get("hfz_NameUrdu") or "")


def search_fields(person: Body, case_number: str) -> tuple[str, str]:
    """(text, sound) for the search index of one case."""
    name_parts = [person.get(k) for k in ("prs_FirstName", "prs_MiddleName", "prs_SecondName",
                                          "hfz_NameUrdu", "hfz_FatherName",
                                          "hfz_FatherNameUrdu")]
    name_parts += person.get("hfz_Aliases") or []
    # The case number also as bare characters: when its device part is all digits, what a
    # user types looks like an identity number and is searched as one run of digits.
    terms = [case_number, re.sub(r"[^0-9A-Za-z]", "", case_number)]
    terms += [p for p in name_parts if p]
    for doc in person.get("hfz_IdentityDocuments") or []:
        terms += identity.search_terms(identity.IdentityDocument(**doc))
    if person.get("prs_IdentityNumber"):
        terms.append(re.sub(r"[^0-9A-Za-z]", "", str(person["prs_IdentityNumber"])))
    text = " ".join(names.fold(t) for t in terms)
    # The Latin name as one text too, so "Abdul" + "Rehman" in two fields makes the compound
    # key that عبدالرحمان makes.
    latin = " ".join(str(p) for p in name_parts[:3] if p)
    sound = " ".join(k for part in [latin, *name_parts] if part
                     for k in names.index_keys(str(part)))
    return text, sound


def _none(body: Body, parent: Body | None) -> str | None:
    return None


def _field(name: str) -> Callable[[Body, Body | None], str | None]:
    def get(body: Body, parent: Body | None) -> str | None:
        value = body.get(name)
        return None if value is None else str(value)
    return get


@dataclass(frozen=True)
class Projection:
    label: Callable[[Body, Body | None], str | None] = _none
    status: Callable[[Body, Body | None], str | None] = _none
    # (text, sound) for the search index, or None when the type is not searched.
    search: Callable[[Body, Body | None], tuple[str, str]] | None = None
    # (blocks, birth year, father's key, compared fields) under which the duplicate lookup files the
    # record (``lookup_blocks``), or None: not filed (a merged case, a case without a person).
    identity: Callable[[Body, Body | None], Filing | None] | None = None
    # Whether label, status, search or identity read the parent record's body.
    reads_parent: bool = False
    # Types whose projection reads this type's body as their parent's: re-projected when
    # a record of this type changes (a renamed person relabels and re-indexes their case).
    children: tuple[str, ...] = ()


def _case_search(body: Body, parent: Body | None) -> tuple[str, str]:
    return search_fields(parent or {}, str(body.get("hfz_CaseNumber") or ""))


def _case_identity(body: Body, parent: Body | None) -> Filing | None:
    if parent is None or body.get("hfz_MergedInto"):
        return None  # a merged case is found through the case it was merged into
    person = dict(parent)
    return (lookup_blocks.blocks(person),
            lookup_blocks.filed_year(person, datetime.now(UTC).year),
            lookup_blocks.father_key(person), lookup_blocks.compared(person))


def _open_or_done(body: Body, parent: Body | None) -> str:
    return OPEN if plan_rules.is_open(body) else DONE


PROJECTIONS: dict[str, Projection] = {
    "person": Projection(label=lambda b, p: display_name(b), children=("case",)),
    "case": Projection(label=lambda b, p: display_name(p or {}), status=_field("hfz_Stage"),
                       search=_case_search, identity=_case_identity, reads_parent=True),
    "team": Projection(label=_field("name")),
    "user": Projection(label=_field("name")),
    "organisation": Projection(label=_field("org_Name"), status=_field("org_Type")),
    "referral": Projection(label=_field("hfz_OrganisationName"), status=_field("hfz_Status")),
    "referral_event": Projection(status=_field("to")),
    "consent": Projection(status=_field("purpose")),
    "consent_withdrawal": Projection(status=_field("purpose")),
    "screening": Projection(status=_field("instrument_id")),
    "reintegration_assessment": Projection(status=_field("round")),
    "plan_item": Projection(status=_open_or_done),
    "service_delivered": Projection(status=_field("hfz_ServiceType")),
    "follow_up": Projection(status=_open_or_done),
}
PLAIN = Projection()


def projection(record_type: str) -> Projection:
    return PROJECTIONS.get(record_type, PLAIN)
