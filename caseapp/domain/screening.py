"""Screening instruments and their evaluation (ARCHITECTURE §5; RESEARCH §1.2-§1.4, §2.2).

Instruments are versioned reference data: JSON files shipped in ``caseapp/reference/screening``
or a file an administrator installs. This module validates them strictly and evaluates answers
(``yes`` / ``no`` / ``unknown``, a missing answer counts as unknown).

Three kinds of instrument exist:

- ``ilo_ec``: the ILO/EC operational indicators. Each dimension is positive, negative or
  ``insufficient_information``; the person-level result is a *screening indication* only.
- ``checklist``: the 11 ILO forced-labour indicators, with evidence per item and no score.
- ``vulnerability``: IOM determinants of migrant vulnerability, risk and protective factors
  on four levels, with no score.

No result here ever sets a legal status: ``vic_TraffickingStatus`` is decided separately by an
authorised officer. The only I/O is reading the packaged JSON (``importlib.resources``) and, for
``load_instrument_file``, the one file an administrator names.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from caseapp.domain.reference_files import (
    FileMessages,
    ReferenceDataError,
    parse_json,
    read_json_file,
)
from caseapp.errors import CaseAppError, ValidationError
from caseapp.i18n import LANGUAGES, N_, RTL_LANGUAGES, current_language, gettext_for

# --- vocabulary ----------------------------------------------------------------------------

DIMENSIONS: Final = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitative_conditions",
    "coercion_at_destination",
    "destination_abuse_of_vulnerability",
)
RECRUITMENT_DIMENSIONS: Final = DIMENSIONS[:3]
EXPLOITATION_DIMENSION: Final = DIMENSIONS[3]
DESTINATION_DIMENSIONS: Final = DIMENSIONS[4:]
# The brochure types a victim by the positive recruitment dimension(s) (RESEARCH §1.2).
TRAFFICKING_TYPES: Final = {
    "deceptive_recruitment": "deceptive",
    "coercive_recruitment": "coercive",
    "recruitment_abuse_of_vulnerability": "abuse_of_vulnerability",
}

KINDS: Final = ("ilo_ec", "checklist", "vulnerability")
STRENGTHS: Final = ("strong", "medium", "weak")
EVIDENCE_MARKS: Final = ("[V]", "[V2]", "[M]")
AGES: Final = ("adult", "child")
EXPLOITATIONS: Final = ("labour", "sexual")
LEVELS: Final = ("individual", "household", "community", "structural")
EFFECTS: Final = ("risk", "protective")

YES, NO, UNKNOWN = "yes", "no", "unknown"
ANSWER_VALUES: Final = (YES, NO, UNKNOWN)

POSITIVE, NEGATIVE, INSUFFICIENT = "positive", "negative", "insufficient_information"
INDICATED, NOT_INDICATED = "trafficking_indicated", "not_indicated"
INDICATORS_PRESENT, NO_INDICATOR_PRESENT = "indicators_present", "no_indicator_present"

# One combination = (set of strengths counted together, minimum count) pairs that must all hold.
Combination = tuple[tuple[frozenset[str], int], ...]

# RESEARCH §1.2 step A: 2 S; or 1 S + 1 M/W; or 3 M; or 2 M + 1 W.
DEFAULT_COMBINATIONS: Final[tuple[Combination, ...]] = (
    ((frozenset({"strong"}), 2),),
    ((frozenset({"strong"}), 1), (frozenset({"medium", "weak"}), 1)),
    ((frozenset({"medium"}), 3),),
    ((frozenset({"medium"}), 2), (frozenset({"weak"}), 1)),
)

_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_VERSION_RE: Final = re.compile(r"[0-9]+(\.[0-9]+){0,3}")

Labels = Mapping[str, str]


# --- errors --------------------------------------------------------------------------------

class InstrumentNotFound(CaseAppError):
    msgid = N_("No screening instrument with the id %(instrument)s exists.")


class InstrumentFileError(ValidationError):
    msgid = N_("The screening instrument file cannot be read.")


class InvalidInstrument(ReferenceDataError):
    """A problem in an instrument's content, tied to the field where it was found."""

    msgid = N_("The screening instrument %(source)s is not valid: %(problem)s")


class InvalidAnswers(ValidationError):
    msgid = N_("The screening answers are not valid.")


