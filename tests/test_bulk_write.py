"""What a bulk write holds until its end (``RecordStore.bulk_write``, issue 12).

FTS5 writes its pending entries to disk at every statement that opens a statement journal,
so a batch of cases written one by one made one index segment per case, and merging them
grew with the caseload. A bulk block holds the entries and adds them once, at its end. What
a user relies on stays true: a case written in the block is found in it and after it, an edit
or a deletion in the block leaves no stale entry, and a savepoint rolled back leaves no entry
for the records it undid. The device's change sequence stays gapless and the clock is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from caseapp.services import demo
from caseapp.services.cases import CaseService
from caseapp.services.session import Session

ZARGHUNA = {"prs_FirstName": "Zarghuna", "prs_SecondName": "Wardak",
            "hfz_NameUrdu": "زرغونہ وردک", "prs_Gender": "Feminine"}
PALWASHA = {"prs_FirstName": "Palwasha", "prs_SecondName": "Mohmand",
            "hfz_NameUrdu": "پلوشہ مہمند", "prs_Gender": "Feminine"}


@pytest.fixture
def session(administrator: Session) -> Iterator[Session]:
    yield administrator


def create(cases: CaseService, document: dict[str, Any]) -> str:
    case_id = cases.create(dict(document)).id
    assert case_id is not None
    return case_id


def indexed(session: Session, word: str) -> int:
    """Entries of the search index itself that match ``word`` (not joined to any record)."""
    return int(session.store.conn.execute("SELECT count(*) FROM search WHERE search MATCH ?",
                                    (word,)).fetchone()[0])


def test_a_batch_of_cases_writes_the_index_once_not_once_a_case(session: Session) -> None:
    # Case by case, 100 cases cost 309 writes to the index's pages (one segment each plus
    # the merges); held to the batch's end, one segment: its leaves, structure and totals.
    writes: list[str] = []
    session.store.conn.set_trace_callback(
        lambda sql: writes.append(sql) if "'search_data'" in sql and "REPLACE" in sql else None)
    try:
        demo.fill(session, 100, batch=100, records=False)
    finally:
        session.store.conn.set_trace_callback(None)
    assert 1 <= len(writes) <= 10
    assert session.store.count("case") == 100


def test_a_case_written_in_a_bulk_block_is_found_in_it_and_after_it(session: Session) -> None:
    cases = CaseService(session)
    with session.write(), session.store.bulk_write():
        case_id = create(cases, ZARGHUNA)
        assert indexed(session, "zarghuna") == 0  # held, not yet in the index
        assert [hit.id for hit in cases.search("Zarghuna")] == [case_id]
    assert [hit.id for hit in cases.search("زرغونہ")] == [case_id]
    assert indexed(session, "zarghuna") == 1


def test_an_edit_in_the_block_replaces_the_held_entry(session: Session) -> None:
    cases = CaseService(session)
    with session.write(), session.store.bulk_write():
        case_id = create(cases, ZARGHUNA)
        cases.update(case_id, {"prs_FirstName": "Palwasha", "hfz_NameUrdu": "پلوشہ وردک"})
    assert [hit.id for hit in cases.search("Palwasha")] == [case_id]
    assert cases.search("Zarghuna") == []
    assert indexed(session, "zarghuna") == 0
    assert indexed(session, "palwasha") == 1


def test_a_case_deleted_in_the_block_leaves_no_entry(session: Session) -> None:
    cases = CaseService(session)
    with session.write(), session.store.bulk_write():
        case_id = create(cases, ZARGHUNA)
        session.store.delete(case_id)
    assert indexed(session, "zarghuna") == 0


def test_a_savepoint_rolled_back_leaves_no_entry_for_what_it_undid(session: Session) -> None:
    cases = CaseService(session)
    with session.write(), session.store.bulk_write():
        kept = create(cases, ZARGHUNA)
        with pytest.raises(RuntimeError), session.savepoint("one_row"):
            create(cases, PALWASHA)
            raise RuntimeError("the row is refused")
    assert [hit.id for hit in cases.search("Zarghuna")] == [kept]
    # The undone case's entry was held when the savepoint rolled back: it never reached the
    # index (a stray entry would point at a row the rollback freed for the next record).
    assert indexed(session, "palwasha") == 0
    assert session.store.count("case") == 1


def test_an_error_in_the_block_rolls_back_the_cases_and_their_entries(session: Session) -> None:
    cases = CaseService(session)
    with pytest.raises(RuntimeError), session.write(), session.store.bulk_write():
        create(cases, ZARGHUNA)
        raise RuntimeError("power cut")
    assert indexed(session, "zarghuna") == 0
    # The store holds nothing afterwards: a later case is indexed as it is written.
    case_id = create(cases, PALWASHA)
    assert indexed(session, "palwasha") == 1
    assert [hit.id for hit in cases.search("Palwasha")] == [case_id]


def device_seqs(session: Session) -> list[int]:
    return [int(r[0]) for r in session.store.conn.execute(
        "SELECT device_seq FROM changes WHERE device = ? ORDER BY seq",
        (bytes.fromhex(session.device_id.replace("-", "")),))]


def test_the_change_sequence_stays_gapless_across_a_rolled_back_savepoint(
        session: Session) -> None:
    cases = CaseService(session)
    before = device_seqs(session)
    with session.write(), session.store.bulk_write():
        create(cases, ZARGHUNA)
        with pytest.raises(RuntimeError), session.savepoint("one_row"):
            create(cases, PALWASHA)
            raise RuntimeError("the row is refused")
        create(cases, {**PALWASHA, "prs_FirstName": "Malalai"})
    # Another device learns of changes by this sequence (SYNC.md): a gap would read as a
    # lost change, a repeat as a replay. Two cases, each a person and a case change.
    added = device_seqs(session)[len(before):]
    first = (before[-1] if before else 0) + 1
    assert added == list(range(first, first + 4))


def test_the_clock_is_kept_when_the_block_ends(session: Session) -> None:
    cases = CaseService(session)
    with session.write(), session.store.bulk_write():
        create(cases, ZARGHUNA)
        create(cases, PALWASHA)
    stored = session.store.meta("hlc")
    assert stored is not None and stored == session.store.clock.last
