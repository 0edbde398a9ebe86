"""Bad input the way users meet it (issue 8): impossible birth dates, placeholder CNICs,
assent for an adult, Urdu digits in dates; every message says what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import consented_case

from caseapp.domain import consent
from caseapp.errors import FieldErrors
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.session import Session


def _problems(session: Session, doc: dict[str, object]) -> dict[str, str]:
    with pytest.raises(FieldErrors) as err:
        CaseService(session).create({"prs_FirstName": "Sana", **doc})
    return {field: msg % params if params else msg
            for field, msg, params in err.value.problems}


@pytest.mark.parametrize(("birth", "says"), [
    ((dt.date.today() + dt.timedelta(days=1)).isoformat(), "cannot be in the future"),
    ("1899-12-31", "cannot be before 1900"),
    ("2001-02-30", "does not exist: that month has no day 30"),
    ("2001-13-01", "must be a date written YYYY-MM-DD"),
])
def test_impossible_birth_dates_are_refused(caseworker: Session, birth: str,
                                            says: str) -> None:
    # Before: a birth date in the future or in 1850 was stored; 30 February only "must be
    # a date".
    assert _problems(caseworker, {"prs_Birthdate": birth})["prs_Birthdate"] == says


def test_urdu_digits_are_accepted_in_dates(caseworker: Session) -> None:
    case_id = CaseService(caseworker).create({"prs_FirstName": "Sana",
                                              "prs_Birthdate": "۱۹۹۴-۰۳-۰۱"}).id
    assert CaseService(caseworker).show(case_id)["prs_Birthdate"] == "1994-03-01"


@pytest.mark.parametrize("number", ["00000-0000000-0", "0000000000000", "11111-1111111-1"])
def test_a_placeholder_cnic_is_refused(caseworker: Session, number: str) -> None:
    problems = _problems(caseworker, {"hfz_IdentityDocuments": [{"type": "CNIC",
                                                                 "number": number}]})
    assert "placeholder, not a CNIC" in problems["hfz_IdentityDocuments"]


def test_assent_for_an_adult_is_refused(caseworker: Session) -> None:
    case_id = consented_case(caseworker)  # born 1990
    with pytest.raises(FieldErrors) as err:
        ConsentService(caseworker).record(case_id, consent.REFERRAL, True, language="urd",
                                          explanation_version="v1", providers=["x"],
                                          assent=True)
    assert [p[0] for p in err.value.problems] == ["assent"]
    assert "assent is a child's" in err.value.user_message()
