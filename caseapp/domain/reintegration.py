"""Reintegration assessments on the structure of the IOM Reintegration Sustainability Survey
(ARCHITECTURE §5; RESEARCH §4.2).

The survey is versioned reference data (``caseapp/reference/reintegration/rss.json`` or a file
an administrator installs): questions in three dimensions (economic, social, psychosocial),
how each answer maps onto 0-1 (1 = most favourable), the weight of each question within its
dimension, the weight of each dimension in the composite, and the reading thresholds. Most of
those numbers are unconfirmed ([M]) until the official RSS annex is available, so every one of
them carries its evidence mark and the administrator can confirm or replace it.

Scoring is pure: a dimension score is the weighted mean of its answered questions, the
composite is the weighted mean of the dimensions that have a score. Scores are rounded to
three decimals (half up) so the same answers always show and store the same numbers. They are
stored as whole thousandths (0.667 as 667): a stored body is signed as canonical JSON, which
has no floats, and is shown as 0-1 again when read (``assessment_from_record``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from caseapp.domain import screening
from caseapp.domain.reference_files import (
    FileMessages,
    ReferenceDataError,
    parse_json,
    read_json_file,
)
from caseapp.errors import ValidationError
from caseapp.i18n import N_, current_language

DIMENSIONS: Final = ("economic", "social", "psychosocial")
EVIDENCE_MARKS: Final = screening.EVIDENCE_MARKS
ANSWER_KINDS: Final = ("options", "number")
UNKNOWN, NOT_APPLICABLE = "unknown", "not_applicable"
SPECIAL_ANSWERS: Final = (UNKNOWN, NOT_APPLICABLE)

# Question status in an assessment.
SCORED, UNANSWERED = "scored", "unanswered"

# Direction of a change between two rounds.
IMPROVED, WORSENED, UNCHANGED, NOT_COMPARABLE = (
    "improved", "worsened", "unchanged", "not_comparable")

BASELINE: Final = "baseline"
_ROUND_RE: Final = re.compile(r"monitoring_([1-9][0-9]{0,2})")
DECIMALS: Final = 3

Labels = Mapping[str, str]


# --- errors --------------------------------------------------------------------------------

class ReferenceFileError(ValidationError):
    msgid = N_("The reintegration survey file cannot be read.")


class InvalidReference(ReferenceDataError):
    """A problem in the survey's reference data, tied to the field where it was found."""

    msgid = N_("The reintegration survey %(source)s is not valid: %(problem)s")


class InvalidAssessmentAnswers(ValidationError):
    msgid = N_("The reintegration survey answers are not valid.")


class InvalidRound(ValidationError):
    msgid = N_("%(round)s is not an assessment round; use baseline or monitoring_1, "
               "monitoring_2 and so on.")


# --- numbers -------------------------------------------------------------------------------

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


def round_key(round_name: str) -> int:
    """Sort key of a round: baseline first, then monitoring_1, monitoring_2, ..."""
    if round_name == BASELINE:
        return 0
    match = _ROUND_RE.fullmatch(round_name) if isinstance(round_name, str) else None
    if match is None:
        raise InvalidRound(round=str(round_name)[:40])
    return int(match.group(1))


def validate_round(round_name: object) -> str:
    round_key(round_name)  # type: ignore[arg-type]  # raises for anything but a round name
    return str(round_name)


# --- reference data ------------------------------------------------------------------------

