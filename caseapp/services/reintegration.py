"""Reintegration assessments on a case: one per round (baseline, monitoring_1, ...).

An assessment is immutable: the answers, the survey version and the computed scores are
stored together, so a round shows the numbers computed with the weights of its day even after
an administrator changes them. A round is recorded once; a correction is a new record that
names the one it supersedes, and the superseded record stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from caseapp.domain import consent, roles
from caseapp.domain import reintegration as rss
from caseapp.errors import FieldErrors, NotFound, ValidationError
from caseapp.i18n import N_
from caseapp.reference import loader
from caseapp.services.base import Service
from caseapp.services.consent import ConsentService
from caseapp.services.session import Session
from caseapp.store.changes import Changes
from caseapp.store.records import Record

ASSESSMENT = "reintegration_assessment"


class RoundAlreadyRecorded(ValidationError):
    msgid = N_("The round %(round)s is already recorded on this case. To change it, record a "
               "correction.")


class RoundNotRecorded(NotFound):
    msgid = N_("The round %(round)s has not been recorded on this case.")


class NothingAnswered(ValidationError):
    msgid = N_("None of the survey questions is answered, so nothing was recorded. A round is "
               "recorded once, so record it when the person has answered.")


class AlreadySuperseded(ValidationError):
    msgid = N_("This assessment has already been corrected; correct the newest one.")


class ReintegrationService(Service):
    def __init__(self, session: Session, survey: rss.Survey | None = None) -> None:
        super().__init__(session)
        # An administrator-installed survey file may replace the packaged one.
        self.survey = survey or loader.load_survey()

    def _all(self, case_id: str) -> list[Record]:
        return self.store.children(case_id, ASSESSMENT)

    @staticmethod
    def _current(records: list[Record]) -> list[Record]:
        """The records no other record supersedes."""
        superseded = {r.body.get("supersedes") for r in records}
        return [r for r in records if r.id not in superseded]

    def _current_for(self, case_id: str, round_name: str) -> Record | None:
        return next((r for r in self._current(self._all(case_id))
                     if r.body.get("round") == round_name), None)

    def _require_consent(self, case: Record, round_name: str) -> None:
        """Every round is an interview; a monitoring round also means contacting the person
        again after return, which is its own purpose (RESEARCH §6.2 (f))."""
        consents = ConsentService(self.session)
        consents.require(case.id, consent.INTERVIEW)
        if round_name != rss.BASELINE:
            consents.require(case.id, consent.FOLLOW_UP_CONTACT)

    def _store(self, case: Record, round_name: str, answers: Mapping[str, object],
               notes: str | None, supersedes: str | None, action: str) -> Changes:
        if notes is not None and not isinstance(notes, str):
            raise FieldErrors([("notes", N_("must be text"), {})])
        assessment = rss.score(answers, self.survey)
        # An empty answer file would otherwise take the round for good (it is recorded once).
        if not any(q.status == rss.SCORED for q in assessment.questions):
            raise NothingAnswered()
        body: dict[str, Any] = {
            "round": round_name,
            "survey_id": self.survey.id,
            "survey_version": self.survey.version,
            "answers": assessment.answers(),
            "scores": assessment.to_record(),
            "notes": notes,
            "supersedes": supersedes,
            "assessed_by": self.session.user_id,
            "assessed_at": time.time_ns() // 1_000_000,
        }
        with self.session.write() as tx:
            # Always a new record (never record_id=...): earlier assessments stay as they were.
            change = self.store.create(ASSESSMENT, body, team=case.team, parent=case.id)
            # Field names only: answers and notes are what a person said.
            self.session.audit.append(self.session.user_id, action, case.id,
                                      [k for k, v in body.items() if v is not None])
        return tx.changes.with_id(change.record.id)

    def record(self, case_id: str, round_name: str, answers: Mapping[str, object],
               notes: str | None = None) -> Changes:
        """Score and store one round; returns the record id. Needs interview consent (and
        follow-up contact consent for a monitoring round), and the round must not be
        recorded yet (use ``correct`` for that)."""
        self._require(roles.CASE_EDIT)
        round_name = rss.validate_round(round_name)
        case = self._case(case_id)
        self._require_consent(case, round_name)
        if self._current_for(case.id, round_name) is not None:
            raise RoundAlreadyRecorded(round=round_name)
        return self._store(case, round_name, answers, notes, None, "reintegration_assessed")

    def correct(self, assessment_id: str, answers: Mapping[str, object],
                notes: str | None = None) -> Changes:
        """Record a corrected assessment for the same round; the old one is kept unchanged
        and is no longer the current one."""
        self._require(roles.CASE_EDIT)
        old = self.store.get(assessment_id)
        if old is None or old.type != ASSESSMENT or old.parent is None:
            raise NotFound()
        case = self._case(old.parent)
        self._require_consent(case, str(old.body["round"]))
        if any(r.body.get("supersedes") == old.id for r in self._all(case.id)):
            raise AlreadySuperseded()
        return self._store(case, str(old.body["round"]), answers, notes, old.id,
                           "reintegration_corrected")

    @staticmethod
    def _shown(record: Record) -> dict[str, Any]:
        """A stored assessment as read: its id, and its scores from 0 to 1 again."""
        scores = rss.assessment_from_record(record.body["scores"]).to_json()
        return {"id": record.id, **record.body, "scores": scores}

    def rounds(self, case_id: str) -> list[dict[str, Any]]:
        """The current assessment of each round, baseline first, each with its id."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        records = self._current(self._all(case.id))
        records.sort(key=lambda r: rss.round_key(str(r.body["round"])))
        if records:
            self._viewed("reintegration_viewed", case.id, ["answers", "scores"])
        return [self._shown(r) for r in records]

    def history(self, case_id: str) -> list[dict[str, Any]]:
        """Every assessment, superseded ones included, in the order they were recorded."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        records = self._all(case.id)
        # UUIDv7 ids sort by creation time.
        records.sort(key=lambda r: (int(r.body.get("assessed_at", 0)), r.id))
        if records:
            self._viewed("reintegration_viewed", case.id, ["answers", "scores"])
        return [self._shown(r) for r in records]

    def change(self, case_id: str, from_round: str, to_round: str) -> dict[str, Any]:
        """Per-dimension and composite change between two recorded rounds."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        found: list[rss.Assessment] = []
        for name in (rss.validate_round(from_round), rss.validate_round(to_round)):
            record = self._current_for(case.id, name)
            if record is None:
                raise RoundNotRecorded(round=name)
            # The stored scores, not a rescoring: each round keeps its day's weights.
            found.append(rss.assessment_from_record(record.body["scores"]))
        self._viewed("reintegration_viewed", case.id, ["answers", "scores"])
        result = rss.compare(found[0], found[1]).to_json()
        return {"from_round": from_round, "to_round": to_round, **result}
