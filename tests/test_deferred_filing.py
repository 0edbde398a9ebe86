"""A bulk load files people for the duplicate lookup once, at its end (``RecordStore.
deferred_filing``, issue 12).

The lookup's filing is keyed by name blocks and identity numbers, as good as random: filed
case by case, every batch of a large fill dirtied most pages of the table, and at a national
caseload each commit rewrote it. A load keeps the filing in arrival order and puts it in the
lookup's order once. What a user relies on stays true: a filled case is found as a duplicate
after the fill, a person renamed during the load is found by the new name only, and a fill
cut off half-way leaves nothing unfound once the profile is opened again."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PASSPHRASE, NewProfile

from caseapp.services import demo, duplicates, profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session

ZARGHUNA = {"prs_FirstName": "Zarghuna", "prs_SecondName": "Wardak",
            "hfz_NameUrdu": "زرغونہ وردک", "prs_Gender": "Feminine",
            "prs_Birthdate": "1994-03-02"}


def found(session: Session, person: dict[str, Any]) -> set[str]:
    return {c.candidate_id for c in duplicates.find_candidates(session, person=person)}


def pending(session: Session) -> int:
    return int(session.store.conn.execute(
        "SELECT count(*) FROM identities_pending").fetchone()[0])


def filed(session: Session) -> int:
    return int(session.store.conn.execute("SELECT count(*) FROM identities").fetchone()[0])


def test_a_fill_files_its_people_once_at_the_end(administrator: Session) -> None:
    statements: list[str] = []
    seen: list[tuple[int, int]] = []
    administrator.store.conn.set_trace_callback(
        lambda sql: statements.append(sql) if "INTO identities" in sql else None)
    try:
        ids = demo.fill(administrator, 300, batch=100, records=False,
                        progress=lambda done, total: seen.append((pending(administrator),
                                                                  filed(administrator))))
    finally:
        administrator.store.conn.set_trace_callback(None)
    # Every case has a name, so each is filed under two blocks at least; while the batches
    # go, nothing is filed in place; the last report comes once all of it is.
    assert seen[0][0] >= 200 and seen[0][1] == 0
    assert seen[1][0] >= 400 and seen[1][1] == 0
    assert seen[-1][0] == 0 and seen[-1][1] >= 600
    in_place = [s.split(" (")[0] for s in statements if "INTO identities " in s]
    assert in_place == ["INSERT OR REPLACE INTO identities"]  # one statement, at the end
    # and the lookup finds the filled people: the first case's own person is its candidate
    case = administrator.store.get(ids[0])
    assert case is not None and case.parent is not None
    person = administrator.store.get(case.parent)
    assert person is not None
    assert ids[0] in found(administrator, person.body)


def test_a_person_renamed_during_the_load_is_found_by_the_new_name_only(
        administrator: Session) -> None:
    cases = CaseService(administrator)
    with administrator.store.deferred_filing():
        case_id = cases.create(dict(ZARGHUNA)).id
        cases.update(str(case_id), {"prs_FirstName": "Palwasha", "hfz_NameUrdu": "پلوشہ وردک"})
        assert found(administrator, ZARGHUNA) == set()  # pending: the lookup reads the filing
    assert found(administrator, {**ZARGHUNA, "prs_FirstName": "Palwasha"}) == {case_id}
    assert found(administrator, {"prs_FirstName": "Zarghuna", "prs_SecondName": "Wardak"}
                 ) == set()
    assert pending(administrator) == 0


def test_a_fill_cut_off_is_filed_when_the_profile_is_opened_again(
        new_profile: NewProfile) -> None:
    created = new_profile("administrator")

    def cut_off(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with profiles.unlock(created.name, PASSPHRASE) as session:
        with pytest.raises(KeyboardInterrupt):
            demo.fill(session, 200, batch=100, records=False, progress=cut_off)
        assert session.store.count("case") == 100  # the first batch committed
        assert pending(session) >= 200 and filed(session) == 0
        first = session.store.conn.execute(
            "SELECT id, parent FROM records WHERE type = 'case' ORDER BY rowid").fetchone()
        person = session.store.get(first[1])
        assert person is not None
    with profiles.unlock(created.name, PASSPHRASE) as session:
        assert pending(session) == 0 and filed(session) >= 200
        assert first[0] in found(session, person.body)