def _pick(labels: Labels, lang: str | None = None) -> str:
    return labels.get(lang or current_language()) or labels["en"]


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

    def label_in(self, lang: str | None = None) -> str:
        return _pick(self.label, lang)


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
        return paths

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """The survey as a form shows it, labels in ``lang`` (default: current language)."""
        lang = lang or current_language()

        def answer_type(t: AnswerType) -> dict[str, Any]:
            out: dict[str, Any] = {"kind": t.kind, "evidence": t.evidence}
            if t.kind == "options":
                out["options"] = [{"value": o.value, "score": o.score,
                                   "label": _pick(o.label, lang)} for o in t.options]
            else:
                out.update(min=t.minimum, max=t.maximum, integer=t.integer)
                if t.hint:
                    out["hint"] = _pick(t.hint, lang)
            return out

        return {
            "id": self.id, "version": self.version, "title": _pick(self.title, lang),
            "source": self.source, "evidence": self.evidence, "language": lang,
            "special_answers": {k: _pick(v, lang) for k, v in self.special_labels.items()},
            "dimensions": {d.id: {"label": _pick(d.label, lang), "weight": d.weight,
                                  "evidence": d.evidence} for d in self.dimensions.values()},
            "questions": [{"id": q.id, "dimension": q.dimension, "label": q.label_in(lang),
                           "reverse": q.reverse, "not_applicable_allowed": q.not_applicable,
                           "weight": q.weight, "evidence": q.evidence,
                           "answer_type": {"id": q.answer_type.id,
                                           **answer_type(q.answer_type)}}
                          for q in self.questions],
            "readings": [{"id": r.id, "min": r.minimum, "min_inclusive": r.inclusive,
                          "label": _pick(r.label, lang), "evidence": r.evidence}
                         for r in self.readings],
            "dimension_gap": {"value": self.dimension_gap,
                              "evidence": self.dimension_gap_evidence},
            "unconfirmed": self.unconfirmed(),
        }


