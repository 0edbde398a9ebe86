"""Answers to an instrument: yes / no / unknown with an optional note, parsed from an answers
file's text and checked against the instrument; a missing answer counts as unknown."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from caseapp.domain.screening.instruments import Indicator, Instrument
from caseapp.domain.screening.vocabulary import ANSWER_VALUES, UNKNOWN
from caseapp.errors import ValidationError
from caseapp.i18n import N_


class InvalidAnswers(ValidationError):
    msgid = N_("The screening answers are not valid.")


@dataclass(frozen=True)
class Answer:
    value: str
    note: str | None = None


@dataclass(frozen=True)
class DimensionAnswers:
    """The indicators of one dimension answered yes, and those still unknown."""

    yes: tuple[Indicator, ...]
    unknown: tuple[Indicator, ...]


def parse_answers(text: str, source: str) -> dict[str, object]:
    """Parse the JSON text of an answers file: one object mapping indicator ids to answers."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidAnswers(N_("The answers file %(path)s is not valid JSON (line %(line)s, "
                                "column %(column)s)."),
                             path=source, line=exc.lineno, column=exc.colno) from exc
    if not isinstance(data, dict):
        raise InvalidAnswers(N_("The answers file %(path)s must hold one JSON object that maps "
                                "indicator ids to yes, no or unknown."), path=source)
    return data


def _read_answer(indicator_id: str, value: object) -> Answer:
    if isinstance(value, str):
        if value not in ANSWER_VALUES:
            raise InvalidAnswers(N_("The answer for %(indicator)s must be yes, no or unknown."),
                                 indicator=indicator_id)
        return Answer(value)
    ok = (isinstance(value, dict) and set(value) <= {"answer", "note"}
          and value.get("answer") in ANSWER_VALUES
          and isinstance(value.get("note", ""), str))
    if not ok:
        raise InvalidAnswers(N_("The answer for %(indicator)s must be yes, no, unknown, or an "
                                "object with \"answer\" (yes, no or unknown) and an optional "
                                "text \"note\"."), indicator=indicator_id)
    assert isinstance(value, dict)
    return Answer(value["answer"], value.get("note") or None)


def normalise_answers(instrument: Instrument, answers: Mapping[str, object]
                      ) -> dict[str, Answer]:
    """Every item of the instrument with its answer; a missing answer is ``unknown``."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswers(N_("The answers must map indicator ids to yes, no or unknown."))
    known = {item.id for item in instrument.items()}
    for key in answers:
        if key not in known:
            raise InvalidAnswers(N_("%(indicator)s is not an indicator of the screening "
                                    "instrument %(instrument)s."),
                                 indicator=str(key)[:80], instrument=instrument.id)
    return {item.id: (_read_answer(item.id, answers[item.id]) if item.id in answers
                      else Answer(UNKNOWN))
            for item in instrument.items()}
