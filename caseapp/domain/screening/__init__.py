"""Screening instruments and their evaluation (ARCHITECTURE §5; RESEARCH §1.2-§1.4, §2.2).

Instruments are versioned reference data, loaded from their files outside the domain
(``caseapp.reference.loader``) and validated strictly here (``instrument_from_dict``).
Answers are ``yes`` / ``no`` / ``unknown``; a missing answer counts as unknown.

Three kinds of instrument exist:

- ``ilo_ec``: the ILO/EC operational indicators. Each dimension is positive, negative or
  ``insufficient_information``; the person-level result is a *screening indication* only.
- ``checklist``: the 11 ILO forced-labour indicators, with evidence per item and no score.
- ``vulnerability``: IOM determinants of migrant vulnerability, risk and protective factors
  on four levels, with no score.

No result here ever sets a legal status: ``vic_TraffickingStatus`` is decided separately by an
authorised officer. Everything here is pure; this module gathers the public names.
"""

from __future__ import annotations

from collections.abc import Mapping

from caseapp.domain.reference_data import EVIDENCE_MARKS
from caseapp.domain.screening.answers import (
    Answer,
    InvalidAnswers,
    normalise_answers,
    parse_answers,
)
from caseapp.domain.screening.checklists import evaluate_checklist, evaluate_vulnerability
from caseapp.domain.screening.ilo_ec import (
    dimension_positive,
    dimension_status,
    evaluate,
    person_indicated,
)
from caseapp.domain.screening.instrument_reader import instrument_from_dict
from caseapp.domain.screening.instruments import Indicator, Instrument, InvalidInstrument, Profile
from caseapp.domain.screening.reasons import MESSAGES, Reason, reason_text, show_result
from caseapp.domain.screening.results import (
    AnyResult,
    ChecklistResult,
    LevelFactors,
    ScreeningResult,
    VulnerabilityResult,
)
from caseapp.domain.screening.vocabulary import (
    AGES,
    ANSWER_VALUES,
    DEFAULT_COMBINATIONS,
    DESTINATION_DIMENSIONS,
    DIMENSIONS,
    EFFECTS,
    EXPLOITATION_DIMENSION,
    EXPLOITATIONS,
    INDICATED,
    INDICATORS_PRESENT,
    INSUFFICIENT,
    KINDS,
    LEVELS,
    NEGATIVE,
    NO,
    NO_INDICATOR_PRESENT,
    NOT_INDICATED,
    POSITIVE,
    RECRUITMENT_DIMENSIONS,
    STRENGTHS,
    TRAFFICKING_TYPES,
    UNKNOWN,
    YES,
    Combination,
)


def evaluate_any(instrument: Instrument, answers: Mapping[str, object]) -> AnyResult:
    """Evaluate any kind of instrument with the evaluation that fits it."""
    if instrument.kind == "checklist":
        return evaluate_checklist(instrument, answers)
    if instrument.kind == "vulnerability":
        return evaluate_vulnerability(instrument, answers)
    return evaluate(instrument, answers)


__all__ = [
    "AGES", "ANSWER_VALUES", "Answer", "AnyResult", "ChecklistResult", "Combination",
    "DEFAULT_COMBINATIONS", "DESTINATION_DIMENSIONS", "DIMENSIONS", "EFFECTS",
    "EVIDENCE_MARKS", "EXPLOITATIONS", "EXPLOITATION_DIMENSION", "INDICATED",
    "INDICATORS_PRESENT", "INSUFFICIENT", "Indicator", "Instrument", "InvalidAnswers",
    "InvalidInstrument", "KINDS", "LEVELS", "LevelFactors", "MESSAGES", "NEGATIVE", "NO",
    "NOT_INDICATED", "NO_INDICATOR_PRESENT", "POSITIVE", "Profile", "RECRUITMENT_DIMENSIONS",
    "Reason", "STRENGTHS", "ScreeningResult", "TRAFFICKING_TYPES", "UNKNOWN",
    "VulnerabilityResult", "YES", "dimension_positive", "dimension_status", "evaluate",
    "evaluate_any", "evaluate_checklist", "evaluate_vulnerability", "instrument_from_dict",
    "normalise_answers", "parse_answers", "person_indicated", "reason_text", "show_result",
]
