"""Reintegration assessments on the structure of the IOM Reintegration Sustainability Survey
(ARCHITECTURE §5; RESEARCH §4.2).

The survey is versioned reference data, loaded from its file outside the domain
(``caseapp.reference.loader``) and validated strictly here (``survey_from_dict``): questions in
three dimensions (economic, social, psychosocial), how each answer maps onto 0-1 (1 = most
favourable), the weight of each question within its dimension, the weight of each dimension in
the composite, and the reading thresholds. Most of those numbers are unconfirmed ([M]) until
the official RSS annex is available, so every one of them carries its evidence mark and the
administrator can confirm or replace it. Everything here is pure; this module gathers the
public names.
"""

from __future__ import annotations

from caseapp.domain.reference_data import EVIDENCE_MARKS
from caseapp.domain.reintegration.rounds import (
    BASELINE,
    IMPROVED,
    NOT_COMPARABLE,
    UNCHANGED,
    WORSENED,
    Change,
    Comparison,
    InvalidRound,
    compare,
    round_key,
    validate_round,
)
from caseapp.domain.reintegration.scoring import (
    DECIMALS,
    DIMENSION_MISSING,
    DIMENSIONS_FAR_APART,
    NOT_ENOUGH_ANSWERS,
    SCORED,
    UNANSWERED,
    Assessment,
    DimensionScore,
    InvalidAssessmentAnswers,
    QuestionScore,
    assessment_from_record,
    from_milli,
    normalise,
    round_score,
    score,
    to_milli,
)
from caseapp.domain.reintegration.survey import (
    ANSWER_KINDS,
    DIMENSIONS,
    NOT_APPLICABLE,
    SPECIAL_ANSWERS,
    UNKNOWN,
    AnswerType,
    Dimension,
    InvalidReference,
    Option,
    Question,
    Reading,
    Survey,
)
from caseapp.domain.reintegration.survey_reader import (
    survey_from_dict,
)

__all__ = [
    "ANSWER_KINDS", "AnswerType", "Assessment", "BASELINE", "Change", "Comparison", "DECIMALS",
    "DIMENSIONS", "DIMENSIONS_FAR_APART", "DIMENSION_MISSING", "Dimension", "DimensionScore",
    "EVIDENCE_MARKS", "IMPROVED", "InvalidAssessmentAnswers", "InvalidReference",
    "InvalidRound", "NOT_APPLICABLE", "NOT_COMPARABLE", "NOT_ENOUGH_ANSWERS", "Option",
    "Question", "QuestionScore", "Reading", "SCORED", "SPECIAL_ANSWERS", "Survey", "UNANSWERED",
    "UNCHANGED", "UNKNOWN", "WORSENED", "assessment_from_record", "compare", "from_milli",
    "normalise", "round_key", "round_score", "score", "survey_from_dict", "to_milli",
    "validate_round",
]
