"""What a form needs to check input as it is typed and to offer the right choices, in the
user's language — the same rules the services apply when saving, so a form never accepts
what a save would refuse, and the widgets hold no business rules of their own."""

from __future__ import annotations

from typing import Any

from caseapp.crypto import passphrase_policy
from caseapp.domain import consent, htcds, roles, stages
from caseapp.domain import referrals as referral_rules
from caseapp.domain.case_documents import require_name, split_document
from caseapp.errors import FieldErrors, PassphrasePolicyError
from caseapp.i18n import N_, _

PURPOSES = consent.PURPOSES
STAGES = stages.STAGES


def problems(document: dict[str, Any], *, partial: bool = False) -> dict[str, str]:
    """Field → what is wrong with it, translated; empty when ``document`` would save.
    ``partial`` checks an edit (only the fields given) rather than a new case."""
    found: dict[str, str] = {}
    try:
        person, _case, _events = split_document(document, partial=partial)
        if not partial:
            require_name(person)
    except FieldErrors as exc:
        for name, problem, params in exc.problems:
            found.setdefault(name, _(problem, **params))
    return found


def choices(field: str) -> list[tuple[str, str]]:
    """(code, label in the current language) of an HTCDS picklist field."""
    spec = htcds.spec(field)
    if spec is None:
        return []
    return [(code, _(label)) for code, label in zip(spec.codes, spec.code_labels,
                                                    strict=True)]


def code_label(field: str, code: str) -> str:
    spec = htcds.spec(field)
    return _(spec.label_of(code)) if spec is not None else code


def stage_label(stage: str) -> str:
    return _(stages.STAGE_LABELS.get(stage, stage))


def purpose_label(purpose: str) -> str:
    return _(consent.PURPOSE_LABELS.get(purpose, purpose))


def service_choices() -> list[tuple[str, str]]:
    """(code, label in the current language) of every service a referral may ask for."""
    return [(code, _(label)) for code, label in referral_rules.SERVICE_TYPES.items()]


def urgency_choices() -> list[tuple[str, str]]:
    return [(code, _(referral_rules.URGENCY_LABELS[code]))
            for code in referral_rules.URGENCIES]


def may_refer(role: str) -> bool:
    """Whether a user of ``role`` makes referral packages: a referral is casework
    (``case.edit``) and its package an export (``case.export``), as the services check."""
    allowed = roles.PERMISSIONS.get(role, frozenset())
    return roles.CASE_EDIT in allowed and roles.CASE_EXPORT in allowed


def allowed_moves(stage: str, role: str) -> tuple[str, ...]:
    """The stages a user of ``role`` may move a case in ``stage`` to."""
    return stages.allowed_targets(stage, role)


def passphrase_problem(passphrase: str) -> str | None:
    """What makes ``passphrase`` too weak to protect a vault, translated; None if it will do."""
    try:
        passphrase_policy.check(passphrase)
    except PassphrasePolicyError as exc:
        return exc.user_message()
    return None


# Our extensions' names as a form shows them (HTCDS fields use the standard's own labels).
_EXTENSION_LABELS = {
    "hfz_NameUrdu": N_("Name in Urdu script"), "hfz_FatherName": N_("Father's name"),
    "hfz_FatherNameUrdu": N_("Father's name in Urdu script"), "hfz_Aliases": N_("Aliases"),
    "hfz_IdentityDocuments": N_("Identity documents"), "hfz_EstimatedAge": N_("Estimated age"),
    "hfz_BirthYearEstimated": N_("Birth year estimated"), "hfz_AgeDisputed": N_("Age disputed"),
    "hfz_AgeAssessment": N_("Age assessment"), "hfz_Tracks": N_("Tracks"),
    "hfz_Stage": N_("Stage"), "hfz_RiskFlags": N_("Risk flags"),
    "hfz_PlaceOfIdentification": N_("Place of identification"), "hfz_Summary": N_("Summary"),
    "hfz_CaseNumber": N_("Case number"),
}


def field_label(field: str) -> str:
    """What a person reads for a field name: our label (translated), or the HTCDS label."""
    if field in _EXTENSION_LABELS:
        return _(_EXTENSION_LABELS[field])
    spec = htcds.spec(field)
    return spec.label if spec is not None else field
