"""Consent per purpose: recording, withdrawal, referral to named providers, children."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.domain import consent
from caseapp.errors import FieldErrors
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.session import Session

HOUR = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.fixture
def session(caseworker: Session) -> Session:
    return caseworker


def new_case(session: Session, **person: object) -> str:
    """A case of an adult unless ``person`` says otherwise."""
    return CaseService(session).create({"prs_FirstName": "Ayesha",
                                        "prs_Birthdate": "1995-02-01", **person}).id


def grant(svc: ConsentService, case_id: str, purpose: str, **kw: object) -> str:
    kw.setdefault("language", "urd")
    kw.setdefault("explanation_version", "consent-text-1.0")
    return svc.record(case_id, purpose, True, **kw).id  # type: ignore[arg-type]


def test_consent_is_per_purpose(session: Session) -> None:
    case_id = new_case(session)
    svc = ConsentService(session)
    grant(svc, case_id, consent.INTERVIEW, at=T0)
    svc.record(case_id, consent.LAW_ENFORCEMENT_SHARING, False, language="urd",
               explanation_version="consent-text-1.0", at=T0)
    state = svc.current(case_id, at=T0 + 1)
    assert state[consent.INTERVIEW]["permitted"] is True
    assert state[consent.LAW_ENFORCEMENT_SHARING] == {
        "permitted": False, "reason": consent.REFUSED,
        "consent_id": state[consent.LAW_ENFORCEMENT_SHARING]["consent_id"]}
    assert state[consent.ASSISTANCE_PROCESSING]["reason"] == consent.NO_CONSENT
    svc.require(case_id, consent.INTERVIEW, at=T0 + 1)
    with pytest.raises(ConsentRequired) as err:
        svc.require(case_id, consent.ANONYMISED_RESEARCH, at=T0 + 1)
    assert "research" in str(err.value)


def test_withdrawal_blocks_from_then_on_and_not_before(session: Session) -> None:
    case_id = new_case(session)
    svc = ConsentService(session)
    cid = grant(svc, case_id, consent.FOLLOW_UP_CONTACT, at=T0)
    wid = svc.withdraw(case_id, purpose=consent.FOLLOW_UP_CONTACT, at=T0 + 2 * HOUR).id
    assert svc.check(case_id, consent.FOLLOW_UP_CONTACT, at=T0 + HOUR).permitted
    decision = svc.check(case_id, consent.FOLLOW_UP_CONTACT, at=T0 + 3 * HOUR)
    assert not decision.permitted and decision.reason == consent.WITHDRAWN
    assert "withdrawn" in decision.message()
    # The original entry is untouched; the withdrawal is its own record.
    original = session.store.get(cid)
    assert original is not None and "withdrawn_at" not in original.body
    assert len(session.store.history(cid)) == 1
    withdrawal = session.store.get(wid)
    assert withdrawal is not None and withdrawal.body["consent_ids"] == [cid]
    # A fresh consent after the withdrawal is in force again.
    grant(svc, case_id, consent.FOLLOW_UP_CONTACT, at=T0 + 4 * HOUR)
    assert svc.check(case_id, consent.FOLLOW_UP_CONTACT, at=T0 + 5 * HOUR).permitted


def test_withdraw_one_entry_by_id(session: Session) -> None:
    case_id = new_case(session)
    svc = ConsentService(session)
    cid = grant(svc, case_id, consent.INTERVIEW, at=T0)
    svc.withdraw(case_id, cid, at=T0 + HOUR)
    with pytest.raises(ConsentRequired, match="withdrawn"):
        svc.require(case_id, consent.INTERVIEW, at=T0 + 2 * HOUR)
    with pytest.raises(FieldErrors):
        svc.withdraw(case_id)


def test_referral_limited_to_named_providers(session: Session) -> None:
    case_id = new_case(session)
    svc = ConsentService(session)
    grant(svc, case_id, consent.REFERRAL, providers=["org-dar-ul-aman", "org-legal-aid"],
          at=T0)
    assert svc.check(case_id, consent.REFERRAL, "org-legal-aid", at=T0 + 1).permitted
    other = svc.check(case_id, consent.REFERRAL, "org-shelter-x", at=T0 + 1)
    assert not other.permitted and other.reason == consent.PROVIDER_NOT_NAMED
    assert svc.check(case_id, consent.REFERRAL, at=T0 + 1).reason == consent.PROVIDER_REQUIRED
    with pytest.raises(ConsentRequired, match="org-shelter-x"):
        svc.require(case_id, consent.REFERRAL, "org-shelter-x", at=T0 + 1)
    state = svc.current(case_id, at=T0 + 1)
    assert state[consent.REFERRAL]["providers"] == ["org-dar-ul-aman", "org-legal-aid"]
    # A referral consent must name someone.
    with pytest.raises(FieldErrors) as err:
        grant(svc, case_id, consent.REFERRAL, at=T0)
    assert [p[0] for p in err.value.problems] == ["providers"]


def test_child_needs_assent_and_guardian_or_best_interests(session: Session) -> None:
    case_id = new_case(session, prs_Birthdate="2012-05-01")
    svc = ConsentService(session)
    now = int(time.time() * 1000)
    with pytest.raises(FieldErrors) as err:
        grant(svc, case_id, consent.INTERVIEW, at=now)
    assert {p[0] for p in err.value.problems} == {"assent", "guardian_name"}
    with pytest.raises(FieldErrors) as err:
        grant(svc, case_id, consent.INTERVIEW, assent=True, at=now)
    assert [p[0] for p in err.value.problems] == ["guardian_name"]
    with pytest.raises(FieldErrors) as err:
        grant(svc, case_id, consent.INTERVIEW, guardian_name="Rashid",
              guardian_relationship="uncle", at=now)
    assert [p[0] for p in err.value.problems] == ["assent"]
    grant(svc, case_id, consent.INTERVIEW, assent=True, guardian_name="Rashid",
          guardian_relationship="uncle", at=now)
    grant(svc, case_id, consent.ASSISTANCE_PROCESSING, assent=True,
          best_interests_by="Child Protection Officer, Lahore",
          best_interests_reason="guardian may be implicated", at=now)
    entries = svc.entries(case_id)
    assert all(e.child for e in entries)
    assert svc.check(case_id, consent.INTERVIEW).permitted


def test_estimated_age_makes_a_child(session: Session) -> None:
    case_id = new_case(session, prs_Birthdate=None, hfz_EstimatedAge=15)
    with pytest.raises(FieldErrors):
        grant(ConsentService(session), case_id, consent.INTERVIEW)
    adult = new_case(session, prs_Birthdate="1990-01-01")
    grant(ConsentService(session), adult, consent.INTERVIEW)


def test_unknown_or_disputed_age_is_presumed_a_child(session: Session) -> None:
    """PROTECTION §2: where the age is uncertain the person is presumed a child, and gets a
    child's consent rules, until an age assessment says otherwise."""
    svc = ConsentService(session)
    unknown = new_case(session, prs_Birthdate=None)
    with pytest.raises(FieldErrors) as err:
        grant(svc, unknown, consent.INTERVIEW)
    assert {p[0] for p in err.value.problems} == {"assent", "guardian_name"}
    # A birth date that says adult, but the age is disputed (a borrowed document).
    disputed = new_case(session, hfz_AgeDisputed=True)
    with pytest.raises(FieldErrors):
        grant(svc, disputed, consent.INTERVIEW)
    # The assessment finds an adult: the dispute ends and adult consent applies.
    cases = CaseService(session)
    cases.record_age_assessment(disputed, "adult", "2026-01-15", method="medical_board",
                                authority="Medical board, Services Hospital Lahore")
    grant(svc, disputed, consent.INTERVIEW)
    assert [e.child for e in svc.entries(disputed)] == [False]
    shown = cases.show(disputed)
    assert shown["hfz_AgeDisputed"] is False
    assert shown["hfz_AgeAssessment"]["outcome"] == "adult"
    assert "age_assessment_recorded" in [e["action"] for e in session.audit.events(disputed)]
    # An assessment can also find a child although the document says adult.
    cases.record_age_assessment(unknown, "child", "2026-01-15")
    assert consent.person_is_child(
        {"prs_Birthdate": "1990-01-01", "hfz_AgeAssessment": {"outcome": "child",
                                                             "date": "2026-01-15"}}, T0)


