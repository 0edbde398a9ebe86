"""Referrals, the service directory and the assistance plan: pure rules, no storage.

Referral lifecycle (ARCHITECTURE §3): ``draft → sent → accepted | declined``,
``accepted → completed``, and ``draft | sent | accepted → withdrawn``. Incoming referrals use
the same lifecycle, starting at ``sent`` (the other organisation has sent it to us).

Directory entries follow the HTCDS ``org_`` fields, extended (``hfz_``) with what a caseworker
needs to pick a provider: services offered, province, district, who is accepted, a 24-hour
flag. Plan items follow HTCDS ``spl_``. Every picklist keeps stable codes; labels are gettext
message ids translated where shown (RESEARCH: keep reference data editable, not hard-coded
into logic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from caseapp.domain import htcds, roles
from caseapp.i18n import N_

Problem = tuple[str, str, dict[str, object]]

# -- referral lifecycle -----------------------------------------------------------------
DRAFT = "draft"
SENT = "sent"
ACCEPTED = "accepted"
DECLINED = "declined"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"
STATUSES: tuple[str, ...] = (DRAFT, SENT, ACCEPTED, DECLINED, COMPLETED, WITHDRAWN)
STATUS_LABELS: dict[str, str] = {
    DRAFT: N_("Draft"), SENT: N_("Sent"), ACCEPTED: N_("Accepted"), DECLINED: N_("Declined"),
    COMPLETED: N_("Completed"), WITHDRAWN: N_("Withdrawn"),
}
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (SENT, WITHDRAWN),
    SENT: (ACCEPTED, DECLINED, WITHDRAWN),
    ACCEPTED: (COMPLETED, WITHDRAWN),
    DECLINED: (),
    COMPLETED: (),
    WITHDRAWN: (),
}
OPEN_STATUSES = frozenset({DRAFT, SENT, ACCEPTED})

OUTGOING = "outgoing"
INCOMING = "incoming"
DIRECTIONS: tuple[str, ...] = (OUTGOING, INCOMING)

ROUTINE = "routine"
URGENT = "urgent"
EMERGENCY = "emergency"
URGENCIES: tuple[str, ...] = (ROUTINE, URGENT, EMERGENCY)
URGENCY_LABELS: dict[str, str] = {
    ROUTINE: N_("Routine"), URGENT: N_("Urgent (within days)"),
    EMERGENCY: N_("Emergency (today)"),
}

# Only these roles may send a referral without the matching consent, and only with a reason.
OVERRIDE_ROLES = frozenset({roles.MANAGER, roles.ADMINISTRATOR})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


# Recipients that investigate (police, FIA circles, FIA immigration): whatever service is
# asked of them, what they receive is shared with law enforcement, a purpose of its own that
# the person may refuse while agreeing to the referral (RESEARCH §6.2 (d)).
LAW_ENFORCEMENT_ORG_TYPES = frozenset({"LawEnforcement", "ImmigrationService"})
LAW_ENFORCEMENT_SERVICE = "law_enforcement"


def is_law_enforcement(org: Mapping[str, Any], services: Iterable[str]) -> bool:
    """Whether a referral with ``services`` to the directory entry ``org`` shares the case
    with law enforcement."""
    offered = org.get("hfz_Services")
    return (org.get("org_Type") in LAW_ENFORCEMENT_ORG_TYPES
            or LAW_ENFORCEMENT_SERVICE in services
            or (isinstance(offered, list) and LAW_ENFORCEMENT_SERVICE in offered))


# -- service directory ------------------------------------------------------------------
# Service types of RESEARCH §5.3–5.4 plus the support kinds of an assistance plan.
SERVICE_TYPES: dict[str, str] = {
    "crisis_centre": N_("Crisis centre (short stay)"),
    "shelter": N_("Shelter (longer stay)"),
    "child_protection": N_("Child protection"),
    "legal_aid": N_("Legal aid"),
    "medical": N_("Medical care"),
    "medico_legal": N_("Medico-legal examination"),
    "psychosocial": N_("Psychosocial support"),
    "labour": N_("Labour and bonded labour"),
    "return_reintegration": N_("Return and reintegration"),
    "consular": N_("Consular assistance"),
    "refugee_protection": N_("Refugee protection"),
    "emigrant_welfare": N_("Emigrant and overseas Pakistani welfare"),
    "law_enforcement": N_("Investigation and victim identification"),
    "helpline": N_("Helpline"),
    "interpreter": N_("Interpretation"),
    "education": N_("Education and training"),
    "livelihood": N_("Livelihood and financial support"),
}

# ISO 3166-2:PK codes for the provinces and territories.
PROVINCES: dict[str, str] = {
    "PK-PB": N_("Punjab"),
    "PK-SD": N_("Sindh"),
    "PK-KP": N_("Khyber Pakhtunkhwa"),
    "PK-BA": N_("Balochistan"),
    "PK-IS": N_("Islamabad Capital Territory"),
    "PK-GB": N_("Gilgit-Baltistan"),
    "PK-JK": N_("Azad Jammu and Kashmir"),
}

ANY = "any"
ACCEPTS_SEX: dict[str, str] = {"female": N_("Women and girls"), "male": N_("Men and boys"),
                               ANY: N_("Any sex")}
ACCEPTS_AGE: dict[str, str] = {"adult": N_("Adults"), "child": N_("Children"),
                               ANY: N_("Any age")}

PROBLEMS: dict[str, str] = {
    "required": N_("is required"),
    "text": N_("must be text"),
    "code": N_("is not one of %(codes)s"),
    "services": N_("must name at least one service type (%(codes)s)"),
    "phone": N_("must be a phone number in international form, such as +92…"),
    "bool": N_("must be yes, no or empty"),
    "date": N_("must be a date as YYYY-MM-DD"),
    "before_start": N_("cannot be before the plan item was started"),
    "status": N_("cannot change from %(current)s to %(target)s"),
}

ORG_TEXT_FIELDS = ("org_Name", "org_ShippingStreet", "org_ShippingCity", "hfz_District",
                   "hfz_Contact", "hfz_Evidence", "hfz_Notes", "hfz_Key")
ORG_FIELDS: tuple[str, ...] = ("hfz_Key", "org_Name", "org_Type", "hfz_Services",
                               "hfz_Province", "hfz_District", "hfz_AcceptsSex",
                               "hfz_AcceptsAge", "hfz_Open24h", "org_Phone", "hfz_Contact",
                               "org_ShippingStreet", "org_ShippingCity", "hfz_Evidence",
                               "hfz_Notes", "hfz_AgeRecipient", "hfz_SigningKey")
# Keys of a partner organisation (set by a manager, never from a CSV): the age public key
# documents are sealed to, and the Ed25519 public key its referral packages are signed with.
AGE_RECIPIENT_RE = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")
SIGNING_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


def _codes_problem(field: str, value: object, codes: Mapping[str, str] | tuple[str, ...]
                   ) -> Problem:
    # The value is not repeated in the message: it may be another person's data.
    return (field, PROBLEMS["code"], {"codes": ", ".join(codes)})


def validate_organisation(body: Mapping[str, Any], *, partial: bool = False) -> list[Problem]:
    """Problems in a directory entry, each tied to its field. ``partial`` checks an edit."""
    problems: list[Problem] = []
    unknown = [k for k in body if k not in ORG_FIELDS]
    for name in unknown:
        problems.append((name, N_("is not a directory field"), {}))
    if not partial or "org_Name" in body:
        org_name = body.get("org_Name")
        if not isinstance(org_name, str) or not org_name.strip():
            problems.append(("org_Name", PROBLEMS["required"], {}))
    for name in ORG_TEXT_FIELDS:
        value = body.get(name)
        if name != "org_Name" and value is not None and not isinstance(value, str):
            problems.append((name, PROBLEMS["text"], {}))
    org_type = body.get("org_Type")
    if org_type not in (None, "") and htcds.check_value("org_Type", org_type):
        spec = htcds.spec("org_Type")
        problems.append(_codes_problem("org_Type", org_type, spec.codes if spec else ()))
    if not partial or "hfz_Services" in body:
        services = body.get("hfz_Services")
        if not isinstance(services, list) or not services or \
                any(s not in SERVICE_TYPES for s in services):
            problems.append(("hfz_Services", PROBLEMS["services"],
                             {"codes": ", ".join(SERVICE_TYPES)}))
    for name, codes in (("hfz_Province", PROVINCES), ("hfz_AcceptsSex", ACCEPTS_SEX),
                        ("hfz_AcceptsAge", ACCEPTS_AGE)):
        value = body.get(name)
        if value not in (None, "") and value not in codes:
            problems.append(_codes_problem(name, value, tuple(codes)))
    phone = body.get("org_Phone")
    if phone not in (None, "") and htcds.check_value("org_Phone", phone):
        problems.append(("org_Phone", PROBLEMS["phone"], {}))
    if body.get("hfz_Open24h") not in (None, True, False):
        problems.append(("hfz_Open24h", PROBLEMS["bool"], {}))
    for name, pattern, problem in (
            ("hfz_AgeRecipient", AGE_RECIPIENT_RE,
             N_("must be an age public key (age1… , 62 characters)")),
            ("hfz_SigningKey", SIGNING_KEY_RE,
             N_("must be a signing key of 64 hexadecimal characters"))):
        value = body.get(name)
        if value not in (None, "") and not (isinstance(value, str) and pattern.match(value)):
            problems.append((name, problem, {}))
    return problems


def accepts(entry: Mapping[str, Any], sex: str | None = None, age: str | None = None) -> bool:
    """Does the entry take this person? An entry that does not say is kept in the list, so a
    possible provider is never hidden for lack of data."""
    for wanted, stated in ((sex, entry.get("hfz_AcceptsSex")), (age, entry.get("hfz_AcceptsAge"))):
        if wanted in (None, "", ANY) or stated in (None, "", ANY):
            continue
        if wanted != stated:
            return False
    return True


def normalise_key(text: str) -> str:
    """A stable key for matching an imported row to an entry already in the directory."""
    return re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-")


# -- assistance plan, services delivered, follow-ups ------------------------------------
PLAN_TEXT_FIELDS = ("spl_Objectives", "spl_ActionPlan", "hfz_ResponsibleOrg")
PLAN_DATE_FIELDS = ("spl_PlannedEndDate", "spl_ActualEndDate", "hfz_DueDate", "hfz_StartDate")
PLAN_FIELDS: tuple[str, ...] = ("spl_Type", *PLAN_TEXT_FIELDS, *PLAN_DATE_FIELDS)


def parse_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def validate_plan_item(body: Mapping[str, Any], *, partial: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    for name in body:
        if name not in PLAN_FIELDS:
            problems.append((name, N_("is not a plan field"), {}))
    if not partial or "spl_Type" in body:
        value = body.get("spl_Type")
        if value is None:
            problems.append(("spl_Type", PROBLEMS["required"], {}))
        elif htcds.check_value("spl_Type", value):
            spec = htcds.spec("spl_Type")
            problems.append(_codes_problem("spl_Type", value, spec.codes if spec else ()))
    if not partial or "spl_Objectives" in body:
        objectives = body.get("spl_Objectives")
        if not isinstance(objectives, str) or not objectives.strip():
            problems.append(("spl_Objectives", PROBLEMS["required"], {}))
    for name in PLAN_TEXT_FIELDS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            problems.append((name, PROBLEMS["text"], {}))
    for name in PLAN_DATE_FIELDS:
        value = body.get(name)
        if value not in (None, "") and (not isinstance(value, str) or parse_date(value) is None):
            problems.append((name, PROBLEMS["date"], {}))
    start = parse_date(body.get("hfz_StartDate"))
    actual = parse_date(body.get("spl_ActualEndDate"))
    if start and actual and actual < start:
        problems.append(("spl_ActualEndDate", PROBLEMS["before_start"], {}))
    return problems


def due_date(body: Mapping[str, Any]) -> date | None:
    """When an item is due: its own due date, else the plan's planned end date."""
    return parse_date(body.get("hfz_DueDate")) or parse_date(body.get("spl_PlannedEndDate"))


def is_open(body: Mapping[str, Any]) -> bool:
    """A plan item is done once it has an actual end date; a follow-up once marked done."""
    return not body.get("spl_ActualEndDate") and not body.get("hfz_DoneDate")


def is_due(body: Mapping[str, Any], before: date) -> bool:
    """Open and due on or before ``before`` (overdue items stay due until done)."""
    due = due_date(body)
    return is_open(body) and due is not None and due <= before
