"""Scoring one assessment: each answer on 0-1 (1 = most favourable), a dimension score as the
weighted mean of its answered questions once enough of them are answered, the composite as the
weighted mean of the dimensions (or of the questions, with per-question composite weights)
once every dimension has a score, the readings and the gap between dimensions.

Scores are rounded to three decimals (half up) so the same answers always show and store the
same numbers. They are stored as whole thousandths (0.667 as 667): a stored body is signed as
canonical JSON, which has no floats, and is shown as 0-1 again when read
(``assessment_from_record``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Final

from caseapp.domain.reintegration.survey import (
    DIMENSIONS,
    NOT_APPLICABLE,
    SPECIAL_ANSWERS,
    UNKNOWN,
    Question,
    Survey,
)
from caseapp.errors import ValidationError
from caseapp.i18n import N_

# Question status in an assessment.
SCORED, UNANSWERED = "scored", "unanswered"
# Dimension status: scored, or too few of its questions answered for a score.
NOT_ENOUGH_ANSWERS: Final = "not_enough_answers"
# Composite status: scored, no composite because a dimension has no score, or a composite
# without a reading because one dimension is far below the others.
DIMENSION_MISSING, DIMENSIONS_FAR_APART = "dimension_missing", "dimensions_far_apart"
DECIMALS: Final = 3


class InvalidAssessmentAnswers(ValidationError):
    msgid = N_("The reintegration survey answers are not valid.")


def round_score(value: float) -> float:
    """Half-up to three decimals via the shortest decimal text of the float, so 0.3325 is
    0.333 everywhere (``round`` would depend on the binary value: 0.332 or 0.333)."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-DECIMALS), ROUND_HALF_UP))


def to_milli(score: float | None) -> int | None:
    """A score already rounded to three decimals as whole thousandths (0.667 -> 667)."""
    return None if score is None else round(score * 10 ** DECIMALS)


def from_milli(milli: int | None) -> float | None:
    # The correctly rounded quotient is the very float the score was before storing.
    return None if milli is None else milli / 10 ** DECIMALS


def _stored_answer(answer: str | float) -> str | int:
    """An answer as stored: a fraction (possible only in an administrator's survey) becomes
    its shortest decimal text, so what the person said is kept exactly and without a float."""
    if not isinstance(answer, float):
        return answer
    return int(answer) if answer.is_integer() else format(Decimal(repr(answer)), "f")


@dataclass(frozen=True)
class QuestionScore:
    id: str
    dimension: str
    answer: str | float | None  # as given; None when unanswered
    status: str  # scored / unanswered / not_applicable
    value: float | None  # normalised 0-1, None unless scored


@dataclass(frozen=True)
class DimensionScore:
    id: str
    score: float | None
    reading: str | None
    answered: int
    unanswered: int
    not_applicable: int
    status: str = SCORED  # or NOT_ENOUGH_ANSWERS


@dataclass(frozen=True)
class Assessment:
    survey_id: str
    survey_version: str
    questions: tuple[QuestionScore, ...]
    dimensions: Mapping[str, DimensionScore]
    composite: float | None
    reading: str | None
    # A large gap between dimensions is itself a referral signal (RESEARCH §4.2).
    gap: float | None
    gap_flag: bool
    composite_status: str = SCORED  # or DIMENSION_MISSING / DIMENSIONS_FAR_APART

    def answers(self) -> dict[str, str | int]:
        """The given answers as stored (no floats)."""
        return {q.id: _stored_answer(q.answer) for q in self.questions
                if q.answer is not None and q.status != UNANSWERED}

    def to_record(self) -> dict[str, Any]:
        """The scores as stored: as ``to_json`` with every score in whole thousandths."""
        shown = self.to_json()
        for question in shown["questions"].values():
            question["value"] = to_milli(question["value"])
        for dimension in shown["dimensions"].values():
            dimension["score"] = to_milli(dimension["score"])
        for key in ("composite", "dimension_gap"):
            shown[key] = to_milli(shown[key])
        return shown

    def to_json(self) -> dict[str, Any]:
        """The scores as shown, each from 0 to 1."""
        return {
            "survey": {"id": self.survey_id, "version": self.survey_version},
            "questions": {q.id: {"dimension": q.dimension, "status": q.status, "value": q.value}
                          for q in self.questions},
            "dimensions": {d.id: {"score": d.score, "reading": d.reading, "status": d.status,
                                  "answered": d.answered, "unanswered": d.unanswered,
                                  "not_applicable": d.not_applicable}
                           for d in self.dimensions.values()},
            "composite": self.composite,
            "composite_status": self.composite_status,
            "reading": self.reading,
            "dimension_gap": self.gap,
            "dimension_gap_flag": self.gap_flag,
        }


