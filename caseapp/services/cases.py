"""Cases: create, view, edit, move between stages, list and search — with permissions,
audit events and search indexing done in the same transaction as the change."""

from __future__ import annotations

import builtins
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from caseapp.domain import case_search, consent, referrals, roles, stages, text_rules
from caseapp.domain.case_documents import EVENTS_KEY, case_events, require_name, split_document
from caseapp.errors import (
    FieldErrors,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from caseapp.i18n import N_
from caseapp.services.base import CASE, Service
from caseapp.services.referrals import REFERRAL
from caseapp.services.session import Session
from caseapp.store import lists, queries
from caseapp.store.changes import Changes
from caseapp.store.lists import CaseFilter as CaseFilter  # what callers narrow lists by
from caseapp.store.records import Record

PERSON = "person"
# Route events were records of this type before schema 9 (now the case's hte_Events); a
# device not yet upgraded may still send them.
EVENT = "trafficking_event"
SEARCH_WINDOW = 200        # hits read before own-name matches are put first
MAX_SEARCH_WINDOW = 2000


def referred_on(session: Session, case_id: str) -> bool:
    """Whether another organisation has taken the case on: an outgoing referral it accepted
    and has not completed (HTCDS ClosedReferred once the case is closed). A completed
    referral is a service delivered; the case came back."""
    return any(r.body.get("hfz_Direction") == referrals.OUTGOING
               and r.body.get("hfz_Status") == referrals.ACCEPTED
               for r in session.store.children(case_id, REFERRAL))


NOTE = "note"
ATTACHMENT = "attachment"
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class CaseSummary:
    id: str
    case_number: str
    name: str
    name_urdu: str
    stage: str
    updated_at: int
    # For a search hit, what matched: name, father_name, alias or other (case_search).
    matched: str | None = None

    @property
    def key(self) -> tuple[int, str]:
        """Where the next page starts: pass as ``after``."""
        return (self.updated_at, self.id)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "case_number": self.case_number, "name": self.name,
                "name_urdu": self.name_urdu, "stage": self.stage,
                "updated_at": self.updated_at,
                **({"matched": self.matched} if self.matched is not None else {})}


@dataclass(frozen=True)
class CasePage:
    cases: list[CaseSummary]
    total: int
    # the key of the last case shown, for the next page; None on the last page
    next: tuple[Any, ...] | None


# What a list or search result shows of each case.
SUMMARY_FIELDS = ("hfz_CaseNumber", "prs_FirstName", "prs_SecondName", "hfz_NameUrdu",
                  "hfz_Stage")


