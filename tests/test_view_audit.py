"""Every view is an audit event (ARCHITECTURE §6): lists, searches, duplicate checks and the
consent, referral and plan views of a case name fields, never values or search queries."""

from __future__ import annotations

import json

import pytest

from caseapp.services import duplicates
from caseapp.services import session as session_module
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.plans import PlanService
from caseapp.services.referrals import ReferralService
from caseapp.services.session import Session
from caseapp.store.audit import stored_fields

CANARY = "Qandeelxq"


def _actions(session: Session) -> list[str]:
    return [e["action"] for e in reversed(session.audit.events(limit=1000))]


def _no_canary(session: Session) -> None:
    assert session.conn is not None
    for actor, action, record_id, fields in session.conn.execute(
            "SELECT actor, action, record_id, fields FROM audit"):
        row = [actor, action, record_id, stored_fields(fields)]  # the names deflated
        assert CANARY.lower() not in json.dumps(row).lower()


def test_views_are_audited_without_values(manager: Session) -> None:
    session = manager
    cases = CaseService(session)
    case_id = cases.create({"prs_FirstName": CANARY, "prs_SecondName": "Baloch"}).id
    checks = [
        (lambda: cases.list(), "cases_listed"),
        (lambda: cases.search(CANARY), "cases_searched"),
        (lambda: duplicates.find_candidates(session, case_id=case_id),
         "duplicates_checked"),
        (lambda: duplicates.all_pairs(session), "duplicates_reviewed"),
        (lambda: ConsentService(session).current(case_id), "consent_viewed"),
        (lambda: ReferralService(session).list_for_case(case_id), "referrals_viewed"),
        (lambda: ReferralService(session).list(), "referrals_listed"),
        (lambda: PlanService(session).for_case(case_id), "plan_viewed"),
        (lambda: PlanService(session).follow_ups_due(), "follow_ups_listed"),
    ]
    for view, action in checks:
        before = len(_actions(session))
        view()
        after = _actions(session)
        assert len(after) == before + 1 and after[-1] == action, action
    _no_canary(session)
    assert session.verify_audit().ok


def test_the_head_follows_every_edit_at_once_and_views_within_seconds(
        manager: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search typed letter by letter must not write and fsync the signed head per letter;
    an edit (or an export's start, or anything not a view) still moves it at its commit."""
    from caseapp.store import audit

    clock = [1000.0]
    monkeypatch.setattr(session_module.time, "monotonic", lambda: clock[0])
    public = manager.sign_key.public_key()
    cases = CaseService(manager)
    case_id = cases.create({"prs_FirstName": "Hina"}).id
    assert case_id is not None
    assert audit.read_anchor(manager.paths.audit_head, public) == manager.audit.head()
    edited = manager.audit.head()
    for query in ("H", "Hi", "Hin"):
        cases.search(query)
    assert manager.audit.head()[0] == edited[0] + 3, "each search is still an audit event"
    assert audit.read_anchor(manager.paths.audit_head, public) == edited, "the head waits"
    clock[0] += session_module.VIEW_ANCHOR_SECONDS + 0.1
    cases.search("Hina")
    assert audit.read_anchor(manager.paths.audit_head, public) == manager.audit.head()
    cases.search("Hina K")  # a view right after: lags again ...
    cases.update(case_id, {"prs_SecondName": "Khan"})  # ... until the next edit
    assert audit.read_anchor(manager.paths.audit_head, public) == manager.audit.head()
    assert manager.verify_audit().ok