def _bad_answer(question: Question) -> InvalidAssessmentAnswers:
    # The answer itself is not repeated: it may be what a person said.
    t = question.answer_type
    if t.kind == "number":
        msgid = (N_("The answer to %(question)s must be a whole number from %(min)s upwards.")
                 if t.integer else
                 N_("The answer to %(question)s must be a number from %(min)s upwards."))
        return InvalidAssessmentAnswers(msgid, question=question.id, min=_fmt(t.minimum))
    return InvalidAssessmentAnswers(
        N_("The answer to %(question)s must be one of: %(choices)s."), question=question.id,
        choices=", ".join([o.value for o in question.answer_type.options] + list(
            SPECIAL_ANSWERS if question.not_applicable else (UNKNOWN,))))


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def normalise(question: Question, answer: object) -> QuestionScore:
    """One answer on the 0-1 scale (1 = most favourable). ``None`` and ``unknown`` are
    unanswered; ``not_applicable`` only where the question allows it (no children, ...)."""
    q = question
    if answer is None or answer == UNKNOWN:
        return QuestionScore(q.id, q.dimension, None, UNANSWERED, None)
    if answer == NOT_APPLICABLE:
        if not q.not_applicable:
            raise _bad_answer(q)
        return QuestionScore(q.id, q.dimension, NOT_APPLICABLE, NOT_APPLICABLE, None)
    t = q.answer_type
    raw: str | float
    if t.kind == "options":
        option = t.option(answer) if isinstance(answer, str) else None
        if option is None:
            raise _bad_answer(q)
        raw, value = option.value, option.score
    else:
        ok = (not isinstance(answer, bool) and isinstance(answer, int | float)
              and math.isfinite(answer) and answer >= t.minimum
              and (not t.integer or float(answer).is_integer()))
        if not ok:
            raise _bad_answer(q)
        assert isinstance(answer, int | float)  # checked just above; tells the type checker
        raw = int(answer) if t.integer else float(answer)
        # Above the maximum counts as the maximum ("3 or more sources of income").
        value = (min(float(answer), t.maximum) - t.minimum) / (t.maximum - t.minimum)
    if q.reverse:
        value = 1.0 - value
    return QuestionScore(q.id, q.dimension, raw, SCORED, round_score(value))


def _weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    """Mean of (value, weight) pairs; None when nothing carries weight."""
    largest = max((w for _v, w in pairs), default=0.0)
    if largest <= 0:
        return None
    # Scale by the largest weight first: tiny weights (an administrator's 1e-300) would
    # otherwise underflow in v * w and pull the mean to 0.
    scaled = [(v, w / largest) for v, w in pairs]
    mean = math.fsum(v * w for v, w in scaled) / math.fsum(w for _v, w in scaled)
    # fsum keeps the mean inside [min, max]; clamp against the last ulp all the same.
    return min(max(mean, min(v for v, _w in pairs)), max(v for v, _w in pairs))


def _enough(answered: int, applicable: int, share: float) -> bool:
    """At least ``share`` of the applicable questions answered, and at least one. Counted in
    whole questions: 0.5 of 7 questions needs 4."""
    return answered > 0 and answered >= math.ceil(round_score(share * applicable))


