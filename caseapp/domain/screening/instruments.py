"""Screening instruments as value types: indicators with their dimension and strength (or
level and effect), labels in every UI language, and how an instrument is shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseapp.domain.reference_data import Labels, ReferenceDataError, pick_label
from caseapp.domain.screening.vocabulary import (
    DEFAULT_COMBINATIONS,
    DIMENSIONS,
    LEVELS,
    Combination,
)
from caseapp.i18n import N_, current_language


class InvalidInstrument(ReferenceDataError):
    """A problem in an instrument's content, tied to the field where it was found."""

    msgid = N_("The screening instrument %(source)s is not valid: %(problem)s")


@dataclass(frozen=True)
class Indicator:
    """One screening item. ``dimension``/``strength`` are set for ILO/EC sets, ``level``/
    ``effect`` for vulnerability factors; checklist items carry neither."""

    id: str
    label: Labels
    source: str
    evidence: str
    dimension: str | None = None
    strength: str | None = None
    level: str | None = None
    effect: str | None = None
    note: str | None = None
    # ILO/EC only: answered yes, this indicator makes its dimension positive on its own
    # (a child used in commercial sex is exploited, whatever else is answered).
    sufficient: bool = False

    def label_in(self, lang: str | None = None) -> str:
        return pick_label(self.label, lang)

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for key in ("dimension", "strength", "level", "effect"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.sufficient:
            out["sufficient"] = True
        out["label"] = self.label_in(lang)
        out["evidence"] = self.evidence
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Profile:
    age: str
    exploitation: str


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: Labels
    source: str
    evidence: str
    kind: str
    indicators: tuple[Indicator, ...]
    profile: Profile | None = None
    note: str | None = None
    guidance: Labels | None = None
    dimension_labels: Mapping[str, Labels] = field(default_factory=dict)
    level_labels: Mapping[str, Labels] = field(default_factory=dict)
    # Child sets only: "was the child recruited, moved, harboured or received?" (Palermo 3(c)).
    act_question: Indicator | None = None
    combinations: tuple[Combination, ...] = DEFAULT_COMBINATIONS

    @property
    def is_child(self) -> bool:
        return self.profile is not None and self.profile.age == "child"

    def title_in(self, lang: str | None = None) -> str:
        return pick_label(self.title, lang)

    def items(self) -> tuple[Indicator, ...]:
        """Everything that can be answered: the indicators and the act question if any."""
        return self.indicators + ((self.act_question,) if self.act_question else ())

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """The instrument as shown to a user, labels in ``lang`` (default: current)."""
        lang = lang or current_language()
        out: dict[str, Any] = {
            "id": self.id, "version": self.version, "kind": self.kind,
            "title": self.title_in(lang), "source": self.source, "evidence": self.evidence,
            "language": lang,
        }
        if self.profile:
            out["profile"] = {"age": self.profile.age, "exploitation": self.profile.exploitation}
        if self.note:
            out["note"] = self.note
        if self.guidance:
            out["guidance"] = pick_label(self.guidance, lang)
        if self.dimension_labels:
            out["dimensions"] = {d: pick_label(self.dimension_labels[d], lang) for d in DIMENSIONS}
        if self.level_labels:
            out["levels"] = {lv: pick_label(self.level_labels[lv], lang) for lv in LEVELS}
        if self.act_question:
            out["act_question"] = self.act_question.to_json(lang)
        out["indicators"] = [ind.to_json(lang) for ind in self.indicators]
        return out


def ids_of(items: Iterable[Indicator]) -> tuple[str, ...]:
    return tuple(item.id for item in items)
