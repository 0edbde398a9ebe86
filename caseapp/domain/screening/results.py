"""What an evaluation gives: per kind of instrument, the outcome and its reasons; stored with
``to_record`` (no sentences), shown with ``to_json`` (sentences in the reader's language)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caseapp.domain.screening.answers import Answer
from caseapp.domain.screening.instruments import Instrument
from caseapp.domain.screening.reasons import Reason, show_result
from caseapp.domain.screening.vocabulary import DIMENSIONS, NO, UNKNOWN, YES


def _instrument_ref(instrument_id: str, version: str) -> dict[str, str]:
    return {"id": instrument_id, "version": version}


@dataclass(frozen=True)
class ScreeningResult:
    """ILO/EC result: per-dimension status and a person-level screening indication."""

    instrument_id: str
    instrument_version: str
    age: str
    dimensions: Mapping[str, str]
    indication: str
    trafficking_types: tuple[str, ...]
    reasons: tuple[Reason, ...]
    instrument: Instrument = field(repr=False, compare=False)

    def to_record(self) -> dict[str, Any]:
        return {
            "instrument": _instrument_ref(self.instrument_id, self.instrument_version),
            "kind": "ilo_ec",
            "age": self.age,
            "dimensions": {d: self.dimensions[d] for d in DIMENSIONS},
            "indication": self.indication,
            "trafficking_types": list(self.trafficking_types),
            "reasons": [r.to_record() for r in self.reasons],
        }

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        return show_result(self.to_record(), self.instrument, lang)


@dataclass(frozen=True)
class ChecklistResult:
    """Checklist result: what was answered, with the evidence noted per item; no score."""

    instrument_id: str
    instrument_version: str
    answers: Mapping[str, Answer]
    summary: str
    reasons: tuple[Reason, ...]
    instrument: Instrument = field(repr=False, compare=False)

    def ids_with(self, value: str) -> list[str]:
        return [i for i, a in self.answers.items() if a.value == value]

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        return show_result(self.to_record(), self.instrument, lang)

    def to_record(self) -> dict[str, Any]:
        return {
            "instrument": _instrument_ref(self.instrument_id, self.instrument_version),
            "kind": "checklist",
            "summary": self.summary,
            "present": self.ids_with(YES),
            "absent": self.ids_with(NO),
            "unknown": self.ids_with(UNKNOWN),
            "evidence": {i: a.note for i, a in self.answers.items() if a.note},
            "reasons": [r.to_record() for r in self.reasons],
        }


@dataclass(frozen=True)
class LevelFactors:
    risk: tuple[str, ...]
    protective: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class VulnerabilityResult:
    """Risk and protective factors present on each level; deliberately no score."""

    instrument_id: str
    instrument_version: str
    levels: Mapping[str, LevelFactors]
    reasons: tuple[Reason, ...]
    instrument: Instrument = field(repr=False, compare=False)

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        return show_result(self.to_record(), self.instrument, lang)

    def to_record(self) -> dict[str, Any]:
        return {
            "instrument": _instrument_ref(self.instrument_id, self.instrument_version),
            "kind": "vulnerability",
            "levels": {
                lv: {"risk_factors": list(f.risk), "protective_factors": list(f.protective),
                     "unknown": list(f.unknown)}
                for lv, f in self.levels.items()
            },
            "reasons": [r.to_record() for r in self.reasons],
        }


AnyResult = ScreeningResult | ChecklistResult | VulnerabilityResult
