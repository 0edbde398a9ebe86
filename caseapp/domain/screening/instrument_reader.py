"""Validating a parsed instrument document strictly and building the Instrument: every problem
is one translated error naming the field. The file itself is read by
``caseapp.reference.loader``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from caseapp.domain.reference_data import EVIDENCE_MARKS, DocumentReader, Labels, join_path
from caseapp.domain.screening.instruments import Indicator, Instrument, InvalidInstrument, Profile
from caseapp.domain.screening.vocabulary import (
    AGES,
    DEFAULT_COMBINATIONS,
    DIMENSIONS,
    EFFECTS,
    EXPLOITATIONS,
    KINDS,
    LEVELS,
    STRENGTHS,
    Combination,
)
from caseapp.i18n import N_

_COMMON_KEYS: Final = frozenset({"id", "version", "title", "source", "evidence", "kind",
                                 "indicators", "note", "profile"})
_KIND_KEYS: Final = {
    "ilo_ec": _COMMON_KEYS | {"positive_combinations", "dimensions", "act_question"},
    "checklist": _COMMON_KEYS | {"guidance"},
    "vulnerability": _COMMON_KEYS | {"guidance", "levels"},
}
_ITEM_KEYS: Final = frozenset({"id", "label", "source", "evidence", "note"})
_INDICATOR_KEYS: Final = {
    "ilo_ec": _ITEM_KEYS | {"dimension", "strength", "sufficient"},
    "checklist": _ITEM_KEYS,
    "vulnerability": _ITEM_KEYS | {"level", "effect"},
}


def _read_item(r: DocumentReader, value: object, path: str, kind: str | None) -> Indicator:
    """One indicator (``kind`` given) or the act question (``kind`` None: no extra fields)."""
    data = r.obj(value, path, _INDICATOR_KEYS[kind] if kind else _ITEM_KEYS)
    extra: dict[str, str] = {}
    sufficient = False
    if kind == "ilo_ec":
        extra["dimension"] = r.choice(data, "dimension", path, DIMENSIONS)
        extra["strength"] = r.choice(data, "strength", path, STRENGTHS)
        sufficient = r.flag(data, "sufficient", path, False)
    elif kind == "vulnerability":
        extra["level"] = r.choice(data, "level", path, LEVELS)
        extra["effect"] = r.choice(data, "effect", path, EFFECTS)
    return Indicator(
        id=r.ident(data, "id", path),
        label=r.labels(r.required(data, "label", path), join_path(path, "label")),
        source=r.text(data, "source", path),
        evidence=r.choice(data, "evidence", path, EVIDENCE_MARKS),
        note=r.optional_text(data, "note", path),
        sufficient=sufficient,
        **extra,
    )


def _read_indicators(r: DocumentReader, value: object, kind: str) -> tuple[Indicator, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("indicators", N_("%(field)s must be a non-empty list."))
    items = tuple(_read_item(r, v, f"indicators[{i}]", kind) for i, v in enumerate(value))
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise r.fail(f"indicators[{i}].id", N_("%(field)s repeats the id %(id)s."), id=item.id)
        seen.add(item.id)
    return items


def _read_combination(r: DocumentReader, value: object, path: str) -> Combination:
    if not isinstance(value, dict) or not value:
        raise r.fail(path, N_("%(field)s must be a non-empty JSON object such as "
                              "{\"strong\": 1, \"medium+weak\": 1}."))
    parts: list[tuple[frozenset[str], int]] = []
    used: set[str] = set()
    for key, need in value.items():
        strengths = key.split("+")
        # Each strength counted in one group only, or the same indicator would count twice.
        repeated = len(set(strengths)) != len(strengths)
        if repeated or any(s not in STRENGTHS or s in used for s in strengths):
            raise r.fail(join_path(path, key), N_(
                "%(field)s must name strengths (strong, medium, weak) joined by '+', each once per "
                "combination."))
        if isinstance(need, bool) or not isinstance(need, int) or need < 1:
            raise r.fail(join_path(path, key),
                         N_("%(field)s must be a whole number of at least 1."))
        used.update(strengths)
        parts.append((frozenset(strengths), need))
    return tuple(parts)


def _read_combinations(r: DocumentReader, data: Mapping[str, Any]) -> tuple[Combination, ...]:
    if "positive_combinations" not in data:
        return DEFAULT_COMBINATIONS
    value = data["positive_combinations"]
    if not isinstance(value, list) or not value:
        raise r.fail("positive_combinations", N_("%(field)s must be a non-empty list."))
    return tuple(_read_combination(r, v, f"positive_combinations[{i}]")
                 for i, v in enumerate(value))


def _read_profile(r: DocumentReader, data: Mapping[str, Any], kind: str) -> Profile | None:
    if "profile" not in data:
        if kind == "ilo_ec":
            raise r.fail("profile", N_("%(field)s is required."))
        return None
    profile = r.obj(data["profile"], "profile", ("age", "exploitation"))
    return Profile(age=r.choice(profile, "age", "profile", AGES),
                   exploitation=r.choice(profile, "exploitation", "profile", EXPLOITATIONS))


def _require_coverage(r: DocumentReader, items: tuple[Indicator, ...], attr: str,
                      groups: tuple[str, ...], path: str) -> None:
    """Every dimension (or level) needs an item, else it could never be answered."""
    present = {getattr(item, attr) for item in items}
    for group in groups:
        if group not in present:
            raise r.fail(join_path(path, group), N_("%(field)s has no indicator."))


def _read_ilo_ec(r: DocumentReader, data: Mapping[str, Any], base: dict[str, Any]) -> Instrument:
    indicators: tuple[Indicator, ...] = base["indicators"]
    _require_coverage(r, indicators, "dimension", DIMENSIONS, "dimensions")
    profile: Profile = base["profile"]
    act = None
    if "act_question" in data:
        if profile.age != "child":
            raise r.fail("act_question", N_("%(field)s is only allowed for a child profile."))
        act = _read_item(r, data["act_question"], "act_question", None)
        if any(ind.id == act.id for ind in indicators):
            raise r.fail("act_question.id", N_("%(field)s repeats the id %(id)s."), id=act.id)
    return Instrument(
        **base,
        dimension_labels=r.label_table(r.required(data, "dimensions", ""), "dimensions",
                                       DIMENSIONS),
        act_question=act,
        combinations=_read_combinations(r, data),
    )


def _read_guidance(r: DocumentReader, data: Mapping[str, Any]) -> Labels | None:
    return r.labels(data["guidance"], "guidance") if "guidance" in data else None


def instrument_from_dict(data: object, source: str = "instrument") -> Instrument:
    """Validate a parsed instrument document strictly and build the Instrument."""
    r = DocumentReader(source, InvalidInstrument)
    top = r.obj(data, "", _KIND_KEYS["ilo_ec"] | _KIND_KEYS["checklist"]
                | _KIND_KEYS["vulnerability"])
    kind = r.choice(top, "kind", "", KINDS)
    r.obj(top, "", _KIND_KEYS[kind])  # now reject fields that belong to another kind
    version = r.version(top)
    base: dict[str, Any] = {
        "id": r.ident(top, "id", ""),
        "version": version,
        "title": r.labels(r.required(top, "title", ""), "title"),
        "source": r.text(top, "source", ""),
        "evidence": r.choice(top, "evidence", "", EVIDENCE_MARKS),
        "kind": kind,
        "indicators": _read_indicators(r, r.required(top, "indicators", ""), kind),
        "profile": _read_profile(r, top, kind),
        "note": r.optional_text(top, "note", ""),
    }
    if kind == "ilo_ec":
        return _read_ilo_ec(r, top, base)
    if kind == "vulnerability":
        _require_coverage(r, base["indicators"], "level", LEVELS, "levels")
        levels = r.label_table(r.required(top, "levels", ""), "levels", LEVELS)
        return Instrument(**base, guidance=_read_guidance(r, top), level_labels=levels)
    return Instrument(**base, guidance=_read_guidance(r, top))
