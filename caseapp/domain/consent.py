"""Consent per purpose (RESEARCH §6.2, ARCHITECTURE §3): pure rules, no storage.

Each entry records one decision for one purpose: granted or refused, when, by which staff
member, in which language, with which interpreter and which version of the explanation text.
A child (under 18) gives assent, backed by a guardian's consent or by a best-interests
decision (for when the guardian may be implicated). A withdrawal blocks the purpose from its
own time on; it never rewrites the past, so processing done before it stays lawful.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from caseapp.errors import FieldErrors
from caseapp.i18n import N_, _

INTERVIEW = "interview"
ASSISTANCE_PROCESSING = "assistance_processing"
REFERRAL = "referral"
LAW_ENFORCEMENT_SHARING = "law_enforcement_sharing"
ANONYMISED_RESEARCH = "anonymised_research"
FOLLOW_UP_CONTACT = "follow_up_contact"
PURPOSES: tuple[str, ...] = (INTERVIEW, ASSISTANCE_PROCESSING, REFERRAL,
                             LAW_ENFORCEMENT_SHARING, ANONYMISED_RESEARCH, FOLLOW_UP_CONTACT)

PURPOSE_LABELS: dict[str, str] = {
    INTERVIEW: N_("interview and screening"),
    ASSISTANCE_PROCESSING: N_("storing and processing data for assistance"),
    REFERRAL: N_("referral to named service providers"),
    LAW_ENFORCEMENT_SHARING: N_("sharing with law enforcement"),
    ANONYMISED_RESEARCH: N_("use of non-identifying data for research"),
    FOLLOW_UP_CONTACT: N_("follow-up contact"),
}

ADULT_AGE = 18
# Same shape as the HTCDS language fields: ISO 639-1/-3, optionally with a region or script.
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")

# Reason codes for a permission decision, with the sentence shown for each.
GRANTED = "granted"
NO_CONSENT = "no_consent"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
PROVIDER_REQUIRED = "provider_required"
PROVIDER_NOT_NAMED = "provider_not_named"
UNKNOWN_PURPOSE = "unknown_purpose"
REASONS: dict[str, str] = {
    GRANTED: N_("Consent for %(purpose)s is in force."),
    NO_CONSENT: N_("No consent for %(purpose)s has been recorded."),
    REFUSED: N_("The person refused consent for %(purpose)s."),
    WITHDRAWN: N_("Consent for %(purpose)s was withdrawn."),
    PROVIDER_REQUIRED: N_("Name the service provider to check consent for %(purpose)s."),
    PROVIDER_NOT_NAMED: N_("Consent for %(purpose)s does not name %(provider)s."),
    UNKNOWN_PURPOSE: N_("%(purpose)s is not a consent purpose."),
}

PROBLEMS: dict[str, str] = {
    "purpose": N_("is not a consent purpose (%(codes)s)"),
    "bool": N_("must be true or false"),
    "required": N_("is required"),
    "explanation_version": N_("is required: name the version of the consent explanation "
                              "that was read out to the person (the rights sheet prints its "
                              "version at its end)"),
    "text": N_("must be text"),
    "time": N_("must be a time in milliseconds since 1970"),
    "language": N_("must be an ISO 639 language code, such as urd"),
    "providers": N_("must name at least one service provider"),
    "providers_only_referral": N_("names service providers only for a referral"),
    "assent": N_("a child must give assent"),
    "assent_adult": N_("assent is a child's; this person counts as an adult, who gives "
                       "consent: leave assent out"),
    "guardian_or_best_interests": N_(
        "a child needs a guardian's consent or a best-interests decision"),
}


@dataclass(frozen=True)
class ConsentEntry:
    """One recorded consent decision. ``at`` and ``withdrawn_at`` are epoch milliseconds,
    like every other time in the store."""

    purpose: str
    granted: bool
    at: int
    staff_user_id: str
    language: str
    explanation_version: str
    interpreter: str | None = None
    providers: tuple[str, ...] = ()
    child: bool = False
    assent: bool | None = None
    guardian_name: str | None = None
    guardian_relationship: str | None = None
    best_interests_by: str | None = None
    best_interests_reason: str | None = None
    withdrawn_at: int | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Body of a ``consent`` record: the withdrawal and the id live elsewhere."""
        return {"purpose": self.purpose, "granted": self.granted, "at": self.at,
                "staff_user_id": self.staff_user_id, "language": self.language,
                "interpreter": self.interpreter,
                "explanation_version": self.explanation_version,
                "providers": list(self.providers), "child": self.child,
                "assent": self.assent, "guardian_name": self.guardian_name,
                "guardian_relationship": self.guardian_relationship,
                "best_interests_by": self.best_interests_by,
                "best_interests_reason": self.best_interests_reason}

    @classmethod
    def from_json(cls, body: dict[str, Any], *, id: str | None = None,  # noqa: A002
                  withdrawn_at: int | None = None) -> ConsentEntry:
        return cls(purpose=body["purpose"], granted=bool(body["granted"]), at=int(body["at"]),
                   staff_user_id=body["staff_user_id"], language=body["language"],
                   explanation_version=body["explanation_version"],
                   interpreter=body.get("interpreter"),
                   providers=tuple(body.get("providers") or ()),
                   child=bool(body.get("child")), assent=body.get("assent"),
                   guardian_name=body.get("guardian_name"),
                   guardian_relationship=body.get("guardian_relationship"),
                   best_interests_by=body.get("best_interests_by"),
                   best_interests_reason=body.get("best_interests_reason"),
                   withdrawn_at=withdrawn_at, id=id)


