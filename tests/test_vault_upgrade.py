"""Vaults written by earlier versions of Hifazat open with today's code (ARCHITECTURE §3).

The profiles in tests/data/vaults/v<N>/ were written by the code of schema version N
(scripts/make_vault_fixture.py says how) and are committed, never regenerated. Each test copies
one into its own CASEAPP_HOME and goes through the public services only, so the test keeps
working as migrations are added: after unlocking, the schema is current, every case is there
with its names and numbers, the audit chain verifies and SQLCipher finds no damage.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseapp.crypto import passphrase_policy
from caseapp.crypto.keyslots import PASSPHRASE as PASSPHRASE_SLOT
from caseapp.crypto.keyslots import KeyslotFile
from caseapp.domain import consent
from caseapp.services import duplicates, profile_paths, profiles
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.referrals import ReferralService
from caseapp.store import changelog, database, migrations

VAULTS = Path(__file__).resolve().parent / "data" / "vaults"
PROFILE = "fixture"
PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (the fixtures' documented passphrase)

# What each fixture holds, written down when it was made:
# case number -> (name, Urdu name, stage, CNIC).
EXPECTED: dict[int, dict[str, tuple[str, str, str, str]]] = {
    1: {
        "2024-D001-00001": ("Zainab Bibi", "زینب بی بی", "intake", "35202-1111111-2"),
        "2024-D001-00002": ("Imran Khokhar", "عمران کھوکھر", "screening", "34101-2222222-3"),
    },
    2: {
        "2026-7C23-00001": ("Nasreen Akhtar", "نسرین اختر", "intake", "61101-3333333-4"),
        "2026-7C23-00002": ("Tariq Mehmood", "طارق محمود", "screening", "42201-4444444-5"),
        "2026-7C23-00003": ("Shabana Parveen", "شبانہ پروین", "intake", "17301-5555555-6"),
        # Seeded demo cases (demo.fill(session, 4, seed=6)).
        "2026-7C23-00004": ("Kashif Khan", "کاشف خان", "intake", "34603-5504736-9"),
        "2026-7C23-00005": ("Ahmed Qureshi", "احمد قریشی", "identification",
                            "34101-4713410-5"),
        "2026-7C23-00006": ("Muhammad Baloch", "محمد بلوچ", "screening", "34402-4591188-9"),
        "2026-7C23-00007": ("Rukhsana Akhtar", "رخسانہ اختر", "intake", "33100-2058994-0"),
    },
    3: {
        "2026-7ACF6222-00001": ("Farah Nazir", "فرح ناز", "intake", "35201-6666666-7"),
        "2026-7ACF6222-00002": ("Sajid Ali", "ساجد علی", "intake", "37405-7777777-8"),
    },
    4: {
        "2026-8AE9E9C8-00001": ("Kulsoom Bibi", "کلثوم بی بی", "intake", "36302-8888888-9"),
        "2026-8AE9E9C8-00002": ("Wajid Hussain", "واجد حسین", "intake", "38403-9999999-1"),
    },
    5: {
        "2026-BCF128C3-00001": ("Nargis Jan", "نرگس جان", "intake", "15601-1212121-2"),
        "2026-BCF128C3-00002": ("Bilal Afridi", "بلال آفریدی", "intake", "21103-3434343-4"),
    },
    6: {
        "2026-88127A27-00001": ("Shazia Perveen", "شازیہ پروین", "intake", "35401-5656565-6"),
        "2026-88127A27-00002": ("Naveed Akhtar", "نوید اختر", "intake", "42101-7878787-8"),
    },
    7: {
        "2026-460C8842-00001": ("Rubina Kausar", "روبینہ کوثر", "intake", "37201-2323232-3"),
        "2026-460C8842-00002": ("Asif Marwat", "آصف مروت", "intake", "11201-4545454-5"),
    },
    8: {
        "2026-EDAF8F8A-00001": ("Sadia Parveen", "سعدیہ پروین", "intake", "34101-6767676-8"),
        "2026-EDAF8F8A-00002": ("Kamran Yousafzai", "کامران یوسفزئی", "intake",
                                "17301-8989898-9"),
    },
    9: {
        "2026-80C87761-00001": ("Tahira Bibi", "طاہرہ بی بی", "intake", "36302-1111111-2"),
        "2026-80C87761-00002": ("Zubair Khattak", "زبیر خٹک", "intake", "14301-2222222-3"),
    },
    10: {
        "2026-791AE55E-00001": ("Mehwish Hayat", "مہوش حیات", "intake", "35102-3131313-4"),
        "2026-791AE55E-00002": ("Sher Zaman", "شیر زمان", "intake", "15302-4141414-5"),
    },
    11: {
        "2026-FB740315-00001": ("Parveen Akhtar", "پروین اختر", "intake", "33202-5151515-6"),
        "2026-FB740315-00002": ("Ghulam Rasool", "غلام رسول", "intake", "54401-6161616-7"),
    },
    12: {
        "2026-88BFFD62-00001": ("Rukhsana Kausar", "رخسانہ کوثر", "intake", "37405-7171717-8"),
        "2026-88BFFD62-00002": ("Nadeem Abbas", "ندیم عباس", "intake", "42101-8181818-9"),
    },
    13: {
        "2026-3F0E8297-00001": ("Shagufta Naz", "شگفتہ ناز", "intake", "35202-9191919-0"),
        "2026-3F0E8297-00002": ("Irfan Mengal", "عرفان مینگل", "intake", "54400-2727272-1"),
    },
    14: {
        "2026-4F0571C6-00001": ("Zarmina Achakzai", "زرمینہ اچکزئی", "intake", "54401-3838383-2"),
        "2026-4F0571C6-00002": ("Waqas Bhatti", "وقاص بھٹی", "intake", "35401-4949494-3"),
    },
}
VERSIONS = sorted(EXPECTED)


def install(version: int, home: Path) -> Path:
    """A private copy of the fixture as this test's profile (the committed files stay as
    they are: opening a vault writes to it)."""
    folder = profile_paths.home() / PROFILE
    assert folder.parent.resolve().is_relative_to(home.resolve())
    shutil.copytree(VAULTS / f"v{version}", folder)
    return folder


def cases_by_number(service: CaseService) -> dict[str, tuple[str, str, str, str]]:
    found = {}
    for summary in service.list(limit=100).cases:
        shown = service.show(summary.id)
        [document] = shown["hfz_IdentityDocuments"]
        found[summary.case_number] = (summary.name, summary.name_urdu, summary.stage,
                                      document["number"])
        assert f"{shown['prs_FirstName']} {shown['prs_SecondName']}" == summary.name
        assert shown["hfz_NameUrdu"] == summary.name_urdu
    return found


def test_every_earlier_version_has_a_fixture() -> None:
    """A new migration needs a vault from the version before it: make it with
    scripts/make_vault_fixture.py and list its cases in EXPECTED."""
    assert set(range(1, migrations.CURRENT_VERSION)) <= set(VERSIONS)
    for version in VERSIONS:
        files = {p.name: p.stat().st_size for p in (VAULTS / f"v{version}").iterdir()}
        assert {"vault.db", "keyslots.json", "audit-head.json"} <= set(files)
        assert sum(files.values()) < 1024 * 1024


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_is_at_its_version(version: int, tmp_path: Path) -> None:
    """The committed vault really is of its schema version (not one written later)."""
    copy = tmp_path / "copy"
    shutil.copytree(VAULTS / f"v{version}", copy)
    _slot, [key] = KeyslotFile.load(copy / "keyslots.json").unlock(
        PASSPHRASE_SLOT, passphrase_policy.normalise(PASSPHRASE).encode())
    conn = database.open_database(copy / "vault.db", key)
    try:
        assert migrations.schema_version(conn) == version
    finally:
        conn.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_an_earlier_vault_upgrades_on_unlock(version: int, caseapp_home: Path) -> None:
    install(version, caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert migrations.schema_version(session.conn) == migrations.CURRENT_VERSION
        assert database.check_integrity(session.conn) == []
        assert session.verify_audit().ok
        # the search index merges when the desktop is idle, not inside a save (migration 15)
        assert session.conn.execute("SELECT v FROM search_config WHERE k = 'automerge'"
                                    ).fetchone() == (0,)
        service = CaseService(session)
        assert cases_by_number(service) == EXPECTED[version]
        # Still a working vault: a new case goes in beside the old ones.
        service.create({"prs_FirstName": "Farzana", "hfz_NameUrdu": "فرزانہ"})
        assert service.list(limit=100).total == len(EXPECTED[version]) + 1

    # Locked and opened again: nothing left to migrate, the chain still verifies.
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert migrations.schema_version(session.conn) == migrations.CURRENT_VERSION
        assert session.verify_audit().ok
        assert database.check_integrity(session.conn) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_an_upgraded_vault_finds_its_people_as_duplicates(version: int,
                                                          caseapp_home: Path) -> None:
    """Every case of an older vault is filed for the duplicate lookup (migration 12, which
    refiles what 10 filed without the father's key): the same person registered again, by
    the Urdu name alone or by the CNIC alone, finds it."""
    install(version, caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        for number, (_name, urdu, _stage, cnic) in EXPECTED[version].items():
            again = duplicates.find_candidates(session, person={"hfz_NameUrdu": urdu})
            assert number in [c.candidate_number for c in again], (number, urdu)
            document = {"type": "CNIC", "number": cnic, "country": "PK"}
            again = duplicates.find_candidates(session, person={
                "prs_FirstName": "Someone", "hfz_IdentityDocuments": [document]})
            assert number in [c.candidate_number for c in again], (number, cnic)


def test_a_v2_vault_keeps_search_consent_and_referrals(caseapp_home: Path) -> None:
    """Version 2 was the first with a search index, consent and referrals; all survive."""
    install(2, caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        by_number = {c.case_number: c.id for c in cases.list(limit=100).cases}
        nasreen = by_number["2026-7C23-00001"]
        assert [c.id for c in cases.search("نسرین")] == [nasreen]
        assert [c.id for c in cases.search("61101-3333333-4")] == [nasreen]
        assert by_number["2026-7C23-00002"] in [c.id for c in cases.search("Tariq Mehmood")]
        state = ConsentService(session).current(nasreen)
        assert state[consent.INTERVIEW]["permitted"]
        assert state[consent.REFERRAL]["permitted"]
        [referral] = ReferralService(session).list_for_case(nasreen)
        assert (referral["hfz_OrganisationName"], referral["hfz_Status"]) == (
            "Synthetic Shelter Lahore", "sent")
        assert ReferralService(session).list_for_case(by_number["2026-7C23-00003"]) == []


def test_a_v1_vault_is_searchable_after_the_upgrade(caseapp_home: Path) -> None:
    """A v1 vault had no search rows; the upgrade rebuilds every record's projections."""
    install(1, caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        by_number = {c.case_number: c.id for c in cases.list(limit=100).cases}
        for query, number in (("زینب", "2024-D001-00001"), ("Imran Khokhar", "2024-D001-00002"),
                              ("34101-2222222-3", "2024-D001-00002"),
                              ("2024-D001-1", "2024-D001-00001")):
            assert [c.id for c in cases.search(query)] == [by_number[number]], query


def test_a_v3_vault_keeps_its_change_log_and_conflicts(caseapp_home: Path) -> None:
    """Version 3 was the first with the change log: history, set fields and a conflict on
    the trafficking status all survive the upgrade."""
    install(3, caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        by_number = {c.case_number: c.id for c in cases.list(limit=100).cases}
        farah, sajid = by_number["2026-7ACF6222-00001"], by_number["2026-7ACF6222-00002"]
        person = cases.show(farah)["person_id"]
        renames = [h["fields"] for h in session.store.history(person)]
        assert len(renames) == 2 and renames[1] == {"prs_SecondName": "Nazir"}
        assert cases.show(sajid)["hfz_Aliases"] == ["Saji", "Bhola"]
        [conflict] = session.store.conflicts(sajid)
        assert (conflict["field"], conflict["value_a"], conflict["value_b"]) == (
            "vic_TraffickingStatus", "ActualVictimOfTrafficking", "NotAVictimOfTrafficking")
        assert cases.show(sajid)["vic_TraffickingStatus"] == "NotAVictimOfTrafficking"
        assert [c.id for c in cases.search("Bhola")] == [sajid]


def test_a_v5_vault_keeps_the_desktops_draft_and_preference(caseapp_home: Path) -> None:
    """Version 5 was the first with drafts: what a lock saved is there after the upgrade."""
    from caseapp.services.drafts import DraftService

    install(5, caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        drafts = DraftService(session)
        [(key, draft)] = drafts.load_all().items()
        assert key.startswith("case:") and key.endswith(":notes")
        assert draft == {"text": "half a note"}
        assert drafts.preference("case-list") == '{"sort_column": 1, "sort_order": 0}'
        cases = CaseService(session)
        nargis = cases.resolve("2026-BCF128C3-00001")
        assert [a["filename"] for a in cases.attachments(nargis)] == ["scan.txt"]
        assert cases.attachment_content(cases.attachments(nargis)[0]["id"]) == b"not a real scan"


def _raw(folder: Path) -> tuple[dict[str, dict[str, str]], list[tuple[object, ...]]]:
    """The field clocks of every record and the change log, read with SQL straight from the
    vault file: before schema 8 both are plain JSON and text."""
    conn = _raw_connection(folder)
    try:
        clocks = {r[0]: json.loads(r[1]) for r in conn.execute("SELECT id, clocks FROM records")}
        log = conn.execute("SELECT change_id, record_id, record_type, parent, team, kind, "
                           "fields, seen, hlc, device, device_seq FROM changes "
                           "ORDER BY seq").fetchall()
        return clocks, log
    finally:
        conn.close()


def test_a_v7_vault_keeps_every_clock_and_change_when_packed(caseapp_home: Path) -> None:
    """Schema 8 packs field clocks and the change log's ids (issue 12). What the records and
    the log mean must not change by a byte: every record's clocks, every logged change, read
    back through the store, equal what the v7 file held in plain text."""
    folder = install(7, caseapp_home)
    clocks_before, log_before = _raw(folder)
    assert any("/" in name for c in clocks_before.values() for name in c)  # set elements too
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        store = session.store
        assert {rid: store.get(rid, include_deleted=True).clocks  # type: ignore[union-attr]
                for rid in clocks_before} == clocks_before
        log_after = [(c.change_id, c.record_id, c.record_type, c.parent, c.team, c.kind,
                      c.fields, c.seen, c.hlc, c.device, c.device_seq)
                     for rid in dict.fromkeys(r[1] for r in log_before)
                     for c in changelog.of_record(session.conn, str(rid))]
        expected = [(*row[:6], json.loads(str(row[6])), json.loads(str(row[7])), *row[8:])
                    for row in log_before]
        assert sorted(log_after, key=str) == sorted(expected, key=str)
        # The outbox still reads in text, as the sync pushes it.
        assert {r[0] for r in session.conn.execute("SELECT change_id FROM outbox")} == \
            {r[0] for r in log_before}
        # And the packed form is smaller: no clock of a record written once is stored.
        packed = dict(session.conn.execute("SELECT id, length(clocks) FROM records"))
        assert sum(packed[r] for r in clocks_before) < \
            sum(len(json.dumps(c)) for c in clocks_before.values()) / 3
        # An edit after the upgrade logs over the packed clocks like any other.
        cases = CaseService(session)
        rubina = cases.resolve("2026-460C8842-00001")
        shown = cases.show(rubina)
        cases.update(rubina, {"hfz_FatherName": "Allah Ditta"}, seen=shown["clocks"])
        assert cases.show(rubina)["hfz_FatherName"] == "Allah Ditta"
        assert cases.show(rubina)["hfz_Aliases"] == ["Rubi", "Bina"]


# The route events the v8 fixture's builder gave each case (make_vault_fixture.V8_EVENTS).
V8_EVENTS = {
    "2026-EDAF8F8A-00001": [
        {"hte_Type": "Recruitment", "hte_City": "Kasur", "hte_Country": "PK"},
        {"hte_Type": "Exploitation", "hte_City": "Dubai", "hte_Country": "AE"}],
    "2026-EDAF8F8A-00002": [
        {"hte_Type": "Transit", "hte_City": "Quetta", "hte_Country": "PK"}],
}


def _raw_connection(folder: Path) -> database.Connection:
    """The fixture's database opened with its key, below every service (nothing migrated)."""
    _slot, [key] = KeyslotFile.load(folder / "keyslots.json").unlock(
        PASSPHRASE_SLOT, passphrase_policy.normalise(PASSPHRASE).encode())
    return database.open_database(folder / "vault.db", key)


def _case_rows(folder: Path) -> list[tuple[object, ...]]:
    conn = _raw_connection(folder)
    try:
        return conn.execute("SELECT id, body, clocks, hlc FROM records WHERE type = 'case' "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_v8_vault_folds_route_events_into_their_case(caseapp_home: Path,
                                                       tmp_path: Path) -> None:
    """Schema 9 keeps a case's historic trafficking events in the case (issue 12): every
    event is still shown, in its order, none is left as a record of its own, their logged
    changes stay as history, and two devices folding the same vault write the same bytes."""
    folder = install(8, caseapp_home)
    second = tmp_path / "second-device"
    shutil.copytree(folder, second)
    _clocks, log_before = _raw(folder)
    event_changes = {r[0] for r in log_before if r[2] == "trafficking_event"}
    assert len(event_changes) == 3
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        for number, events in V8_EVENTS.items():
            assert cases.show(cases.resolve(number))["hte_Events"] == events
        assert session.conn.execute("SELECT count(*) FROM records WHERE type = "
                                    "'trafficking_event'").fetchone() == (0,)
        assert session.store.count("trafficking_event") == 0
        assert {r[0] for r in session.conn.execute(
            "SELECT change_id FROM changes WHERE record_type = 'trafficking_event'")} == \
            event_changes
        # A new event joins them; the same event again is not added twice.
        sadia = cases.resolve("2026-EDAF8F8A-00001")
        route = {"hte_Type": "Transit", "hte_City": "Muscat", "hte_Country": "OM"}
        cases.update(sadia, {"hte_Events": [route]})
        cases.update(sadia, {"hte_Events": [route]})
        assert cases.show(sadia)["hte_Events"] == [*V8_EVENTS["2026-EDAF8F8A-00001"], route]
    # Two devices, the same migration alone (no unlock: the unlock writes audit events).
    first = tmp_path / "first-device"
    shutil.copytree(VAULTS / "v8", first)
    for folder in (first, second):
        conn = _raw_connection(folder)
        try:
            migrations.migrate(conn)
        finally:
            conn.close()
    assert _case_rows(first) == _case_rows(second)


def test_an_upgrade_reports_how_far_it_has_come(caseapp_home: Path) -> None:
    """A v7 vault goes through the steps that rewrite or read every record (8: packing,
    9: route events, 11: packing the audit, 12: filing people for the duplicate lookup),
    the first half of the upgrade, then its file is rewritten in the current page format,
    the second half: the share reported only grows and ends at the whole; a current vault
    reports nothing."""
    install(7, caseapp_home)
    shares: list[float] = []
    profiles.unlock(PROFILE, PASSPHRASE, upgrading=shares.append).close()
    assert shares and shares == sorted(shares)
    steps = [v for v in range(8, migrations.CURRENT_VERSION + 1)
             if callable(migrations.MIGRATIONS[v - 1])]
    assert len(steps) >= 3
    assert shares[0] <= 1 / len(steps) / 2 < shares[-1] == 1.0
    for done in range(1, len(steps) + 1):  # each step done, the last at half the whole
        assert any(share == pytest.approx(done / len(steps) / 2) for share in shares), shares
    again: list[float] = []
    profiles.unlock(PROFILE, PASSPHRASE, upgrading=again.append).close()
    assert again == []


def test_the_command_line_tells_how_far_the_upgrade_has_come(
        caseapp_home: Path, tmp_path: Path, run: Callable[..., tuple[int, str, str]]) -> None:
    install(8, caseapp_home)
    secret = tmp_path / "secret"
    secret.write_text(PASSPHRASE + "\n")
    code, out, err = run("case", "list", "--profile", PROFILE, "--passphrase-file", secret)
    assert code == 0 and "Sadia Parveen" in out
    assert err.splitlines()[0] == "Upgrading the profile's case file for this version: 0% done."
    assert err.splitlines()[-1] == \
        "Upgrading the profile's case file for this version: 100% done."
    code, out, err = run("case", "list", "--profile", PROFILE, "--passphrase-file", secret)
    assert code == 0 and "Upgrading" not in err


def test_a_v10_vault_keeps_its_audit_events_when_packed(caseapp_home: Path) -> None:
    """Migration 11 stores the audit's hashes and signatures as bytes and its field names
    deflated: every event reads back as the v10 file held it in hex and JSON, the chain
    and its signatures still verify, and the vault takes less room for them."""
    folder = install(10, caseapp_home)
    conn = _raw_connection(folder)
    try:
        before = conn.execute("SELECT seq, at, actor, action, record_id, fields, hash "
                              "FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()
    assert len(before) > 10 and all(isinstance(r[6], str) and len(r[6]) == 64 for r in before)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert session.verify_audit().ok
        events = {e["seq"]: e for e in session.audit.events(limit=10_000)}
        for seq, at, actor, action, record_id, fields, _hash in before:
            assert events[seq] == {"seq": seq, "at": at, "actor": actor, "action": action,
                                   "record": record_id, "fields": json.loads(fields)}
        packed = session.conn.execute(
            "SELECT hash, sig, fields FROM audit WHERE seq <= ?", (before[-1][0],)).fetchall()
        assert [bytes(r[0]).hex() for r in packed] == [r[6] for r in before]
        assert all(isinstance(r[1], bytes) and len(r[1]) == 64 for r in packed)
        case_created = [r[2] for r, b in zip(packed, before, strict=True)
                        if b[3] == "case_created"]
        assert case_created and all(isinstance(f, bytes) for f in case_created)