class CaseService(Service):
    # -- helpers --------------------------------------------------------------------
    def _person_of(self, case: Record) -> Record:
        person = self.store.get(case.parent or "")
        if person is None:
            raise NotFound()
        return person

    def _next_case_number(self) -> str:
        # Year, this profile's random code, a local counter: unique across offline devices
        # without talking (32 random bits: 5 in a million chance of a clash among 200).
        code = self.store.meta("case_code") or self.session.device_id[-8:]
        return case_search.case_number(time.gmtime().tm_year, code,
                                       self.store.next_counter("case_counter"))

    def _check_write_fields(self, fields: dict[str, Any]) -> None:
        denied = [f for f in fields if not self.actor.may_write_field(f)]
        if denied:
            raise PermissionDenied(N_("Your role may not record these fields: %(fields)s"),
                                   fields=", ".join(sorted(denied)))

    # -- use cases ------------------------------------------------------------------
    def create(self, document: dict[str, Any]) -> Changes:
        """Create a person and their case from an HTCDS-keyed document; the returned
        ``Changes`` carries the new case's id."""
        self._require(roles.CASE_CREATE)
        person_fields, case_fields, events = split_document(document)
        self._check_write_fields(case_fields)
        stage = case_fields.setdefault("hfz_Stage", stages.INTAKE)
        if not stages.may_hold(stage, self.actor.role):
            raise InvalidTransition(current=stages.INTAKE, target=stage)
        if stage == stages.CLOSED and not str(case_fields.get("cas_ReasonForCaseClosure")
                                              or "").strip():
            raise FieldErrors([("cas_ReasonForCaseClosure",
                                N_("Closing a case needs a reason."), {})])
        case_fields.setdefault("hfz_Tracks", ["TIP"])
        case_fields["cas_Status"] = stages.htcds_status(stage)
        case_fields.setdefault("cas_CaseOwner", self.session.user_id)
        team = self.session.team_id
        with self.session.write() as tx:
            person = self.store.create(PERSON, person_fields, team=team)
            case_fields["hfz_CaseNumber"] = self._next_case_number()
            if events:
                case_fields[EVENTS_KEY] = case_events({EVENTS_KEY: events})
            case = self.store.create(CASE, case_fields, team=team, parent=person.record.id)
            self.session.audit.append(self.session.user_id, "case_created", case.record.id,
                                      [*person_fields, *case_fields])
        return tx.changes.with_id(case.record.id)

    def resolve(self, text: str) -> str:
        """The id of the case that ``text`` names: an id, or a case number typed with or
        without dashes and padding (what a user reads off a form or a phone call)."""
        self._require(roles.CASE_VIEW)
        key = case_search.number_key(text)
        if key is None or (self.store.get(text.strip()) is not None):
            return text.strip()
        expression = case_search.match_expression(text)
        for hit in self.store.search(expression or "", 10):
            number = case_search.number_key(str(hit.body.get("hfz_CaseNumber", "")))
            if hit.type == CASE and number == key:
                return hit.id
        raise NotFound()

    def show(self, case_id: str) -> dict[str, Any]:
        """The case as one HTCDS-keyed document, without fields the role may not read.
        ``clocks`` holds each field's clock: pass it back as ``update(seen=…)`` so an edit
        over a value the editor never saw becomes a conflict, not a silent overwrite.
        Viewing is an audit event (which fields were shown, never their values)."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        person = self._person_of(case)
        doc: dict[str, Any] = {**person.body, **case.body}
        doc = {k: v for k, v in doc.items() if self.actor.may_read_field(k)}
        events = case_events(case.body, [e.body for e in self.store.children(case.id, EVENT)])
        if events:
            doc[EVENTS_KEY] = events
        shown = sorted(doc)
        doc["id"] = case.id
        doc["person_id"] = person.id
        doc["clocks"] = {k: v for k, v in {**person.clocks, **case.clocks}.items()
                         if k in doc}
        self._viewed("case_viewed", case.id, shown)
        return doc

    def update(self, case_id: str, changes: dict[str, Any],
               seen: dict[str, str | None] | None = None) -> Changes:
        """Apply edits to the person and the case; ``Changes.fields`` names what changed.

        ``seen`` is the ``clocks`` of the ``show`` the editor worked from (None: the record
        as it is now)."""
        self._require(roles.CASE_EDIT)
        if "hfz_Stage" in changes:
            raise ValidationError(N_("Change the stage with a stage move, not an edit."))
        person_fields, case_fields, events = split_document(changes, partial=True)
        self._check_write_fields({**person_fields, **case_fields})
        case = self._case(case_id)
        person = self._person_of(case)
        if "hfz_IdentityDocuments" in person_fields and "hfz_IdentityDocuments" not in changes:
            # Only prs_IdentityNumber was given: its document joins those on record instead
            # of replacing them.
            known = list(person.body.get("hfz_IdentityDocuments") or [])
            have = {(d["type"], d["number"]) for d in known}
            known += [d for d in person_fields["hfz_IdentityDocuments"]
                      if (d["type"], d["number"]) not in have]
            person_fields["hfz_IdentityDocuments"] = known
        changed: list[str] = []
        with self.session.write() as tx:
            if person_fields:
                require_name({**person.body, **person_fields})
                result = self.store.update(person.id, person_fields, seen=seen)
                if result:
                    changed += list(result.fields)
            if events:
                # Added to those on record (a set field: each event once).
                case_fields[EVENTS_KEY] = case_events(case.body, events)
            if case_fields:
                result = self.store.update(case.id, case_fields, seen=seen)
                if result:
                    changed += list(result.fields)
            if changed:
                self.session.audit.append(self.session.user_id, "case_edited", case.id, changed)
        return tx.changes.with_id(case.id)

    def record_age_assessment(self, case_id: str, outcome: str, on: str,
                              method: str | None = None, authority: str | None = None
                              ) -> Changes:
        """Record the result of an age assessment (``adult`` or ``child``, the date it was
        made, how and by whom). Until one is recorded, a person whose age is unknown or
        disputed is presumed to be a child (``consent.age_basis``); recording it ends the
        dispute. Its own audit event, as it changes which rules protect the person."""
        self._require(roles.CASE_EDIT)
        assessment: dict[str, Any] = {"outcome": outcome, "date": on}
        if method is not None:
            assessment["method"] = method
        if authority is not None:
            assessment["authority"] = authority
        person_fields, _case, _events = split_document(
            {consent.AGE_ASSESSMENT_FIELD: assessment, consent.AGE_DISPUTED_FIELD: False},
            partial=True)
        self._check_write_fields(person_fields)
        case = self._case(case_id)
        person = self._person_of(case)
        with self.session.write() as tx:
            self.store.update(person.id, person_fields)
            self.session.audit.append(self.session.user_id, "age_assessment_recorded",
                                      case.id, sorted(person_fields))
        return tx.changes.with_id(case.id)

    def move(self, case_id: str, target: str, reason: str | None = None) -> Changes:
        """Move a case to another stage. Closing needs a reason (cas_ReasonForCaseClosure);
        re-opening is its own audit event."""
        self._require(roles.CASE_TRANSITION)
        case = self._case(case_id)
        current = str(case.body.get("hfz_Stage", stages.INTAKE))
        if target not in stages.STAGES or not stages.can_move(current, target, self.actor.role):
            raise InvalidTransition(current=current, target=target)
        fields: dict[str, Any] = {"hfz_Stage": target,
                                  "cas_Status": stages.htcds_status(
                                      target, referred_on(self.session, case.id))}
        if target == stages.CLOSED:
            if not reason or not reason.strip():
                raise ValidationError(N_("Closing a case needs a reason."))
            fields["cas_ReasonForCaseClosure"] = reason.strip()
        elif current == stages.CLOSED:
            # A re-opened case is no longer closed for that reason; the history keeps it.
            fields["cas_ReasonForCaseClosure"] = None
        with self.session.write() as tx:
            self.store.update(case.id, fields)
            action = "case_reopened" if current == stages.CLOSED else "case_stage_changed"
            self.session.audit.append(self.session.user_id, action, case.id, list(fields))
        return tx.changes.with_id(case.id)

    def list(self, limit: int = 50, after: tuple[Any, ...] | None = None, *,
             sort: str = "updated", descending: bool = True,
             where: lists.CaseFilter | None = None, at: int | None = None) -> CasePage:
        """A page of cases in ``sort`` order (most recently changed first by default), after
        the key of the last case of the page before (``CasePage.next``), narrowed by
        ``where``; or, with ``at``, the page that starts at that position (a list scrolled
        far down at once). The first page of a listing is its one audit event."""
        self._require(roles.CASE_VIEW)
        if sort not in lists.SORTS:
            raise FieldErrors([("sort", N_("Unknown sort order."), {})])
        where = where or lists.CaseFilter()
        if at:
            after = lists.key_at(self.store.conn, at - 1, sort=sort, descending=descending,
                                 where=where)
            if after is None:
                return CasePage([], self.count(where), None)
        elif after is None:
            self._viewed("cases_listed", None, SUMMARY_FIELDS)
        # One row more than the page: whether a next page exists, without counting.
        rows = lists.case_rows(self.store.conn, limit + 1, after, sort=sort,
                               descending=descending, where=where)
        cases = [CaseSummary(r[0], r[1] or "", r[2] or "", r[3] or "", r[4] or "", r[5])
                 for r in rows[:limit]]
        total = self.store.count(CASE) if where.empty else lists.count_cases(self.store.conn,
                                                                             where)
        return CasePage(cases, total,
                        lists.row_key(rows[limit - 1], sort) if len(rows) > limit else None)

    def count(self, where: lists.CaseFilter | None = None) -> int:
        """How many cases ``where`` matches (all cases when None)."""
        self._require(roles.CASE_VIEW)
        if where is None or where.empty:
            return self.store.count(CASE)
        return lists.count_cases(self.store.conn, where)

    def search(self, query: str, limit: int = 50) -> builtins.list[CaseSummary]:
        self._require(roles.CASE_VIEW)
        expression = case_search.match_expression(query)
        if expression is None:
            return []
        # The index also holds fathers' names and aliases: a wider window of the newest hits
        # is read and ordered, so own-name matches come first for any limit ("Muhammad"
        # lists Muhammad Shah before Sadia, daughter of Muhammad, even at 1).
        self.store.flush_held()
        hits = queries.case_hits(self.store.conn, expression,
                                 min(max(limit * 4, SEARCH_WINDOW), MAX_SEARCH_WINDOW))
        # The query itself is not recorded: it is usually a name.
        self._viewed("cases_searched", None, SUMMARY_FIELDS)
        name_query = case_search.NameQuery(query)
        found = [CaseSummary(case_id, number, label, str(person.get("hfz_NameUrdu") or ""),
                             status, updated_at, name_query.kind(person))
                 for case_id, number, label, status, updated_at, person in hits]
        people = {hit[0]: hit[5] for hit in hits}
        found.sort(key=lambda s: name_query.order(people[s.id], s.matched or ""))
        return found[:limit]

    def notes(self, case_id: str) -> builtins.list[dict[str, Any]]:
        """The case's notes, oldest first (id, text, written at); reading them is audited."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        notes = self.store.children(case.id, NOTE)
        self._viewed("notes_viewed", case.id, ["cco_CaseComment"])
        return [{"id": n.id, "text": str(n.body.get("cco_CaseComment", "")),
                 "at": self._first_write(n.id)} for n in notes]

    def history(self, case_id: str) -> builtins.list[dict[str, Any]]:
        """Every change to the case, its person and the records under it — made here or on
        another device — in the order this device applied them: when, which record, which
        fields (names only: the values are in the case), and where it came from."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        records = [case, self._person_of(case), *self.store.all_children(case.id)]
        entries = [{**entry, "record_id": record.id, "record_type": record.type,
                    "fields": sorted(f for f in entry["fields"] if self.actor.may_read_field(f))}
                   for record in records for entry in self.store.history(record.id)]
        entries.sort(key=lambda e: int(e["seq"]))
        self._viewed("case_history_viewed", case.id, ["history"])
        return [{k: e[k] for k in ("at", "record_type", "record_id", "kind", "fields",
                                   "origin", "device")} for e in entries]

    def _first_write(self, record_id: str) -> int:
        history = self.store.history(record_id)
        return int(history[0]["at"]) if history else 0

    def add_note(self, case_id: str, text: str) -> Changes:
        """A note on the case; the returned ``Changes`` carries the note's id."""
        self._require(roles.CASE_EDIT)
        if not text.strip():
            raise ValidationError(N_("A note cannot be empty."))
        if text_rules.problem(text, text_rules.MAX_NOTE_CHARS) == text_rules.TOO_LONG:
            raise ValidationError(N_("A note is longer than %(limit)s characters; split it."),
                                  limit=text_rules.MAX_NOTE_CHARS)
        if text_rules.problem(text, text_rules.MAX_NOTE_CHARS):
            raise ValidationError(N_("The note contains a control character or a broken "
                                     "character that cannot be stored; remove it."))
        case = self._case(case_id)
        with self.session.write() as tx:
            change = self.store.create(NOTE, {"cco_CaseComment": text}, team=case.team,
                                       parent=case.id)
            self.session.audit.append(self.session.user_id, "note_added", case.id,
                                      ["cco_CaseComment"])
        return tx.changes.with_id(change.record.id)

    def attachments(self, case_id: str) -> builtins.list[dict[str, Any]]:
        """The case's attachments (id, file name, type, size, added at), oldest first."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        return [{"id": a.id, "filename": str(a.body.get("filename", "")),
                 "mime": str(a.body.get("mime", "")), "size": int(a.body.get("size", 0)),
                 "at": self._first_write(a.id)}
                for a in self.store.children(case.id, ATTACHMENT)]

    def attachment_content(self, attachment_id: str) -> bytes:
        """The bytes of one attachment, from the vault into memory only; an audit event."""
        self._require(roles.CASE_VIEW)
        record = self.store.get(attachment_id)
        if record is None or record.type != ATTACHMENT:
            raise NotFound()
        data = self.store.content(attachment_id)
        if data is None:
            raise NotFound()
        self._viewed("attachment_viewed", record.parent, ["attachment"])
        return data

    def add_attachment(self, case_id: str, filename: str, data: bytes, mime: str) -> Changes:
        """Store a photo or scan inside the encrypted database (never as a loose file)."""
        self._require(roles.CASE_EDIT)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(N_("The file is larger than 25 MB."))
        case = self._case(case_id)
        with self.session.write() as tx:
            change = self.store.create(ATTACHMENT, {"filename": filename, "mime": mime,
                                                    "size": len(data)},
                                       team=case.team, parent=case.id)
            self.store.put_content(change.record.id, hashlib.sha256(data).hexdigest(), data)
            self.session.audit.append(self.session.user_id, "attachment_added", case.id,
                                      ["attachment"])
        return tx.changes.with_id(change.record.id)
