"""SECURITY.md item 10, no plaintext at rest on the client: canaries seeded through create,
edit, note, attachment, search, show, demo data, key rotation and a passphrase change never
appear in any file of the profile folder (WAL and SHM included), in temp files made during the
test, or in captured logs and output — in UTF-8, UTF-16-LE, or as bare CNIC digits.

The test owns its temporary folder: TMPDIR and ``tempfile.tempdir`` point at a folder under
``tmp_path``, and only that folder and the profile folder are scanned, so files of other runs
on the machine can neither hide a leak nor fake one. Needles are whole distinctive strings (a
full name, an invented given name, a CNIC, a sentence of testimony), never common words that
an unrelated file or folder name could contain.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from caseapp.cli.main import main
from caseapp.crypto import kdf
from caseapp.errors import WrongPassphrase
from caseapp.services import demo, profiles
from caseapp.services.cases import CaseService

PASSPHRASE = "river lamp seven orchard"
NEW_PASSPHRASE = "copper kettle winter meadow"

# Invented words ("Canaryxq", "Qwertzkiln") make even the short canaries unique on any disk.
CANARIES = {
    "urdu name": "کینری ناصر",
    "latin name": "Canaryxq Zulfiqar",
    "given name": "Canaryxq",
    "cnic": "35202-9876543-1",
    "testimony": "they locked us in the Qwertzkiln every night",
    "place": "Qwertzkiln",
    "attachment": "ATTACHCANARY-5c1e0a9d",
}
# A different set, written in plain text on purpose to prove the scanner finds what it seeks.
CONTROLS = {
    "urdu name": "کنٹرول پرندہ",
    "latin name": "Controlzq Feathers",
    "given name": "Controlzq",
    "cnic": "61101-1112223-5",
    "testimony": "the Plovrkiln control phrase",
    "place": "Plovrkiln",
    "attachment": "CONTROLBLOB-0e9a77c1",
}


def needles(canaries: dict[str, str]) -> dict[str, bytes]:
    """Every byte form a canary could take on disk: as written, lower-cased (the search index
    folds case), a CNIC's bare digits; each in UTF-8 and UTF-16-LE (SQLite's encodings)."""
    forms: dict[str, str] = {}
    for label, text in canaries.items():
        forms[label] = text
        forms[f"{label} (lower case)"] = text.lower()
        if label == "cnic":
            forms[f"{label} digits"] = "".join(ch for ch in text if ch.isdigit())
    out: dict[str, bytes] = {}
    for label, text in forms.items():
        out[f"{label} / utf-8"] = text.encode("utf-8")
        out[f"{label} / utf-16-le"] = text.encode("utf-16-le")
    return out


def scan_bytes(data: bytes, where: str, patterns: dict[str, bytes]) -> list[str]:
    return [f"{where}: {label}" for label, pattern in patterns.items() if pattern in data]


def scan_files(paths: Iterable[Path], patterns: dict[str, bytes]) -> list[str]:
    hits: list[str] = []
    for path in paths:
        hits += scan_bytes(str(path).encode("utf-8"), f"name of {path}", patterns)
        try:
            data = path.read_bytes()
        except OSError:
            continue  # gone while scanning (a WAL checkpointed away)
        hits += scan_bytes(data, str(path), patterns)
    return hits


def files_under(root: Path) -> list[Path]:
    """Files and folders: a folder named after a person is a leak too (its name is scanned)."""
    return sorted(p for p in root.rglob("*") if not p.is_symlink())


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own temporary folder, used by ``tempfile`` and by libraries reading TMPDIR.
    (SQLite reads TMPDIR once per process; the vault keeps temp_store in memory anyway.)"""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert tempfile.gettempdir() == str(folder)
    return folder


def exercise(home: Path, tmp_path: Path, scan_open: list[str]) -> None:
    """Everything a user does with a case, with canaries in every kind of field."""
    patterns = needles(CANARIES)
    first, last = CANARIES["latin name"].split()
    with pytest.raises(WrongPassphrase):  # leaves an unlock-state file to scan
        profiles.unlock("field", "not the passphrase at all")
    with profiles.unlock("field", PASSPHRASE) as session:
        service = CaseService(session)
        case_id = service.create({
            "prs_FirstName": first, "prs_SecondName": last,
            "hfz_NameUrdu": CANARIES["urdu name"], "hfz_Aliases": [first],
            "prs_IdentityNumber": CANARIES["cnic"], "prs_Gender": "Masculine",
            "hfz_FatherNameUrdu": CANARIES["urdu name"],
            "hte_Events": [{"hte_Type": "Exploitation", "hte_City": "Kasur",
                            "hte_Description": CANARIES["testimony"]}],
        }).id
        service.update(case_id, {"hfz_Summary": CANARIES["testimony"],
                                 "hfz_FatherName": CANARIES["latin name"]})
        service.add_note(case_id, f"{CANARIES['testimony']}, said {CANARIES['latin name']}.")
        blob = (b"%PDF-1.7\n" + CANARIES["attachment"].encode() + b"\n" +
                CANARIES["latin name"].encode("utf-16-le") + os.urandom(2000))
        service.add_attachment(case_id, "statement.pdf", blob, "application/pdf")
        for query in (first, CANARIES["urdu name"], CANARIES["cnic"],
                      CANARIES["cnic"].replace("-", ""), CANARIES["latin name"].lower()):
            assert case_id in [hit.id for hit in service.search(query)], query
        shown = service.show(case_id)
        assert shown["hfz_NameUrdu"] == CANARIES["urdu name"]
        demo.fill(session, 40)
        service.list(limit=100)
        # While the vault is open, its WAL holds the newest pages: scan them too.
        wal = Path(f"{session.paths.database}-wal")
        assert wal.exists() and wal.stat().st_size > 0
        scan_open += scan_files(files_under(home), patterns)

    assert main(["audit", "verify", "--profile", "field", "--passphrase-file",
                 str(write(tmp_path / "pass.txt", PASSPHRASE))]) == 0
    assert main(["profile", "change-passphrase", "--profile", "field", "--passphrase-file",
                 str(tmp_path / "pass.txt"), "--new-passphrase-file",
                 str(write(tmp_path / "new.txt", NEW_PASSPHRASE))]) == 0
    assert main(["profile", "rotate-key", "--profile", "field", "--passphrase-file",
                 str(tmp_path / "new.txt")]) == 0
    assert main(["demo", "--profile", "field", "--passphrase-file", str(tmp_path / "new.txt"),
                 "--cases", "10"]) == 0
    with profiles.unlock("field", NEW_PASSPHRASE) as session:
        service = CaseService(session)
        [hit] = service.search(CANARIES["cnic"])
        service.update(hit.id, {"prs_MiddleName": CANARIES["urdu name"].split()[0]})
        assert service.show(hit.id)["prs_FirstName"] == first  # still readable
        scan_open += scan_files(files_under(home), patterns)


