"""Assistance plan items, services delivered, follow-ups and the follow-ups-due list."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import agree

from caseapp.domain import consent
from caseapp.domain import referrals as rules
from caseapp.errors import FieldErrors, NotFound, ValidationError
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.plans import PlanService
from caseapp.services.session import Session
from caseapp.store.audit import stored_fields


@pytest.fixture
def session(caseworker: Session) -> Session:
    return caseworker


def new_case(session: Session, name: str = "Ayesha") -> str:
    """A case of an adult who agreed to be contacted again (follow-ups need that)."""
    case_id = CaseService(session).create({"prs_FirstName": name,
                                           "prs_Birthdate": "1990-01-01"}).id
    agree(session, case_id, consent.FOLLOW_UP_CONTACT)
    return case_id


def test_plan_item_validation(session: Session) -> None:
    svc = PlanService(session)
    case_id = new_case(session)
    with pytest.raises(FieldErrors) as err:
        svc.add_plan_item(case_id, {"spl_Type": "Shopping", "spl_PlannedEndDate": "31/12/2026",
                                    "hfz_Colour": "red"})
    assert sorted(p[0] for p in err.value.problems) == [
        "hfz_Colour", "spl_Objectives", "spl_PlannedEndDate", "spl_Type"]
    item = svc.add_plan_item(case_id, {"spl_Type": "Legal", "spl_Objectives": "Get a lawyer",
                                       "spl_ActionPlan": "Refer to legal aid",
                                       "spl_PlannedEndDate": date(2026, 5, 1),
                                       "hfz_StartDate": "2026-04-01"}).id
    with pytest.raises(FieldErrors):
        svc.complete_plan_item(item, "2026-03-01")  # before it started
    with pytest.raises(FieldErrors):
        svc.update_plan_item(item, {"hfz_DueDate": "soon"})
    assert svc.update_plan_item(item, {"hfz_DueDate": "2026-04-15"}).fields == {"hfz_DueDate"}
    with pytest.raises(NotFound):
        svc.add_plan_item("nope", {"spl_Type": "Legal", "spl_Objectives": "x"})


def test_services_delivered(session: Session) -> None:
    svc = PlanService(session)
    case_id = new_case(session)
    svc.record_service(case_id, "medical", "2026-02-03", provider="DHQ hospital",
                       notes="first examination")
    with pytest.raises(FieldErrors):
        svc.record_service(case_id, "massage", "2026-02-03")
    with pytest.raises(FieldErrors):
        svc.record_service(case_id, "medical", "3 Feb")
    services = svc.for_case(case_id)["services"]
    assert [(s["hfz_ServiceType"], s["hfz_DeliveredDate"]) for s in services] == [
        ("medical", "2026-02-03")]


def test_follow_ups_due_soonest_first_and_done_excluded(session: Session) -> None:
    svc = PlanService(session)
    first, second = new_case(session, "Ayesha"), new_case(session, "Bilal")
    late = svc.add_follow_up(first, "2026-03-10", "RSS visit").id
    overdue = svc.add_follow_up(second, date(2026, 2, 1), "Phone check").id
    future = svc.add_follow_up(first, "2026-12-01", "Six-month review").id
    done = svc.add_follow_up(second, "2026-01-15", "Already visited").id
    svc.complete_follow_up(done, "2026-01-16")
    plan_by_due = svc.add_plan_item(first, {"spl_Type": "Health", "spl_Objectives": "Therapy",
                                            "hfz_DueDate": "2026-03-01"}).id
    plan_by_end = svc.add_plan_item(second, {"spl_Type": "Livelihood",
                                             "spl_Objectives": "Tailoring course",
                                             "spl_PlannedEndDate": "2026-02-20"}).id
    finished = svc.add_plan_item(second, {"spl_Type": "Legal", "spl_Objectives": "Statement",
                                          "hfz_DueDate": "2026-01-01",
                                          "hfz_StartDate": "2025-12-01"}).id
    svc.complete_plan_item(finished, "2026-01-02")
    svc.add_plan_item(first, {"spl_Type": "Education", "spl_Objectives": "No date yet"})

    due = svc.follow_ups_due(before=date(2026, 3, 31))
    assert [d.id for d in due] == [overdue, plan_by_end, plan_by_due, late]
    assert [d.due for d in due] == sorted(d.due for d in due)
    assert {d.kind for d in due} == {"follow_up", "plan_item"}
    assert due[0].case_id == second and due[0].to_json()["due"] == "2026-02-01"
    assert future not in [d.id for d in svc.follow_ups_due(before=date(2026, 11, 30))]
    assert future in [d.id for d in svc.follow_ups_due(before=date(2026, 12, 1))]

    svc.complete_follow_up(overdue)
    assert overdue not in [d.id for d in svc.follow_ups_due(before=date(2026, 3, 31))]
    with pytest.raises(ValidationError):
        svc.complete_follow_up(overdue)


def test_due_rules() -> None:
    assert rules.due_date({"spl_PlannedEndDate": "2026-05-01"}) == date(2026, 5, 1)
    assert rules.due_date({"hfz_DueDate": "2026-04-01",
                           "spl_PlannedEndDate": "2026-05-01"}) == date(2026, 4, 1)
    assert rules.is_due({"hfz_DueDate": "2026-04-01"}, date(2026, 4, 1))
    assert not rules.is_due({"hfz_DueDate": "2026-04-02"}, date(2026, 4, 1))
    assert not rules.is_due({"hfz_DueDate": "2026-04-01", "spl_ActualEndDate": "2026-04-01"},
                            date(2026, 5, 1))
    assert not rules.is_due({}, date(2026, 5, 1))


def test_audit_names_fields_not_values(session: Session) -> None:
    svc = PlanService(session)
    case_id = new_case(session)
    svc.add_plan_item(case_id, {"spl_Type": "Health", "spl_Objectives": "Trauma counselling"})
    svc.record_service(case_id, "psychosocial", "2026-02-03", notes="cried a lot")
    fid = svc.add_follow_up(case_id, "2026-03-01", "Visit mother in Swat").id
    svc.complete_follow_up(fid, note="mother threatened")
    conn = session.conn
    assert conn is not None
    # The field names read back unpacked: deflated, a value could hide in them unseen.
    audit = repr([(*row[:-1], stored_fields(row[-1])) for row in conn.execute(
        "SELECT seq, at, actor, device, action, record_id, fields FROM audit")])
    for value in ("Trauma counselling", "cried a lot", "Swat", "threatened"):
        assert value not in audit
    for action in ("plan_item_added", "service_recorded", "follow_up_added", "follow_up_done"):
        assert action in audit


def test_a_follow_up_needs_follow_up_contact_consent(session: Session) -> None:
    # Before: a follow-up visit was scheduled whatever the person had said about being
    # contacted again.
    case_id = CaseService(session).create({"prs_FirstName": "Nadia",
                                           "prs_Birthdate": "1990-01-01"}).id
    svc = PlanService(session)
    with pytest.raises(ConsentRequired, match="follow-up contact"):
        svc.add_follow_up(case_id, "2026-03-01", "Home visit")
    ConsentService(session).record(case_id, consent.FOLLOW_UP_CONTACT, False, language="urd",
                                   explanation_version="v1")
    with pytest.raises(ConsentRequired, match="refused"):
        svc.add_follow_up(case_id, "2026-03-01", "Home visit")
    assert PlanService(session).for_case(case_id)["follow_ups"] == []
