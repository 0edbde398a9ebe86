"""Page images of every document for docs/screenshots/ (issue 11), from synthetic people only.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/document_screenshots.py

Builds the documents in memory through the same services and document layer as an export
(a throw-away profile in a temporary folder), and renders each page with poppler's pdftoppm
at a modest resolution so each image stays small. Look at every page after a change.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
DPI = "70"
DOCUMENTS = ("referral-form", "case-summary", "rights-sheet", "statistics-report")
PASSPHRASE = "synthetic screens only, kestrel 4417 pumice"  # noqa: S105 (throw-away profile)


def _png(pdf_bytes: bytes, name: str, work: Path) -> list[Path]:
    pdf = work / f"{name}.pdf"
    pdf.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", DPI, "-png", str(pdf), str(OUT / name)], check=True)
    pdf.unlink()
    return sorted(OUT.glob(f"{name}-*.png"))


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        os.environ["CASEAPP_HOME"] = str(work / "home")
        from caseapp.crypto import kdf
        from caseapp.documents import forms, rights_sheet, statistics_report
        from caseapp.domain import consent
        from caseapp.services import documents, profiles
        from caseapp.services.cases import CaseService
        from caseapp.services.consent import ConsentService
        from caseapp.services.directory import DirectoryService
        from caseapp.services.exports import new_export_id
        from caseapp.services.referrals import ReferralService

        OUT.mkdir(parents=True, exist_ok=True)
        # Only this script's pages: the desktop's screenshots (take_screenshots.py) stay.
        for prefix in DOCUMENTS:
            for old in OUT.glob(f"{prefix}-*.png"):
                old.unlink()
        profiles.create_profile("screens", PASSPHRASE, role="manager", params=kdf.FLOOR)
        made: list[Path] = []
        with profiles.unlock("screens", PASSPHRASE) as session:
            case_id = CaseService(session).create({
                "prs_FirstName": "Nasreen", "prs_SecondName": "Bibi",
                "hfz_NameUrdu": "نسرین بی بی", "prs_Gender": "Feminine",
                "prs_Birthdate": "2001-04-12", "prs_Citizenship": ["PK"],
                "hfz_IdentityDocuments": [{"type": "CNIC", "number": "35202-0000000-0",
                                           "country": "PK"}],
                "vic_TypeOfExploitation": ["ForcedLabour"], "hfz_Tracks": ["TIP"],
                "vic_MethodsOfControl": ["DebtBondage", "WithholdsDocuments"]}).id
            assert case_id is not None
            org = DirectoryService(session).add({
                "org_Name": "Dar-ul-Aman Lahore", "org_Type": "LocalGovernmentOrganisation",
                "hfz_Services": ["shelter"]}).id
            assert org is not None
            ConsentService(session).record(case_id, consent.REFERRAL, True, language="urd",
                                           explanation_version=rights_sheet.VERSION,
                                           providers=[org])
            referral = ReferralService(session).create_draft(
                case_id, org, ["shelter", "legal_aid"], "urgent",
                "AdditionalServicesRequired",
                "Needs a safe place tonight; speaks Punjabi and Urdu.").id
            assert referral is not None
            form = documents.referral_document(session, referral,
                                               ["person", "identity", "details"],
                                               new_export_id()).form
            made += _png(forms.render(form), "referral-form", work)
            summary, _fields = documents.summary_form(
                session, case_id, DirectoryService(session).get(org), new_export_id())
            made += _png(forms.render(summary), "case-summary", work)
        for lang in ("ur", "ps", "fa_AF", "en"):
            made += _png(rights_sheet.render(lang), f"rights-sheet-{lang}", work)
        facts = [statistics_report.CaseFacts(
            dt.date(2026, 1 + i % 6, 1 + i % 27), ("TIP",) if i % 5 else ("SOM",),
            # Seven cases in a small group, to show how a count below 11 is suppressed.
            "TransgenderFeminine" if i % 60 == 0 else ("Feminine", "Masculine", "Feminine")[i % 3],
            ("18--20", "21--23", "24--26", "9--17")[i % 4],
            (("ForcedLabour",), ("SexualExploitation",), ("ForcedLabour", "ForcedBegging"),
             ("ForcedMarriage",))[i % 4]) for i in range(420)]
        for lang in ("ur", "en"):
            request = statistics_report.ReportRequest(
                dt.date(2026, 1, 1), dt.date(2026, 6, 30), "Lahore AHTC", lang,
                dt.date(2026, 7, 1))
            made += _png(statistics_report.render(facts, request), f"statistics-report-{lang}",
                         work)
    for path in made:
        print(f"{path.relative_to(ROOT)}\t{path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
