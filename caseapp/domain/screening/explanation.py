"""Which reasons explain an ILO/EC result: one per dimension, what part of the person-level
rule is met or missing, and the caveats every result carries."""

from __future__ import annotations

from collections.abc import Mapping

from caseapp.domain.screening.answers import DimensionAnswers
from caseapp.domain.screening.instruments import Instrument, ids_of
from caseapp.domain.screening.reasons import Reason
from caseapp.domain.screening.vocabulary import (
    DESTINATION_DIMENSIONS,
    DIMENSIONS,
    EXPLOITATION_DIMENSION,
    INDICATED,
    INSUFFICIENT,
    NOT_INDICATED,
    POSITIVE,
    RECRUITMENT_DIMENSIONS,
    UNKNOWN,
    YES,
)


class Explainer:
    """Chooses the reasons of an ILO/EC result: one sentence (``MESSAGES``) per reason."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument

    def dimensions(self, groups: Mapping[str, DimensionAnswers],
                   statuses: Mapping[str, str]) -> list[Reason]:
        return [self._dimension(d, groups[d], statuses[d]) for d in DIMENSIONS]

    @staticmethod
    def _dimension(d: str, g: DimensionAnswers, status: str) -> Reason:
        if status == POSITIVE:
            enough = [ind for ind in g.yes if ind.sufficient]
            if enough:
                return Reason("dimension_positive", "dimension_positive_sufficient", (d,),
                              ids_of(enough))
            return Reason("dimension_positive", "dimension_positive", (d,), ids_of(g.yes))
        if status == INSUFFICIENT:
            return Reason("dimension_insufficient", "dimension_insufficient", (d,),
                          ids_of(g.unknown))
        if g.yes:
            return Reason("dimension_negative", "dimension_negative", (d,), ids_of(g.yes))
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

    def evidence(self, groups: Mapping[str, DimensionAnswers], statuses: Mapping[str, str],
                 indication: str, act_value: str) -> list[Reason]:
        """Which indicators the result rests on whose evidence is weaker than [V]: for an
        indication, those answered yes in its positive dimensions; otherwise every one
        answered yes, as each rating decides how near the result came to an indication."""
        used = [ind for d in DIMENSIONS for ind in groups[d].yes
                if indication != INDICATED or statuses[d] == POSITIVE]
        act = self.instrument.act_question
        if act is not None and act_value == YES:
            used.append(act)
        reasons: list[Reason] = []
        for mark, message in (("[M]", "rests_on_unconfirmed"), ("[V2]", "rests_on_secondary")):
            marked = ids_of(ind for ind in used if ind.evidence == mark)
            if marked:
                reasons.append(Reason("indicator_evidence", message, indicators=marked))
        return reasons

    def caveats(self, indication: str) -> list[Reason]:
        reasons = [Reason("not_a_legal_status", "not_a_legal_status")]
        if self.instrument.evidence == "[M]":
            if indication == NOT_INDICATED:
                # An unconfirmed set may lack the very indicators that would show it.
                reasons.append(Reason("unconfirmed_negative", "unconfirmed_negative"))
            reasons.append(Reason("unconfirmed_instrument", "unconfirmed_instrument"))
        return reasons
