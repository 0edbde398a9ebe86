"""Read queries and savepoints of the store, on a migrated in-memory database: merged and
deleted cases are left out of exports and duplicate checks, and a savepoint undoes only its
own block while the error that caused it is the one reported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlcipher3

from caseapp.services.session import Session
from caseapp.store import migrations, queries
from caseapp.store.database import Connection, transaction
from caseapp.store.hlc import HybridClock
from caseapp.store.records import RecordStore
from caseapp.store.savepoints import savepoint

DEVICE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def store() -> Iterator[RecordStore]:
    conn = sqlcipher3.connect(":memory:", isolation_level=None, factory=Connection)
    migrations.migrate(conn)
    yield RecordStore(conn, HybridClock(DEVICE), DEVICE)
    conn.close()


def _case(store: RecordStore, name: str, **case: object) -> str:
    person = store.create("person", {"prs_FirstName": name})
    assert person is not None
    change = store.create("case", dict(case), parent=person.record.id)
    assert change is not None
    return change.record.id


def _names(store: RecordStore) -> list[str]:
    return [str(r.body["prs_FirstName"]) for r in store.list("person", limit=100)]


def test_merged_and_deleted_cases_are_left_out(store: RecordStore) -> None:
    kept = _case(store, "Ayesha")
    merged = _case(store, "Aisha", hfz_MergedInto=kept)
    gone = _case(store, "Bilal")
    store.delete(gone)
    later = _case(store, "Zainab")
    assert queries.unmerged_case_ids(store.conn) == [kept, later]  # oldest first
    people = dict(queries.people_of_cases(store.conn))
    assert list(people) == [kept, later]
    assert people[kept] == {"prs_FirstName": "Ayesha"}
    rowids = [store.rowid(i) for i in (merged, gone, later)]
    assert queries.case_ids(store.conn, [r for r in rowids if r]) == {store.rowid(later): later}


def test_savepoint_undoes_only_its_block(store: RecordStore) -> None:
    conn: Connection = store.conn
    with transaction(conn):
        store.create("person", {"prs_FirstName": "Ayesha"})
        with pytest.raises(ValueError), savepoint(conn, "row"):
            store.create("person", {"prs_FirstName": "Bilal"})
            raise ValueError("refused")
        with savepoint(conn, "row"):
            store.create("person", {"prs_FirstName": "Zainab"})
    assert sorted(_names(store)) == ["Ayesha", "Zainab"]


def test_savepoint_reports_the_original_error(store: RecordStore) -> None:
    # When the transaction is already gone (a failing drive ends it), undoing the savepoint
    # fails too; the error worth reporting is still the first one.
    conn = store.conn
    conn.execute("BEGIN")
    with pytest.raises(ValueError, match="drive"), savepoint(conn, "row"):
        conn.execute("ROLLBACK")
        raise ValueError("drive")
    assert not conn.in_transaction


def test_every_list_sort_and_the_owner_filter_have_an_index(caseworker: Session) -> None:
    """At 100,000 cases a list page, a jump deep into the list or "my cases" counted must read
    an index, never every case (each case read costs its page's decryption)."""
    from caseapp.store import lists

    conn = caseworker.store.conn
    owner = lists.CaseFilter(owner=caseworker.user_id)
    stage = lists.CaseFilter(stage="screening")
    queries = [("SELECT count(*) FROM records c WHERE c.type = 'case' AND c.deleted = 0 "
                "AND json_extract(c.body, '$.cas_CaseOwner') = ?", [caseworker.user_id])]
    # each sort on its own, and the navigation's filters in the default order (last change)
    shapes = [(sort, lists.CaseFilter()) for sort in lists.SORTS] + \
        [("updated", owner), ("updated", stage)]
    for sort, where in shapes:
        for direction in (" DESC", ""):
            columns = lists.SORTS[sort]
            sql, args = lists._where(where)
            queries.append((f"SELECT {', '.join(columns)} FROM records c WHERE c.type = 'case' "
                            "AND c.deleted = 0" + sql + " ORDER BY "
                            + ", ".join(c + direction for c in columns) + " LIMIT 1 OFFSET 5",
                            args))
    for sql, args in queries:
        plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args))
        assert "USING" in plan and "INDEX" in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)


def test_case_hits_list_live_cases_with_their_person(store: RecordStore) -> None:
    weak = _case(store, "Ayesha Khan Lahore Punjab Pakistan", hfz_CaseNumber="2026-A-00001")
    strong = _case(store, "Ayesha", hfz_CaseNumber="2026-A-00002")
    gone = _case(store, "Ayesha Bibi")
    store.delete(gone)
    hits = queries.case_hits(store.conn, "text : ayesha", 10)
    assert [(h[0], h[1], h[5]) for h in hits] == [
        (strong, "2026-A-00002", {"prs_FirstName": "Ayesha"}),
        (weak, "2026-A-00001", {"prs_FirstName": "Ayesha Khan Lahore Punjab Pakistan"})]


def test_case_ids_fetch_the_given_cases_by_rowid(store: RecordStore) -> None:
    """The duplicate check's candidates are fetched by rowid. Joined the other way, the
    plan walked the owner index over every case: 160 ms of a 250 ms lookup at 300,000."""
    for name in ("Zainab", "Bilal", "Ayesha"):
        _case(store, name)
    plan = " | ".join(str(row[-1]) for row in store.conn.execute(
        "EXPLAIN QUERY PLAN " + queries.CASE_IDS_SQL, ("[1, 2, 3]",)))
    assert "records_by" not in plan, plan
    assert "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan


def test_case_hits_read_the_hits_not_every_case(store: RecordStore) -> None:
    """The plan starts from the search hits and fetches each by rowid. Joined the other way
    round (as SQLite plans a plain JOIN for the 200 hits a search reads), it walks every
    case in the type index to meet the hits: at 300,000 cases a search took 300 ms
    instead of 20."""
    for name in ("Zainab", "Bilal", "Ayesha"):
        _case(store, name)
    plan = " | ".join(str(row[-1]) for row in store.conn.execute(
        "EXPLAIN QUERY PLAN " + queries.CASE_HITS_SQL, ("text : zainab", 200)))
    assert "records_by_type" not in plan, plan
    assert "SCAN hits" in plan and "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
