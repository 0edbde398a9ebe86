"""Case stages (ARCHITECTURE §1) and the moves allowed between them, per role.

Re-screening is possible from any open stage (smuggling can turn into trafficking on new
information); closing needs a reason; a closed case can be re-opened, which is recorded.
"""

from __future__ import annotations

from caseapp.i18n import N_

INTAKE = "intake"
SCREENING = "screening"
IDENTIFICATION = "identification"
ASSISTANCE_PLAN = "assistance_plan"
REFERRAL = "referral"
PROTECTION_RETURN = "protection_return"
REINTEGRATION = "reintegration"
FOLLOW_UP = "follow_up"
CLOSED = "closed"

STAGES: tuple[str, ...] = (INTAKE, SCREENING, IDENTIFICATION, ASSISTANCE_PLAN, REFERRAL,
                           PROTECTION_RETURN, REINTEGRATION, FOLLOW_UP, CLOSED)
STAGE_LABELS = {
    INTAKE: N_("Intake"), SCREENING: N_("Screening"), IDENTIFICATION: N_("Identification"),
    ASSISTANCE_PLAN: N_("Assistance plan"), REFERRAL: N_("Referral"),
    PROTECTION_RETURN: N_("Protection and return"), REINTEGRATION: N_("Reintegration"),
    FOLLOW_UP: N_("Follow-up"), CLOSED: N_("Closed"),
}

_FORWARD: dict[str, tuple[str, ...]] = {
    INTAKE: (SCREENING, REFERRAL),
    SCREENING: (IDENTIFICATION, REFERRAL),
    IDENTIFICATION: (ASSISTANCE_PLAN, REFERRAL),
    ASSISTANCE_PLAN: (REFERRAL, PROTECTION_RETURN, REINTEGRATION),
    REFERRAL: (ASSISTANCE_PLAN, PROTECTION_RETURN, REINTEGRATION, FOLLOW_UP),
    PROTECTION_RETURN: (REINTEGRATION, FOLLOW_UP),
    REINTEGRATION: (FOLLOW_UP,),
    FOLLOW_UP: (REINTEGRATION,),
    CLOSED: (),
}

# Border officers do the quick intake, red-flag screening and referral; the rest of the
# casework belongs to caseworkers and managers. Only managers and administrators re-open.
_ROLE_STAGES: dict[str, frozenset[str]] = {
    "border_officer": frozenset({SCREENING, IDENTIFICATION, REFERRAL, CLOSED}),
    "caseworker": frozenset(STAGES),
    "manager": frozenset(STAGES),
    "administrator": frozenset(STAGES),
}
REOPEN_ROLES = frozenset({"manager", "administrator"})

# HTCDS cas_Status follows from the stage.
HTCDS_STATUS = {FOLLOW_UP: "FollowUp", CLOSED: "Closed"}


def htcds_status(stage: str, referred_on: bool = False) -> str:
    """HTCDS cas_Status of a case at ``stage``; a case closed while another organisation
    has taken it on (an outgoing referral accepted) is ClosedReferred."""
    if stage == CLOSED and referred_on:
        return "ClosedReferred"
    return HTCDS_STATUS.get(stage, "Active")


def allowed_targets(current: str, role: str) -> tuple[str, ...]:
    """Stages a user of ``role`` may move a case to from ``current``."""
    if current == CLOSED:
        return (INTAKE,) if role in REOPEN_ROLES else ()
    targets = set(_FORWARD[current]) | {CLOSED}
    if current != SCREENING:
        targets.add(SCREENING)  # re-screening is always possible
    permitted = _ROLE_STAGES.get(role, frozenset())
    return tuple(s for s in STAGES if s in targets and s in permitted)


def can_move(current: str, target: str, role: str) -> bool:
    return target in allowed_targets(current, role)


def may_hold(stage: str, role: str) -> bool:
    """Whether a user of ``role`` may put a new case straight into ``stage`` (an intake that
    arrives already screened, an import); every case may start at intake."""
    return stage == INTAKE or stage in _ROLE_STAGES.get(role, frozenset())
