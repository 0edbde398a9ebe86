"""Assessment rounds (baseline, monitoring_1, monitoring_2, ...) and the change of each score
from one round to another."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from caseapp.domain.reintegration.scoring import Assessment, round_score
from caseapp.domain.reintegration.survey import DIMENSIONS
from caseapp.errors import ValidationError
from caseapp.i18n import N_

# Direction of a change between two rounds.
IMPROVED, WORSENED, UNCHANGED, NOT_COMPARABLE = (
    "improved", "worsened", "unchanged", "not_comparable")

BASELINE: Final = "baseline"
_ROUND_RE: Final = re.compile(r"monitoring_([1-9][0-9]{0,2})")


class InvalidRound(ValidationError):
    msgid = N_("%(round)s is not an assessment round; use baseline or monitoring_1, "
               "monitoring_2 and so on.")


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
