"""The duplicate lookup's filing of people (issue 12): which blocks a person is filed under,
that the filing follows every write (rename, merge, delete), that a lookup reads the people
born nearest first, and that its reads are range reads of the key, not scans."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlcipher3

from caseapp.domain import lookup_blocks
from caseapp.store import identities, migrations
from caseapp.store.database import Connection
from caseapp.store.hlc import HybridClock
from caseapp.store.records import RecordStore

DEVICE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def store() -> Iterator[RecordStore]:
    conn = sqlcipher3.connect(":memory:", isolation_level=None, factory=Connection)
    migrations.migrate(conn)
    yield RecordStore(conn, HybridClock(DEVICE), DEVICE)
    conn.close()


def _case(store: RecordStore, **person: object) -> tuple[str, str]:
    made = store.create("person", dict(person))
    case = store.create("case", {"hfz_CaseNumber": "2026-A-00001"}, parent=made.record.id)
    return made.record.id, case.record.id


def _filed(store: RecordStore, case_id: str) -> list[tuple[str, int, str]]:
    return sorted(store.conn.execute("SELECT block, year, father FROM identities "
                                     "WHERE case_rowid = ?", (store.rowid(case_id),)))


def test_a_name_in_either_script_is_filed_by_its_first_and_last_word() -> None:
    # Consonant keys (names.skeleton): Muhammad → mhmd, Ali → l, Khan → kn, in both scripts.
    person = {"prs_FirstName": "Muhammad", "prs_SecondName": "Ali Khan",
              "hfz_NameUrdu": "محمد علی خان",
              "hfz_IdentityDocuments": [{"type": "CNIC", "number": "35202-1234567-1"}]}
    # Three words: also with the first and with the last left out; one block per script is
    # enough when the keys agree; the CNIC by its digits.
    assert lookup_blocks.blocks(person) == ["#3520212345671", "l|kn", "mhmd|kn", "mhmd|l"]
    # "Ali Khan" and "Muhammad Ali" each share a block with him; "Muhammad Khan" too.
    for other, shared in (("Ali Khan", "l|kn"), ("Muhammad Ali", "mhmd|l"),
                          ("Muhammad Khan", "mhmd|kn")):
        first, _sep, last = other.partition(" ")
        assert shared in lookup_blocks.blocks({"prs_FirstName": first, "prs_SecondName": last})


def test_only_compared_fields_are_filed() -> None:
    person = {"prs_FirstName": "Ayesha", "prs_Birthdate": "2001-04-02",
              "hfz_IdentityDocuments": [{"type": "CNIC", "number": "35202-1234567-1",
                                         "country": "PK", "hfz_IssuedAt": "Lahore"}],
              "hfz_Phone": "0300-1234567", "hfz_Address": "Street 4, Kasur"}
    assert lookup_blocks.compared(person) == {
        "prs_FirstName": "Ayesha", "prs_Birthdate": "2001-04-02",
        "hfz_IdentityDocuments": [{"type": "CNIC", "number": "35202-1234567-1"}]}


def test_the_filing_follows_a_rename_a_merge_and_a_delete(store: RecordStore) -> None:
    person, case = _case(store, prs_FirstName="Sana", prs_SecondName="Malik",
                         prs_Birthdate="1999-05-01")
    assert _filed(store, case) == [("sn|mlk", 1999, "")]
    store.update(person, {"prs_SecondName": "Bibi", "hfz_EstimatedAge": 30,
                          "prs_Birthdate": "2001-01-01", "hfz_FatherNameUrdu": "غلام نبی"})
    # Bibi: b, b run together; Ghulam (غلام) the father's first key, in either script.
    assert _filed(store, case) == [("sn|b", 2001, "glm")]
    _other_person, other = _case(store, prs_FirstName="Sana", prs_SecondName="Bibi")
    assert _filed(store, other) == [("sn|b", lookup_blocks.UNKNOWN_YEAR, "")]
    store.update(other, {"hfz_MergedInto": case})
    assert _filed(store, other) == []  # found through the case it was merged into
    store.delete(case)
    assert _filed(store, case) == []


def test_a_lookup_reads_the_people_born_nearest(store: RecordStore) -> None:
    for year in (1950, 1988, 1990, 1991, 1993, 2010):
        _case(store, prs_FirstName="Sana", prs_SecondName="Malik", prs_Birthdate=f"{year}-01-01")
    _case(store, prs_FirstName="Sana", prs_SecondName="Malik")  # year unknown
    _case(store, prs_FirstName="Hina", prs_SecondName="Malik", prs_Birthdate="1990-01-01")
    found = list(identities.nearest(store.conn, "sn|mlk", 1990, 3))
    # 1990, then 1991 and 1988 (one and two years off); and the one of unknown year.
    assert [year for _rowid, year, _person in found] == [1990, 1991, 1988, 0]
    assert {p["prs_FirstName"] for _r, _y, p in found} == {"Sana"}


def test_a_lookup_reads_ranges_of_the_key_not_the_block(store: RecordStore) -> None:
    _case(store, prs_FirstName="Sana", prs_SecondName="Malik", prs_Birthdate="1990-01-01")
    reads = [(identities.BORN_LATER_SQL, ("sn|mlk", 1990, 10)),
             (identities.BORN_EARLIER_SQL, ("sn|mlk", 1990, 10)),
             (identities.YEAR_UNKNOWN_SQL, ("sn|mlk", 10)),
             (identities.same_father_sql(3), ("sn|mlk", 0, 1989, 1990, "glm", 10))]
    for sql, args in reads:
        plan = " | ".join(str(r[-1]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql,
                                                                   args))
        assert "SEARCH identities USING PRIMARY KEY (block=? AND year" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # read in the key's order, never sorted
    plan = " | ".join(str(r[-1]) for r in store.conn.execute(
        "EXPLAIN QUERY PLAN " + identities.same_father_sql(3), reads[3][1]))
    assert "father=?" in plan, plan  # one seek per year, the father's key inside it


def test_in_a_large_block_the_same_father_is_read_across_the_years(
        store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A common name: more people than a block is read whole, most born in the new
    person's year. The one with the same father's name born five years off is still read;
    another of that year with another father is not, beyond the nearest."""
    monkeypatch.setattr(identities, "SMALL_BLOCK", 4)
    for _ in range(6):
        _case(store, prs_FirstName="Sana", prs_SecondName="Malik", prs_Birthdate="1990-01-01",
              hfz_FatherName="Bashir Ahmed")
    _p, same_father = _case(store, prs_FirstName="Sana", prs_SecondName="Malik",
                            prs_Birthdate="1995-06-01", hfz_FatherName="Ghulam Nabi")
    _p, other_father = _case(store, prs_FirstName="Sana", prs_SecondName="Malik",
                             prs_Birthdate="1995-06-01", hfz_FatherName="Bashir Ahmed")
    found = identities.candidates(store.conn, "sn|mlk", 1990, "glm", nearest_limit=3,
                                  father_years=6, father_limit=50)
    assert store.rowid(same_father) in found
    assert store.rowid(other_father) not in found
    assert len(found) == 4  # three nearest (1990) and the one with the same father
    # A small block is read whole, whoever the father.
    monkeypatch.setattr(identities, "SMALL_BLOCK", 300)
    assert len(identities.candidates(store.conn, "sn|mlk", 1990, "", nearest_limit=3,
                                     father_years=6, father_limit=50)) == 8
