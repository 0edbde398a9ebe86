"""Screening submissions on a case, and the separate trafficking-status decision.

A submission is immutable: the answers, the instrument version and the computed result are
stored together, so the reasons shown later are the reasons computed then, even after the
instrument changes. The reasons are stored as codes and ids, not sentences, and are worded in
the reader's language each time they are shown. A correction is a new submission. The
screening *indication* never sets ``vic_TraffickingStatus``; an authorised officer decides that
with ``decide_status``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from caseapp.domain import consent, htcds, legal_status, roles, screening
from caseapp.errors import FieldErrors, ValidationError
from caseapp.i18n import N_
from caseapp.reference import loader
from caseapp.services.base import Service
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.store.changes import Changes
from caseapp.store.records import Record

SCREENING = "screening"
STATUS_FIELD = "vic_TraffickingStatus"
ORG_FIELD = "vic_TraffickingStatusDecisionMakingOrg"
# The standard's codes, spelled out so a changed reference file cannot widen them silently.
STATUS_CODES = ("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking",
                "NotAVictimOfTrafficking")
ORG_CODES = ("Police", "NGO", "CourtOrProsecution", "NonPoliceGovernmentalOrganization", "Other")
CODE_PROBLEM = N_("is not one of the standard's codes (%(codes)s)")


class AdultInstrumentForChild(ValidationError):
    """A child, or a person presumed to be one, screened with an adult indicator set: the
    adult rule asks for means a child's case does not need (Palermo art. 3(c))."""

    msgid = N_("This person is under 18, so the adult indicator set %(instrument)s cannot be "
               "used. Screen with the child set %(child_instrument)s.")


# Why the person counts as a child, each with the sentence the refusal shows.
CHILD_REFUSALS = {
    consent.UNDER_18: AdultInstrumentForChild.msgid,
    consent.AGE_UNKNOWN: N_("This person's age is not recorded, so they are presumed to be a "
                            "child and the adult indicator set %(instrument)s cannot be used. "
                            "Screen with the child set %(child_instrument)s, or record an age "
                            "assessment first."),
    consent.AGE_DISPUTED: N_("This person's age is disputed, so they are presumed to be a "
                             "child and the adult indicator set %(instrument)s cannot be "
                             "used. Screen with the child set %(child_instrument)s, or record "
                             "an age assessment first."),
    consent.ASSESSED_CHILD: N_("An age assessment found this person to be a child, so the "
                               "adult indicator set %(instrument)s cannot be used. Screen "
                               "with the child set %(child_instrument)s."),
}


def _child_counterparts(instrument: screening.Instrument) -> str:
    """The packaged child sets for the same kind of exploitation (else every child set)."""
    assert instrument.profile is not None
    child_sets = [i for i in loader.list_instruments()
                  if i.kind == "ilo_ec" and i.is_child]
    same = [i.id for i in child_sets
            if i.profile and i.profile.exploitation == instrument.profile.exploitation]
    return ", ".join(same or [i.id for i in child_sets])


