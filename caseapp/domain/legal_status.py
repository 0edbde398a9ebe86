"""Who may record a legal trafficking status, and what the record must say (issue 8).

The formal identification of a victim is made by an authority: in Pakistan FIA officers and
anti-trafficking circle investigators, the police, a court. So the deciding organisation of
a recorded decision (HTCDS ``vic_TraffickingStatusDecisionMakingOrg``) is not typed by the
user: it follows from the organisation the user works for. An NGO manager records an NGO's
decision, never "decided by Police"; an FIA officer records a law-enforcement decision.

Each decision also carries its date, its legal basis (the act and section: PTPA 2018 for
trafficking, PSMA 2018 for smuggling) and, where there is one, the FIR reference. The section
numbers themselves are not checked against the acts (RESEARCH §5.1 marks several [M]); only
their form is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from caseapp.i18n import N_

DECISION_FIELD: Final = "hfz_TraffickingStatusDecision"

# HTCDS org_Type of the user's office -> HTCDS code of the deciding organisation.
DECIDING_ORG_OF_TYPE: Final[Mapping[str, str]] = {
    "LawEnforcement": "Police",
    "ImmigrationService": "Police",          # FIA immigration is law enforcement
    "NGO": "NGO",
    "CentralGovernmentOrganisation": "NonPoliceGovernmentalOrganization",
    "LocalGovernmentOrganisation": "NonPoliceGovernmentalOrganization",
    "HealthServiceOrganisation": "Other",
    "LegalService": "Other",
    "CorporateBusiness": "Other",
    "SchoolOrCollege": "Other",
}
# An office whose type was never recorded is taken as an NGO: the type with the least
# authority here, so nothing unrecorded can claim a police or court decision.
UNRECORDED_OFFICE: Final = "NGO"
POLICE: Final = "Police"

ACTS: Final[Mapping[str, str]] = {
    "PTPA2018": N_("Prevention of Trafficking in Persons Act, 2018"),
    "PSMA2018": N_("Prevention of Smuggling of Migrants Act, 2018"),
}
# "3", "3(1)", "22(2)(a)", "5A".
SECTION_RE: Final = re.compile(r"[1-9][0-9]{0,2}[A-Z]?(\([0-9]{1,2}\))?(\([a-z]\))?")
MAX_FIR_CHARS: Final = 100

PROBLEMS: Final[Mapping[str, str]] = {
    "date": N_("must be a date written YYYY-MM-DD, such as 2026-03-01"),
    "future": N_("cannot be in the future"),
    "too_early": N_("cannot be before 1 January 2002, before any of these laws"),
    "act": N_("is not one of %(codes)s"),
    "section": N_("must be a section of the act, such as 3 or 3(1)"),
    "fir": N_("must be text of at most %(n)s characters, such as 123/2026 PS Civil Lines"),
    "org": N_("your organisation can record only decisions made by %(allowed)s"),
}

Problem = tuple[str, str, dict[str, object]]


def deciding_org(law_enforcement: bool, office_type: str | None) -> str:
    """The HTCDS deciding-organisation code a user records: law enforcement for FIA and
    police users, otherwise that of their office's type."""
    if law_enforcement:
        return POLICE
    return DECIDING_ORG_OF_TYPE.get(office_type or "", UNRECORDED_OFFICE)


def check_decision(body: Mapping[str, Any], today: date) -> list[Problem]:
    """Problems of a decision record {date, act, section, fir?}, each naming the option a
    user types (``--decided-on``, ``--act``, ``--section``, ``--fir``)."""
    problems: list[Problem] = []
    raw = body.get("date")
    try:
        decided = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        decided = None
    if decided is None:
        problems.append(("--decided-on", PROBLEMS["date"], {}))
    elif decided > today:
        problems.append(("--decided-on", PROBLEMS["future"], {}))
    elif decided < date(2002, 1, 1):
        problems.append(("--decided-on", PROBLEMS["too_early"], {}))
    if body.get("act") not in ACTS:
        problems.append(("--act", PROBLEMS["act"], {"codes": ", ".join(ACTS)}))
    section = body.get("section")
    if not isinstance(section, str) or not SECTION_RE.fullmatch(section):
        problems.append(("--section", PROBLEMS["section"], {}))
    fir = body.get("fir")
    if fir is not None and (not isinstance(fir, str) or not fir.strip()
                            or len(fir) > MAX_FIR_CHARS):
        problems.append(("--fir", PROBLEMS["fir"], {"n": MAX_FIR_CHARS}))
    return problems


def valid_decision(value: object) -> bool:
    """Whether a stored decision record has the shape ``check_decision`` accepts (for the
    case document checker; dates are compared with today's only when recorded)."""
    if not isinstance(value, dict) or not {"date", "act", "section"} <= set(value) \
            or not set(value) <= {"date", "act", "section", "fir"}:
        return False
    return not check_decision(value, date.max)
