"""The document commands of issue 11, as a user types them: ``caseapp export
referral|summary|rights-sheet|report|package``, ``caseapp import referral`` and
``caseapp directory set-key | signing-key``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import PASSPHRASE, CliProfile, Run
from documents_setup import GIVEN, age_key, consented_referral
from pdf_tools import pdf_text

from caseapp.services import profiles


def prepare(name: str) -> tuple[str, str, str]:
    """(case id, organisation id, referral id) of a consented referral in profile ``name``."""
    with profiles.unlock(name, PASSPHRASE) as session:
        ref = consented_referral(session)
    return ref.case_id, ref.org_id, ref.referral_id


def test_export_referral_with_a_passphrase_prints_it_last(run: Run, cli_profile: CliProfile,
                                                          tmp_path: Path) -> None:
    me = cli_profile("manager", "maryam")
    _case, _org, referral = prepare("maryam")
    out = tmp_path / "referral.pdf"
    code, stdout, stderr = run("export", "referral", referral, *me, "--pdf-passphrase",
                               "--out", out, "--purpose", "shelter placement")
    assert code == 0, stderr
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("passphrase: ")
    passphrase = last.removeprefix("passphrase: ")
    plain = tmp_path / "plain.pdf"
    subprocess.run(["qpdf", "--decrypt", f"--password={passphrase}", str(out), str(plain)],
                   check=True)
    assert GIVEN in pdf_text(plain)


def test_export_referral_needs_a_protection_and_a_purpose(run: Run, cli_profile: CliProfile,
                                                          tmp_path: Path) -> None:
    me = cli_profile("manager", "maryam")
    _case, _org, referral = prepare("maryam")
    out = tmp_path / "referral.pdf"
    code, _out, err = run("export", "referral", referral, *me, "--out", out, "--purpose", "x")
    assert code != 0 and "--age-recipient" in err and not out.exists()
    code, _out, err = run("export", "referral", referral, *me, "--pdf-passphrase", "--out", out)
    assert code != 0 and "--purpose" in err and not out.exists()
    code, _out, err = run("export", "referral", referral, *me, "--age-recipient", "age1bad",
                          "--out", out, "--purpose", "x")
    assert code != 0 and "--age-recipient" in err and not out.exists()


def test_preview_writes_nothing_and_lists_the_chosen_sections(run: Run, tmp_path: Path,
                                                              cli_profile: CliProfile) -> None:
    me = cli_profile("manager", "maryam")
    _case, _org, referral = prepare("maryam")
    code, stdout, _err = run("export", "referral", referral, *me, "--preview",
                             "--sections", "person,identity")
    assert code == 0
    assert f"Given name: {GIVEN}" in stdout and "Identity document: CNIC" in stdout
    assert list(tmp_path.glob("*.pdf")) == []
    code, _out, err = run("export", "referral", referral, *me, "--preview",
                          "--sections", "person,diary")
    assert code != 0 and "--sections" in err and "diary" in err


def test_package_round_trip_through_the_command_line(run: Run, cli_profile: CliProfile,
                                                     tmp_path: Path) -> None:
    sender = cli_profile("caseworker", "sender")
    receiver = cli_profile("manager", "receiver")
    _case, _org, referral = prepare("sender")
    key = age_key(tmp_path)
    code, stdout, err = run("directory", "signing-key", *sender)
    assert code == 0, err
    public = next(ln.split(": ", 1)[1] for ln in stdout.splitlines() if ln.startswith("key: "))
    fingerprint = next(ln.split(": ", 1)[1] for ln in stdout.splitlines()
                       if ln.startswith("fingerprint: "))
    package = tmp_path / "referral.age"
    code, stdout, err = run("export", "package", referral, *sender, "--age-recipient",
                            key.recipient, "--out", package, "--purpose", "shelter")
    assert code == 0, err
    assert fingerprint in stdout
    # Unknown sender: refused, nothing imported.
    code, _out, err = run("import", "referral", package, "--age-identity", key.identity_file,
                          *receiver)
    assert code != 0 and fingerprint in err
    with profiles.unlock("receiver", PASSPHRASE) as session:
        from caseapp.services.directory import DirectoryService
        org = DirectoryService(session).add({"org_Name": "Sender Shelter", "org_Type": "NGO",
                                             "hfz_Services": ["shelter"]}).id
    code, _out, err = run("directory", "set-key", str(org), *receiver, "--signing-key", public,
                          "--age-recipient", key.recipient)
    assert code == 0, err
    code, stdout, err = run("import", "referral", package, "--age-identity", key.identity_file,
                            *receiver)
    assert code == 0, err
    assert "Sender Shelter" in stdout and fingerprint in stdout


def test_rights_sheet_and_report_commands(run: Run, cli_profile: CliProfile,
                                          tmp_path: Path) -> None:
    me = cli_profile("caseworker", "alice")
    prepare("alice")
    sheet = tmp_path / "rights-ur.pdf"
    code, _out, err = run("export", "rights-sheet", *me, "--lang", "ur", "--out", sheet,
                          "--purpose", "intake")
    assert code == 0, err
    assert sheet.read_bytes().startswith(b"%PDF")
    report = tmp_path / "report.pdf"
    code, _out, err = run("export", "report", *me, "--from", "2026-01-01", "--to",
                          "2026-12-31", "--out", report, "--purpose", "quarterly figures")
    assert code == 0, err
    assert "Statistics report" in pdf_text(report)
    # The one case has no consent to research use: left out, and the user is told.
    assert "1 case was left out: no consent to the use of non-identifying data for " \
        "research." in err
    code, _out, err = run("export", "report", *me, "--from", "2026-13-01", "--to",
                          "2026-12-31", "--out", tmp_path / "r2.pdf", "--purpose", "x")
    assert code != 0 and "--from" in err
