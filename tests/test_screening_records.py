"""Screening submissions on a case, and the separate trafficking-status decision."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from conftest import consented_case

from caseapp.crypto import kdf
from caseapp.domain import consent, screening
from caseapp.errors import FieldErrors, PermissionDenied
from caseapp.reference import loader
from caseapp.services import profiles, role_grants
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.screenings import AdultInstrumentForChild, ScreeningService
from caseapp.services.session import Session

PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (test fixture)
INSTRUMENT = "ilo-ec-adult-labour"
# Strong deceptive recruitment + strong exploitation + strong coercion, each with a medium.
INDICATED = {"dr_nature_job_location_employer": "yes", "dr_wages": "yes",
             "ec_excessive_hours": "yes", "ec_low_no_salary": "yes",
             "cd_documents_confiscated": "yes",
             "cd_threat_violence": {"answer": "yes", "note": "threatened at the kiln"}}


@pytest.fixture
def session(caseworker: Session) -> Session:
    return caseworker




def test_submission_needs_interview_consent(session: Session) -> None:
    case_id = CaseService(session).create({"prs_FirstName": "Bilal",
                                           "prs_Birthdate": "1990-05-01"}).id
    svc = ScreeningService(session)
    with pytest.raises(ConsentRequired, match="interview"):
        svc.submit(case_id, INSTRUMENT, INDICATED)
    ConsentService(session).record(case_id, consent.INTERVIEW, True, language="urd",
                                   explanation_version="consent-text-1.0")
    svc.submit(case_id, INSTRUMENT, INDICATED)
    ConsentService(session).withdraw(case_id, purpose=consent.INTERVIEW)
    with pytest.raises(ConsentRequired, match="withdrawn"):
        svc.submit(case_id, INSTRUMENT, INDICATED)
    assert len(svc.history(case_id)) == 1


def test_result_matches_engine(session: Session) -> None:
    case_id = consented_case(session)
    sid = ScreeningService(session).submit(case_id, INSTRUMENT, INDICATED, notes="first").id
    record = session.store.get(sid)
    assert record is not None and record.type == "screening" and record.parent == case_id
    instrument = loader.load_instrument(INSTRUMENT)
    expected = screening.evaluate(instrument, INDICATED).to_record()
    assert record.body["result"] == expected
    assert record.body["result"]["indication"] == screening.INDICATED
    assert record.body["instrument_id"] == INSTRUMENT
    assert record.body["instrument_version"] == instrument.version
    assert record.body["submitted_by"] == session.user_id
    assert record.body["answers"]["cd_threat_violence"] == {
        "answer": "yes", "note": "threatened at the kiln"}
    assert record.body["answers"]["cr_violence"]["answer"] == "unknown"


def test_submissions_are_immutable_and_history_newest_first(session: Session) -> None:
    case_id = consented_case(session)
    svc = ScreeningService(session)
    first = svc.submit(case_id, INSTRUMENT, INDICATED).id
    before = session.store.get(first)
    assert before is not None
    second = svc.submit(case_id, INSTRUMENT, {"dr_wages": "no"}, notes="corrected").id
    after = session.store.get(first)
    assert after is not None and after.body == before.body and after.hlc == before.hlc
    assert len(session.store.history(first)) == 1
    history = svc.history(case_id)
    assert [h["id"] for h in history] == [second, first]
    assert history[0]["notes"] == "corrected"
    assert history[0]["result"]["indication"] != history[1]["result"]["indication"]


def test_audit_names_fields_not_answers(session: Session) -> None:
    case_id = consented_case(session)
    ScreeningService(session).submit(case_id, INSTRUMENT, INDICATED, notes="kiln owner")
    events = session.audit.events(case_id)
    submitted = next(e for e in events if e["action"] == "screening_submitted")
    assert {"answers", "result", "instrument_id"} <= set(submitted["fields"])
    assert "kiln" not in repr(events)


def test_indication_never_sets_trafficking_status(session: Session) -> None:
    case_id = consented_case(session)
    ScreeningService(session).submit(case_id, INSTRUMENT, INDICATED)
    case = session.store.get(case_id)
    assert case is not None
    assert "vic_TraffickingStatus" not in case.body
    assert "vic_TraffickingStatus" not in CaseService(session).show(case_id)


BASIS: dict[str, Any] = {"decided_on": "2026-03-01", "act": "PTPA2018", "section": "3"}


def test_decide_status_refused_for_caseworker(session: Session) -> None:
    case_id = consented_case(session)
    with pytest.raises(PermissionDenied):
        ScreeningService(session).decide_status(case_id, "ActualVictimOfTrafficking",
                                                **BASIS)
    case = session.store.get(case_id)
    assert case is not None and "vic_TraffickingStatus" not in case.body


def test_decide_status_allowed_for_manager(manager: Session) -> None:
    case_id = consented_case(manager)
    svc = ScreeningService(manager)
    changed = svc.decide_status(case_id, "PossibleVictimOfTrafficking", "NGO", **BASIS)
    assert changed.fields == {"vic_TraffickingStatus", "vic_TraffickingStatusDecisionMakingOrg",
                              "hfz_TraffickingStatusDecision"}
    case = manager.store.get(case_id)
    assert case is not None
    assert case.body["vic_TraffickingStatus"] == "PossibleVictimOfTrafficking"
    assert case.body["vic_TraffickingStatusDecisionMakingOrg"] == "NGO"
    actions = [e["action"] for e in manager.audit.events(case_id)]
    assert "trafficking_status_decided" in actions
    # A later screening leaves the decision alone.
    svc.submit(case_id, INSTRUMENT, {"dr_wages": "no"})
    case = manager.store.get(case_id)
    assert case is not None
    assert case.body["vic_TraffickingStatus"] == "PossibleVictimOfTrafficking"


def test_decide_status_validates_codes(manager: Session) -> None:
    case_id = consented_case(manager)
    with pytest.raises(FieldErrors) as err:
        ScreeningService(manager).decide_status(case_id, "Victim", "FIA", **BASIS)
    # Named as the user types them.
    assert [p[0] for p in err.value.problems] == ["--status", "--decided-by"]


# --- the person's age decides which indicator sets may be used (issue 8) -------------------

# Medium for an adult, strong for a child (RESEARCH §1.3 D2): debt bondage and threats of
# violence at recruitment, with excessive hours (S) and low pay (M) at work; the rest unknown.
# Worked by hand: the adult set has D2 = 2 M (not positive, unknowns could make it so) and
# D5 unknown, so `insufficient_information`; the child set has D2 = 2 S and D4 = S + M, so
# trafficking of a child is indicated.
CHILD_ANSWERS = {"cr_debt_bondage": "yes", "cr_threat_violence": "yes",
                 "ec_excessive_hours": "yes", "ec_low_no_salary": "yes"}


def _born_years_ago(years: int) -> str:
    today = datetime.date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def _case_of(session: Session, **person: object) -> str:
    case_id = CaseService(session).create({"prs_FirstName": "Zainab", **person}).id
    ConsentService(session).record(case_id, consent.INTERVIEW, True, language="urd",
                                   explanation_version="consent-text-1.0", assent=True,
                                   guardian_name="Fatima", guardian_relationship="mother")
    return case_id


def test_a_child_cannot_be_screened_with_the_adult_set(session: Session) -> None:
    child = _case_of(session, prs_Birthdate=_born_years_ago(14))
    svc = ScreeningService(session)
    with pytest.raises(AdultInstrumentForChild) as err:
        svc.submit(child, "ilo-ec-adult-labour", CHILD_ANSWERS)
    assert err.value.user_message() == (
        "This person is under 18, so the adult indicator set ilo-ec-adult-labour cannot be "
        "used. Screen with the child set ilo-ec-child-labour.")
    with pytest.raises(AdultInstrumentForChild, match="child set ilo-ec-child-sexual"):
        svc.submit(child, "ilo-ec-adult-sexual", {})
    assert svc.history(child) == []
    sid = svc.submit(child, "ilo-ec-child-labour", CHILD_ANSWERS).id
    record = session.store.get(sid)
    assert record is not None and record.body["result"]["indication"] == screening.INDICATED
    # The same answers with the adult rule would have asked for more information.
    adult_rule = screening.evaluate(loader.load_instrument("ilo-ec-adult-labour"),
                                    CHILD_ANSWERS)
    assert adult_rule.indication == screening.INSUFFICIENT


@pytest.mark.parametrize(("person", "fragment"), [
    ({}, "age is not recorded, so they are presumed to be a child"),
    ({"hfz_EstimatedAge": 16}, "under 18"),
    ({"prs_Birthdate": "1990-05-01", "hfz_AgeDisputed": True},
     "age is disputed, so they are presumed to be a child"),
    ({"prs_Birthdate": "1990-05-01",
      "hfz_AgeAssessment": {"outcome": "child", "date": "2026-01-15"}},
     "An age assessment found this person to be a child"),
])
def test_minority_is_presumed_until_an_assessment_says_otherwise(
        session: Session, person: dict[str, object], fragment: str) -> None:
    case_id = _case_of(session, **person)
    svc = ScreeningService(session)
    with pytest.raises(AdultInstrumentForChild, match=fragment):
        svc.submit(case_id, INSTRUMENT, CHILD_ANSWERS)
    if "hfz_AgeAssessment" in person:
        return
    CaseService(session).record_age_assessment(case_id, "adult", "2026-01-20",
                                               method="medical_board")
    assert svc.submit(case_id, INSTRUMENT, CHILD_ANSWERS).id


def test_an_adult_may_be_screened_with_a_child_set(session: Session) -> None:
    """Someone trafficked at 16 and screened at 19 is screened as the child they were."""
    case_id = consented_case(session)
    assert ScreeningService(session).submit(case_id, "ilo-ec-child-labour", CHILD_ANSWERS).id


# --- who records the legal status, and what the record says (issue 8) ----------------------

def test_an_ngo_manager_cannot_record_a_police_decision(manager: Session) -> None:
    # Before: any manager could write "decided by Police".
    case_id = consented_case(manager)
    svc = ScreeningService(manager)
    with pytest.raises(FieldErrors) as err:
        svc.decide_status(case_id, "ActualVictimOfTrafficking", "Police", **BASIS)
    [(field, _msg, params)] = err.value.problems
    assert field == "--decided-by" and params["allowed"] == "NGO"
    message = err.value.user_message()
    # The value typed is not repeated (issue 7, item 8); the allowed one is named.
    assert "can record only decisions made by NGO" in message and "Police" not in message
    case = manager.store.get(case_id)
    assert case is not None and "vic_TraffickingStatus" not in case.body


def test_an_fia_officer_records_the_identification_they_make(border_officer: Session) -> None:
    # Before: FIA officers make the formal identification and could not record it.
    case_id = consented_case(border_officer)
    svc = ScreeningService(border_officer)
    svc.decide_status(case_id, "ActualVictimOfTrafficking", decided_on="2026-02-14",
                      act="PTPA2018", section="3(1)", fir=" 45/2026 FIA AHTC Lahore ")
    body = CaseService(border_officer).show(case_id)
    assert body["vic_TraffickingStatusDecisionMakingOrg"] == "Police"
    assert body["hfz_TraffickingStatusDecision"] == {
        "date": "2026-02-14", "act": "PTPA2018", "section": "3(1)",
        "fir": "45/2026 FIA AHTC Lahore"}


def test_a_law_enforcement_caseworker_records_police_decisions(open_profile: Any) -> None:
    session = open_profile("caseworker", "investigator")
    # Law enforcement is part of the signed role grant (issue 7), not of the user record.
    role_grants.regrant(session, "caseworker", law_enforcement=True)
    case_id = consented_case(session)
    ScreeningService(session).decide_status(case_id, "PossibleVictimOfTrafficking",
                                            "Police", **BASIS)
    assert CaseService(session).show(case_id)["vic_TraffickingStatusDecisionMakingOrg"] \
        == "Police"


def test_a_government_office_records_a_non_police_government_decision() -> None:
    # The office's organisation type, recorded when its profile is made, decides the code.
    profiles.create_profile("dwd", PASSPHRASE, role="manager", params=kdf.FLOOR,
                            org_type="LocalGovernmentOrganisation")
    with profiles.unlock("dwd", PASSPHRASE) as session:
        case_id = consented_case(session)
        ScreeningService(session).decide_status(case_id, "PossibleVictimOfTrafficking",
                                                **BASIS)
        assert CaseService(session).show(case_id)[
            "vic_TraffickingStatusDecisionMakingOrg"] == "NonPoliceGovernmentalOrganization"


@pytest.mark.parametrize(("basis", "field"), [
    ({"decided_on": "2026-02-30"}, "--decided-on"),         # 30 February does not exist
    ({"decided_on": "2999-01-01"}, "--decided-on"),         # in the future
    ({"decided_on": "1999-01-01"}, "--decided-on"),         # before any of these laws
    ({"act": "PPC"}, "--act"),
    ({"section": "three"}, "--section"),
    ({"section": ""}, "--section"),
    ({"fir": "   "}, "--fir"),
])
def test_the_decision_needs_its_date_and_legal_basis(manager: Session, basis: dict[str, Any],
                                                      field: str) -> None:
    case_id = consented_case(manager)
    with pytest.raises(FieldErrors) as err:
        ScreeningService(manager).decide_status(case_id, "PossibleVictimOfTrafficking",
                                                **{**BASIS, **basis})
    assert [p[0] for p in err.value.problems] == [field]
    case = manager.store.get(case_id)
    assert case is not None and "vic_TraffickingStatus" not in case.body


def test_the_decision_cannot_be_edited_in_by_a_caseworker(session: Session) -> None:
    case_id = consented_case(session)
    with pytest.raises(PermissionDenied):
        CaseService(session).update(case_id, {"hfz_TraffickingStatusDecision": {
            "date": "2026-01-01", "act": "PTPA2018", "section": "3"}})


def test_an_administrator_records_the_office_type_of_an_existing_profile(
        administrator: Session, manager: Session) -> None:
    # A profile made before offices had a type records an NGO's decisions; its
    # administrator records the real type once, audited.
    with pytest.raises(PermissionDenied):
        profiles.set_office_type(manager, "LawEnforcement")
    with pytest.raises(FieldErrors):
        profiles.set_office_type(administrator, "Police")
    svc = ScreeningService(administrator)
    assert svc.deciding_org() == "NGO"
    profiles.set_office_type(administrator, "CentralGovernmentOrganisation")
    assert svc.deciding_org() == "NonPoliceGovernmentalOrganization"
    assert "office_type_changed" in [e["action"] for e in administrator.audit.events()]