def score(answers: Mapping[str, object], survey: Survey) -> Assessment:
    """Score the answers: normalised values, a dimension score where enough of its questions
    are answered, and a composite only when every dimension has a score. The composite has
    no reading when the dimensions are far apart: a mean of 1, 1 and 0 is not "high"."""
    if not isinstance(answers, Mapping):
        raise InvalidAssessmentAnswers(N_("The answers must map question ids to answers."))
    for key in answers:
        if survey.question(key) is None:
            raise InvalidAssessmentAnswers(
                N_("%(question)s is not a question of the reintegration survey."),
                question=str(key)[:80])
    questions = tuple(normalise(q, answers.get(q.id)) for q in survey.questions)
    by_id = {q.id: q for q in survey.questions}
    dims: dict[str, DimensionScore] = {}
    raw_dims: dict[str, float] = {}
    for dim in DIMENSIONS:
        members = [s for s in questions if s.dimension == dim]
        scored = [(s.value, by_id[s.id].weight) for s in members if s.value is not None]
        not_applicable = sum(1 for s in members if s.status == NOT_APPLICABLE)
        enough = _enough(len(scored), len(members) - not_applicable,
                         survey.min_answered_share)
        # Mean of the answered questions only: a missing answer is not a 0.
        mean = _weighted_mean(scored) if enough else None
        value = None if mean is None else round_score(mean)
        if mean is not None:
            raw_dims[dim] = mean
        dims[dim] = DimensionScore(
            dim, value, survey.reading_of(value), answered=len(scored),
            unanswered=sum(1 for s in members if s.status == UNANSWERED),
            not_applicable=not_applicable,
            status=SCORED if value is not None else NOT_ENOUGH_ANSWERS)
    present = [d.score for d in dims.values() if d.score is not None]
    gap = round_score(max(present) - min(present)) if len(present) >= 2 else None
    gap_flag = gap is not None and gap >= survey.dimension_gap
    composite: float | None = None
    if len(raw_dims) < len(DIMENSIONS):
        # Re-weighting over the dimensions that happen to have answers would read as the
        # whole picture; the composite waits until every dimension has enough answers.
        status = DIMENSION_MISSING
    else:
        if survey.composite_from_questions():
            pairs = [(s.value, by_id[s.id].composite_weight or 0.0) for s in questions
                     if s.value is not None]
        else:
            pairs = [(raw_dims[d], survey.dimensions[d].weight) for d in DIMENSIONS]
        mean = _weighted_mean(pairs)
        composite = None if mean is None else round_score(mean)
        status = (DIMENSION_MISSING if composite is None
                  else DIMENSIONS_FAR_APART if gap_flag else SCORED)
    reading = survey.reading_of(composite) if status == SCORED else None
    return Assessment(survey.id, survey.version, questions, MappingProxyType(dims), composite,
                      reading, gap, gap_flag, status)


def assessment_from_record(data: Mapping[str, Any]) -> Assessment:
    """Rebuild stored scores (``Assessment.to_record``) for showing and comparing, without
    rescoring: a stored round keeps the numbers computed with the weights of its day."""
    # Rounds stored before the statuses existed have none: a score is then what they had.
    dims = {d: DimensionScore(d, from_milli(v["score"]), v["reading"], v["answered"],
                              v["unanswered"], v["not_applicable"],
                              v.get("status") or (SCORED if v["score"] is not None
                                                  else NOT_ENOUGH_ANSWERS))
            for d, v in data["dimensions"].items()}
    questions = tuple(QuestionScore(q, v["dimension"], None, v["status"],
                                    from_milli(v["value"]))
                      for q, v in data["questions"].items())
    return Assessment(data["survey"]["id"], data["survey"]["version"], questions,
                      MappingProxyType(dims), from_milli(data["composite"]), data["reading"],
                      from_milli(data["dimension_gap"]), data["dimension_gap_flag"],
                      data.get("composite_status") or (SCORED if data["composite"] is not None
                                                       else DIMENSION_MISSING))
