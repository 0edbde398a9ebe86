"""The ILO/EC operational-indicator rule (RESEARCH §1.2): when a dimension is positive, when a
person is indicated as a victim, and the evaluation of an indicator set."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Set
from types import MappingProxyType

from caseapp.domain.screening.answers import Answer, DimensionAnswers, normalise_answers
from caseapp.domain.screening.explanation import Explainer
from caseapp.domain.screening.instruments import Indicator, Instrument
from caseapp.domain.screening.results import ScreeningResult
from caseapp.domain.screening.vocabulary import (
    DEFAULT_COMBINATIONS,
    DESTINATION_DIMENSIONS,
    DIMENSIONS,
    EXPLOITATION_DIMENSION,
    INDICATED,
    INSUFFICIENT,
    NEGATIVE,
    NO,
    NOT_INDICATED,
    POSITIVE,
    RECRUITMENT_DIMENSIONS,
    TRAFFICKING_TYPES,
    UNKNOWN,
    YES,
    Combination,
)
from caseapp.errors import ValidationError
from caseapp.i18n import N_


def dimension_positive(counts: Mapping[str, int],
                       combinations: tuple[Combination, ...] = DEFAULT_COMBINATIONS) -> bool:
    """True when the strength counts of "yes" indicators reach one of the combinations."""
    return any(all(sum(counts.get(s, 0) for s in strengths) >= need for strengths, need in combo)
               for combo in combinations)


def _strength_counts(indicators: Iterable[Indicator]) -> Counter[str]:
    return Counter(ind.strength for ind in indicators if ind.strength)


def dimension_status(yes: Iterable[Indicator], unknown: Iterable[Indicator],
                     combinations: tuple[Combination, ...] = DEFAULT_COMBINATIONS) -> str:
    """positive (a combination, or one ``sufficient`` indicator, answered yes); else
    insufficient_information if all unknowns as yes would make it positive; else negative."""
    yes, unknown = list(yes), list(unknown)
    if any(ind.sufficient for ind in yes) or dimension_positive(_strength_counts(yes),
                                                                 combinations):
        return POSITIVE
    if any(ind.sufficient for ind in unknown) or dimension_positive(
            _strength_counts(yes + unknown), combinations):
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


def _by_dimension(instrument: Instrument, given: Mapping[str, Answer]
                  ) -> dict[str, DimensionAnswers]:
    out: dict[str, DimensionAnswers] = {}
    for dim in DIMENSIONS:
        members = [ind for ind in instrument.indicators if ind.dimension == dim]
        out[dim] = DimensionAnswers(
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
    explainer = Explainer(instrument)
    reasons = (explainer.dimensions(groups, statuses)
               + explainer.person(statuses, indication, act_value)
               + explainer.evidence(groups, statuses, indication, act_value)
               + explainer.caveats(indication))
    assert instrument.profile is not None
    return ScreeningResult(instrument.id, instrument.version, instrument.profile.age,
                           MappingProxyType(statuses), indication, types, tuple(reasons),
                           instrument)