@dataclass(frozen=True)
class Decision:
    """Whether a purpose is permitted, with a reason code and a translatable sentence."""

    permitted: bool
    reason: str
    params: dict[str, object] = field(default_factory=dict)
    entry: ConsentEntry | None = None

    @property
    def msgid(self) -> str:
        return REASONS[self.reason]

    def message(self) -> str:
        return _(self.msgid, **self.params)


def age_on(birth_date: str | None, estimated_age: int | None, on: date) -> int | None:
    """Age in whole years from a birth date (YYYY-MM-DD), else the estimated age."""
    if birth_date:
        born = date.fromisoformat(birth_date)
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return estimated_age


# Why a person counts as a child or an adult (PROTECTION §2: presumption of minority).
UNDER_18 = "under_18"
AGE_UNKNOWN = "age_unknown"          # no birth date, no estimated age: presumed a child
AGE_DISPUTED = "age_disputed"        # the age on record is in doubt: presumed a child
ASSESSED_CHILD = "assessed_child"
ASSESSED_ADULT = "assessed_adult"
ADULT = "adult"
CHILD_BASES = (UNDER_18, AGE_UNKNOWN, AGE_DISPUTED, ASSESSED_CHILD)
# The person fields the rule reads (hfz_ extensions validated in case_documents).
AGE_DISPUTED_FIELD = "hfz_AgeDisputed"
AGE_ASSESSMENT_FIELD = "hfz_AgeAssessment"
ASSESSMENT_OUTCOMES = ("adult", "child")


def age_basis(birth_date: str | None, estimated_age: int | None, at: int, *,
              disputed: bool = False, assessment: str | None = None) -> str:
    """Whether the person counts as a child at ``at`` (epoch ms), and why.

    Minority is presumed until an age assessment says otherwise (UNICEF; PROTECTION §2):
    a disputed age counts as a child's whatever the record says; otherwise the outcome of an
    age assessment (``adult`` or ``child``) decides; otherwise the birth date or estimated
    age; a person with no age on record is presumed to be a child. Recording an assessment
    ends a dispute; new doubt afterwards is recorded as a dispute again."""
    if disputed:
        return AGE_DISPUTED
    if assessment == "child":
        return ASSESSED_CHILD
    if assessment == "adult":
        return ASSESSED_ADULT
    age = age_on(birth_date, estimated_age, datetime.fromtimestamp(at / 1000, UTC).date())
    if age is None:
        return AGE_UNKNOWN
    return UNDER_18 if age < ADULT_AGE else ADULT


def is_child(birth_date: str | None, estimated_age: int | None, at: int, *,
             disputed: bool = False, assessment: str | None = None) -> bool:
    """Under 18 at ``at``, or presumed so: see ``age_basis``. An unknown or disputed age is
    a child's until an age assessment finds an adult."""
    return age_basis(birth_date, estimated_age, at, disputed=disputed,
                     assessment=assessment) in CHILD_BASES


def person_age_basis(person: dict[str, Any], at: int) -> str:
    """``age_basis`` for a stored person record's fields."""
    assessment = person.get(AGE_ASSESSMENT_FIELD)
    outcome = assessment.get("outcome") if isinstance(assessment, dict) else None
    estimated = person.get("hfz_EstimatedAge")
    return age_basis(person.get("prs_Birthdate") or None,
                     estimated if isinstance(estimated, int) else None, at,
                     disputed=person.get(AGE_DISPUTED_FIELD) is True,
                     assessment=outcome if outcome in ASSESSMENT_OUTCOMES else None)


