"""Documents leaving the machine (issue 11): each is encrypted before it reaches the disk,
opens with the standard tools (qpdf, pdftotext, age) only with the right passphrase or key,
holds only the sections the sender chose, needs the person's consent for that recipient and
a purpose, and is audited without values."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from documents_setup import (
    CNIC,
    DETAILS,
    FAMILY,
    GIVEN,
    URDU_NAME,
    age_key,
    consented_referral,
)
from pdf_tools import letters, pdf_text, says_in_order

from caseapp.errors import PermissionDenied, ValidationError
from caseapp.services import documents
from caseapp.services.consent import ConsentRequired
from caseapp.services.directory import DirectoryService
from caseapp.services.protection import Protection
from caseapp.services.session import Session
from caseapp.store.audit import stored_fields


def decrypt_pdf(path: Path, passphrase: str, out: Path) -> Path:
    subprocess.run(["qpdf", "--decrypt", f"--password={passphrase}", str(path), str(out)],
                   check=True, capture_output=True)
    return out


def audit_events(session: Session) -> list[tuple[str, list[str]]]:
    rows = session.conn.execute("SELECT action, fields FROM audit ORDER BY seq").fetchall()
    return [(str(a), stored_fields(f) if f else []) for a, f in rows]


def test_passphrase_pdf_is_aes256_r6_and_opens_only_with_it(manager: Session,
                                                          tmp_path: Path) -> None:
    ref = consented_referral(manager)
    out = tmp_path / "referral.pdf"
    done = documents.export_referral(manager, ref.referral_id, out, "shelter placement",
                                     Protection.passphrase())
    assert done.passphrase and len(done.passphrase.split("-")) == 8
    shown = subprocess.run(["qpdf", "--show-encryption", f"--password={done.passphrase}",
                            str(out)], check=True, capture_output=True, text=True).stdout
    assert "R = 6" in shown
    assert "AESv3" in shown  # qpdf's name for AES-256
    # Without the passphrase, or with a wrong one, nothing opens.
    for wrong in ([], ["-upw", "river-lamp-seven"]):
        failed = subprocess.run(["pdftotext", *wrong, str(out), "-"], capture_output=True)
        assert failed.returncode != 0
    text = pdf_text(decrypt_pdf(out, done.passphrase, tmp_path / "plain.pdf"))
    assert GIVEN in text and FAMILY in text
    assert letters(URDU_NAME) in letters(text)
    assert done.export_id in text  # footer


def test_age_sealed_form_opens_with_the_recipients_identity_only(manager: Session,
                                                               tmp_path: Path) -> None:
    ref = consented_referral(manager)
    key, other = age_key(tmp_path, "shelter"), age_key(tmp_path, "someone-else")
    out = tmp_path / "referral.pdf.age"
    documents.export_referral(manager, ref.referral_id, out, "shelter placement",
                              Protection.age(key.recipient))
    assert out.read_bytes().startswith(b"age-encryption.org/v1")
    opened = tmp_path / "opened.pdf"
    subprocess.run(["age", "-d", "-i", str(key.identity_file), "-o", str(opened), str(out)],
                   check=True, capture_output=True)
    assert GIVEN in pdf_text(opened)
    wrong = subprocess.run(["age", "-d", "-i", str(other.identity_file), str(out)],
                           capture_output=True)
    assert wrong.returncode != 0 and not wrong.stdout


def test_only_the_chosen_sections_leave(manager: Session, tmp_path: Path) -> None:
    ref = consented_referral(manager)
    minimal = documents.export_referral(manager, ref.referral_id, tmp_path / "a.pdf",
                                        "shelter", Protection.passphrase())
    text = pdf_text(decrypt_pdf(tmp_path / "a.pdf", minimal.passphrase or "",
                                tmp_path / "a-plain.pdf"))
    assert GIVEN in text
    assert CNIC not in text and "Qwertzkiln" not in text and "Forced Labour" not in text
    fuller = documents.export_referral(manager, ref.referral_id, tmp_path / "b.pdf", "shelter",
                                       Protection.passphrase(),
                                       sections=["person", "identity", "details"])
    text = pdf_text(decrypt_pdf(tmp_path / "b.pdf", fuller.passphrase or "",
                                tmp_path / "b-plain.pdf"))
    assert CNIC in text and "Qwertzkiln" in letters(text)


def test_the_form_states_consent_urgency_services_and_contact(manager: Session,
                                                             tmp_path: Path) -> None:
    ref = consented_referral(manager)
    done = documents.export_referral(manager, ref.referral_id, tmp_path / "r.pdf", "shelter",
                                     Protection.passphrase())
    text = pdf_text(decrypt_pdf(tmp_path / "r.pdf", done.passphrase or "", tmp_path / "p.pdf"))
    assert says_in_order("The person consented to this referral to Dar-ul-Aman Lahore", text)
    assert says_in_order("Urgency Urgent (within days)", text)
    assert says_in_order("Services requested Shelter (longer stay), Legal aid", text)
    assert says_in_order(f"Contact person {manager.user.get('name')}", text)


def test_no_consent_for_this_recipient_refuses_and_writes_nothing(manager: Session,
                                                                 tmp_path: Path) -> None:
    ref = consented_referral(manager, consent_given=False)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "referral.pdf"
    with pytest.raises(ConsentRequired):
        documents.export_referral(manager, ref.referral_id, out, "shelter",
                                  Protection.passphrase())
    assert list((tmp_path / "out").iterdir()) == []
    assert not [a for a, _f in audit_events(manager) if a.startswith("referral_form_export")]


def test_a_referral_form_never_leaves_plain_and_needs_a_purpose(manager: Session,
                                                               tmp_path: Path) -> None:
    ref = consented_referral(manager)
    out = tmp_path / "referral.pdf"
    with pytest.raises(ValidationError):
        documents.export_referral(manager, ref.referral_id, out, "shelter", Protection.plain())
    with pytest.raises(ValidationError):
        documents.export_referral(manager, ref.referral_id, out, "   ",
                                  Protection.passphrase())
    assert not out.exists()


def test_a_key_that_is_not_the_recipients_is_refused(manager: Session, tmp_path: Path) -> None:
    ref = consented_referral(manager)
    stored, typo = age_key(tmp_path, "stored"), age_key(tmp_path, "typo")
    DirectoryService(manager).set_keys(ref.org_id, age_recipient=stored.recipient)
    out = tmp_path / "referral.age"
    with pytest.raises(ValidationError, match="not the key"):
        documents.export_referral(manager, ref.referral_id, out, "shelter",
                                  Protection.age(typo.recipient))
    assert not out.exists()
    documents.export_referral(manager, ref.referral_id, out, "shelter",
                              Protection.age(stored.recipient))
    assert out.exists()


def test_a_malformed_age_key_names_the_option() -> None:
    with pytest.raises(ValidationError) as caught:
        Protection.age("age1notakey")
    assert "--age-recipient" in caught.value.user_message()


def test_export_is_audited_started_then_exported_without_values(manager: Session,
                                                               tmp_path: Path) -> None:
    ref = consented_referral(manager)
    documents.export_referral(manager, ref.referral_id, tmp_path / "r.pdf", "shelter",
                              Protection.passphrase(), sections=["person", "details"])
    events = [(a, f) for a, f in audit_events(manager) if a.startswith("referral_form_")]
    assert [a for a, _f in events] == ["referral_form_export_started", "referral_form_exported"]
    fields = events[0][1]
    assert "protection:passphrase" in fields and "prs_FirstName" in fields
    assert "hfz_IdentityDocuments" not in fields  # not chosen
    dumped = json.dumps(events, ensure_ascii=False)
    for value in (GIVEN, FAMILY, URDU_NAME, CNIC, DETAILS):
        assert value not in dumped


def test_case_summary_is_for_managers_and_sealed(caseworker: Session, manager: Session,
                                                 tmp_path: Path) -> None:
    ref = consented_referral(caseworker)
    with pytest.raises(PermissionDenied):
        documents.export_summary(caseworker, ref.case_id, ref.org_id, tmp_path / "s.pdf",
                                 "transfer", Protection.passphrase())
    ref = consented_referral(manager)
    done = documents.export_summary(manager, ref.case_id, ref.org_id, tmp_path / "s.pdf",
                                    "transfer", Protection.passphrase())
    text = pdf_text(decrypt_pdf(tmp_path / "s.pdf", done.passphrase or "", tmp_path / "p.pdf"))
    assert "Case summary" in text and CNIC in text and GIVEN in text


def test_rights_sheet_and_report_may_leave_plain(caseworker: Session, tmp_path: Path) -> None:
    consented_referral(caseworker)
    sheet = documents.export_rights_sheet(caseworker, "ps", tmp_path / "rights.pdf", "intake")
    assert sheet.protection == "plain" and pdf_text(tmp_path / "rights.pdf").strip()
    today = dt.datetime.now(dt.UTC).date()
    report = documents.export_report(caseworker, today.replace(month=1, day=1), today,
                                     tmp_path / "report.pdf", "quarterly figures",
                                     Protection.plain())
    text = pdf_text(tmp_path / "report.pdf")
    assert report.protection == "plain" and "Statistics report" in text
    assert GIVEN not in text
    with pytest.raises(ValidationError):
        documents.export_rights_sheet(caseworker, "de", tmp_path / "x.pdf", "intake")


def test_report_counts_only_cases_consented_to_research_use(caseworker: Session,
                                                            tmp_path: Path) -> None:
    # Before: the PDF report counted every case, though the published statistics (and
    # RESEARCH §6.2 (e)) count only people who agreed to research use of their data.
    from caseapp.domain import consent
    from caseapp.services.cases import CaseService
    from caseapp.services.consent import ConsentService

    cases, consents = CaseService(caseworker), ConsentService(caseworker)

    def person(name: str, gender: str, types: list[str]) -> str:
        case_id = cases.create({"prs_FirstName": name, "prs_Gender": gender,
                                "prs_Birthdate": "1990-05-01",
                                "vic_TypeOfExploitation": types}).id
        assert case_id is not None
        return case_id

    def decide(case_id: str, purpose: str, granted: bool) -> None:
        consents.record(case_id, purpose, granted, language="urd",
                        explanation_version="rights-2026-1")

    for i in range(12):  # counted: 12 women
        decide(person(f"W{i}", "Feminine", ["ForcedLabour"]), consent.ANONYMISED_RESEARCH,
               True)
    for i in range(11):  # counted: 11 men
        decide(person(f"M{i}", "Masculine", ["ForcedLabour", "ForcedBegging"]),
               consent.ANONYMISED_RESEARCH, True)
    for i in range(3):  # refused: 3 women left out
        decide(person(f"R{i}", "Feminine", ["ForcedLabour"]), consent.ANONYMISED_RESEARCH,
               False)
    for i in range(2):  # granted, then withdrawn: 2 men left out
        case_id = person(f"X{i}", "Masculine", ["ForcedBegging"])
        decide(case_id, consent.ANONYMISED_RESEARCH, True)
        consents.withdraw(case_id, purpose=consent.ANONYMISED_RESEARCH)
    for i in range(2):  # consent to other purposes only: 2 women left out
        decide(person(f"O{i}", "Feminine", ["ForcedLabour"]), consent.ASSISTANCE_PROCESSING,
               True)
    for i in range(4):  # nothing recorded: 4 women left out
        person(f"N{i}", "Feminine", ["ForcedLabour"])
    # By hand: 12 + 11 = 23 counted; 3 + 2 + 2 + 4 = 11 left out (34 cases in all).
    today = dt.datetime.now(dt.UTC).date()
    team = str(caseworker.store.get(caseworker.team_id).body["name"])  # type: ignore[union-attr]
    done = documents.export_report(caseworker, today.replace(day=1), today,
                                   tmp_path / "r.pdf", "monthly figures", Protection.plain(),
                                   team=team)
    rows = [" ".join(line.split()) for line in
            pdf_text(tmp_path / "r.pdf", layout=True).splitlines()]
    assert "Cases in the period: 23" in rows and f"Team: {team}" in rows
    for row in ("Feminine 12", "Masculine 11", "Total 23", "Forced labour 23",
                "Forced begging 11"):
        assert row in rows, row
    assert not any("W0" in row for row in rows)
    flat = " ".join(rows)
    assert "Only cases of people who agreed to the use of non-identifying data for " \
        "research are counted." in flat
    assert done.without_consent == 11
    with pytest.raises(ValidationError, match="--team"):
        documents.export_report(caseworker, today, today, tmp_path / "x.pdf", "figures",
                                Protection.plain(), team="no such team")
