"""Validating a parsed survey document strictly and building the Survey: every problem is one
translated error naming the field. The file itself is read by ``caseapp.reference.loader``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from caseapp.domain.reference_data import EVIDENCE_MARKS, DocumentReader, join_path
from caseapp.domain.reintegration.survey import (
    ANSWER_KINDS,
    DIMENSIONS,
    SPECIAL_ANSWERS,
    AnswerType,
    Dimension,
    InvalidReference,
    Option,
    Question,
    Reading,
    Survey,
)
from caseapp.i18n import N_

_TOP_KEYS: Final = frozenset({"id", "version", "title", "source", "evidence", "note",
                              "special_answers", "answer_types", "dimensions", "questions",
                              "readings", "dimension_gap", "min_answered_share"})


def _read_answer_type(r: DocumentReader, type_id: str, value: object, path: str) -> AnswerType:
    data = r.obj(value, path, ("kind", "evidence", "options", "min", "max", "integer", "hint"))
    kind = r.choice(data, "kind", path, ANSWER_KINDS)
    evidence = r.choice(data, "evidence", path, EVIDENCE_MARKS)
    if kind == "number":
        if "options" in data:
            raise r.fail(join_path(path, "options"), N_("%(field)s is not a known field."))
        low, high = r.number(data, "min", path), r.number(data, "max", path)
        if high <= low:
            raise r.fail(join_path(path, "max"), N_("%(field)s must be greater than min."))
        hint = r.labels(data["hint"], join_path(path, "hint")) if "hint" in data else None
        return AnswerType(type_id, kind, evidence, minimum=low, maximum=high,
                          integer=r.flag(data, "integer", path, False), hint=hint)
    for key in ("min", "max", "integer", "hint"):
        if key in data:
            raise r.fail(join_path(path, key), N_("%(field)s is not a known field."))
    options: list[Option] = []
    for i, raw in enumerate(r.items(r.required(data, "options", path), join_path(path, "options"))):
        opath = f"{path}.options[{i}]"
        odata = r.obj(raw, opath, ("value", "score", "label"))
        option = Option(r.ident(odata, "value", opath), r.number(odata, "score", opath, unit=True),
                        r.labels(r.required(odata, "label", opath), join_path(opath, "label")))
        # The special answers mean "no score"; an option with that value would be ambiguous.
        if option.value in SPECIAL_ANSWERS or any(o.value == option.value for o in options):
            raise r.fail(join_path(opath, "value"), N_("%(field)s repeats the value %(id)s or uses "
                                                   "a reserved one."), id=option.value)
        options.append(option)
    return AnswerType(type_id, kind, evidence, options=tuple(options))


def _read_question(r: DocumentReader, value: object, path: str,
                   types: Mapping[str, AnswerType]) -> Question:
    data = r.obj(value, path, ("id", "dimension", "answer_type", "weight", "composite_weight",
                               "evidence", "source", "label", "reverse", "not_applicable",
                               "note"))
    type_id = r.choice(data, "answer_type", path, tuple(types))
    return Question(
        id=r.ident(data, "id", path),
        dimension=r.choice(data, "dimension", path, DIMENSIONS),
        answer_type=types[type_id],
        weight=r.number(data, "weight", path),
        evidence=r.choice(data, "evidence", path, EVIDENCE_MARKS),
        source=r.text(data, "source", path),
        label=r.labels(r.required(data, "label", path), join_path(path, "label")),
        reverse=r.flag(data, "reverse", path, False),
        not_applicable=r.flag(data, "not_applicable", path, False),
        composite_weight=(r.number(data, "composite_weight", path)
                          if "composite_weight" in data else None),
    )


def _read_questions(r: DocumentReader, value: object, types: Mapping[str, AnswerType]
                    ) -> tuple[Question, ...]:
    questions = tuple(_read_question(r, v, f"questions[{i}]", types)
                      for i, v in enumerate(r.items(value, "questions")))
    seen: set[str] = set()
    for i, q in enumerate(questions):
        if q.id in seen:
            raise r.fail(f"questions[{i}].id", N_("%(field)s repeats the id %(id)s."), id=q.id)
        seen.add(q.id)
    # Composite weights for some questions only would leave the others out of the composite
    # without anyone deciding so.
    with_composite = [q.composite_weight is not None for q in questions]
    if any(with_composite) and not all(with_composite):
        i = with_composite.index(False)
        raise r.fail(f"questions[{i}].composite_weight",
                     N_("%(field)s is required: once one question has a composite weight, "
                        "every question needs one."))
    if all(with_composite) and sum(q.composite_weight or 0 for q in questions) <= 0:
        raise r.fail("questions", N_("%(field)s: the composite weights must add up to more "
                                     "than 0."))
    for dim in DIMENSIONS:
        members = [q for q in questions if q.dimension == dim]
        if not members:
            raise r.fail(f"dimensions.{dim}", N_("%(field)s has no question."))
        # All-zero weights would make the weighted mean a division by zero.
        if sum(q.weight for q in members) <= 0:
            raise r.fail(f"dimensions.{dim}", N_("%(field)s: the question weights must add up "
                                                 "to more than 0."))
    return questions


def _read_dimensions(r: DocumentReader, value: object) -> Mapping[str, Dimension]:
    table = r.obj(value, "dimensions", DIMENSIONS)
    dims: dict[str, Dimension] = {}
    for dim in DIMENSIONS:
        path = f"dimensions.{dim}"
        data = r.obj(r.required(table, dim, "dimensions"), path, ("weight", "evidence", "label"))
        dims[dim] = Dimension(dim, r.number(data, "weight", path),
                              r.choice(data, "evidence", path, EVIDENCE_MARKS),
                              r.labels(r.required(data, "label", path), join_path(path, "label")))
    if sum(d.weight for d in dims.values()) <= 0:
        raise r.fail("dimensions", N_("%(field)s: the dimension weights must add up to more "
                                      "than 0."))
    return MappingProxyType(dims)


def _read_readings(r: DocumentReader, value: object) -> tuple[Reading, ...]:
    readings: list[Reading] = []
    for i, raw in enumerate(r.items(value, "readings")):
        path = f"readings[{i}]"
        data = r.obj(raw, path, ("id", "min", "min_inclusive", "evidence", "label"))
        reading = Reading(r.ident(data, "id", path), r.number(data, "min", path, unit=True),
                          r.flag(data, "min_inclusive", path, True),
                          r.choice(data, "evidence", path, EVIDENCE_MARKS),
                          r.labels(r.required(data, "label", path), join_path(path, "label")))
        if readings and (reading.minimum, not reading.inclusive) <= (
                readings[-1].minimum, not readings[-1].inclusive):
            raise r.fail(join_path(path, "min"), N_("%(field)s must be above the previous band's "
                                                "lower bound (bands go from low to high)."))
        if any(x.id == reading.id for x in readings):
            raise r.fail(join_path(path, "id"), N_("%(field)s repeats the id %(id)s."),
                         id=reading.id)
        readings.append(reading)
    # Every score from 0 to 1 must fall into a band, so the first must start at 0 inclusive.
    if readings[0].minimum != 0 or not readings[0].inclusive:
        raise r.fail("readings[0].min", N_("%(field)s must be 0, inclusive, so that every score "
                                           "has a reading."))
    return tuple(readings)


def survey_from_dict(data: object, source: str = "survey") -> Survey:
    """Validate a parsed survey document strictly and build the Survey."""
    r = DocumentReader(source, InvalidReference)
    top = r.obj(data, "", _TOP_KEYS)
    version = r.version(top)
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
    share = r.obj(r.required(top, "min_answered_share", ""), "min_answered_share",
                  ("value", "evidence"))
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
        min_answered_share=r.number(share, "value", "min_answered_share", unit=True),
        min_answered_share_evidence=r.choice(share, "evidence", "min_answered_share",
                                             EVIDENCE_MARKS),
    )
