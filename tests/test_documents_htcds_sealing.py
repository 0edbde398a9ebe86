"""HTCDS exports hold every name and identity number, so they leave encrypted (issue 11):
sealed with age, or an XLSX with Office agile encryption (AES-256) under a one-time
passphrase; a plain file only when ``--unencrypted`` is asked for, which the audit records."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import msoffcrypto
import olefile
import openpyxl
import pytest
from conftest import PASSPHRASE, CliProfile, Run, agree
from documents_setup import CNIC, GIVEN, age_key, consented_referral

from caseapp.domain import consent
from caseapp.errors import ValidationError
from caseapp.services import exchange, profiles
from caseapp.services.protection import Protection
from caseapp.services.session import Session
from caseapp.store.audit import stored_fields


def test_xlsx_is_agile_aes256_and_opens_only_with_its_passphrase(manager: Session,
                                                                 tmp_path: Path) -> None:
    # An identified export carries only people who agreed to the processing (issue 8).
    agree(manager, consented_referral(manager).case_id, consent.ASSISTANCE_PROCESSING)
    out = tmp_path / "cases.xlsx"
    report = exchange.export_htcds(manager, out, "xlsx", "transfer to IOM",
                                   protection=Protection.passphrase())
    assert report.passphrase
    data = out.read_bytes()
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE container, not a zip
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        info = ole.openstream("EncryptionInfo").read()
    assert info[:4] == b"\x04\x00\x04\x00"  # version 4.4: agile encryption (MS-OFFCRYPTO)
    xml = info[8:].decode("utf-8")
    assert re.search(r'<keyData[^>]*cipherAlgorithm="AES"', xml)
    assert re.search(r'<keyData[^>]*keyBits="256"', xml)
    assert GIVEN.encode() not in data and CNIC.encode() not in data
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=report.passphrase)
    plain = io.BytesIO()
    office.decrypt(plain)
    sheet = openpyxl.load_workbook(plain).active
    assert GIVEN in [c.value for row in sheet.iter_rows() for c in row]
    wrong = msoffcrypto.OfficeFile(io.BytesIO(data))
    wrong.load_key(password="river-lamp-seven-orchard")
    with pytest.raises(Exception):  # noqa: B017 (msoffcrypto's own error type)
        wrong.decrypt(io.BytesIO())


def test_csv_sealed_with_age_opens_with_the_identity(manager: Session, tmp_path: Path) -> None:
    agree(manager, consented_referral(manager).case_id, consent.ASSISTANCE_PROCESSING)
    key = age_key(tmp_path)
    out = tmp_path / "cases.csv.age"
    exchange.export_htcds(manager, out, "csv", "transfer to IOM",
                          protection=Protection.age(key.recipient))
    opened = subprocess.run(["age", "-d", "-i", str(key.identity_file), str(out)],
                            check=True, capture_output=True).stdout.decode("utf-8")
    assert GIVEN in opened
    assert GIVEN.encode() not in out.read_bytes()


def test_a_csv_cannot_take_a_passphrase(manager: Session, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot carry a passphrase"):
        exchange.export_htcds(manager, tmp_path / "c.csv", "csv", "transfer",
                              protection=Protection.passphrase())
    assert not (tmp_path / "c.csv").exists()


def test_the_command_needs_a_choice_and_audits_a_plain_file(run: Run, cli_profile: CliProfile,
                                                            tmp_path: Path) -> None:
    me = cli_profile("manager", "maryam")
    out = tmp_path / "cases.csv"
    code, _out, err = run("export", "htcds", *me, "--format", "csv", "--out", out,
                          "--purpose", "transfer")
    assert code != 0 and "--unencrypted" in err and not out.exists()
    code, _out, err = run("export", "htcds", *me, "--format", "csv", "--password", "--out", out,
                          "--purpose", "transfer")
    assert code != 0 and "--format xlsx" in err and not out.exists()
    code, _out, err = run("export", "htcds", *me, "--format", "csv", "--unencrypted",
                          "--out", out, "--purpose", "transfer")
    assert code == 0 and "not encrypted" in err
    with profiles.unlock("maryam", PASSPHRASE) as session:
        rows = session.conn.execute("SELECT action, fields FROM audit ORDER BY seq").fetchall()
    started = [stored_fields(f) for a, f in rows if a == "htcds_export_started"]
    assert started and "protection:plain" in started[-1]
    xlsx = tmp_path / "cases.xlsx"
    code, stdout, err = run("export", "htcds", *me, "--format", "xlsx", "--password",
                            "--out", xlsx, "--purpose", "transfer")
    assert code == 0, err
    assert stdout.strip().splitlines()[-1].startswith("passphrase: ")
