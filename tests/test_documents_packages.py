"""Referral packages (issue 11): the PDF and the referral's HTCDS data, signed by the
sending device and sealed to the recipient with age. The receiving office imports it only
if the age decryption, the signature and the PDF's hash hold and the signing key is one its
directory knows; then a new case with an incoming referral exists, once."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from conftest import OpenProfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from documents_setup import CNIC, GIVEN, URDU_NAME, AgeKey, age_key, consented_referral
from pdf_tools import pdf_text

from caseapp.canonical import canonical_json
from caseapp.documents import sealing
from caseapp.services import package_signing, referral_packages
from caseapp.services.cases import CaseService
from caseapp.services.directory import DirectoryService
from caseapp.services.referral_packages import PackageRefused
from caseapp.services.referrals import ReferralService
from caseapp.services.session import Session


def sender_and_receiver(open_profile: OpenProfile, tmp_path: Path
                        ) -> tuple[Session, Session, AgeKey, Path]:
    """A sending office with a consented referral exported as a package, and a receiving
    office that knows the sender's package key; returns (sender, receiver, key, package)."""
    sender = open_profile("caseworker", "sender")
    receiver = open_profile("manager", "receiver")  # storing a partner's key is a manager's
    key = age_key(tmp_path, "receiver")
    ref = consented_referral(sender)
    package = tmp_path / "referral.hfz.age"
    referral_packages.export_package(sender, ref.referral_id, package, "shelter placement",
                                     key.recipient, sections=["person", "identity"])
    public, _fingerprint = referral_packages.own_signing_key(sender)
    org_id = DirectoryService(receiver).add({"org_Name": "Sender Shelter Lahore", "org_Type": "NGO",
                                             "hfz_Services": ["law_enforcement"]}).id
    assert org_id is not None
    DirectoryService(receiver).set_keys(org_id, signing_key=public)
    return sender, receiver, key, package


def identity(key: AgeKey) -> str:
    return key.identity_file.read_text()


def test_the_standard_age_tool_opens_a_package(open_profile: OpenProfile,
                                               tmp_path: Path) -> None:
    _sender, _receiver, key, package = sender_and_receiver(open_profile, tmp_path)
    opened = subprocess.run(["age", "-d", "-i", str(key.identity_file), str(package)],
                            check=True, capture_output=True).stdout
    content = json.loads(opened)
    assert content["manifest"]["case"]["prs_FirstName"] == GIVEN
    assert content["manifest"]["case"]["hfz_IdentityDocuments"][0]["number"] == CNIC
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(base64.b64decode(content["pdf"]))
    assert GIVEN in pdf_text(pdf)


def test_import_creates_a_case_with_an_incoming_referral(open_profile: OpenProfile,
                                                         tmp_path: Path) -> None:
    sender, receiver, key, package = sender_and_receiver(open_profile, tmp_path)
    done = referral_packages.import_package(receiver, package, identity(key))
    assert done.organisation == "Sender Shelter Lahore"  # from our directory, not the package
    assert done.fingerprint == referral_packages.own_signing_key(sender)[1]
    case = CaseService(receiver).show(done.case_id)
    assert case["prs_FirstName"] == GIVEN and case["hfz_NameUrdu"] == URDU_NAME
    referral = ReferralService(receiver).get(done.referral_id)
    assert referral["hfz_Direction"] == "incoming"
    assert referral["hfz_Services"] == ["shelter", "legal_aid"]
    assert referral["hfz_Urgency"] == "urgent"
    assert referral["hfz_OrganisationName"] == "Sender Shelter Lahore"
    # The same package a second time is refused.
    with pytest.raises(PackageRefused, match="imported before"):
        referral_packages.import_package(receiver, package, identity(key))


def test_the_wrong_identity_opens_nothing(open_profile: OpenProfile, tmp_path: Path) -> None:
    _sender, receiver, _key, package = sender_and_receiver(open_profile, tmp_path)
    other = age_key(tmp_path, "other")
    with pytest.raises(sealing.SealingError):
        referral_packages.import_package(receiver, package, identity(other))


def test_a_changed_byte_is_refused(open_profile: OpenProfile, tmp_path: Path) -> None:
    _sender, receiver, key, package = sender_and_receiver(open_profile, tmp_path)
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0x01
    package.write_bytes(bytes(data))
    with pytest.raises(sealing.SealingError):
        referral_packages.import_package(receiver, package, identity(key))
    assert CaseService(receiver).list().cases == []


def _reseal(package: Path, key: AgeKey, change: dict[str, object], *,
            resign_with: Ed25519PrivateKey | None = None) -> None:
    """Open the package, change its manifest, optionally sign it again with another key,
    and seal it to the same recipient: what anyone with the recipient's public key can do."""
    content = json.loads(sealing.open_age(package.read_bytes(),
                                          sealing.read_age_identity(identity(key))))
    content["manifest"]["case"].update(change)
    if resign_with is not None:
        content["signature"] = {
            "public_key": package_signing.public_key_hex(resign_with),
            "value": package_signing.sign(resign_with, canonical_json(content["manifest"]))}
    package.write_bytes(sealing.seal_age(canonical_json(content), key.recipient))


def test_a_changed_manifest_is_refused(open_profile: OpenProfile, tmp_path: Path) -> None:
    _sender, receiver, key, package = sender_and_receiver(open_profile, tmp_path)
    _reseal(package, key, {"prs_FirstName": "Someone else"})
    with pytest.raises(PackageRefused, match="signature does not match"):
        referral_packages.import_package(receiver, package, identity(key))
    assert CaseService(receiver).list().cases == []


def test_a_package_signed_again_by_another_key_is_refused(open_profile: OpenProfile,
                                                         tmp_path: Path) -> None:
    _sender, receiver, key, package = sender_and_receiver(open_profile, tmp_path)
    _reseal(package, key, {"prs_FirstName": "Someone else"},
            resign_with=Ed25519PrivateKey.generate())
    with pytest.raises(PackageRefused, match="not in your service directory"):
        referral_packages.import_package(receiver, package, identity(key))
    assert CaseService(receiver).list().cases == []


def test_storing_a_partners_key_is_a_managers_job(caseworker: Session) -> None:
    from caseapp.errors import PermissionDenied

    org_id = DirectoryService(caseworker).add({"org_Name": "AGHS Lahore", "org_Type": "NGO",
                                               "hfz_Services": ["legal_aid"]}).id
    with pytest.raises(PermissionDenied):
        DirectoryService(caseworker).set_keys(org_id or "", signing_key="ab" * 32)
