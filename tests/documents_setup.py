"""Shared setup of the document tests: a case with a consented referral, and age keys made
with the standard ``age-keygen`` tool."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from caseapp.domain import consent
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.directory import DirectoryService
from caseapp.services.referrals import ReferralService
from caseapp.services.session import Session

# Invented names and numbers: unique on any disk, so a hit in a scan is a leak.
GIVEN = "Canaryxq"
FAMILY = "Zulfiqarvv"
URDU_NAME = "کینری ناصر"
CNIC = "35202-9876543-1"
DETAILS = "needs a safe place tonight near Qwertzkiln"


@dataclass(frozen=True)
class AgeKey:
    identity_file: Path
    recipient: str


def age_key(folder: Path, name: str = "recipient") -> AgeKey:
    path = folder / f"{name}.agekey"
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    public = next(line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
                  if line.startswith("# public key:"))
    return AgeKey(path, public)


@dataclass(frozen=True)
class Referral:
    case_id: str
    org_id: str
    referral_id: str


def consented_referral(session: Session, *, consent_given: bool = True) -> Referral:
    case_id = CaseService(session).create({
        "prs_FirstName": GIVEN, "prs_SecondName": FAMILY, "hfz_NameUrdu": URDU_NAME,
        "prs_Gender": "Feminine", "prs_Birthdate": "1995-02-01", "prs_Citizenship": ["PK"],
        "hfz_IdentityDocuments": [{"type": "CNIC", "number": CNIC, "country": "PK"}],
        "vic_TypeOfExploitation": ["ForcedLabour"], "hfz_Tracks": ["TIP"]}).id
    assert case_id is not None
    org_id = DirectoryService(session).add({
        "org_Name": "Dar-ul-Aman Lahore", "org_Type": "LocalGovernmentOrganisation",
        "hfz_Services": ["shelter"]}).id
    assert org_id is not None
    if consent_given:
        ConsentService(session).record(case_id, consent.REFERRAL, True, language="urd",
                                       explanation_version="rights-2026-1",
                                       providers=[org_id])
    referral_id = ReferralService(session).create_draft(
        case_id, org_id, ["shelter", "legal_aid"], "urgent", "AdditionalServicesRequired",
        DETAILS).id
    assert referral_id is not None
    return Referral(case_id, org_id, referral_id)