# --- value types ---------------------------------------------------------------------------

def _pick(labels: Labels, lang: str | None = None) -> str:
    """The text in ``lang`` (default: the current language), English when it is missing."""
    return labels.get(lang or current_language()) or labels["en"]


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

    def label_in(self, lang: str | None = None) -> str:
        return _pick(self.label, lang)

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for key in ("dimension", "strength", "level", "effect"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
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
        return _pick(self.title, lang)

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
            out["guidance"] = _pick(self.guidance, lang)
        if self.dimension_labels:
            out["dimensions"] = {d: _pick(self.dimension_labels[d], lang) for d in DIMENSIONS}
        if self.level_labels:
            out["levels"] = {lv: _pick(self.level_labels[lv], lang) for lv in LEVELS}
        if self.act_question:
            out["act_question"] = self.act_question.to_json(lang)
        out["indicators"] = [ind.to_json(lang) for ind in self.indicators]
        return out


@dataclass(frozen=True)
class Answer:
    value: str
    note: str | None = None


@dataclass(frozen=True)
class Reason:
    """Why a result is what it is, in no language: ``code`` says what kind of reason it is,
    ``message`` names its sentence (``MESSAGES``) and the ids are what fills it. It is
    rendered in the reader's language when shown (``reason_text``), so a submission made in
    Urdu reads in English for an English-speaking colleague."""

    code: str
    message: str
    dimensions: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()

    def data(self) -> dict[str, Any]:
        return {"code": self.code, "dimensions": list(self.dimensions),
                "indicators": list(self.indicators)}

    def to_record(self) -> dict[str, Any]:
        return {"message": self.message, **self.data()}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Reason:
        return cls(data["code"], data["message"], tuple(data["dimensions"]),
                   tuple(data["indicators"]))


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


# --- loading and validation ----------------------------------------------------------------

class _Reader:
    """Reads one instrument document, raising InvalidInstrument at the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str, **params: object) -> InvalidInstrument:
        return InvalidInstrument(self.source, path or "document", problem, **params)

    def obj(self, value: object, path: str, allowed: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, N_("%(field)s must be a JSON object."))
        for key in value:
            if key not in allowed:
                raise self.fail(_join_path(path, str(key)), N_("%(field)s is not a known field."))
        return value

    def required(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data:
            raise self.fail(_join_path(path, key), N_("%(field)s is required."))
        return data[key]

    def text(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = self.required(data, key, path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_join_path(path, key), N_("%(field)s must be non-empty text."))
        return value

    def optional_text(self, data: Mapping[str, Any], key: str, path: str) -> str | None:
        return self.text(data, key, path) if key in data else None

    def choice(self, data: Mapping[str, Any], key: str, path: str,
               choices: tuple[str, ...]) -> str:
        value = self.required(data, key, path)
        if value not in choices:
            raise self.fail(_join_path(path, key), N_("%(field)s must be one of: %(choices)s."),
                            choices=", ".join(choices))
        return str(value)

    def ident(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = self.required(data, key, path)
        if not isinstance(value, str) or not _ID_RE.fullmatch(value):
            raise self.fail(_join_path(path, key), N_(
                "%(field)s must be an id of at most 64 lower-case letters, digits, '-' or '_'."))
        return value

    def labels(self, value: object, path: str) -> Labels:
        ok = (isinstance(value, dict) and set(value) == set(LANGUAGES)
              and all(isinstance(t, str) and t.strip() for t in value.values()))
        if not ok:
            raise self.fail(path, N_("%(field)s must give a non-empty text for exactly these "
                                     "languages: %(languages)s."),
                            languages=", ".join(LANGUAGES))
        assert isinstance(value, dict)
        return MappingProxyType({lang: value[lang] for lang in LANGUAGES})

    def label_table(self, value: object, path: str, keys: tuple[str, ...]) -> Mapping[str, Labels]:
        table = self.obj(value, path, keys)
        for key in keys:
            if key not in table:
                raise self.fail(_join_path(path, key), N_("%(field)s is required."))
        return MappingProxyType({k: self.labels(table[k], _join_path(path, k)) for k in keys})


def _join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_COMMON_KEYS: Final = frozenset({"id", "version", "title", "source", "evidence", "kind",
                                 "indicators", "note", "profile"})
_KIND_KEYS: Final = {
    "ilo_ec": _COMMON_KEYS | {"positive_combinations", "dimensions", "act_question"},
    "checklist": _COMMON_KEYS | {"guidance"},
    "vulnerability": _COMMON_KEYS | {"guidance", "levels"},
}
_ITEM_KEYS: Final = frozenset({"id", "label", "source", "evidence", "note"})
_INDICATOR_KEYS: Final = {
    "ilo_ec": _ITEM_KEYS | {"dimension", "strength"},
    "checklist": _ITEM_KEYS,
    "vulnerability": _ITEM_KEYS | {"level", "effect"},
}


def _read_item(r: _Reader, value: object, path: str, kind: str | None) -> Indicator:
    """One indicator (``kind`` given) or the act question (``kind`` None: no extra fields)."""
    data = r.obj(value, path, _INDICATOR_KEYS[kind] if kind else _ITEM_KEYS)
    extra: dict[str, str] = {}
    if kind == "ilo_ec":
        extra["dimension"] = r.choice(data, "dimension", path, DIMENSIONS)
        extra["strength"] = r.choice(data, "strength", path, STRENGTHS)
    elif kind == "vulnerability":
        extra["level"] = r.choice(data, "level", path, LEVELS)
        extra["effect"] = r.choice(data, "effect", path, EFFECTS)
    return Indicator(
        id=r.ident(data, "id", path),
        label=r.labels(r.required(data, "label", path), _join_path(path, "label")),
        source=r.text(data, "source", path),
        evidence=r.choice(data, "evidence", path, EVIDENCE_MARKS),
        note=r.optional_text(data, "note", path),
        **extra,
    )


def _read_indicators(r: _Reader, value: object, kind: str) -> tuple[Indicator, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("indicators", N_("%(field)s must be a non-empty list."))
    items = tuple(_read_item(r, v, f"indicators[{i}]", kind) for i, v in enumerate(value))
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise r.fail(f"indicators[{i}].id", N_("%(field)s repeats the id %(id)s."), id=item.id)
        seen.add(item.id)
    return items


def _read_combination(r: _Reader, value: object, path: str) -> Combination:
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
            raise r.fail(_join_path(path, key), N_(
                "%(field)s must name strengths (strong, medium, weak) joined by '+', each once per "
                "combination."))
        if isinstance(need, bool) or not isinstance(need, int) or need < 1:
            raise r.fail(_join_path(path, key),
                         N_("%(field)s must be a whole number of at least 1."))
        used.update(strengths)
        parts.append((frozenset(strengths), need))
    return tuple(parts)


def _read_combinations(r: _Reader, data: Mapping[str, Any]) -> tuple[Combination, ...]:
    if "positive_combinations" not in data:
        return DEFAULT_COMBINATIONS
    value = data["positive_combinations"]
    if not isinstance(value, list) or not value:
        raise r.fail("positive_combinations", N_("%(field)s must be a non-empty list."))
    return tuple(_read_combination(r, v, f"positive_combinations[{i}]")
                 for i, v in enumerate(value))


def _read_profile(r: _Reader, data: Mapping[str, Any], kind: str) -> Profile | None:
    if "profile" not in data:
        if kind == "ilo_ec":
            raise r.fail("profile", N_("%(field)s is required."))
        return None
    profile = r.obj(data["profile"], "profile", ("age", "exploitation"))
    return Profile(age=r.choice(profile, "age", "profile", AGES),
                   exploitation=r.choice(profile, "exploitation", "profile", EXPLOITATIONS))


def _require_coverage(r: _Reader, items: tuple[Indicator, ...], attr: str,
                      groups: tuple[str, ...], path: str) -> None:
    """Every dimension (or level) needs an item, else it could never be answered."""
    present = {getattr(item, attr) for item in items}
    for group in groups:
        if group not in present:
            raise r.fail(_join_path(path, group), N_("%(field)s has no indicator."))


def _read_ilo_ec(r: _Reader, data: Mapping[str, Any], base: dict[str, Any]) -> Instrument:
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


def _read_guidance(r: _Reader, data: Mapping[str, Any]) -> Labels | None:
    return r.labels(data["guidance"], "guidance") if "guidance" in data else None


def instrument_from_dict(data: object, source: str = "instrument") -> Instrument:
    """Validate a parsed instrument document strictly and build the Instrument."""
    r = _Reader(source)
    top = r.obj(data, "", _KIND_KEYS["ilo_ec"] | _KIND_KEYS["checklist"]
                | _KIND_KEYS["vulnerability"])
    kind = r.choice(top, "kind", "", KINDS)
    r.obj(top, "", _KIND_KEYS[kind])  # now reject fields that belong to another kind
    version = r.text(top, "version", "")
    if not _VERSION_RE.fullmatch(version):
        raise r.fail("version", N_("%(field)s must be a version such as 1.0.0."))
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


_FILE_MESSAGES = FileMessages(
    not_json=N_("The screening instrument file %(path)s is not valid JSON (line %(line)s, "
                "column %(column)s)."),
    not_utf8=N_("The screening instrument file %(path)s is not UTF-8 text."),
    unreadable=N_("The screening instrument file %(path)s cannot be read (%(reason)s)."))


def _parse_instrument_text(text: str, source: str) -> Instrument:
    return instrument_from_dict(parse_json(text, source, InstrumentFileError, _FILE_MESSAGES),
                                source)


def load_instrument_file(path: str | Path) -> Instrument:
    """Load an administrator-updated instrument file; any problem raises a ValidationError."""
    data = read_json_file(path, InstrumentFileError, _FILE_MESSAGES)
    return instrument_from_dict(data, str(path))


def _packaged_dir() -> Traversable:
    return resources.files("caseapp.reference").joinpath("screening")


def _packaged_ids() -> list[str]:
    names = (entry.name for entry in _packaged_dir().iterdir() if entry.is_file())
    return sorted(name[:-5] for name in names if name.endswith(".json"))


@functools.cache
def load_instrument(instrument_id: str) -> Instrument:
    """A packaged instrument by id. Raises InstrumentNotFound for an unknown id."""
    # The id becomes a file name: only exact ids of shipped files are accepted.
    if instrument_id not in _packaged_ids():
        raise InstrumentNotFound(instrument=instrument_id[:80])
    name = f"{instrument_id}.json"
    instrument = _parse_instrument_text(
        _packaged_dir().joinpath(name).read_text(encoding="utf-8"), name)
    if instrument.id != instrument_id:
        raise InvalidInstrument(name, "id",
                                N_("%(field)s must match the file name (%(expected)s)."),
                                expected=instrument_id)
    return instrument


def list_instruments() -> list[Instrument]:
    """Every packaged instrument, sorted by id."""
    return [load_instrument(instrument_id) for instrument_id in _packaged_ids()]


# --- answers -------------------------------------------------------------------------------

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


# --- the ILO/EC rule -----------------------------------------------------------------------

def dimension_positive(counts: Mapping[str, int],
                       combinations: tuple[Combination, ...] = DEFAULT_COMBINATIONS) -> bool:
    """True when the strength counts of "yes" indicators reach one of the combinations."""
    return any(all(sum(counts.get(s, 0) for s in strengths) >= need for strengths, need in combo)
               for combo in combinations)


def _strength_counts(indicators: Iterable[Indicator]) -> Counter[str]:
    return Counter(ind.strength for ind in indicators if ind.strength)


def dimension_status(yes: Iterable[Indicator], unknown: Iterable[Indicator],
                     combinations: tuple[Combination, ...] = DEFAULT_COMBINATIONS) -> str:
    """positive; else insufficient_information if all unknowns as yes would make it positive;
    else negative."""
    yes, unknown = list(yes), list(unknown)
    if dimension_positive(_strength_counts(yes), combinations):
        return POSITIVE
    if dimension_positive(_strength_counts(yes + unknown), combinations):
        return INSUFFICIENT
    return NEGATIVE


def person_indicated(positive: Set[str], *, child: bool, act: bool = False) -> bool:
    """RESEARCH §1.2 step B on a set of positive dimensions.

    Adult: a recruitment dimension AND exploitative conditions AND a destination dimension.
    Child: no means is needed (Palermo Art. 3(c)): exploitation plus the act suffices. A
    positive recruitment dimension shows the act; so does ``act`` (the act question answered
    yes). Destination dimensions only add evidentiary weight for a child.
    """
    exploitation = EXPLOITATION_DIMENSION in positive
    recruitment = any(d in positive for d in RECRUITMENT_DIMENSIONS)
    if child:
        return exploitation and (recruitment or act)
    destination = any(d in positive for d in DESTINATION_DIMENSIONS)
    return recruitment and exploitation and destination


@dataclass(frozen=True)
class _DimensionAnswers:
    yes: tuple[Indicator, ...]
    unknown: tuple[Indicator, ...]


def _by_dimension(instrument: Instrument, given: Mapping[str, Answer]
                  ) -> dict[str, _DimensionAnswers]:
    out: dict[str, _DimensionAnswers] = {}
    for dim in DIMENSIONS:
        members = [ind for ind in instrument.indicators if ind.dimension == dim]
        out[dim] = _DimensionAnswers(
            yes=tuple(ind for ind in members if given[ind.id].value == YES),
            unknown=tuple(ind for ind in members if given[ind.id].value == UNKNOWN))
    return out


def evaluate(instrument: Instrument, answers: Mapping[str, object]) -> ScreeningResult:
    """Evaluate an ILO/EC indicator set (RESEARCH §1.2). Other kinds: see ``evaluate_any``."""
    if instrument.kind != "ilo_ec":
        raise ValidationError(N_("The screening instrument %(instrument)s is not an ILO/EC "
                                 "indicator set."), instrument=instrument.id)
    given = normalise_answers(instrument, answers)
    groups = _by_dimension(instrument, given)
    statuses = {d: dimension_status(g.yes, g.unknown, instrument.combinations)
                for d, g in groups.items()}
    act_value = given[instrument.act_question.id].value if instrument.act_question else NO
    positive = {d for d, s in statuses.items() if s == POSITIVE}
    possible = positive | {d for d, s in statuses.items() if s == INSUFFICIENT}
    child = instrument.is_child
    if person_indicated(positive, child=child, act=act_value == YES):
        indication = INDICATED
    elif person_indicated(possible, child=child, act=act_value != NO):
        indication = INSUFFICIENT
    else:
        indication = NOT_INDICATED
    types = tuple(TRAFFICKING_TYPES[d] for d in RECRUITMENT_DIMENSIONS
                  if indication == INDICATED and d in positive)
    explainer = _Explainer(instrument)
    reasons = (explainer.dimensions(groups, statuses)
               + explainer.person(statuses, indication, act_value)
               + explainer.caveats())
    assert instrument.profile is not None
    return ScreeningResult(instrument.id, instrument.version, instrument.profile.age,
                           MappingProxyType(statuses), indication, types, tuple(reasons),
                           instrument)


# --- reasons -------------------------------------------------------------------------------

class _Explainer:
    """Chooses the reasons of an ILO/EC result: one sentence (``MESSAGES``) per reason."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument

    def dimensions(self, groups: Mapping[str, _DimensionAnswers],
                   statuses: Mapping[str, str]) -> list[Reason]:
        return [self._dimension(d, groups[d], statuses[d]) for d in DIMENSIONS]

    @staticmethod
    def _dimension(d: str, g: _DimensionAnswers, status: str) -> Reason:
        if status == POSITIVE:
            return Reason("dimension_positive", "dimension_positive", (d,), _ids(g.yes))
        if status == INSUFFICIENT:
            return Reason("dimension_insufficient", "dimension_insufficient", (d,),
                          _ids(g.unknown))
        if g.yes:
            return Reason("dimension_negative", "dimension_negative", (d,), _ids(g.yes))
        return Reason("dimension_negative", "dimension_negative_none", (d,))

    def person(self, statuses: Mapping[str, str], indication: str,
               act_value: str) -> list[Reason]:
        positive = [d for d in DIMENSIONS if statuses[d] == POSITIVE]
        if indication == INDICATED:
            reasons = [self._indicated(positive)]
        else:
            reasons = self._missing(statuses, act_value)
            if indication == INSUFFICIENT:
                reasons.append(self._could_change(statuses))
            else:
                reasons.append(Reason("not_indicated", "not_indicated"))
        weight = tuple(d for d in DESTINATION_DIMENSIONS if d in positive)
        if self.instrument.is_child and weight:
            reasons.append(Reason("child_destination_weight", "child_destination_weight",
                                  weight))
        return reasons

    def _indicated(self, positive: list[str]) -> Reason:
        recruitment = [d for d in RECRUITMENT_DIMENSIONS if d in positive]
        if not self.instrument.is_child:
            destination = [d for d in DESTINATION_DIMENSIONS if d in positive]
            return Reason("indicated", "indicated",
                          (*recruitment, EXPLOITATION_DIMENSION, *destination))
        if recruitment:
            return Reason("indicated", "indicated_child",
                          (EXPLOITATION_DIMENSION, *recruitment))
        act = self.instrument.act_question
        return Reason("indicated", "indicated_child_act", (EXPLOITATION_DIMENSION,),
                      (act.id,) if act else ())

    def _missing(self, statuses: Mapping[str, str], act_value: str) -> list[Reason]:
        """One reason per part of the rule that is not met, naming what could change it."""
        reasons: list[Reason] = []
        if statuses[EXPLOITATION_DIMENSION] != POSITIVE:
            reasons.append(Reason("missing_exploitation", "missing_exploitation",
                                  (EXPLOITATION_DIMENSION,)))
        recruitment_met = any(statuses[d] == POSITIVE for d in RECRUITMENT_DIMENSIONS)
        if self.instrument.is_child:
            if not recruitment_met and act_value != YES:
                reasons.append(self._missing_act(act_value))
            return reasons
        if not recruitment_met:
            reasons.append(Reason("missing_recruitment", "missing_recruitment",
                                  RECRUITMENT_DIMENSIONS))
        if not any(statuses[d] == POSITIVE for d in DESTINATION_DIMENSIONS):
            reasons.append(Reason("missing_destination", "missing_destination",
                                  DESTINATION_DIMENSIONS))
        return reasons

    def _could_change(self, statuses: Mapping[str, str]) -> Reason:
        """Name the undecided dimensions whose unknown answers could complete the rule."""
        needed = [EXPLOITATION_DIMENSION]
        if not any(statuses[d] == POSITIVE for d in RECRUITMENT_DIMENSIONS):
            needed += RECRUITMENT_DIMENSIONS
        if not self.instrument.is_child and not any(
                statuses[d] == POSITIVE for d in DESTINATION_DIMENSIONS):
            needed += DESTINATION_DIMENSIONS
        open_dims = tuple(d for d in DIMENSIONS if d in needed and statuses[d] == INSUFFICIENT)
        message = "insufficient_information" if open_dims else "insufficient_information_any"
        return Reason("insufficient_information", message, open_dims)

    def _missing_act(self, act_value: str) -> Reason:
        act = self.instrument.act_question
        message = "missing_act_unknown" if act is not None and act_value == UNKNOWN \
            else "missing_act"
        return Reason("missing_act", message, RECRUITMENT_DIMENSIONS,
                      (act.id,) if act else ())

    def caveats(self) -> list[Reason]:
        reasons = [Reason("not_a_legal_status", "not_a_legal_status")]
        if self.instrument.evidence == "[M]":
            reasons.append(Reason("unconfirmed_instrument", "unconfirmed_instrument"))
        return reasons


def _ids(items: Iterable[Indicator]) -> tuple[str, ...]:
    return tuple(item.id for item in items)


# --- checklist and vulnerability -----------------------------------------------------------

def _guidance_reason(instrument: Instrument) -> list[Reason]:
    return [Reason("guidance", "guidance")] if instrument.guidance is not None else []


def evaluate_checklist(instrument: Instrument, answers: Mapping[str, object]
                       ) -> ChecklistResult:
    """A checklist has no threshold (ILO 2012): list what is present, absent and unknown."""
    if instrument.kind != "checklist":
        raise ValidationError(N_("The screening instrument %(instrument)s is not a checklist."),
                              instrument=instrument.id)
    given = normalise_answers(instrument, answers)
    present = _ids(ind for ind in instrument.indicators if given[ind.id].value == YES)
    unknown = _ids(ind for ind in instrument.indicators if given[ind.id].value == UNKNOWN)
    reasons = [Reason("present", "present", indicators=present) if present
               else Reason("none_present", "none_present")]
    if unknown:
        reasons.append(Reason("unknown", "unknown", indicators=unknown))
    reasons += _guidance_reason(instrument)
    summary = INDICATORS_PRESENT if present else INSUFFICIENT if unknown else NO_INDICATOR_PRESENT
    return ChecklistResult(instrument.id, instrument.version, MappingProxyType(given), summary,
                           tuple(reasons), instrument)


def _level_factors(instrument: Instrument, given: Mapping[str, Answer], level: str
                   ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    members = [ind for ind in instrument.indicators if ind.level == level]
    risk = _ids(i for i in members if i.effect == "risk" and given[i.id].value == YES)
    protective = _ids(i for i in members if i.effect == "protective"
                      and given[i.id].value == YES)
    unknown = _ids(i for i in members if given[i.id].value == UNKNOWN)
    return risk, protective, unknown


def _level_reasons(level: str, factors: LevelFactors) -> list[Reason]:
    reasons: list[Reason] = []
    if factors.risk:
        reasons.append(Reason("risk_factors", "risk_factors", (level,), factors.risk))
    if factors.protective:
        reasons.append(Reason("protective_factors", "protective_factors", (level,),
                              factors.protective))
    if not factors.risk and not factors.protective:
        reasons.append(Reason("no_factors", "no_factors", (level,)))
    if factors.unknown:
        reasons.append(Reason("unknown", "level_unknown", (level,), factors.unknown))
    return reasons


def evaluate_vulnerability(instrument: Instrument, answers: Mapping[str, object]
                           ) -> VulnerabilityResult:
    """Risk and protective factors per DoMV level (IOM 2019). No score: the same factor can
    protect or endanger depending on context, so the caseworker weighs them."""
    if instrument.kind != "vulnerability":
        raise ValidationError(N_("The screening instrument %(instrument)s is not a "
                                 "vulnerability screening."), instrument=instrument.id)
    given = normalise_answers(instrument, answers)
    levels: dict[str, LevelFactors] = {}
    reasons: list[Reason] = []
    for level in LEVELS:
        levels[level] = LevelFactors(*_level_factors(instrument, given, level))
        reasons += _level_reasons(level, levels[level])
    reasons += _guidance_reason(instrument)
    return VulnerabilityResult(instrument.id, instrument.version, MappingProxyType(levels),
                               tuple(reasons), instrument)


def evaluate_any(instrument: Instrument, answers: Mapping[str, object]) -> AnyResult:
    """Evaluate any kind of instrument with the evaluation that fits it."""
    if instrument.kind == "checklist":
        return evaluate_checklist(instrument, answers)
    if instrument.kind == "vulnerability":
        return evaluate_vulnerability(instrument, answers)
    return evaluate(instrument, answers)


# --- reasons in the reader's language ------------------------------------------------------

# Every sentence a reason can be, by the stable name stored with it. A name is never reused
# for another sentence: stored submissions keep naming the sentence they were made with.
MESSAGES: Final[Mapping[str, str]] = MappingProxyType({
    "dimension_positive": N_("%(dimension)s is positive: these indicators were answered yes: "
                             "%(indicators)s."),
    "dimension_insufficient": N_("%(dimension)s cannot be decided yet: it would be positive "
                                 "if enough of these unknown answers were yes: "
                                 "%(indicators)s."),
    "dimension_negative": N_("%(dimension)s is negative: the indicators answered yes "
                             "(%(indicators)s) do not reach a positive combination."),
    "dimension_negative_none": N_("%(dimension)s is negative: no indicator was answered yes."),
    "not_indicated": N_("Trafficking is not indicated by these answers. Screen again when new "
                        "information comes up."),
    "child_destination_weight": N_("For a child, positive destination dimensions "
                                   "(%(dimensions)s) add evidentiary weight but are not "
                                   "required."),
    "indicated": N_("Trafficking is indicated: recruitment (%(recruitment)s), exploitation "
                    "(%(exploitation)s) and the situation at destination (%(destination)s) "
                    "are all positive."),
    "indicated_child": N_("Trafficking of a child is indicated: %(exploitation)s and "
                          "%(recruitment)s are positive. For a child no means (deception, "
                          "coercion or abuse of vulnerability) needs to be shown."),
    "indicated_child_act": N_("Trafficking of a child is indicated: %(exploitation)s is "
                              "positive and the child was recruited, transported, "
                              "transferred, harboured or received. For a child no means "
                              "needs to be shown."),
    "missing_exploitation": N_("%(dimension)s is not positive; it is required for an "
                               "indication."),
    "missing_recruitment": N_("No recruitment dimension (%(dimensions)s) is positive."),
    "missing_destination": N_("No destination dimension (%(dimensions)s) is positive."),
    "insufficient_information": N_("More information is needed: unknown answers in "
                                   "%(dimensions)s could change the result to an indication "
                                   "of trafficking."),
    "insufficient_information_any": N_("More information is needed: the answers still "
                                       "unknown could change the result to an indication of "
                                       "trafficking."),
    "missing_act_unknown": N_("It is not yet known whether the child was recruited, "
                              "transported, transferred, harboured or received, and no "
                              "recruitment dimension is positive."),
    "missing_act": N_("It is not established that the child was recruited, transported, "
                      "transferred, harboured or received, and no recruitment dimension is "
                      "positive."),
    "not_a_legal_status": N_("This is a screening indication, not a legal decision: the "
                             "trafficking status is decided and recorded separately by an "
                             "authorised officer."),
    "unconfirmed_instrument": N_("This instrument is unconfirmed reference data [M]: confirm "
                                 "it against the official source before relying on the "
                                 "result."),
    "present": N_("These indicators were answered yes: %(indicators)s."),
    "none_present": N_("No indicator was answered yes."),
    "unknown": N_("These indicators are still unknown: %(indicators)s."),
    "risk_factors": N_("Risk factors present (%(level)s): %(factors)s."),
    "protective_factors": N_("Protective factors present (%(level)s): %(factors)s."),
    "no_factors": N_("No risk or protective factor was answered yes (%(level)s)."),
    "level_unknown": N_("Still unknown (%(level)s): %(factors)s."),
})


def _join(texts: Iterable[str], lang: str) -> str:
    # A list of labels, not a sentence: only the separator depends on the script. A semicolon,
    # because labels themselves contain commas.
    return ("؛ " if lang in RTL_LANGUAGES else "; ").join(texts)


def reason_text(reason: Reason, instrument: Instrument | None, lang: str | None = None) -> str:
    """The reason as one sentence in ``lang`` (default: the current language), with labels
    from ``instrument``; without it (an instrument no longer shipped) the ids stand in."""
    lang = lang or current_language()
    if reason.message == "guidance":
        return _pick(instrument.guidance, lang) if instrument and instrument.guidance else ""
    items = {i.id: i for i in instrument.items()} if instrument else {}
    labels = (instrument.level_labels if instrument and instrument.kind == "vulnerability"
              else instrument.dimension_labels if instrument else {})

    def dim(d: str) -> str:
        return _pick(labels[d], lang) if d in labels else d

    def dims(group: Iterable[str]) -> str:
        return _join((dim(d) for d in group), lang)

    first = reason.dimensions[0] if reason.dimensions else ""
    indicators = _join((items[i].label_in(lang) if i in items else i
                        for i in reason.indicators), lang)
    # Every value a sentence may name; each sentence takes the ones it needs.
    params = {
        "dimension": dim(first), "level": dim(first), "dimensions": dims(reason.dimensions),
        "indicators": indicators, "factors": indicators,
        "recruitment": dims(d for d in reason.dimensions if d in RECRUITMENT_DIMENSIONS),
        "exploitation": dim(EXPLOITATION_DIMENSION),
        "destination": dims(d for d in reason.dimensions if d in DESTINATION_DIMENSIONS),
    }
    return gettext_for(lang, MESSAGES[reason.message]) % params


def show_result(stored: Mapping[str, Any], instrument: Instrument | None,
                lang: str | None = None) -> dict[str, Any]:
    """A stored result (``to_record``) as shown: the reasons as sentences in ``lang``
    (default: the current language), their data beside them."""
    lang = lang or current_language()
    reasons = [Reason.from_record(r) for r in stored["reasons"]]
    shown = {k: v for k, v in stored.items() if k != "reasons"}
    shown["reasons"] = [reason_text(r, instrument, lang) for r in reasons]
    shown["reason_data"] = [r.data() for r in reasons]
    shown["language"] = lang
    return shown
