"""A conflict's resolution is a change (SYNC.md §4): whether a conflict is resolved, and by
which change, depends only on the set of changes a replica applied, not on their order."""

from __future__ import annotations

import itertools

from caseapp.store import changelog, packing
from caseapp.store.changelog import LoggedChange
from caseapp.store.merge import RESOLUTION
from tests.conftest import OpenProfile

REC = "01900000-0000-7000-8000-000000000001"


def _change(cid: str, device: str, hlc_ms: int, value: str,
            seen: dict[str, str | None], device_seq: int = 1) -> LoggedChange:
    return LoggedChange(change_id=cid, record_id=REC, record_type="person", kind="upsert",
                        fields={"prs_Birthdate": value}, hlc=f"{hlc_ms:013d}.00000.{device}",
                        device=device, device_seq=device_seq, team="t", seen=seen)


BASE = _change("c0", "dev-a", 1_000, "1990-01-01", {"prs_Birthdate": None})
A = _change("c1", "dev-a", 2_000, "1991-01-01", {"prs_Birthdate": BASE.hlc}, 2)
B = _change("c2", "dev-b", 3_000, "1992-02-02", {"prs_Birthdate": BASE.hlc})
R1 = _change("c3", "dev-c", 4_000, "1991-01-01",
             {"prs_Birthdate": B.hlc, RESOLUTION: B.hlc})
R2 = _change("c4", "dev-d", 4_500, "1991-01-01",
             {"prs_Birthdate": B.hlc, RESOLUTION: B.hlc})
PLAIN = _change("c5", "dev-e", 5_000, "1993-03-03", {"prs_Birthdate": B.hlc})


def test_resolution_is_the_same_in_any_order(open_profile: OpenProfile) -> None:
    session = open_profile("manager")
    results = set()
    for order in itertools.permutations([A, B, R1, R2]):
        with session.write():
            session.store.conn.execute("DELETE FROM conflicts")
            session.store.conn.execute("DELETE FROM changes WHERE record_id = ?",
                                       (packing.pack_id(REC),))
            session.store.conn.execute("DELETE FROM records WHERE id = ?", (REC,))
            for change in (BASE, *order):
                session.store.apply_remote(change)
        found = session.store.conflicts(REC)
        results.add(tuple((c["clock_a"], c["clock_b"], c["resolved_by"]) for c in found))
    assert results == {((A.hlc, B.hlc, "c3"),)}


def test_an_edit_that_saw_both_values_is_not_a_resolution(open_profile: OpenProfile) -> None:
    session = open_profile("manager")
    with session.write():
        for change in (BASE, A, B, PLAIN):
            session.store.apply_remote(change)
    assert [c["resolved_by"] for c in session.store.conflicts(REC)] == [None]


def test_a_compacted_log_keeps_history_and_still_finds_the_conflict(
        open_profile: OpenProfile) -> None:
    """Once the server has a change, the log keeps of it only what history and the conflict
    rules read (issue 12): the field names, the guarded values, the clocks seen. A change
    arriving later that never saw it still conflicts with it; an ordinary field's value is
    gone from the log (it is in the record); a change not yet pushed is kept whole."""
    session = open_profile("manager")
    store = session.store
    with session.write():
        # An earlier sync sent the profile's own first records.
        store.conn.execute("UPDATE changes SET pushed_seq = seq WHERE origin = 'local'")
        for change in (BASE, A):
            store.apply_remote(change)
        mine = store.update(REC, {"hfz_Phone": "+92 300 0000000",
                             "prs_MiddleName": "Noor"})
        assert mine is not None
        store.compact_log()  # stops at my change: not pushed yet
        store.update(REC, {"prs_SecondName": "Bibi"})
        changelog.mark_pushed(store.conn, mine.logged.change_id, 17)
        assert store.compact_log() == 1
    history = store.history(REC)
    assert [h["fields"] for h in history] == [
        {"prs_Birthdate": "1990-01-01"}, {"prs_Birthdate": "1991-01-01"},
        {"hfz_Phone": None, "prs_MiddleName": "Noor"}, {"prs_SecondName": "Bibi"}]
    assert store.get(REC).body["hfz_Phone"] == "+92 300 0000000"  # type: ignore[union-attr]
    with session.write():
        store.apply_remote(B)
    [conflict] = store.conflicts(REC)
    assert (conflict["value_a"], conflict["value_b"]) == ("1991-01-01", "1992-02-02")