def write(path: Path, text: str) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_no_canary_at_rest(caseapp_home: Path, tmp_path: Path, private_tmp: Path,
                           capfd: pytest.CaptureFixture[str],
                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    profiles.create_profile("field", PASSPHRASE, params=kdf.FLOOR)
    hits_while_open: list[str] = []
    exercise(caseapp_home, tmp_path, hits_while_open)

    patterns = needles(CANARIES)
    profile_files = [p for p in files_under(caseapp_home) if p.is_file()]
    names = {p.name for p in profile_files}
    assert {"vault.db", "keyslots.json", "audit-head.json", "unlock-state.json"} <= names
    hits = list(hits_while_open)
    hits += scan_files(files_under(caseapp_home), patterns)
    hits += scan_files(files_under(private_tmp), patterns)
    out, err = capfd.readouterr()
    hits += scan_bytes(out.encode(), "stdout", patterns)
    hits += scan_bytes(err.encode(), "stderr", patterns)
    hits += scan_bytes(caplog.text.encode(), "logs", patterns)
    hits += scan_bytes(repr([r.__dict__ for r in caplog.records]).encode(), "log records",
                       patterns)
    assert hits == []
    assert "synthetic cases added" in out  # the output was really captured

    # The same scan finds a canary that does reach the private temp folder in plain text.
    with tempfile.NamedTemporaryFile(prefix="leak-", delete=False) as f:
        f.write(f"note: {CANARIES['testimony']}".encode("utf-16-le"))
    assert Path(f.name).parent == private_tmp
    assert scan_files(files_under(private_tmp), patterns) == [
        f"{f.name}: testimony / utf-16-le", f"{f.name}: place / utf-16-le"]


def test_the_scanner_finds_canaries_in_a_plain_database(tmp_path: Path) -> None:
    """The scan can fail: the control canaries stored by plain SQLite are all found, in both
    text encodings SQLite uses, and a clean file gives no hit."""
    patterns = needles(CONTROLS)
    for encoding, suffix in (("UTF-8", "utf-8"), ("UTF-16le", "utf-16-le")):
        path = tmp_path / f"plain-{suffix}.db"
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA encoding = '{encoding}'")
        conn.execute("CREATE TABLE people (name TEXT, urdu TEXT, cnic TEXT, digits TEXT, "
                     "note TEXT, blob BLOB)")
        conn.execute("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", (
            CONTROLS["latin name"], CONTROLS["urdu name"], CONTROLS["cnic"],
            CONTROLS["cnic"].replace("-", ""), CONTROLS["testimony"],
            CONTROLS["attachment"].encode()))
        conn.commit()
        conn.close()
        hits = scan_files([path], patterns)
        for label in set(CONTROLS) - {"attachment"}:  # text columns
            assert f"{path}: {label} / {suffix}" in hits, (label, suffix)
        assert f"{path}: cnic digits / {suffix}" in hits
        assert f"{path}: attachment / utf-8" in hits  # a blob is stored as its bytes
    clean = tmp_path / "clean.bin"
    clean.write_bytes(os.urandom(100_000))
    assert scan_files([clean], patterns) == []
    assert scan_files([clean], needles(CANARIES)) == []
    # A file or folder named after a person is a leak too.
    named = tmp_path / "names" / CONTROLS["given name"] / f"{CONTROLS['latin name']}.txt"
    named.parent.mkdir(parents=True)
    named.write_bytes(b"")
    assert scan_files(files_under(named.parent.parent), patterns) == [
        f"name of {named.parent}: given name / utf-8",
        f"name of {named}: latin name / utf-8", f"name of {named}: given name / utf-8"]


def test_common_words_are_not_leaks(tmp_path: Path) -> None:
    """Words of a canary that any file may hold (a folder another run left named "locked")
    are not hits; only the whole distinctive strings are."""
    other = tmp_path / "locked"
    other.mkdir()
    (other / "every night.txt").write_text("Zulfiqar locked the door every night, 35202")
    assert scan_files(files_under(tmp_path), needles(CANARIES)) == []
