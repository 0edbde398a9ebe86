"""Make a committed vault fixture: a whole profile folder written by the code of one schema
version, for tests/test_vault_upgrade.py to unlock and upgrade with today's code.

    .venv/bin/python scripts/make_vault_fixture.py 1   # writes tests/data/vaults/v1/
    .venv/bin/python scripts/make_vault_fixture.py 2   # writes tests/data/vaults/v2/
    .venv/bin/python scripts/make_vault_fixture.py 3   # writes tests/data/vaults/v3/
    .venv/bin/python scripts/make_vault_fixture.py 4   # … and so on for each version

Each version's code is checked out at a pinned commit into a temporary ``git worktree`` and
this script runs again inside it (``--inside``) with that checkout first on the import path,
so the vault is exactly what a user of that version had. The profile is named ``fixture``,
its passphrase is PASSPHRASE below, the KDF runs at the floor parameters (fast to unlock) and
every person is synthetic. Fixtures, once committed, are never regenerated: a new schema
version gets a new fixture (add its commit and builder here).

Version 1: no commit ever held migration 1 alone (migration 2 landed in the same first
commit, and was changed before any release). The v1 vault is written by the code just before
the case service existed (COMMITS[1]) with its migration list cut to migration 1. That code
had no case service either, so its cases are written through its record store and audit log,
in the shape the first case service (cfa1da8) reads: a person, a case with its number, stage
and label, a note, and the audit events.

Version 2: the code at COMMITS[2], through its public services: three cases with names in
both scripts and CNICs, notes, consent, a referral sent to a directory organisation, a stage
move and a few seeded demo cases.

Version 3 (the change log): the code at COMMITS[3], through its public services: two cases
with aliases and a CNIC each, a rename (two logged changes on one person), a note, consent,
and a conflict on the trafficking status (an edit made over a value its editor never saw).

Versions 4 (counts per type), 5 (the desktop's drafts, list indexes), 6 (the owner index) and
7 (sync tables; the last with clocks and change-log ids in full text): two cases each, an edit,
a note and an attachment; versions 5 to 7 also a draft and a list preference.

Version 8 (packing; the last with historic trafficking events as records of their own): as
version 7, and route events: two on the first case when it is created, one added to the
second by an edit.

Version 9 (route events in the case, deflated bodies; the last without the duplicate lookup's
filing of people), 10 (the last with audit events in hex and JSON), 11 (the last whose
filing has no father's key), 12 (the last with a descending list index, its pages
signed with HMAC-SHA512), 13 (the last without a bulk load's pending filing) and 14 (the last
whose search index merged its segments inside saves): as version 8, with other people.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMITS = {
    1: "1b43667712d3ba32f55f963e73245e21ddec7ec8",  # last commit before the case service
    2: "0b4187ca515e792372942d5bb69146018a941051",  # last commit with two migrations
    3: "f44c39a3d2b97f2c9191f5e1d8eafa1d05848eec",  # last commit with three migrations
    4: "22ddb460cbf68442a6d2dc786e7f3b86c78a6f1b",  # last with four migrations (counts per type)
    5: "d43fd3897b2da8ebf822959f5807386b78621050",  # last commit with five (drafts, list indexes)
    6: "e6200901a179ce1d90970c74ba6753190ae81e25",  # last with six (owner index), before sync
    7: "d814754af7f04ff0cb2b101d9c5bf2ab655ea52b",  # last with seven (sync), before packing
    8: "62697b8bfd2911fe115c5c19cd82c0b0bdf02029",  # last with eight (packing), events as records
    9: "972578885713b2e4af4b1ea501e9a9998ad31db5",  # last with nine: no filing for the lookup
    10: "208643ef626fed1bd9d3a6dc097d3f4a676c5792",  # last with ten: audit events in hex and JSON
    11: "c7c7e616038bc78c68647ca0811dcb1d4ad91114",  # last with eleven: filing without fathers
    12: "467701402490f700234434c9f8e56c1567077dd1",  # last with twelve: pages HMAC-SHA512
    13: "e67e7555bbfbe6ea11c5394e50a19b945ac0ed2c",  # last with thirteen: no pending filing
    14: "c9f57046b2c8ee0a5e069f3e192043d99295f244",  # last with fourteen: FTS5 automerge
}
PROFILE = "fixture"
PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (documented test passphrase)

# Synthetic people: (first, second, Urdu name, CNIC, case number (v1 only), stage, note).
V1_CASES = [
    ("Zainab", "Bibi", "زینب بی بی", "35202-1111111-2", "2024-D001-00001", "intake",
     "Met at the shelter on the first evening."),
    ("Imran", "Khokhar", "عمران کھوکھر", "34101-2222222-3", "2024-D001-00002", "screening",
     "Brick kiln near Kasur; brother also there."),
]
V2_CASES = [
    ("Nasreen", "Akhtar", "نسرین اختر", "61101-3333333-4", "Female",
     "Arrived with two children; asked for a female officer."),
    ("Tariq", "Mehmood", "طارق محمود", "42201-4444444-5", "Male",
     "Passport kept by the agent in Muscat."),
    ("Shabana", "Parveen", "شبانہ پروین", "17301-5555555-6", "Female",
     "Wants to call her mother in Mardan."),
]


def _build_v1() -> None:
    from caseapp.crypto import kdf
    from caseapp.services import profiles
    from caseapp.store import migrations

    # A schema-1 program: only migration 1, which is also what migrate() defaults to.
    del migrations.MIGRATIONS[1:]
    migrations.CURRENT_VERSION = 1
    migrations.migrate.__defaults__ = (1,)
    profiles.create_profile(PROFILE, PASSPHRASE, params=kdf.FLOOR)
    with profiles.unlock(PROFILE, PASSPHRASE) as session, session.write() as conn:
        store, team = session.store, session.team_id
        for first, second, urdu, cnic, number, stage, note in V1_CASES:
            person_body = {"prs_FirstName": first, "prs_SecondName": second,
                           "hfz_NameUrdu": urdu, "hfz_IdentityDocuments": [
                               {"type": "CNIC", "number": cnic, "country": "PK"}]}
            label = f"{first} {second}"
            person = store.put("person", person_body, team=team, label=label)
            case_body = {"hfz_CaseNumber": number, "hfz_Stage": stage,
                         "hfz_Tracks": ["TIP"], "vic_TypeOfExploitation": ["ForcedLabour"]}
            case = store.put("case", case_body, team=team, parent=person.record.id,
                             label=label, status=stage)
            store.put("note", {"cco_CaseComment": note}, team=team, parent=case.record.id)
            session.audit.append(session.user_id, "case_created", case.record.id,
                                 [*person_body, *case_body])
            session.audit.append(session.user_id, "note_added", case.record.id,
                                 ["cco_CaseComment"])
        conn.execute("INSERT INTO meta (key, value) VALUES ('case_counter', ?)",
                     (str(len(V1_CASES)),))
        assert migrations.schema_version(conn) == 1


def _build_v2() -> None:
    from caseapp.crypto import kdf
    from caseapp.domain import consent
    from caseapp.services import demo, profiles
    from caseapp.services.cases import CaseService
    from caseapp.services.consent import ConsentService
    from caseapp.services.directory import DirectoryService
    from caseapp.services.referrals import ReferralService

    profiles.create_profile(PROFILE, PASSPHRASE, params=kdf.FLOOR)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        ids = []
        for first, second, urdu, cnic, gender, note in V2_CASES:
            case_id = cases.create({
                "prs_FirstName": first, "prs_SecondName": second, "hfz_NameUrdu": urdu,
                "prs_Gender": "Feminine" if gender == "Female" else "Masculine",
                "hfz_IdentityDocuments": [{"type": "CNIC", "number": cnic, "country": "PK"}],
                "vic_TypeOfExploitation": ["ForcedLabour"], "hfz_Tracks": ["TIP"]})
            cases.add_note(case_id, note)
            ids.append(case_id)
        consents = ConsentService(session)
        consents.record(ids[0], consent.INTERVIEW, True, language="urd",
                        explanation_version="consent-text-1.0")
        shelter = DirectoryService(session).add({
            "org_Name": "Synthetic Shelter Lahore", "org_Type": "LocalGovernmentOrganisation",
            "hfz_Services": ["shelter"]})
        consents.record(ids[0], consent.REFERRAL, True, language="urd",
                        explanation_version="consent-text-1.0", providers=[shelter])
        referrals = ReferralService(session)
        referral = referrals.create_draft(ids[0], shelter, ["shelter"])
        referrals.send(referral)
        cases.move(ids[1], "screening")
        demo.fill(session, 4, seed=6)


V3_CASES = [
    ("Farah", "Naz", "فرح ناز", "35201-6666666-7", ["Fari"]),
    ("Sajid", "Ali", "ساجد علی", "37405-7777777-8", ["Saji", "Bhola"]),
]


def _build_v3() -> None:
    from caseapp.crypto import kdf
    from caseapp.domain import consent
    from caseapp.services import profiles
    from caseapp.services.cases import CaseService
    from caseapp.services.consent import ConsentService

    profiles.create_profile(PROFILE, PASSPHRASE, params=kdf.FLOOR)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        ids = []
        for first, second, urdu, cnic, aliases in V3_CASES:
            ids.append(cases.create({
                "prs_FirstName": first, "prs_SecondName": second, "hfz_NameUrdu": urdu,
                "hfz_Aliases": aliases,
                "hfz_IdentityDocuments": [{"type": "CNIC", "number": cnic, "country": "PK"}],
                "vic_TraffickingStatus": "PossibleVictimOfTrafficking"}).id)
        cases.update(ids[0], {"prs_SecondName": "Nazir"})
        cases.add_note(ids[0], "Asked for a lawyer who speaks Punjabi.")
        ConsentService(session).record(ids[0], consent.INTERVIEW, True, language="urd",
                                       explanation_version="consent-text-1.0")
        opened = cases.show(ids[1])["clocks"]     # a form opened here …
        cases.update(ids[1], {"vic_TraffickingStatus": "ActualVictimOfTrafficking"})
        cases.update(ids[1], {"vic_TraffickingStatus": "NotAVictimOfTrafficking"},
                     seen=opened)                 # … and saved after another edit
        for case_id in ids:
            print(cases.show(case_id)["hfz_CaseNumber"])


V4_CASES = [
    ("Kulsoom", "Bibi", "کلثوم بی بی", "36302-8888888-9", ["Kulsi"]),
    ("Wajid", "Hussain", "واجد حسین", "38403-9999999-1", []),
]


def _build_v4(extra: bool = False,
              people: list[tuple[str, str, str, str, list[str]]] | None = None,
              events: bool = False) -> None:
    """Two cases through the services of that version, a rename, a note and an attachment;
    with ``extra`` (version 5) also a draft and a list preference of the desktop."""
    from caseapp.crypto import kdf
    from caseapp.services import profiles
    from caseapp.services.cases import CaseService

    profiles.create_profile(PROFILE, PASSPHRASE, params=kdf.FLOOR)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        cases = CaseService(session)
        ids = [cases.create({
            "prs_FirstName": first, "prs_SecondName": second, "hfz_NameUrdu": urdu,
            "hfz_Aliases": aliases,
            "hfz_IdentityDocuments": [{"type": "CNIC", "number": cnic, "country": "PK"}],
            **({"hte_Events": V8_EVENTS[:2]} if events and i == 0 else {})}).id
            for i, (first, second, urdu, cnic, aliases) in
            enumerate(people or (V5_CASES if extra else V4_CASES))]
        cases.update(ids[1], {"hfz_FatherName": "Ghulam Nabi"})
        if events:
            cases.update(ids[1], {"hte_Events": V8_EVENTS[2:]})
        cases.add_note(ids[0], "Needs a female interpreter for Saraiki.")
        cases.add_attachment(ids[0], "scan.txt", b"not a real scan", "text/plain")
        if extra:
            from caseapp.services.drafts import DraftService

            drafts = DraftService(session)
            drafts.save_all({f"case:{ids[0]}:notes": {"text": "half a note"}})
            drafts.set_preference("case-list", '{"sort_column": 1, "sort_order": 0}')
        for case_id in ids:
            print(cases.show(case_id)["hfz_CaseNumber"])


V5_CASES = [
    ("Nargis", "Jan", "نرگس جان", "15601-1212121-2", ["Nargo"]),
    ("Bilal", "Afridi", "بلال آفریدی", "21103-3434343-4", []),
]


V6_CASES = [
    ("Shazia", "Perveen", "شازیہ پروین", "35401-5656565-6", ["Shazi"]),
    ("Naveed", "Akhtar", "نوید اختر", "42101-7878787-8", []),
]

V7_CASES = [
    ("Rubina", "Kausar", "روبینہ کوثر", "37201-2323232-3", ["Rubi", "Bina"]),
    ("Asif", "Marwat", "آصف مروت", "11201-4545454-5", []),
]

V8_CASES = [
    ("Sadia", "Parveen", "سعدیہ پروین", "34101-6767676-8", ["Sadi"]),
    ("Kamran", "Yousafzai", "کامران یوسفزئی", "17301-8989898-9", []),
]
V9_CASES = [
    ("Tahira", "Bibi", "طاہرہ بی بی", "36302-1111111-2", ["Tahiri"]),
    ("Zubair", "Khattak", "زبیر خٹک", "14301-2222222-3", []),
]
V10_CASES = [
    ("Mehwish", "Hayat", "مہوش حیات", "35102-3131313-4", ["Mehwi"]),
    ("Sher", "Zaman", "شیر زمان", "15302-4141414-5", []),
]
V11_CASES = [
    ("Parveen", "Akhtar", "پروین اختر", "33202-5151515-6", ["Pino"]),
    ("Ghulam", "Rasool", "غلام رسول", "54401-6161616-7", []),
]
V12_CASES = [
    ("Rukhsana", "Kausar", "رخسانہ کوثر", "37405-7171717-8", ["Rukhi"]),
    ("Nadeem", "Abbas", "ندیم عباس", "42101-8181818-9", []),
]
V13_CASES = [
    ("Shagufta", "Naz", "شگفتہ ناز", "35202-9191919-0", ["Shagi"]),
    ("Irfan", "Mengal", "عرفان مینگل", "54400-2727272-1", []),
]
V14_CASES = [
    ("Zarmina", "Achakzai", "زرمینہ اچکزئی", "54401-3838383-2", ["Zari"]),
    ("Waqas", "Bhatti", "وقاص بھٹی", "35401-4949494-3", []),
]
V8_EVENTS = [
    {"hte_Type": "Recruitment", "hte_City": "Kasur", "hte_Country": "PK"},
    {"hte_Type": "Exploitation", "hte_City": "Dubai", "hte_Country": "AE"},
    {"hte_Type": "Transit", "hte_City": "Quetta", "hte_Country": "PK"},
]


def _inside(version: int, checkout: Path) -> None:
    import caseapp

    # The pinned checkout, not this one or an editable install, must be what runs.
    assert Path(caseapp.__file__).resolve().is_relative_to(checkout.resolve()), caseapp.__file__
    {1: _build_v1, 2: _build_v2, 3: _build_v3, 4: _build_v4,
     5: lambda: _build_v4(extra=True),
     6: lambda: _build_v4(extra=True, people=V6_CASES),
     7: lambda: _build_v4(extra=True, people=V7_CASES),
     8: lambda: _build_v4(extra=True, people=V8_CASES, events=True),
     9: lambda: _build_v4(extra=True, people=V9_CASES, events=True),
     10: lambda: _build_v4(extra=True, people=V10_CASES, events=True),
     11: lambda: _build_v4(extra=True, people=V11_CASES, events=True),
     12: lambda: _build_v4(extra=True, people=V12_CASES, events=True),
     13: lambda: _build_v4(extra=True, people=V13_CASES, events=True),
     14: lambda: _build_v4(extra=True, people=V14_CASES, events=True)}[version]()


def _make(version: int, out: Path) -> None:
    if out.exists():
        raise SystemExit(f"{out} exists: fixtures are made once; remove it to remake")
    with tempfile.TemporaryDirectory(prefix="vault-fixture-") as tmp:
        checkout, home = Path(tmp) / "code", Path(tmp) / "home"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(checkout),
                        COMMITS[version]], check=True)
        try:
            env = {**os.environ, "PYTHONPATH": str(checkout), "CASEAPP_HOME": str(home)}
            subprocess.run([sys.executable, __file__, str(version), "--inside", str(checkout)],
                           env=env, check=True, cwd=tmp)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(checkout)], check=True)
        folder = home / "profiles" / PROFILE
        leftovers = sorted(p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm")))
        assert not leftovers, f"the vault was not closed cleanly: {leftovers}"
        shutil.copytree(folder, out)
    for path in sorted(out.iterdir()):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", type=int, choices=sorted(COMMITS))
    parser.add_argument("--out", type=Path, help="default: tests/data/vaults/v<version>")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        _inside(args.version, args.inside)
    else:
        _make(args.version, args.out or ROOT / "tests" / "data" / "vaults" / f"v{args.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
