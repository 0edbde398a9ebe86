"""Assistance plan items (HTCDS ``spl_``), services delivered and follow-ups of a case, and
the caseload-wide "follow-ups due" list a caseworker starts the day with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from caseapp.domain import consent, roles
from caseapp.domain import referrals as rules
from caseapp.errors import FieldErrors, NotFound, ValidationError
from caseapp.i18n import N_
from caseapp.services.base import Service
from caseapp.services.consent import ConsentService
from caseapp.store.changes import Changes
from caseapp.store.records import Record

PLAN_ITEM = "plan_item"
SERVICE_DELIVERED = "service_delivered"
FOLLOW_UP = "follow_up"
OPEN = "open"
DONE = "done"


@dataclass(frozen=True)
class DueItem:
    kind: str  # plan_item | follow_up
    id: str
    case_id: str
    due: date
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "case_id": self.case_id,
                "due": self.due.isoformat(), "title": self.title}


def _today() -> date:
    return datetime.now(UTC).date()


def _date_text(value: date | str | None, name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise FieldErrors([(name, rules.PROBLEMS["required"], {})])
        return None
    parsed = rules.parse_date(value)
    if parsed is None:
        raise FieldErrors([(name, rules.PROBLEMS["date"], {})])
    return parsed.isoformat()


class PlanService(Service):
    def _item(self, item_id: str, record_type: str) -> Record:
        record = self.store.get(item_id)
        if record is None or record.type != record_type:
            raise NotFound()
        return record

    def _audit(self, action: str, record_id: str, fields: list[str]) -> None:
        self.session.audit.append(self.session.user_id, action, record_id, fields)

    # -- assistance plan ----------------------------------------------------------------
    def add_plan_item(self, case_id: str, fields: dict[str, Any]) -> Changes:
        """One support-plan item: spl_Type, spl_Objectives, optional spl_ActionPlan,
        spl_PlannedEndDate, spl_ActualEndDate, hfz_ResponsibleOrg, hfz_DueDate."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        body = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()
                if v not in (None, "")}
        body.setdefault("hfz_StartDate", _today().isoformat())
        problems = rules.validate_plan_item(body)
        if problems:
            raise FieldErrors(problems)
        with self.session.write() as tx:
            change = self.store.create(PLAN_ITEM, body, team=case.team, parent=case.id)
            self._audit("plan_item_added", case.id, list(body))
        return tx.changes.with_id(change.record.id)

    def update_plan_item(self, item_id: str, changes: dict[str, Any]) -> Changes:
        self._require(roles.CASE_EDIT)
        item = self._item(item_id, PLAN_ITEM)
        changes = {k: (v.isoformat() if isinstance(v, date) else v)
                   for k, v in changes.items()}
        problems = rules.validate_plan_item({**item.body, **changes}, partial=True)
        problems = [p for p in problems if p[0] in changes]
        if problems:
            raise FieldErrors(problems)
        with self.session.write() as tx:
            change = self.store.update(item.id, changes)
            if change is not None:
                self._audit("plan_item_edited", item.parent or item.id, list(change.fields))
        return tx.changes.with_id(item.id)

    def complete_plan_item(self, item_id: str, ended_on: date | str | None = None) -> Changes:
        """Mark an item done by giving its actual end date (today by default)."""
        ended = _date_text(ended_on or _today(), "spl_ActualEndDate")
        return self.update_plan_item(item_id, {"spl_ActualEndDate": ended})

    # -- services delivered -------------------------------------------------------------
    def record_service(self, case_id: str, service_type: str, delivered_on: date | str,
                       provider: str | None = None, notes: str | None = None) -> Changes:
        """A service the person received: type, date, provider (directory id or name)."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        problems: list[rules.Problem] = []
        if service_type not in rules.SERVICE_TYPES:
            problems.append(("hfz_ServiceType", rules.PROBLEMS["code"],
                             {"value": str(service_type),
                              "codes": ", ".join(rules.SERVICE_TYPES)}))
        for name, value in (("hfz_Provider", provider), ("hfz_Notes", notes)):
            if value is not None and not isinstance(value, str):
                problems.append((name, rules.PROBLEMS["text"], {}))
        if problems:
            raise FieldErrors(problems)
        body: dict[str, Any] = {
            "hfz_ServiceType": service_type,
            "hfz_DeliveredDate": _date_text(delivered_on, "hfz_DeliveredDate", required=True),
        }
        if provider:
            body["hfz_Provider"] = provider
        if notes:
            body["hfz_Notes"] = notes
        with self.session.write() as tx:
            change = self.store.create(SERVICE_DELIVERED, body, team=case.team, parent=case.id)
            self._audit("service_recorded", case.id, list(body))
        return tx.changes.with_id(change.record.id)

    # -- follow-ups ---------------------------------------------------------------------
    def add_follow_up(self, case_id: str, due_on: date | str, purpose: str) -> Changes:
        """Schedule contacting the person again: needs their consent to follow-up contact
        (RESEARCH §6.2 (f)); a refusal or a withdrawal means nobody calls or visits."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        ConsentService(self.session).require(case.id, consent.FOLLOW_UP_CONTACT)
        if not isinstance(purpose, str) or not purpose.strip():
            raise FieldErrors([("hfz_Purpose", rules.PROBLEMS["required"], {})])
        body = {"hfz_DueDate": _date_text(due_on, "hfz_DueDate", required=True),
                "hfz_Purpose": purpose.strip()}
        with self.session.write() as tx:
            change = self.store.create(FOLLOW_UP, body, team=case.team, parent=case.id)
            self._audit("follow_up_added", case.id, list(body))
        return tx.changes.with_id(change.record.id)

    def complete_follow_up(self, follow_up_id: str, done_on: date | str | None = None,
                           note: str | None = None) -> Changes:
        self._require(roles.CASE_EDIT)
        item = self._item(follow_up_id, FOLLOW_UP)
        if item.body.get("hfz_DoneDate"):
            raise ValidationError(N_("This follow-up is already done."))
        fields: dict[str, Any] = {"hfz_DoneDate": _date_text(done_on or _today(),
                                                             "hfz_DoneDate")}
        if note:
            fields["hfz_Outcome"] = note
        with self.session.write() as tx:
            self.store.update(item.id, fields)
            self._audit("follow_up_done", item.parent or item.id, list(fields))
        return tx.changes.with_id(item.id)

    def complete(self, item_id: str, on: date | str | None = None) -> Changes:
        """Mark a plan item or a follow-up done, whichever the id names."""
        record = self.store.get(item_id)
        if record is not None and record.type == FOLLOW_UP:
            return self.complete_follow_up(item_id, on)
        return self.complete_plan_item(item_id, on)

    # -- reading ------------------------------------------------------------------------
    def for_case(self, case_id: str) -> dict[str, list[dict[str, Any]]]:
        """Plan items, services delivered and follow-ups of one case."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        self._viewed("plan_viewed", case.id, ["plan_item", "service_delivered", "follow_up"])
        return {key: [{"id": r.id, **r.body} for r in self.store.children(case.id, kind)]
                for key, kind in (("plan", PLAN_ITEM), ("services", SERVICE_DELIVERED),
                                  ("follow_ups", FOLLOW_UP))}

    def follow_ups_due(self, before: date | None = None) -> list[DueItem]:
        """Open plan items and follow-ups due on or before ``before`` (today by default),
        across the caseload, soonest (most overdue) first."""
        self._require(roles.CASE_VIEW)
        before = before or _today()
        self._viewed("follow_ups_listed", None, ["plan_item", "follow_up"])
        # Only open items (the status column, indexed with the type): LIMIT -1 is no limit.
        candidates = [*self.store.list(PLAN_ITEM, status=OPEN, limit=-1),
                      *self.store.list(FOLLOW_UP, status=OPEN, limit=-1)]
        due: list[DueItem] = []
        for record in candidates:
            if not rules.is_due(record.body, before):
                continue
            when = rules.due_date(record.body)
            assert when is not None
            title = str(record.body.get("hfz_Purpose") or record.body.get("spl_Objectives")
                        or "")
            due.append(DueItem(record.type, record.id, record.parent or "", when, title))
        return sorted(due, key=lambda d: (d.due, d.kind, d.id))
