"""SECURITY item 10 for documents (issue 11): after every kind of document and HTCDS export
— passphrase PDF, age-sealed PDF, case summary, referral package, encrypted XLSX, age CSV —
no canary is anywhere on disk: not in the profile folder, the temporary folder, the home
folder (where Qt could cache), nor in the exported files themselves, which are encrypted.

The canaries are searched in every form a document could hold them: UTF-8, UTF-16 (both byte
orders) and hexadecimal UTF-16; a PDF's streams are compressed, so each PDF must also be
encrypted. A control decrypts the outputs in memory and finds the canaries there, so the
scan is looking at files that do hold them."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

import msoffcrypto
import pytest
from conftest import agree
from documents_setup import CNIC, FAMILY, GIVEN, URDU_NAME, age_key, consented_referral

from caseapp.domain import consent
from caseapp.services import documents, exchange, referral_packages
from caseapp.services.protection import Protection
from caseapp.services.session import Session

CANARIES = {"given name": GIVEN, "family name": FAMILY, "urdu name": URDU_NAME,
            "cnic": CNIC}


def needles() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for label, text in CANARIES.items():
        out[f"{label} / utf-8"] = text.encode("utf-8")
        out[f"{label} / utf-16-le"] = text.encode("utf-16-le")
        out[f"{label} / utf-16-be"] = text.encode("utf-16-be")
        out[f"{label} / text layer hex"] = text.encode("utf-16-be").hex().upper().encode()
    return out


def hits_in(data: bytes, where: str) -> list[str]:
    return [f"{where}: {label}" for label, pattern in needles().items() if pattern in data]


def scan(roots: list[Path]) -> list[str]:
    found: list[str] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            found += hits_in(str(path).encode(), f"name of {path}")
            if path.is_file() and not path.is_symlink():
                found += hits_in(path.read_bytes(), str(path))
    return found


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """This test's own temporary and home folders (Qt and libraries write below them)."""
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp, home


def test_no_canary_on_disk_after_every_document_export(
        manager: Session, tmp_path: Path, caseapp_home: Path,
        private_dirs: tuple[Path, Path]) -> None:
    tmp, home = private_dirs
    out = tmp_path / "out"
    out.mkdir()
    keys = tmp_path / "keys"
    keys.mkdir()
    key = age_key(keys)
    ref = consented_referral(manager)
    # The HTCDS export below carries only people who agreed to the processing (issue 8).
    agree(manager, ref.case_id, consent.ASSISTANCE_PROCESSING)
    every = ["person", "identity", "details"]
    pdf = documents.export_referral(manager, ref.referral_id, out / "referral.pdf", "shelter",
                                    Protection.passphrase(), sections=every)
    documents.export_referral(manager, ref.referral_id, out / "referral.pdf.age", "shelter",
                              Protection.age(key.recipient), sections=every)
    summary = documents.export_summary(manager, ref.case_id, ref.org_id, out / "summary.pdf",
                                       "transfer", Protection.passphrase())
    referral_packages.export_package(manager, ref.referral_id, out / "package.age", "shelter",
                                     key.recipient, sections=every)
    xlsx = exchange.export_htcds(manager, out / "cases.xlsx", "xlsx", "transfer",
                                 protection=Protection.passphrase())
    exchange.export_htcds(manager, out / "cases.csv.age", "csv", "transfer",
                          protection=Protection.age(key.recipient))

    assert scan([caseapp_home, tmp, home, out]) == []
    # A plain PDF's text is compressed, so bytes cannot show it: each PDF must be encrypted.
    for path in (out / "referral.pdf", out / "summary.pdf"):
        assert subprocess.run(["qpdf", "--is-encrypted", str(path)]).returncode == 0

    # Control: the same needles are in what the outputs hold, once decrypted in memory.
    for path, passphrase in ((out / "referral.pdf", pdf.passphrase),
                             (out / "summary.pdf", summary.passphrase)):
        qdf = subprocess.run(["qpdf", "--decrypt", f"--password={passphrase}", "--qdf",
                              "--normalize-content=n", "--object-streams=disable",
                              str(path), "-"], check=True, capture_output=True).stdout
        layer = "".join(chr(int(code, 16))
                        for code in re.findall(rb"<([0-9A-F]{4})> Tj", qdf))
        assert GIVEN in layer and CNIC in layer
    for name in ("referral.pdf.age", "package.age", "cases.csv.age"):
        opened = subprocess.run(["age", "-d", "-i", str(key.identity_file), str(out / name)],
                                check=True, capture_output=True).stdout
        assert opened.startswith(b"%PDF") or hits_in(opened, name)
    office = msoffcrypto.OfficeFile(io.BytesIO((out / "cases.xlsx").read_bytes()))
    office.load_key(password=xlsx.passphrase)
    plain = io.BytesIO()
    office.decrypt(plain)
    assert plain.getvalue().startswith(b"PK")  # the workbook, its cells deflated inside
