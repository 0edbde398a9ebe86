"""Consent on a case: append-only ``consent`` records and ``consent_withdrawal`` records.

Nothing here edits an earlier entry: a withdrawal is its own record naming the entries it
withdraws, so the history of what the person agreed to, and when, survives sync and audit.
"""

from __future__ import annotations

import time
from typing import Any

from caseapp.domain import consent, roles
from caseapp.errors import CaseAppError, FieldErrors, NotFound, ValidationError
from caseapp.i18n import N_, _
from caseapp.services.base import Service
from caseapp.store import queries
from caseapp.store.changes import Changes
from caseapp.store.records import Record

CONSENT = "consent"
WITHDRAWAL = "consent_withdrawal"


class ConsentRequired(CaseAppError):
    """An action needs a consent that is not in force; the message says which and why."""

    msgid = N_("Consent is missing for this action.")

    def __init__(self, decision: consent.Decision | None = None, **params: object) -> None:
        if decision is None:
            super().__init__(None, **params)
        else:
            super().__init__(decision.msgid, **decision.params)
        self.decision = decision


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _entries(records: list[Record], withdrawals: list[Record]) -> list[consent.ConsentEntry]:
    """One case's consent entries, oldest first, with their withdrawal times."""
    withdrawn: dict[str, int] = {}
    for w in withdrawals:
        for cid in w.body.get("consent_ids", []):
            at = int(w.body["at"])
            # Two devices may withdraw the same entry offline; the earliest counts.
            withdrawn[cid] = min(at, withdrawn.get(cid, at))
    entries = [consent.ConsentEntry.from_json(r.body, id=r.id, withdrawn_at=withdrawn.get(r.id))
               for r in records]
    return sorted(entries, key=lambda e: (e.at, e.id or ""))