class ScreeningService(Service):
    def _check_age(self, case: Record, instrument: screening.Instrument, at: int) -> None:
        """Refuse an adult indicator set for a person who is, or is presumed to be, a child.
        Refusing (rather than switching sets) keeps the answers with the questions that were
        asked: the child sets hold other items and the act question. A child set stays open
        for an adult, who may have been trafficked as a child."""
        if instrument.kind != "ilo_ec" or instrument.is_child:
            return
        person = self.store.get(case.parent or "")
        basis = consent.person_age_basis(person.body if person else {}, at)
        if basis in CHILD_REFUSALS:
            raise AdultInstrumentForChild(CHILD_REFUSALS[basis], instrument=instrument.id,
                                          child_instrument=_child_counterparts(instrument))

    def submit(self, case_id: str, instrument_id: str, answers: Mapping[str, object],
               notes: str | None = None) -> Changes:
        """Evaluate ``answers`` with the instrument and store the submission; returns its id.
        Needs the person's consent to the interview."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        ConsentService(self.session).require(case.id, consent.INTERVIEW)
        if notes is not None and not isinstance(notes, str):
            raise FieldErrors([("notes", N_("must be text"), {})])
        instrument = loader.load_instrument(instrument_id)
        self._check_age(case, instrument, time.time_ns() // 1_000_000)
        result = screening.evaluate_any(instrument, answers)
        normalised = screening.normalise_answers(instrument, answers)
        body: dict[str, Any] = {
            "instrument_id": instrument.id,
            "instrument_version": instrument.version,
            "answers": {k: {"answer": a.value, "note": a.note} for k, a in normalised.items()},
            "result": result.to_record(),
            "notes": notes,
            "submitted_by": self.session.user_id,
            "submitted_at": time.time_ns() // 1_000_000,
        }
        with self.session.write() as tx:
            # Always a new record (never record_id=…): earlier submissions stay as they were.
            change = self.store.create(SCREENING, body, team=case.team, parent=case.id)
            self.session.audit.append(self.session.user_id, "screening_submitted", case.id,
                                      [k for k, v in body.items() if v is not None])
        return tx.changes.with_id(change.record.id)

    def history(self, case_id: str) -> list[dict[str, Any]]:
        """Every submission on the case, newest first, each with its id."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        records = self.store.children(case.id, SCREENING)
        # UUIDv7 ids sort by creation time; the submission time breaks nothing if clocks drift.
        records.sort(key=lambda r: (int(r.body.get("submitted_at", 0)), r.id), reverse=True)
        if records:
            with self.session.write():
                self.session.audit.append(self.session.user_id, "screenings_viewed", case.id,
                                          ["answers", "result"])
        return [self._shown(r) for r in records]

    @staticmethod
    def _shown(record: Record) -> dict[str, Any]:
        """A submission as read: its reasons worded in the reader's language."""
        instrument_id = str(record.body["instrument_id"])
        try:
            instrument: screening.Instrument | None = loader.load_instrument(instrument_id)
        except loader.InstrumentNotFound:
            instrument = None  # no longer shipped: the reasons name ids instead of labels
        # The outcome and the ids are those stored; only the wording is today's.
        result = screening.show_result(record.body["result"], instrument)
        return {"id": record.id, **record.body, "result": result}

    def deciding_org(self) -> str:
        """The deciding organisation this user records: law enforcement for FIA officers
        and police, else that of their office's organisation type (legal_status)."""
        team = self.store.get(self.session.team_id)
        office = team.body.get("org_Type") if team is not None else None
        law_enforcement = self.actor.law_enforcement or self.actor.role == roles.BORDER_OFFICER
        return legal_status.deciding_org(law_enforcement, office if isinstance(office, str)
                                         else None)

    def decide_status(self, case_id: str, status: str, deciding_org: str | None = None, *,
                      decided_on: str, act: str, section: str,
                      fir: str | None = None) -> Changes:
        """Record the legal trafficking status with its date, legal basis (act and section)
        and FIR reference; only roles with STATUS_DECIDE may. The deciding organisation
        follows from the user's own organisation: ``deciding_org``, when given, must be that
        one. ``Changes.fields`` names what changed."""
        self._require(roles.STATUS_DECIDE)
        own = self.deciding_org()
        problems: list[tuple[str, str, dict[str, object]]] = []
        spec = htcds.spec(STATUS_FIELD)
        allowed = tuple(c for c in STATUS_CODES if spec is None or c in spec.codes)
        if status not in allowed:
            problems.append(("--status", CODE_PROBLEM, {"codes": ", ".join(allowed)}))
        if deciding_org is not None and deciding_org != own:
            problems.append(("--decided-by", legal_status.PROBLEMS["org"], {"allowed": own}))
        decision: dict[str, Any] = {"date": decided_on, "act": act, "section": section}
        if fir is not None:
            decision["fir"] = fir.strip() if isinstance(fir, str) else fir
        problems += legal_status.check_decision(decision, datetime.now(UTC).date())
        if problems:
            raise FieldErrors(problems)
        fields = {STATUS_FIELD: status, ORG_FIELD: own, legal_status.DECISION_FIELD: decision}
        with self.session.write() as tx:
            CaseService(self.session).update(case_id, fields)
            self.session.audit.append(self.session.user_id, "trafficking_status_decided",
                                      case_id, list(fields))
        return tx.changes.with_id(case_id)
