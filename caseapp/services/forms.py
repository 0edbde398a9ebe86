"""What a form needs to check input as it is typed and to offer the right choices, in the
user's language — the same rules the services apply when saving, so a form never accepts
what a save would refuse, and the widgets hold no business rules of their own."""

from __future__ import annotations

from typing import Any

from caseapp.crypto import passphrase_policy
from caseapp.domain import consent, htcds, stages
from caseapp.domain.case_documents import require_name, split_document
from caseapp.errors import FieldErrors, PassphrasePolicyError
from caseapp.i18n import _

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
