"""The change log and the merge of SYNC.md §4, between independent SQLCipher vaults.

Two devices of one office edit the same person and case offline, now and then taking in the
other's changes; the union of their changes is then applied to fresh vaults in different
orders and batches. Every replica must end with the same records and the same conflicts."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.services.profile_paths import ProfilePaths
from caseapp.services.profiles import initialise_vault
from caseapp.services.session import Session
from caseapp.store import database
from caseapp.store.changelog import LoggedChange
from caseapp.store.ids import uuid7

TEAM = "01900000-0000-7000-8000-00000000aaaa"


def vault(folder: Path, name: str, team: str | None = TEAM) -> Session:
    """A real SQLCipher vault under a random raw key (no key derivation: fast)."""
    folder.mkdir(parents=True)
    paths = ProfilePaths(name, folder)
    conn = database.open_database(paths.database, secrets.token_bytes(32))
    return initialise_vault(conn, paths, user_name=name, role="caseworker",
                            team_name="Lahore office", team_id=team)


def local_changes(session: Session) -> list[LoggedChange]:
    return session.store.unpushed(limit=1_000_000)


def apply(session: Session, changes: list[LoggedChange]) -> int:
    with session.write():
        return sum(session.store.apply_remote(c) for c in changes)


def state(session: Session) -> dict[str, Any]:
    """Everything that must be equal on every replica (not: local times, local order)."""
    conn = session.store.conn
    records = {r[0]: (r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]),
                      r[8], r[9])
               for r in conn.execute("SELECT id, type, team, parent, label, status, body, "
                                     "clocks, hlc, deleted FROM records")}
    conflicts = conn.execute("SELECT id, record_id, field, clock_a, value_a, clock_b, value_b "
                             "FROM conflicts ORDER BY id").fetchall()
    return {"records": records, "conflicts": conflicts}


@dataclass
class Device:
    session: Session
    person: str
    case: str
    form: dict[str, str] | None = None       # field clocks of a form left open
    notes: list[str] = field(default_factory=list)

    def update(self, record_id: str, fields: dict[str, Any], stale: bool = False) -> None:
        with self.session.write():
            self.session.store.update(record_id, fields, seen=self.form if stale else None)

    def body(self, record_id: str) -> dict[str, Any]:
        record = self.session.store.get(record_id)
        assert record is not None
        return record.body


def make_office(root: Path) -> tuple[Device, Device]:
    """Two devices that share one person and their case (made on the first, taken in by the
    second)."""
    a = vault(root / "a", "amina")
    b = vault(root / "b", "bilal")
    with a.write():
        person = a.store.create("person", {"prs_FirstName": "Rukhsana", "hfz_NameUrdu":
                                           "رخسانہ", "hfz_Aliases": ["Rukhi"]}, team=TEAM)
        case = a.store.create("case", {"hfz_CaseNumber": "2026-0A0B0C0D-00001",
                                       "hfz_Stage": "intake"}, team=TEAM,
                              parent=person.record.id)
    apply(b, local_changes(a))
    return (Device(a, person.record.id, case.record.id),
            Device(b, person.record.id, case.record.id))


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Device, Device]]:
    devices = make_office(tmp_path)
    yield devices
    for device in devices:
        device.session.close()


OPS = st.lists(st.one_of(
    st.tuples(st.just("name"), st.integers(0, 1), st.sampled_from(["Rukhsana", "Rukhsanah",
                                                                    "Ruksana"]), st.booleans()),
    st.tuples(st.just("status"), st.integers(0, 1),
              st.sampled_from(["PossibleVictimOfTrafficking", "ActualVictimOfTrafficking"]),
              st.booleans()),
    st.tuples(st.just("summary"), st.integers(0, 1), st.sampled_from(["At the shelter.",
                                                                      "Went home."])),
    st.tuples(st.just("alias"), st.integers(0, 1), st.sampled_from(["Rukhi", "Sana",
                                                                     "Bibi"])),
    st.tuples(st.just("unalias"), st.integers(0, 1)),
    st.tuples(st.just("merged"), st.integers(0, 1), st.integers(0, 3)),
    st.tuples(st.just("note"), st.integers(0, 1)),
    st.tuples(st.just("unnote"), st.integers(0, 1)),
    st.tuples(st.just("form"), st.integers(0, 1)),
    st.tuples(st.just("pull"), st.integers(0, 1)),
), min_size=1, max_size=14)
MERGED_IDS = [f"01900000-0000-7000-8000-00000000000{i}" for i in range(4)]


def run_ops(devices: tuple[Device, Device], ops: list[tuple[Any, ...]]) -> None:
    for op in ops:
        kind, who = op[0], devices[op[1]]
        other = devices[1 - op[1]]
        if kind == "name":
            who.update(who.person, {"prs_FirstName": op[2]}, stale=op[3])
        elif kind == "status":
            who.update(who.case, {"vic_TraffickingStatus": op[2]}, stale=op[3])
        elif kind == "summary":
            who.update(who.case, {"hfz_Summary": op[2]})
        elif kind == "alias":
            who.update(who.person, {"hfz_Aliases": [*who.body(who.person)["hfz_Aliases"],
                                                    op[2]]})
        elif kind == "unalias":
            who.update(who.person, {"hfz_Aliases": who.body(who.person)["hfz_Aliases"][1:]})
        elif kind == "merged":
            merged = who.body(who.case).get("hfz_MergedFrom") or []
            who.update(who.case, {"hfz_MergedFrom": [*merged, MERGED_IDS[op[2]]]})
        elif kind == "note":
            with who.session.write():
                note = who.session.store.create("note", {"cco_CaseComment": "Called."},
                                                team=TEAM, parent=who.case)
            who.notes.append(note.record.id)
        elif kind == "unnote" and who.notes:
            with who.session.write():
                who.session.store.delete(who.notes.pop(0))
        elif kind == "form":
            person = who.session.store.get(who.person)
            case = who.session.store.get(who.case)
            assert person is not None and case is not None
            who.form = {**person.clocks, **case.clocks}
        elif kind == "pull":
            apply(who.session, local_changes(other.session))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS, data=st.data())
def test_replicas_converge_in_any_order_and_batching(tmp_path_factory: pytest.TempPathFactory,
                                                     ops: list[tuple[Any, ...]],
                                                     data: st.DataObject) -> None:
    root = tmp_path_factory.mktemp("office")
    a, b = make_office(root)
    try:
        run_ops((a, b), ops)
        everything = local_changes(a.session) + local_changes(b.session)
        replicas = []
        for n in range(2):
            order = data.draw(st.permutations(everything), label=f"order {n}")
            cuts = sorted(data.draw(st.lists(st.integers(0, len(order)), max_size=4),
                                    label=f"batches {n}"))
            # (A team of its own: its first records are no part of what is compared.)
            replica = vault(root / f"replica{n}", f"replica{n}", team=None)
            for start, end in zip([0, *cuts], [*cuts, len(order)], strict=True):
                apply(replica, order[start:end])
            replicas.append(replica)
        # The devices themselves, once each has taken in the other's changes, agree too.
        apply(a.session, local_changes(b.session))
        apply(b.session, local_changes(a.session))
        shared = {c.record_id for c in everything}
        states = [state(s) for s in (a.session, b.session, *replicas)]
        for s in states:
            s["records"] = {k: v for k, v in s["records"].items() if k in shared}
        assert all(s == states[0] for s in states[1:])
        for replica in replicas:
            replica.close()
    finally:
        a.session.close()
        b.session.close()


# -- what the property rests on, one case at a time ----------------------------------------

def test_a_remote_rename_relabels_and_reindexes_the_case(office: tuple[Device, Device]) -> None:
    a, b = office
    a.update(a.person, {"prs_FirstName": "Shazia", "hfz_NameUrdu": "شازیہ"})
    changes = local_changes(a.session)[-1:]
    assert [c.record_type for c in changes] == ["person"]  # the case itself did not change
    seen = []
    b.session.on_commit = seen.append
    apply(b.session, changes)
    case = b.session.store.get(b.case)
    assert case is not None and case.label == "Shazia"
    for query in ('text : "shazia"*', 'text : "شازیہ"*'):
        assert [r.id for r in b.session.store.search(query)] == [b.case]
    assert b.session.store.search('text : "rukhsana"*') == []
    # One Changes value for the commit: the person, and the case whose label it moved.
    [published] = seen
    assert published.remote and published.ids("person") == {b.person}
    assert published.ids("case") == {b.case} and published.cases == {b.case}


def test_two_offline_merges_keep_every_merged_id(office: tuple[Device, Device]) -> None:
    a, b = office
    a.update(a.case, {"hfz_MergedFrom": [MERGED_IDS[0]]})
    b.update(b.case, {"hfz_MergedFrom": [MERGED_IDS[1]]})
    apply(a.session, local_changes(b.session))
    apply(b.session, local_changes(a.session))
    for device in (a, b):
        assert sorted(device.body(device.case)["hfz_MergedFrom"]) == MERGED_IDS[:2]
    # And the same for aliases: one added here, one removed there.
    a.update(a.person, {"hfz_Aliases": ["Rukhi", "Sana"]})
    b.update(b.person, {"hfz_Aliases": []})
    apply(a.session, local_changes(b.session))
    apply(b.session, local_changes(a.session))
    assert a.body(a.person)["hfz_Aliases"] == b.body(b.person)["hfz_Aliases"] == ["Sana"]


def test_an_edit_from_a_form_opened_before_a_pull_is_a_conflict(
        office: tuple[Device, Device]) -> None:
    a, b = office
    b.form = dict(b.session.store.get(b.case).clocks)  # type: ignore[union-attr]
    a.update(a.case, {"vic_TraffickingStatus": "ActualVictimOfTrafficking"})
    apply(b.session, local_changes(a.session))        # the pull brings A's decision
    b.update(b.case, {"vic_TraffickingStatus": "PossibleVictimOfTrafficking"}, stale=True)
    [conflict] = b.session.store.conflicts(b.case)
    assert conflict["field"] == "vic_TraffickingStatus"
    assert {conflict["value_a"], conflict["value_b"]} == {"ActualVictimOfTrafficking",
                                                          "PossibleVictimOfTrafficking"}
    # The newer value shows (marked), and A records the same conflict when it pulls.
    assert b.body(b.case)["vic_TraffickingStatus"] == "PossibleVictimOfTrafficking"
    apply(a.session, local_changes(b.session))
    assert a.session.store.conflicts(a.case) == b.session.store.conflicts(b.case)


def test_an_edit_over_what_the_editor_saw_is_no_conflict(office: tuple[Device, Device]) -> None:
    a, b = office
    a.update(a.case, {"vic_TraffickingStatus": "ActualVictimOfTrafficking"})
    apply(b.session, local_changes(a.session))
    b.form = dict(b.session.store.get(b.case).clocks)  # type: ignore[union-attr]
    b.update(b.case, {"vic_TraffickingStatus": "PossibleVictimOfTrafficking"}, stale=True)
    # Ordinary fields never conflict: last writer wins.
    a.update(a.case, {"hfz_Summary": "At the shelter."})
    b.update(b.case, {"hfz_Summary": "Went home."})
    apply(a.session, local_changes(b.session))
    assert b.session.store.conflicts() == a.session.store.conflicts() == []
    assert a.body(a.case)["hfz_Summary"] == "Went home."


def test_history_shows_edits_from_other_devices(office: tuple[Device, Device]) -> None:
    a, b = office
    b.update(b.case, {"hfz_Summary": "Went home."})
    apply(a.session, local_changes(b.session))
    history = a.session.store.history(a.case)
    assert [(h["origin"], h["device"]) for h in history] == [
        ("local", a.session.device_id), ("remote", b.session.device_id)]
    assert history[-1]["fields"] == {"hfz_Summary": "Went home."}
    # Only local changes wait to be pushed; an applied one is never sent back.
    assert all(c.device == a.session.device_id for c in local_changes(a.session))


def test_a_deleted_record_stays_deleted_whatever_arrives_later(
        office: tuple[Device, Device]) -> None:
    a, b = office
    with a.session.write():
        note = a.session.store.create("note", {"cco_CaseComment": "Called."}, team=TEAM,
                                      parent=a.case)
    apply(b.session, local_changes(a.session))
    with b.session.write():
        b.session.store.update(note.record.id, {"cco_CaseComment": "Called twice."})
    with a.session.write():
        a.session.store.delete(note.record.id)
    apply(a.session, local_changes(b.session))
    apply(b.session, local_changes(a.session))
    for device in (a, b):
        assert device.session.store.get(note.record.id) is None
        assert device.session.store.children(device.case, "note") == []


def test_applying_a_change_twice_changes_nothing(office: tuple[Device, Device]) -> None:
    a, b = office
    a.update(a.case, {"hfz_Summary": "At the shelter."})
    changes = local_changes(a.session)
    before = state(b.session)
    assert apply(b.session, changes) == 1  # only the new one
    after = state(b.session)
    assert apply(b.session, changes) == 0
    assert state(b.session) == after != before


def test_a_change_names_its_parent_and_team(office: tuple[Device, Device]) -> None:
    a, _b = office
    with a.session.write():
        note = a.session.store.create("note", {"cco_CaseComment": "Called."}, team=TEAM,
                                      parent=a.case)
    [logged] = local_changes(a.session)[-1:]
    assert (logged.record_id, logged.parent, logged.team) == (note.record.id, a.case, TEAM)
    assert logged.device == a.session.device_id and logged.seen == {}
    seqs = [c.device_seq for c in local_changes(a.session)]
    assert seqs == list(range(1, len(seqs) + 1))  # gapless per device


def test_a_remote_change_for_an_unknown_parent_waits_for_it(tmp_path: Path) -> None:
    """A case may arrive before its person: its label fills in when the person comes."""
    a = vault(tmp_path / "a", "amina")
    b = vault(tmp_path / "b", "bilal")
    with a.write():
        person = a.store.create("person", {"prs_FirstName": "Gul"}, team=TEAM)
        a.store.create("case", {"hfz_CaseNumber": "2026-0A0B0C0D-00002"}, team=TEAM,
                       parent=person.record.id, record_id=uuid7())
    person_change, case_change = local_changes(a)[-2:]
    apply(b, [case_change])
    [case] = b.store.list("case")
    assert case.label == ""
    apply(b, [person_change])
    [case] = b.store.list("case")
    assert case.label == "Gul"
    a.close()
    b.close()


def test_no_float_reaches_a_stored_change(office: tuple[Device, Device]) -> None:
    a, _b = office
    with pytest.raises(TypeError), a.session.write():
        a.session.store.update(a.case, {"hfz_Score": 0.5})
    assert a.session.store.get(a.case).body.get("hfz_Score") is None  # type: ignore[union-attr]