def person_is_child(person: dict[str, Any], at: int) -> bool:
    return person_age_basis(person, at) in CHILD_BASES


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate(entry: ConsentEntry) -> None:
    """Raise FieldErrors naming every field that is wrong or missing."""
    problems: list[tuple[str, str, dict[str, object]]] = []

    def add(name: str, code: str, **params: object) -> None:
        problems.append((name, PROBLEMS[code], params))

    if entry.purpose not in PURPOSES:
        add("purpose", "purpose", value=entry.purpose, codes=", ".join(PURPOSES))
    if not isinstance(entry.granted, bool):
        add("granted", "bool")
    if not isinstance(entry.at, int) or isinstance(entry.at, bool) or entry.at < 0:
        add("at", "time")
    if not _text(entry.staff_user_id):
        add("staff_user_id", "required")
    if not isinstance(entry.language, str) or not LANGUAGE_RE.match(entry.language):
        add("language", "language")
    if not _text(entry.explanation_version):
        add("explanation_version", "explanation_version")
    if entry.interpreter is not None and not _text(entry.interpreter):
        add("interpreter", "text")
    if not all(_text(p) for p in entry.providers):
        add("providers", "text")
    elif entry.purpose == REFERRAL and entry.granted and not entry.providers:
        add("providers", "providers")
    elif entry.purpose != REFERRAL and entry.providers:
        add("providers", "providers_only_referral")
    # Recording an adult's "assent" would read as if they were a child, or as if consent
    # were not theirs to give.
    if not entry.child and entry.assent is not None:
        add("assent", "assent_adult")
    # A child's refusal stands on its own; only a grant needs assent and an adult's backing.
    if entry.child and entry.granted:
        if entry.assent is not True:
            add("assent", "assent")
        guardian = _text(entry.guardian_name) and _text(entry.guardian_relationship)
        best = _text(entry.best_interests_by) and _text(entry.best_interests_reason)
        if not (guardian or best):
            add("guardian_name", "guardian_or_best_interests")
    if problems:
        raise FieldErrors(problems)


def _concerns(entry: ConsentEntry, provider: str | None) -> bool:
    """Does this entry speak about the provider? A refusal naming nobody refuses them all."""
    if entry.purpose != REFERRAL or provider is None:
        return True
    return provider in entry.providers or (not entry.granted and not entry.providers)


def explain(entries: Iterable[ConsentEntry], purpose: str, at: int,
            provider: str | None = None) -> Decision:
    """Decide whether ``purpose`` is permitted at ``at``: the latest event at or before that
    moment (a grant, a refusal, or a withdrawal) decides."""
    label = _(PURPOSE_LABELS[purpose]) if purpose in PURPOSE_LABELS else purpose
    params: dict[str, object] = {"purpose": label}
    if purpose not in PURPOSES:
        return Decision(False, UNKNOWN_PURPOSE, params)
    if purpose == REFERRAL and provider is None:
        return Decision(False, PROVIDER_REQUIRED, params)
    relevant = [e for e in entries if e.purpose == purpose]
    # (time, order, kind, entry): a withdrawal at the same millisecond as a grant wins.
    events: list[tuple[int, int, str, ConsentEntry]] = []
    for e in relevant:
        if e.at <= at:
            events.append((e.at, 0, GRANTED if e.granted else REFUSED, e))
            if e.withdrawn_at is not None and e.withdrawn_at <= at:
                events.append((e.withdrawn_at, 1, WITHDRAWN, e))
    concerning = [ev for ev in events if _concerns(ev[3], provider)]
    if not concerning:
        if purpose == REFERRAL and any(e.at <= at for e in relevant):
            return Decision(False, PROVIDER_NOT_NAMED, {**params, "provider": provider})
        return Decision(False, NO_CONSENT, params)
    _time, _order, kind, entry = max(concerning, key=lambda ev: (ev[0], ev[1]))
    return Decision(kind == GRANTED, kind, params, entry)


def is_permitted(entries: Iterable[ConsentEntry], purpose: str, at: int,
                 provider: str | None = None) -> bool:
    return explain(entries, purpose, at, provider).permitted


# (time, entry id, granted, withdrawn at or None) of one decision for one purpose.
Decided = tuple[int, str, bool, int | None]


def in_force(decisions: Iterable[Decided], at: int) -> bool:
    """``is_permitted`` for a purpose that names no provider (every purpose but referral),
    on plain values: whether the latest event at or before ``at`` is a grant. A decision is
    an event at its time; its withdrawal is one at the withdrawal's time, after a decision
    of the same millisecond; of two decisions of the same millisecond the first by id
    counts, as in ``explain``. For a caseload at once (a report, an export), where building
    every entry would cost more than the decision."""
    latest: tuple[int, int] | None = None
    granted = False
    for when, _id, grant, withdrawn in sorted(decisions, key=lambda d: (d[0], d[1])):
        if when > at:
            continue
        if latest is None or (when, 0) > latest:
            latest, granted = (when, 0), grant
        if withdrawn is not None and withdrawn <= at and (withdrawn, 1) > latest:
            latest, granted = (withdrawn, 1), False
    return granted
