"""The reintegration survey as value types: questions in three dimensions, how each answer
maps onto 0-1, the weights and the reading thresholds, each with its evidence mark."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from caseapp.domain.reference_data import Labels, ReferenceDataError, pick_label
from caseapp.i18n import N_, current_language

DIMENSIONS: Final = ("economic", "social", "psychosocial")
ANSWER_KINDS: Final = ("options", "number")
UNKNOWN, NOT_APPLICABLE = "unknown", "not_applicable"
SPECIAL_ANSWERS: Final = (UNKNOWN, NOT_APPLICABLE)


class InvalidReference(ReferenceDataError):
    """A problem in the survey's reference data, tied to the field where it was found."""

    msgid = N_("The reintegration survey %(source)s is not valid: %(problem)s")


@dataclass(frozen=True)
class Option:
    value: str
    score: float
    label: Labels


@dataclass(frozen=True)
class AnswerType:
    id: str
    kind: str
    evidence: str
    options: tuple[Option, ...] = ()
    minimum: float = 0.0
    maximum: float = 1.0
    integer: bool = False
    hint: Labels | None = None

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Question:
    id: str
    dimension: str
    answer_type: AnswerType
    weight: float
    evidence: str
    source: str
    label: Labels
    # Negative wording ("how often ... not enough food"): 1 - score keeps 1 most favourable.
    reverse: bool = False
    not_applicable: bool = False
    # The official RSS weighs each question separately for its dimension score and for the
    # composite (RESEARCH §4.2). None: the composite is the weighted mean of the dimensions.
    composite_weight: float | None = None

    def label_in(self, lang: str | None = None) -> str:
        return pick_label(self.label, lang)


@dataclass(frozen=True)
class Dimension:
    id: str
    weight: float
    evidence: str
    label: Labels


@dataclass(frozen=True)
class Reading:
    """A band of scores. A score belongs to the last band whose lower bound it reaches."""

    id: str
    minimum: float
    inclusive: bool
    evidence: str
    label: Labels

    def admits(self, score: float) -> bool:
        return score >= self.minimum if self.inclusive else score > self.minimum


@dataclass(frozen=True)
class Survey:
    id: str
    version: str
    title: Labels
    source: str
    evidence: str
    note: str | None
    special_labels: Mapping[str, Labels]
    answer_types: Mapping[str, AnswerType]
    dimensions: Mapping[str, Dimension]
    questions: tuple[Question, ...]
    readings: tuple[Reading, ...]
    dimension_gap: float
    dimension_gap_evidence: str
    # The least share of a dimension's applicable questions that must be answered before the
    # dimension has a score: one answer ("has a CNIC") says nothing about a dimension.
    min_answered_share: float = 0.0
    min_answered_share_evidence: str = "[M]"

    def composite_from_questions(self) -> bool:
        """Whether the composite uses per-question weights (all questions have one)."""
        return all(q.composite_weight is not None for q in self.questions)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def reading_of(self, score: float | None) -> str | None:
        if score is None:
            return None
        found = None
        for reading in self.readings:
            if reading.admits(score):
                found = reading.id
        return found

    def unconfirmed(self) -> list[str]:
        """Where the reference data is still [M]: the paths an administrator should confirm."""
        paths = [f"answer_types.{t.id}" for t in self.answer_types.values()
                 if t.evidence == "[M]"]
        paths += [f"dimensions.{d.id}.weight" for d in self.dimensions.values()
                  if d.evidence == "[M]"]
        paths += [f"questions.{q.id}" for q in self.questions if q.evidence == "[M]"]
        paths += [f"readings.{r.id}" for r in self.readings if r.evidence == "[M]"]
        if self.dimension_gap_evidence == "[M]":
            paths.append("dimension_gap")
        if self.min_answered_share_evidence == "[M]":
            paths.append("min_answered_share")
        return paths

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """The survey as a form shows it, labels in ``lang`` (default: current language)."""
        lang = lang or current_language()

        def answer_type(t: AnswerType) -> dict[str, Any]:
            out: dict[str, Any] = {"kind": t.kind, "evidence": t.evidence}
            if t.kind == "options":
                out["options"] = [{"value": o.value, "score": o.score,
                                   "label": pick_label(o.label, lang)} for o in t.options]
            else:
                out.update(min=t.minimum, max=t.maximum, integer=t.integer)
                if t.hint:
                    out["hint"] = pick_label(t.hint, lang)
            return out

        return {
            "id": self.id, "version": self.version, "title": pick_label(self.title, lang),
            "source": self.source, "evidence": self.evidence, "language": lang,
            "special_answers": {k: pick_label(v, lang) for k, v in self.special_labels.items()},
            "dimensions": {d.id: {"label": pick_label(d.label, lang), "weight": d.weight,
                                  "evidence": d.evidence} for d in self.dimensions.values()},
            "questions": [{"id": q.id, "dimension": q.dimension, "label": q.label_in(lang),
                           "reverse": q.reverse, "not_applicable_allowed": q.not_applicable,
                           "weight": q.weight, "composite_weight": q.composite_weight,
                           "evidence": q.evidence,
                           "answer_type": {"id": q.answer_type.id,
                                           **answer_type(q.answer_type)}}
                          for q in self.questions],
            "readings": [{"id": r.id, "min": r.minimum, "min_inclusive": r.inclusive,
                          "label": pick_label(r.label, lang), "evidence": r.evidence}
                         for r in self.readings],
            "dimension_gap": {"value": self.dimension_gap,
                              "evidence": self.dimension_gap_evidence},
            "min_answered_share": {"value": self.min_answered_share,
                                   "evidence": self.min_answered_share_evidence},
            "unconfirmed": self.unconfirmed(),
        }
