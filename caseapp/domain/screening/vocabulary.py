"""The words of screening: dimensions, strengths, answers, statuses and the ILO/EC combinations
(RESEARCH §1.2). Every other screening module speaks in these."""

from __future__ import annotations

from typing import Final

DIMENSIONS: Final = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitative_conditions",
    "coercion_at_destination",
    "destination_abuse_of_vulnerability",
)
RECRUITMENT_DIMENSIONS: Final = DIMENSIONS[:3]
EXPLOITATION_DIMENSION: Final = DIMENSIONS[3]
DESTINATION_DIMENSIONS: Final = DIMENSIONS[4:]
# The brochure types a victim by the positive recruitment dimension(s) (RESEARCH §1.2).
TRAFFICKING_TYPES: Final = {
    "deceptive_recruitment": "deceptive",
    "coercive_recruitment": "coercive",
    "recruitment_abuse_of_vulnerability": "abuse_of_vulnerability",
}

KINDS: Final = ("ilo_ec", "checklist", "vulnerability")
STRENGTHS: Final = ("strong", "medium", "weak")
AGES: Final = ("adult", "child")
EXPLOITATIONS: Final = ("labour", "sexual")
LEVELS: Final = ("individual", "household", "community", "structural")
EFFECTS: Final = ("risk", "protective")

YES, NO, UNKNOWN = "yes", "no", "unknown"
ANSWER_VALUES: Final = (YES, NO, UNKNOWN)

POSITIVE, NEGATIVE, INSUFFICIENT = "positive", "negative", "insufficient_information"
INDICATED, NOT_INDICATED = "trafficking_indicated", "not_indicated"
INDICATORS_PRESENT, NO_INDICATOR_PRESENT = "indicators_present", "no_indicator_present"

# One combination = (set of strengths counted together, minimum count) pairs that must all hold.
Combination = tuple[tuple[frozenset[str], int], ...]

# RESEARCH §1.2 step A: 2 S; or 1 S + 1 M/W; or 3 M; or 2 M + 1 W.
DEFAULT_COMBINATIONS: Final[tuple[Combination, ...]] = (
    ((frozenset({"strong"}), 2),),
    ((frozenset({"strong"}), 1), (frozenset({"medium", "weak"}), 1)),
    ((frozenset({"medium"}), 3),),
    ((frozenset({"medium"}), 2), (frozenset({"weak"}), 1)),
)
