"""Which cases the statistics report and the published statistics count: those whose person's
consent to research use is in force (``ConsentService.cases_permitting``), decided for the
whole caseload from a narrow read of the consent records (``queries.consent_decisions``).
Every expected set below is worked out by hand from the decisions each case was given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pdf_tools import pdf_text

from caseapp.domain import consent
from caseapp.services import documents
from caseapp.services.cases import CaseService
from caseapp.services.consent import CONSENT, WITHDRAWAL, ConsentService
from caseapp.services.protection import Protection
from caseapp.services.session import Session

RESEARCH = consent.ANONYMISED_RESEARCH
DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC, in milliseconds


def _case(session: Session, name: str, gender: str = "Feminine") -> str:
    case_id = CaseService(session).create({"prs_FirstName": name, "prs_Gender": gender,
                                           "prs_Birthdate": "1990-05-01",
                                           "vic_TypeOfExploitation": ["ForcedLabour"]}).id
    assert case_id is not None
    return case_id


def _decide(session: Session, case_id: str, granted: bool, day: int,
            purpose: str = RESEARCH) -> None:
    ConsentService(session).record(case_id, purpose, granted, language="urd",
                                   explanation_version="rights-2026-1", at=T0 + day * DAY)


def test_the_caseload_decision_is_the_latest_decision_in_force(caseworker: Session) -> None:
    consents = ConsentService(caseworker)
    granted = _case(caseworker, "A")
    _decide(caseworker, granted, True, 1)
    refused = _case(caseworker, "B")
    _decide(caseworker, refused, False, 1)
    withdrawn = _case(caseworker, "C")
    _decide(caseworker, withdrawn, True, 1)
    consents.withdraw(withdrawn, purpose=RESEARCH, at=T0 + 2 * DAY)
    changed_mind = _case(caseworker, "D")  # granted, refused, granted again
    for granted_then, day in ((True, 1), (False, 2), (True, 3)):
        _decide(caseworker, changed_mind, granted_then, day)
    later = _case(caseworker, "E")  # agrees only on day 5
    _decide(caseworker, later, True, 5)
    twice = _case(caseworker, "F")  # two devices withdrew it offline: days 2.6 and 2.2
    _decide(caseworker, twice, True, 1)
    entry = caseworker.store.children(twice, CONSENT)[0].id
    case = caseworker.store.get(twice)
    assert case is not None
    with caseworker.write():
        for at in (T0 + 26 * DAY // 10, T0 + 22 * DAY // 10):
            caseworker.store.create(WITHDRAWAL, {"consent_ids": [entry], "purpose": RESEARCH,
                                                 "at": at, "staff_user_id": "u"},
                                    team=case.team, parent=twice)
    other_purpose = _case(caseworker, "G")
    _decide(caseworker, other_purpose, True, 1, consent.ASSISTANCE_PROCESSING)
    not_a_yes = _case(caseworker, "H")  # "granted": 1 written by another program, not true
    with caseworker.write():
        caseworker.store.create(CONSENT, {"purpose": RESEARCH, "granted": 1, "at": T0 + DAY},
                                team=case.team, parent=not_a_yes)
    _case(caseworker, "I")  # nothing recorded

    def permitted(day: float) -> set[str]:
        return consents.cases_permitting(RESEARCH, at=T0 + int(day * DAY))

    # Day 1.5: everyone who said yes on day 1 and has not withdrawn yet; H's 1 is no yes.
    assert permitted(1.5) == {granted, withdrawn, changed_mind, twice}
    # Day 2.4: C withdrew on day 2, D refused on day 2, F's first withdrawal (2.2) counts.
    assert permitted(2.4) == {granted}
    # Day 3.5: D said yes again on day 3; E has not yet.
    assert permitted(3.5) == {granted, changed_mind}
    assert permitted(6) == {granted, changed_mind, later}
    assert consents.cases_permitting(consent.REFERRAL, at=T0 + 6 * DAY) == set()


def test_the_report_counts_only_consent_in_force_now(manager: Session,
                                                            tmp_path: Path) -> None:
    # 12 women and 11 men agreed now; 10 more women agreed and then withdrew; 3 men refused.
    for i in range(12):
        _decide(manager, _case(manager, f"W{i}"), True, 1)
    for i in range(11):
        _decide(manager, _case(manager, f"M{i}", "Masculine"), True, 1)
    for i in range(10):
        case_id = _case(manager, f"X{i}")
        _decide(manager, case_id, True, 1)
        ConsentService(manager).withdraw(case_id, purpose=RESEARCH, at=T0 + 2 * DAY)
    for i in range(3):
        _decide(manager, _case(manager, f"R{i}", "Masculine"), False, 1)
    today = dt.datetime.now(dt.UTC).date()
    done = documents.export_report(manager, today.replace(day=1), today, tmp_path / "r.pdf",
                                   "monthly figures", Protection.plain())
    rows = [" ".join(line.split()) for line in
            pdf_text(tmp_path / "r.pdf", layout=True).splitlines()]
    # By hand: 12 + 11 = 23 counted; 10 + 3 = 13 left out.
    assert "Cases in the period: 23" in rows
    assert "Feminine 12" in rows and "Masculine 11" in rows
    assert done.without_consent == 13
