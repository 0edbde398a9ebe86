"""Reasons in no language, and their wording in the reader's: a result stores each reason as
the name of its sentence and the ids that fill it, and is worded when shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from caseapp.domain.reference_data import pick_label
from caseapp.domain.screening.instruments import Instrument
from caseapp.domain.screening.vocabulary import (
    DESTINATION_DIMENSIONS,
    EXPLOITATION_DIMENSION,
    RECRUITMENT_DIMENSIONS,
)
from caseapp.i18n import N_, RTL_LANGUAGES, current_language, gettext_for


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


# Every sentence a reason can be, by the stable name stored with it. A name is never reused
# for another sentence: stored submissions keep naming the sentence they were made with.
MESSAGES: Final[Mapping[str, str]] = MappingProxyType({
    "dimension_positive": N_("%(dimension)s is positive: these indicators were answered yes: "
                             "%(indicators)s."),
    "dimension_positive_sufficient": N_("%(dimension)s is positive: %(indicators)s was "
                                        "answered yes, and that is enough on its own."),
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
    "unconfirmed_negative": N_("This negative result comes from an unconfirmed instrument "
                               "[M]: it may lack indicators that would show trafficking, so "
                               "it does not rule trafficking out."),
    "rests_on_unconfirmed": N_("The result rests on indicators whose wording or strength is "
                               "unconfirmed [M]: %(indicators)s."),
    "rests_on_secondary": N_("The result rests on indicators whose wording or strength is "
                             "verified only in a secondary source [V2]: %(indicators)s."),
    "present": N_("These indicators were answered yes: %(indicators)s."),
    "none_present": N_("No indicator was answered yes."),
    "unknown": N_("These indicators are still unknown: %(indicators)s."),
    "risk_factors": N_("Risk factors present (%(level)s): %(factors)s."),
    "protective_factors": N_("Protective factors present (%(level)s): %(factors)s."),
    "no_factors": N_("No risk or protective factor was answered yes (%(level)s)."),
    "level_unknown": N_("Still unknown (%(level)s): %(factors)s."),
})


def join_labels(texts: Iterable[str], lang: str) -> str:
    # A list of labels, not a sentence: only the separator depends on the script. A semicolon,
    # because labels themselves contain commas.
    return ("؛ " if lang in RTL_LANGUAGES else "; ").join(texts)


def reason_text(reason: Reason, instrument: Instrument | None, lang: str | None = None) -> str:
    """The reason as one sentence in ``lang`` (default: the current language), with labels
    from ``instrument``; without it (an instrument no longer shipped) the ids stand in."""
    lang = lang or current_language()
    if reason.message == "guidance":
        return pick_label(instrument.guidance, lang) if instrument and instrument.guidance else ""
    items = {i.id: i for i in instrument.items()} if instrument else {}
    labels = (instrument.level_labels if instrument and instrument.kind == "vulnerability"
              else instrument.dimension_labels if instrument else {})

    def dim(d: str) -> str:
        return pick_label(labels[d], lang) if d in labels else d

    def dims(group: Iterable[str]) -> str:
        return join_labels((dim(d) for d in group), lang)

    first = reason.dimensions[0] if reason.dimensions else ""
    indicators = join_labels((items[i].label_in(lang) if i in items else i
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