@pytest.mark.parametrize("assessment", [
    {"outcome": "adult"}, {"outcome": "grown", "date": "2026-01-15"},
    {"outcome": "adult", "date": "15/01/2026"},
    {"outcome": "adult", "date": "2026-01-15", "method": "guess"}, "adult"])
def test_a_bad_age_assessment_is_refused(session: Session, assessment: object) -> None:
    with pytest.raises(FieldErrors) as err:
        CaseService(session).create({"prs_FirstName": "Ayesha",
                                     "hfz_AgeAssessment": assessment})
    assert [p[0] for p in err.value.problems] == ["hfz_AgeAssessment"]


def test_interpreter_and_language_recorded(session: Session) -> None:
    case_id = new_case(session)
    svc = ConsentService(session)
    cid = grant(svc, case_id, consent.INTERVIEW, language="prs", interpreter="Farida Noori",
                explanation_version="consent-text-2.1")
    record = session.store.get(cid)
    assert record is not None and record.type == "consent" and record.parent == case_id
    assert record.body["language"] == "prs"
    assert record.body["interpreter"] == "Farida Noori"
    assert record.body["explanation_version"] == "consent-text-2.1"
    assert record.body["staff_user_id"] == session.user_id
    with pytest.raises(FieldErrors) as err:
        grant(svc, case_id, consent.INTERVIEW, language="Urdu", explanation_version="")
    assert {p[0] for p in err.value.problems} == {"language", "explanation_version"}