class _Reader(screening._Reader):
    """The screening module's strict reader (same messages), raising the survey's error."""

    def fail(self, path: str, problem: str,  # type: ignore[override]
             **params: object) -> InvalidReference:
        return InvalidReference(self.source, path or "document", problem, **params)

    def number(self, data: Mapping[str, Any], key: str, path: str, *,
               unit: bool = False) -> float:
        """A finite non-negative number; with ``unit`` also at most 1."""
        value = self.required(data, key, path)
        ok = (not isinstance(value, bool) and isinstance(value, int | float)
              and math.isfinite(value) and value >= 0 and (not unit or value <= 1))
        if not ok:
            if unit:
                raise self.fail(_join(path, key), N_("%(field)s must be a number from 0 to 1."))
            raise self.fail(_join(path, key), N_("%(field)s must be a number of at least 0."))
        return float(value)

    def flag(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(_join(path, key), N_("%(field)s must be true or false."))
        return value

    def items(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, N_("%(field)s must be a non-empty list."))
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TOP_KEYS: Final = frozenset({"id", "version", "title", "source", "evidence", "note",
                              "special_answers", "answer_types", "dimensions", "questions",
                              "readings", "dimension_gap"})


def _read_answer_type(r: _Reader, type_id: str, value: object, path: str) -> AnswerType:
    data = r.obj(value, path, ("kind", "evidence", "options", "min", "max", "integer", "hint"))
    kind = r.choice(data, "kind", path, ANSWER_KINDS)
    evidence = r.choice(data, "evidence", path, EVIDENCE_MARKS)
    if kind == "number":
        if "options" in data:
            raise r.fail(_join(path, "options"), N_("%(field)s is not a known field."))
        low, high = r.number(data, "min", path), r.number(data, "max", path)
        if high <= low:
            raise r.fail(_join(path, "max"), N_("%(field)s must be greater than min."))
        hint = r.labels(data["hint"], _join(path, "hint")) if "hint" in data else None
        return AnswerType(type_id, kind, evidence, minimum=low, maximum=high,
                          integer=r.flag(data, "integer", path, False), hint=hint)
    for key in ("min", "max", "integer", "hint"):
        if key in data:
            raise r.fail(_join(path, key), N_("%(field)s is not a known field."))
    options: list[Option] = []
    for i, raw in enumerate(r.items(r.required(data, "options", path), _join(path, "options"))):
        opath = f"{path}.options[{i}]"
        odata = r.obj(raw, opath, ("value", "score", "label"))
        option = Option(r.ident(odata, "value", opath), r.number(odata, "score", opath, unit=True),
                        r.labels(r.required(odata, "label", opath), _join(opath, "label")))
        # The special answers mean "no score"; an option with that value would be ambiguous.
        if option.value in SPECIAL_ANSWERS or any(o.value == option.value for o in options):
            raise r.fail(_join(opath, "value"), N_("%(field)s repeats the value %(id)s or uses "
                                                   "a reserved one."), id=option.value)
        options.append(option)
    return AnswerType(type_id, kind, evidence, options=tuple(options))


def _read_question(r: _Reader, value: object, path: str,
                   types: Mapping[str, AnswerType]) -> Question:
    data = r.obj(value, path, ("id", "dimension", "answer_type", "weight", "evidence", "source",
                               "label", "reverse", "not_applicable", "note"))
    type_id = r.choice(data, "answer_type", path, tuple(types))
    return Question(
        id=r.ident(data, "id", path),
        dimension=r.choice(data, "dimension", path, DIMENSIONS),
        answer_type=types[type_id],
        weight=r.number(data, "weight", path),
        evidence=r.choice(data, "evidence", path, EVIDENCE_MARKS),
        source=r.text(data, "source", path),
        label=r.labels(r.required(data, "label", path), _join(path, "label")),
        reverse=r.flag(data, "reverse", path, False),
        not_applicable=r.flag(data, "not_applicable", path, False),
    )


def _read_questions(r: _Reader, value: object, types: Mapping[str, AnswerType]
                    ) -> tuple[Question, ...]:
    questions = tuple(_read_question(r, v, f"questions[{i}]", types)
                      for i, v in enumerate(r.items(value, "questions")))
    seen: set[str] = set()
    for i, q in enumerate(questions):
        if q.id in seen:
            raise r.fail(f"questions[{i}].id", N_("%(field)s repeats the id %(id)s."), id=q.id)
        seen.add(q.id)
    for dim in DIMENSIONS:
        members = [q for q in questions if q.dimension == dim]
        if not members:
            raise r.fail(f"dimensions.{dim}", N_("%(field)s has no question."))
        # All-zero weights would make the weighted mean a division by zero.
        if sum(q.weight for q in members) <= 0:
            raise r.fail(f"dimensions.{dim}", N_("%(field)s: the question weights must add up "
                                                 "to more than 0."))
    return questions


def _read_dimensions(r: _Reader, value: object) -> Mapping[str, Dimension]:
    table = r.obj(value, "dimensions", DIMENSIONS)
    dims: dict[str, Dimension] = {}
    for dim in DIMENSIONS:
        path = f"dimensions.{dim}"
        data = r.obj(r.required(table, dim, "dimensions"), path, ("weight", "evidence", "label"))
        dims[dim] = Dimension(dim, r.number(data, "weight", path),
                              r.choice(data, "evidence", path, EVIDENCE_MARKS),
                              r.labels(r.required(data, "label", path), _join(path, "label")))
    if sum(d.weight for d in dims.values()) <= 0:
        raise r.fail("dimensions", N_("%(field)s: the dimension weights must add up to more "
                                      "than 0."))
    return MappingProxyType(dims)


def _read_readings(r: _Reader, value: object) -> tuple[Reading, ...]:
    readings: list[Reading] = []
    for i, raw in enumerate(r.items(value, "readings")):
        path = f"readings[{i}]"
        data = r.obj(raw, path, ("id", "min", "min_inclusive", "evidence", "label"))
        reading = Reading(r.ident(data, "id", path), r.number(data, "min", path, unit=True),
                          r.flag(data, "min_inclusive", path, True),
                          r.choice(data, "evidence", path, EVIDENCE_MARKS),
                          r.labels(r.required(data, "label", path), _join(path, "label")))
        if readings and (reading.minimum, not reading.inclusive) <= (
                readings[-1].minimum, not readings[-1].inclusive):
            raise r.fail(_join(path, "min"), N_("%(field)s must be above the previous band's "
                                                "lower bound (bands go from low to high)."))
        if any(x.id == reading.id for x in readings):
            raise r.fail(_join(path, "id"), N_("%(field)s repeats the id %(id)s."),
                         id=reading.id)
        readings.append(reading)
    # Every score from 0 to 1 must fall into a band, so the first must start at 0 inclusive.
    if readings[0].minimum != 0 or not readings[0].inclusive:
        raise r.fail("readings[0].min", N_("%(field)s must be 0, inclusive, so that every score "
                                           "has a reading."))
    return tuple(readings)


def survey_from_dict(data: object, source: str = "survey") -> Survey:
    """Validate a parsed survey document strictly and build the Survey."""
    r = _Reader(source)
    top = r.obj(data, "", _TOP_KEYS)
    version = r.text(top, "version", "")
    # One version syntax for every kind of reference data.
    if not screening._VERSION_RE.fullmatch(version):
        raise r.fail("version", N_("%(field)s must be a version such as 1.0.0."))
    special = r.label_table(r.required(top, "special_answers", ""), "special_answers",
                            SPECIAL_ANSWERS)
    raw_types = r.required(top, "answer_types", "")
    if not isinstance(raw_types, dict) or not raw_types:
        raise r.fail("answer_types", N_("%(field)s must be a non-empty JSON object."))
    types: dict[str, AnswerType] = {}
    for type_id, raw in raw_types.items():
        r.ident({"id": type_id}, "id", f"answer_types.{type_id}")
        types[type_id] = _read_answer_type(r, type_id, raw, f"answer_types.{type_id}")
    gap = r.obj(r.required(top, "dimension_gap", ""), "dimension_gap", ("value", "evidence"))
    return Survey(
        id=r.ident(top, "id", ""),
        version=version,
        title=r.labels(r.required(top, "title", ""), "title"),
        source=r.text(top, "source", ""),
        evidence=r.choice(top, "evidence", "", EVIDENCE_MARKS),
        note=r.optional_text(top, "note", ""),
        special_labels=special,
        answer_types=MappingProxyType(types),
        dimensions=_read_dimensions(r, r.required(top, "dimensions", "")),
        questions=_read_questions(r, r.required(top, "questions", ""), types),
        readings=_read_readings(r, r.required(top, "readings", "")),
        dimension_gap=r.number(gap, "value", "dimension_gap", unit=True),
        dimension_gap_evidence=r.choice(gap, "evidence", "dimension_gap", EVIDENCE_MARKS),
    )


_FILE_MESSAGES = FileMessages(
    not_json=N_("The reintegration survey file %(path)s is not valid JSON (line %(line)s, "
                "column %(column)s)."),
    not_utf8=N_("The reintegration survey file %(path)s is not UTF-8 text."),
    unreadable=N_("The reintegration survey file %(path)s cannot be read (%(reason)s)."))


def _parse_survey_text(text: str, source: str) -> Survey:
    return survey_from_dict(parse_json(text, source, ReferenceFileError, _FILE_MESSAGES),
                            source)


def load_survey_file(path: str | Path) -> Survey:
    """Load an administrator-updated survey file; any problem raises a ValidationError."""
    data = read_json_file(path, ReferenceFileError, _FILE_MESSAGES)
    return survey_from_dict(data, str(path))


@functools.cache
def load_survey() -> Survey:
    """The packaged survey (``caseapp/reference/reintegration/rss.json``)."""
    entry = resources.files("caseapp.reference").joinpath("reintegration", "rss.json")
    return _parse_survey_text(entry.read_text(encoding="utf-8"), "rss.json")


# --- scoring -------------------------------------------------------------------------------

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
            "dimensions": {d.id: {"score": d.score, "reading": d.reading, "answered": d.answered,
                                  "unanswered": d.unanswered, "not_applicable": d.not_applicable}
                           for d in self.dimensions.values()},
            "composite": self.composite,
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
        raw = int(answer) if t.integer else float(answer)  # type: ignore[arg-type]
        # Above the maximum counts as the maximum ("3 or more sources of income").
        value = (min(float(answer), t.maximum) - t.minimum) / (t.maximum - t.minimum)  # type: ignore[arg-type]
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


def score(answers: Mapping[str, object], survey: Survey | None = None) -> Assessment:
    """Score the answers: normalised values, dimension scores over the answered questions,
    the composite over the dimensions that have a score, and the readings."""
    survey = survey or load_survey()
    if not isinstance(answers, Mapping):
        raise InvalidAssessmentAnswers(N_("The answers must map question ids to answers."))
    for key in answers:
        if survey.question(key) is None:
            raise InvalidAssessmentAnswers(
                N_("%(question)s is not a question of the reintegration survey."),
                question=str(key)[:80])
    questions = tuple(normalise(q, answers.get(q.id)) for q in survey.questions)
    weights = {q.id: q.weight for q in survey.questions}
    dims: dict[str, DimensionScore] = {}
    raw_dims: dict[str, float] = {}
    for dim in DIMENSIONS:
        members = [s for s in questions if s.dimension == dim]
        scored = [(s.value, weights[s.id]) for s in members if s.value is not None]
        # Mean of the answered questions only: a missing answer is not a 0.
        mean = _weighted_mean(scored) if scored else None
        value = None if mean is None else round_score(mean)
        if mean is not None:
            raw_dims[dim] = mean
        dims[dim] = DimensionScore(
            dim, value, survey.reading_of(value), answered=len(scored),
            unanswered=sum(1 for s in members if s.status == UNANSWERED),
            not_applicable=sum(1 for s in members if s.status == NOT_APPLICABLE))
    pairs = [(raw_dims[d], survey.dimensions[d].weight) for d in raw_dims]
    mean = _weighted_mean(pairs) if pairs else None
    composite = None if mean is None else round_score(mean)
    present = [d.score for d in dims.values() if d.score is not None]
    gap = round_score(max(present) - min(present)) if len(present) >= 2 else None
    return Assessment(survey.id, survey.version, questions, MappingProxyType(dims), composite,
                      survey.reading_of(composite), gap,
                      gap is not None and gap >= survey.dimension_gap)


# --- change between rounds -----------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    earlier: float | None
    later: float | None
    delta: float | None
    direction: str
    earlier_reading: str | None
    later_reading: str | None

    def to_json(self) -> dict[str, Any]:
        return {"earlier": self.earlier, "later": self.later, "delta": self.delta,
                "direction": self.direction, "earlier_reading": self.earlier_reading,
                "later_reading": self.later_reading}


@dataclass(frozen=True)
class Comparison:
    dimensions: Mapping[str, Change]
    composite: Change
    # Scores made with different weights are not strictly comparable; the UI says so.
    same_survey_version: bool

    def to_json(self) -> dict[str, Any]:
        return {"dimensions": {d: c.to_json() for d, c in self.dimensions.items()},
                "composite": self.composite.to_json(),
                "same_survey_version": self.same_survey_version}


def _change(earlier: float | None, later: float | None, earlier_reading: str | None,
            later_reading: str | None) -> Change:
    if earlier is None or later is None:
        return Change(earlier, later, None, NOT_COMPARABLE, earlier_reading, later_reading)
    delta = round_score(later - earlier)
    direction = IMPROVED if delta > 0 else WORSENED if delta < 0 else UNCHANGED
    return Change(earlier, later, delta, direction, earlier_reading, later_reading)


def compare(earlier: Assessment, later: Assessment) -> Comparison:
    """Per-dimension and composite change from ``earlier`` to ``later``."""
    dims = {d: _change(earlier.dimensions[d].score, later.dimensions[d].score,
                       earlier.dimensions[d].reading, later.dimensions[d].reading)
            for d in DIMENSIONS}
    return Comparison(MappingProxyType(dims),
                      _change(earlier.composite, later.composite, earlier.reading,
                              later.reading),
                      (earlier.survey_id, earlier.survey_version)
                      == (later.survey_id, later.survey_version))


def assessment_from_record(data: Mapping[str, Any]) -> Assessment:
    """Rebuild stored scores (``Assessment.to_record``) for showing and comparing, without
    rescoring: a stored round keeps the numbers computed with the weights of its day."""
    dims = {d: DimensionScore(d, from_milli(v["score"]), v["reading"], v["answered"],
                              v["unanswered"], v["not_applicable"])
            for d, v in data["dimensions"].items()}
    questions = tuple(QuestionScore(q, v["dimension"], None, v["status"],
                                    from_milli(v["value"]))
                      for q, v in data["questions"].items())
    return Assessment(data["survey"]["id"], data["survey"]["version"], questions,
                      MappingProxyType(dims), from_milli(data["composite"]), data["reading"],
                      from_milli(data["dimension_gap"]), data["dimension_gap_flag"])

