"""The instruments without a rule: the ILO forced-labour checklist (what is present, with
evidence) and the IOM vulnerability screening (risk and protective factors per level)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from caseapp.domain.screening.answers import Answer, normalise_answers
from caseapp.domain.screening.instruments import Instrument, ids_of
from caseapp.domain.screening.reasons import Reason
from caseapp.domain.screening.results import ChecklistResult, LevelFactors, VulnerabilityResult
from caseapp.domain.screening.vocabulary import (
    INDICATORS_PRESENT,
    INSUFFICIENT,
    LEVELS,
    NO_INDICATOR_PRESENT,
    UNKNOWN,
    YES,
)
from caseapp.errors import ValidationError
from caseapp.i18n import N_


def _guidance_reason(instrument: Instrument) -> list[Reason]:
    return [Reason("guidance", "guidance")] if instrument.guidance is not None else []


def evaluate_checklist(instrument: Instrument, answers: Mapping[str, object]
                       ) -> ChecklistResult:
    """A checklist has no threshold (ILO 2012): list what is present, absent and unknown."""
    if instrument.kind != "checklist":
        raise ValidationError(N_("The screening instrument %(instrument)s is not a checklist."),
                              instrument=instrument.id)
    given = normalise_answers(instrument, answers)
    present = ids_of(ind for ind in instrument.indicators if given[ind.id].value == YES)
    unknown = ids_of(ind for ind in instrument.indicators if given[ind.id].value == UNKNOWN)
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
    risk = ids_of(i for i in members if i.effect == "risk" and given[i.id].value == YES)
    protective = ids_of(i for i in members if i.effect == "protective"
                      and given[i.id].value == YES)
    unknown = ids_of(i for i in members if given[i.id].value == UNKNOWN)
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