def test_audit_names_fields_not_values(session: Session) -> None:
    case_id = new_case(session)
    svc = ConsentService(session)
    grant(svc, case_id, consent.INTERVIEW, interpreter="Farida Noori")
    svc.withdraw(case_id, purpose=consent.INTERVIEW)
    events = session.audit.events(case_id)
    recorded = next(e for e in events if e["action"] == "consent_recorded")
    withdrawn = next(e for e in events if e["action"] == "consent_withdrawn")
    assert "interpreter" in recorded["fields"] and "language" in recorded["fields"]
    assert "consent_ids" in withdrawn["fields"]
    text = repr(events)
    assert "Farida Noori" not in text
    assert "consent-text-1.0" not in text


def test_unknown_purpose_refused(session: Session) -> None:
    case_id = new_case(session)
    with pytest.raises(FieldErrors) as err:
        grant(ConsentService(session), case_id, "marketing")
    assert err.value.problems[0][0] == "purpose"
    assert consent.explain([], "marketing", T0).reason == consent.UNKNOWN_PURPOSE


def test_pure_rules_latest_event_decides() -> None:
    base = {"staff_user_id": "u1", "language": "urd", "explanation_version": "v1"}
    granted = consent.ConsentEntry(consent.INTERVIEW, True, T0, **base,
                                   withdrawn_at=T0 + 10)
    assert not consent.is_permitted([], consent.INTERVIEW, T0)
    assert not consent.is_permitted([granted], consent.INTERVIEW, T0 - 1)
    assert consent.is_permitted([granted], consent.INTERVIEW, T0)
    assert consent.is_permitted([granted], consent.INTERVIEW, T0 + 9)
    assert not consent.is_permitted([granted], consent.INTERVIEW, T0 + 10)
    refused_all = consent.ConsentEntry(consent.REFERRAL, False, T0 + 5, **base)
    ok = consent.ConsentEntry(consent.REFERRAL, True, T0, providers=("a",), **base)
    assert consent.is_permitted([ok], consent.REFERRAL, T0 + 6, "a")
    assert not consent.is_permitted([ok, refused_all], consent.REFERRAL, T0 + 6, "a")
    assert consent.is_child("2010-06-01", None, T0)
    assert not consent.is_child("2000-06-01", 12, T0)
    # No age on record: presumed a child (PROTECTION §2), until an assessment finds an adult.
    assert consent.is_child(None, None, T0)
    assert not consent.is_child(None, None, T0, assessment="adult")


_histories = st.lists(st.tuples(st.integers(0, 6), st.booleans(),
                                st.one_of(st.none(), st.integers(0, 8))), max_size=6)


@settings(max_examples=400, deadline=None)
@given(history=_histories, at=st.integers(0, 8))
def test_a_whole_caseload_is_decided_as_each_case_is(history: list[tuple[int, bool, int | None]],
                                                     at: int) -> None:
    # The report and the exports decide consent for 100,000 cases at once (in_force); the
    # answer must be the one a single case's check gives, ties and withdrawals included.
    entries = [consent.ConsentEntry(purpose=consent.ANONYMISED_RESEARCH, granted=granted,
                                    at=when, staff_user_id="u1", language="urd",
                                    explanation_version="v1", id=f"c{i}",
                                    withdrawn_at=withdrawn if withdrawn is None or
                                    withdrawn >= when else when)
               for i, (when, granted, withdrawn) in enumerate(history)]
    decided = [(e.at, e.id or "", e.granted, e.withdrawn_at) for e in entries]
    entries.sort(key=lambda e: (e.at, e.id or ""))  # as ConsentService hands them over
    assert consent.in_force(decided, at) == consent.is_permitted(
        entries, consent.ANONYMISED_RESEARCH, at)
