"""Cases: create, view, edit, move between stages, list and search — with permissions,
audit events and search indexing done in the same transaction as the change."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from caseapp.domain import identity, names, roles, stages
from caseapp.errors import (
    FieldErrors,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from caseapp.i18n import N_
from caseapp.services.base import CASE, Service
from caseapp.services.case_documents import display_name, require_name, split_document
from caseapp.store.records import Record

PERSON = "person"
EVENT = "trafficking_event"
NOTE = "note"
ATTACHMENT = "attachment"
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
# Case numbers are year, device, serial: 2026-A609-00012 (dashes and padding optional).
CASE_NUMBER_RE = re.compile(r"^(\d{4})-?([0-9A-Fa-f]{4})-?(\d{1,5})$")


@dataclass(frozen=True)
class CaseSummary:
    id: str
    case_number: str
    name: str
    name_urdu: str
    stage: str
    updated_at: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "case_number": self.case_number, "name": self.name,
                "name_urdu": self.name_urdu, "stage": self.stage,
                "updated_at": self.updated_at}


def search_fields(person: dict[str, Any], case_number: str) -> tuple[str, str]:
    """(text, sound) for the search index of one case."""
    name_parts = [person.get(k) for k in ("prs_FirstName", "prs_MiddleName", "prs_SecondName",
                                          "hfz_NameUrdu", "hfz_FatherName",
                                          "hfz_FatherNameUrdu")]
    name_parts += person.get("hfz_Aliases") or []
    # The case number also as bare characters: when its device part is all digits, what a
    # user types looks like an identity number and is searched as one run of digits.
    terms = [case_number, re.sub(r"[^0-9A-Za-z]", "", case_number)]
    terms += [p for p in name_parts if p]
    for doc in person.get("hfz_IdentityDocuments") or []:
        terms += identity.search_terms(identity.IdentityDocument(**doc))
    if person.get("prs_IdentityNumber"):
        terms.append(re.sub(r"[^0-9A-Za-z]", "", str(person["prs_IdentityNumber"])))
    text = " ".join(names.fold(t) for t in terms)
    sound = " ".join(k for part in name_parts if part for k in names.skeleton(part))
    return text, sound


def match_expression(query: str) -> str | None:
    """FTS5 expression for what a user typed: a name in either script (any spelling whose
    consonants match), an identity number with or without dashes, or a case number."""
    query = query.strip()
    if not query:
        return None
    case_number = CASE_NUMBER_RE.match(query)
    if case_number:
        # Searched as the one bare token it is indexed as: the year alone is in every case,
        # so matching its parts would rank the whole caseload.
        year, device, serial = case_number.groups()
        return f'text : "{year}{device.lower()}{int(serial):05d}"*'
    if identity.looks_like_number(query):
        digits = re.sub(r"\D", "", identity.ascii_digits(query))
        return f'text : "{digits}"*'
    tokens = names.words(query)
    if not tokens:
        return None
    text = " AND ".join(f'"{t}"*' for t in tokens)
    keys = names.skeleton(query)
    if keys and all(not t.isdigit() for t in tokens):
        sound = " AND ".join(f'"{k}"' for k in keys)
        return f"(text : ({text})) OR (sound : ({sound}))"
    return f"text : ({text})"


def names_own_match(person: dict[str, Any], query: str) -> bool:
    """Whether the query matches the person's own name (either script, any spelling whose
    consonants match), not only a father's name or an alias."""
    own = " ".join(str(person.get(k) or "") for k in ("prs_FirstName", "prs_MiddleName",
                                                      "prs_SecondName", "hfz_NameUrdu"))
    words = names.words(own)
    if all(any(w.startswith(t) for w in words) for t in names.words(query)):
        return True
    keys = set(names.skeleton(own))
    wanted = names.skeleton(query)
    return bool(wanted) and all(k in keys for k in wanted)


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
        conn = self.session.conn
        assert conn is not None
        row = conn.execute("SELECT value FROM meta WHERE key = 'case_counter'").fetchone()
        n = int(row[0]) + 1 if row else 1
        conn.execute("INSERT INTO meta (key, value) VALUES ('case_counter', ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(n),))
        # Year, this device, a local counter: unique across offline devices without talking.
        year = time.gmtime().tm_year
        return f"{year}-{self.session.device_id[-4:].upper()}-{n:05d}"

    def _check_write_fields(self, fields: dict[str, Any]) -> None:
        denied = [f for f in fields if not self.actor.may_write_field(f)]
        if denied:
            raise PermissionDenied(N_("Your role may not record these fields: %(fields)s"),
                                   fields=", ".join(sorted(denied)))

    def _reindex(self, case: Record, person: dict[str, Any]) -> None:
        text, sound = search_fields(person, str(case.body.get("hfz_CaseNumber", "")))
        self.store.index(case.id, text, sound)

    # -- use cases ------------------------------------------------------------------
    def create(self, document: dict[str, Any]) -> str:
        """Create a person and their case from an HTCDS-keyed document; returns the case id."""
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
        with self.session.write():
            person = self.store.put(PERSON, person_fields, team=team,
                                    label=display_name(person_fields))
            assert person is not None
            case_fields["hfz_CaseNumber"] = self._next_case_number()
            case = self.store.put(CASE, case_fields, team=team, parent=person.record.id,
                                  label=display_name(person_fields), status=stage)
            assert case is not None
            for event in events:
                self.store.put(EVENT, event, team=team, parent=case.record.id)
            self._reindex(case.record, person_fields)
            self.session.audit.append(self.session.user_id, "case_created", case.record.id,
                                      [*person_fields, *case_fields])
        return case.record.id

    def show(self, case_id: str) -> dict[str, Any]:
        """The case as one HTCDS-keyed document, without fields the role may not read.
        Viewing is an audit event (which fields were shown, never their values)."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        person = self._person_of(case)
        doc: dict[str, Any] = {**person.body, **case.body}
        doc = {k: v for k, v in doc.items() if self.actor.may_read_field(k)}
        events = [e.body for e in self.store.children(case.id, EVENT)]
        if events:
            doc["hte_Events"] = events
        doc["id"] = case.id
        doc["person_id"] = person.id
        with self.session.write():
            self.session.audit.append(self.session.user_id, "case_viewed", case.id,
                                      sorted(k for k in doc if k not in ("id", "person_id")))
        return doc

    def update(self, case_id: str, changes: dict[str, Any]) -> list[str]:
        """Apply edits to the person and the case; returns the names of changed fields."""
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
        with self.session.write():
            label = case.label
            if person_fields:
                merged = {**person.body, **person_fields}
                require_name(merged)
                result = self.store.put(PERSON, person_fields, record_id=person.id,
                                        label=display_name(merged))
                if result:
                    changed += list(result.fields)
                    label = display_name(merged)
                    self._reindex(case, merged)
            # One write of the case row for its new fields and its list label together.
            if case_fields or label != case.label:
                result = self.store.put(CASE, case_fields, record_id=case.id, label=label)
                if result:
                    changed += list(result.fields)
            for event in events:
                self.store.put(EVENT, event, team=case.team, parent=case.id)
                changed.append("hte_Events")
            if changed:
                self.session.audit.append(self.session.user_id, "case_edited", case.id, changed)
        return changed

    def move(self, case_id: str, target: str, reason: str | None = None) -> None:
        """Move a case to another stage. Closing needs a reason (cas_ReasonForCaseClosure);
        re-opening is its own audit event."""
        self._require(roles.CASE_TRANSITION)
        case = self._case(case_id)
        current = str(case.body.get("hfz_Stage", stages.INTAKE))
        if target not in stages.STAGES or not stages.can_move(current, target, self.actor.role):
            raise InvalidTransition(current=current, target=target)
        fields: dict[str, Any] = {"hfz_Stage": target, "cas_Status": stages.htcds_status(target)}
        if target == stages.CLOSED:
            if not reason or not reason.strip():
                raise ValidationError(N_("Closing a case needs a reason."))
            fields["cas_ReasonForCaseClosure"] = reason.strip()
        elif current == stages.CLOSED:
            # A re-opened case is no longer closed for that reason; the history keeps it.
            fields["cas_ReasonForCaseClosure"] = None
        with self.session.write():
            self.store.put(CASE, fields, record_id=case.id, status=target)
            action = "case_reopened" if current == stages.CLOSED else "case_stage_changed"
            self.session.audit.append(self.session.user_id, action, case.id, list(fields))

    def list(self, limit: int = 50, offset: int = 0) -> list[CaseSummary]:
        """A page of cases, most recently changed first."""
        self._require(roles.CASE_VIEW)
        self._viewed("cases_listed", None, SUMMARY_FIELDS)
        conn = self.session.conn
        assert conn is not None
        rows = conn.execute(
            "SELECT c.id, json_extract(c.body, '$.hfz_CaseNumber'), c.label, "
            "json_extract(p.body, '$.hfz_NameUrdu'), c.status, c.updated_at "
            "FROM records c LEFT JOIN records p ON p.id = c.parent "
            "WHERE c.type = 'case' AND c.deleted = 0 "
            "ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?", (limit, offset))
        return [CaseSummary(r[0], r[1] or "", r[2] or "", r[3] or "", r[4] or "", r[5])
                for r in rows]

    def search(self, query: str, limit: int = 50) -> list[CaseSummary]:
        self._require(roles.CASE_VIEW)
        expression = match_expression(query)
        if expression is None:
            return []
        hits = self.store.search(expression, limit)
        # The query itself is not recorded: it is usually a name.
        self._viewed("cases_searched", None, SUMMARY_FIELDS)
        people = {r.id: r for r in (self.store.get(h.parent or "") for h in hits) if r}
        # The index also holds fathers' names and aliases; people whose own name matches
        # come first, so "Muhammad" lists Muhammad Shah before Sadia, daughter of Muhammad.
        hits.sort(key=lambda h: not names_own_match(
            people[h.parent].body if h.parent in people else {}, query))
        return [CaseSummary(h.id, str(h.body.get("hfz_CaseNumber", "")), h.label or "",
                            str(people[h.parent].body.get("hfz_NameUrdu", ""))
                            if h.parent in people else "", h.status or "", h.updated_at)
                for h in hits]

    def add_note(self, case_id: str, text: str) -> str:
        self._require(roles.CASE_EDIT)
        if not text.strip():
            raise ValidationError(N_("A note cannot be empty."))
        case = self._case(case_id)
        with self.session.write():
            change = self.store.put(NOTE, {"cco_CaseComment": text}, team=case.team,
                                    parent=case.id)
            assert change is not None
            self.session.audit.append(self.session.user_id, "note_added", case.id,
                                      ["cco_CaseComment"])
        return change.record.id

    def add_attachment(self, case_id: str, filename: str, data: bytes, mime: str) -> str:
        """Store a photo or scan inside the encrypted database (never as a loose file)."""
        self._require(roles.CASE_EDIT)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(N_("The file is larger than 25 MB."))
        case = self._case(case_id)
        with self.session.write() as conn:
            change = self.store.put(ATTACHMENT, {"filename": filename, "mime": mime,
                                                 "size": len(data)},
                                    team=case.team, parent=case.id)
            assert change is not None
            conn.execute("INSERT INTO attachment_content (record_id, sha256, data) "
                         "VALUES (?, ?, ?)",
                         (change.record.id, hashlib.sha256(data).hexdigest(), data))
            self.session.audit.append(self.session.user_id, "attachment_added", case.id,
                                      ["attachment"])
        return change.record.id