class ConsentService(Service):
    def _is_child(self, case: Record, at: int) -> bool:
        person = self.store.get(case.parent or "")
        body = person.body if person else {}
        return consent.person_is_child(body, at)

    # -- reading ------------------------------------------------------------------------
    def entries(self, case_id: str) -> list[consent.ConsentEntry]:
        """All consent entries of a case, oldest first, with their withdrawal times."""
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        return _entries(self.store.children(case.id, CONSENT),
                        self.store.children(case.id, WITHDRAWAL))

    def is_child(self, case_id: str, at: int | None = None) -> bool:
        """Whether the case's person counts as a child (or is presumed one) at ``at`` (now):
        the rule ``record`` applies, for forms that ask for assent only where it belongs."""
        self._require(roles.CASE_VIEW)
        return self._is_child(self._case(case_id), _now_ms() if at is None else at)

    def cases_permitting(self, purpose: str, at: int | None = None) -> set[str]:
        """Ids of the cases whose consent for ``purpose`` is in force at ``at`` (now): the
        same decision as ``check``, for the whole caseload in two reads, so an export of
        100,000 cases does not query each case's consent on its own."""
        self._require(roles.CASE_VIEW)
        at = _now_ms() if at is None else at
        if purpose not in consent.PURPOSES or purpose == consent.REFERRAL:
            return set()  # a referral's consent names a provider: never for a whole caseload
        # Only the purpose's own records (a record's status is its purpose), and of each only
        # the fields the decision needs, read in the database (queries.consent_decisions):
        # decoding 100,000 whole records was most of a report's time.
        assert self.session.conn is not None
        withdrawn: dict[str, int] = {}
        for cid, when in queries.consent_withdrawals(self.session.conn, purpose):
            # Two devices may withdraw the same entry offline; the earliest counts.
            withdrawn[str(cid)] = min(int(when), withdrawn.get(str(cid), int(when)))
        decided: dict[str, list[consent.Decided]] = {}
        for case_id, entry_id, when, granted in queries.consent_decisions(self.session.conn,
                                                                          purpose):
            decided.setdefault(case_id or "", []).append(
                (int(when), entry_id, granted, withdrawn.get(entry_id)))
        return {case_id for case_id, decisions in decided.items()
                if consent.in_force(decisions, at)}

    def current(self, case_id: str, at: int | None = None) -> dict[str, dict[str, Any]]:
        """Per purpose: permitted or not, the reason code and, for referral, the providers
        whose referral is permitted now."""
        at = _now_ms() if at is None else at
        entries = self.entries(case_id)
        self._viewed("consent_viewed", case_id, ["consent"])
        state: dict[str, dict[str, Any]] = {}
        for purpose in consent.PURPOSES:
            if purpose == consent.REFERRAL:
                named = sorted({p for e in entries if e.purpose == purpose for p in e.providers})
                allowed = [p for p in named if consent.is_permitted(entries, purpose, at, p)]
                decided = [e for e in entries if e.purpose == purpose and e.at <= at]
                reasons = {consent.explain(entries, purpose, at, p).reason for p in named}
                reason = (consent.GRANTED if allowed else
                          consent.NO_CONSENT if not decided else
                          consent.WITHDRAWN if consent.WITHDRAWN in reasons else
                          consent.REFUSED)
                state[purpose] = {"permitted": bool(allowed), "reason": reason,
                                  "providers": allowed}
            else:
                decision = consent.explain(entries, purpose, at)
                state[purpose] = {"permitted": decision.permitted, "reason": decision.reason,
                                  "consent_id": decision.entry.id if decision.entry else None}
        return state

    def check(self, case_id: str, purpose: str, provider: str | None = None,
              at: int | None = None) -> consent.Decision:
        at = _now_ms() if at is None else at
        return consent.explain(self.entries(case_id), purpose, at, provider)

    def require(self, case_id: str, purpose: str, provider: str | None = None,
                at: int | None = None) -> None:
        """Raise ConsentRequired unless ``purpose`` (for ``provider``) is permitted now."""
        decision = self.check(case_id, purpose, provider, at)
        if not decision.permitted:
            raise ConsentRequired(decision)

    # -- writing ------------------------------------------------------------------------
    def record(self, case_id: str, purpose: str, granted: bool, *, language: str,
               explanation_version: str, interpreter: str | None = None,
               providers: list[str] | tuple[str, ...] = (), assent: bool | None = None,
               guardian_name: str | None = None, guardian_relationship: str | None = None,
               best_interests_by: str | None = None, best_interests_reason: str | None = None,
               at: int | None = None) -> Changes:
        """Record one consent decision for one purpose; returns the new record's id.

        The staff member is the signed-in user; whether the person is a child follows from
        the birth date or estimated age on the case, not from the caller."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        at = _now_ms() if at is None else at
        if not isinstance(providers, list | tuple):
            raise FieldErrors([("providers", consent.PROBLEMS["providers"], {})])
        entry = consent.ConsentEntry(
            purpose=purpose, granted=granted, at=at, staff_user_id=self.session.user_id,
            language=language, explanation_version=explanation_version,
            interpreter=interpreter, providers=tuple(providers),
            child=self._is_child(case, at), assent=assent, guardian_name=guardian_name,
            guardian_relationship=guardian_relationship, best_interests_by=best_interests_by,
            best_interests_reason=best_interests_reason)
        consent.validate(entry)
        body = entry.to_json()
        with self.session.write() as tx:
            change = self.store.create(CONSENT, body, team=case.team, parent=case.id)
            # Field names only: values (a guardian's name, a reason) never enter the audit.
            self.session.audit.append(self.session.user_id, "consent_recorded", case.id,
                                      [k for k, v in body.items() if v not in (None, [])])
        return tx.changes.with_id(change.record.id)

    def withdraw(self, case_id: str, consent_id: str | None = None, purpose: str | None = None,
                 at: int | None = None) -> Changes:
        """Withdraw one entry, or every entry of a purpose given up to ``at``; returns the id
        of the new ``consent_withdrawal`` record."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        at = _now_ms() if at is None else at
        if (consent_id is None) == (purpose is None):
            raise FieldErrors([("consent_id", N_("name either one consent or one purpose"),
                                {})])
        entries = self.entries(case_id)
        if consent_id is not None:
            targets = [e for e in entries if e.id == consent_id]
            if not targets:
                raise NotFound()
            purpose = targets[0].purpose
        else:
            if purpose not in consent.PURPOSES:
                raise FieldErrors([("purpose", consent.PROBLEMS["purpose"],
                                    {"value": purpose, "codes": ", ".join(consent.PURPOSES)})])
            targets = [e for e in entries if e.purpose == purpose and e.at <= at
                       and e.withdrawn_at is None]
            if not targets:
                raise ValidationError(N_("There is no consent for %(purpose)s to withdraw."),
                                      purpose=_(consent.PURPOSE_LABELS[purpose]))
        body = {"consent_ids": [e.id for e in targets], "purpose": purpose, "at": at,
                "staff_user_id": self.session.user_id}
        with self.session.write() as tx:
            change = self.store.create(WITHDRAWAL, body, team=case.team, parent=case.id)
            self.session.audit.append(self.session.user_id, "consent_withdrawn", case.id,
                                      list(body))
        return tx.changes.with_id(change.record.id)
