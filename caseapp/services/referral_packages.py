"""Referral packages for a recipient outside the system: the referral form (PDF) and the
referral's HTCDS data, signed by the sending device and sealed to the recipient's age key.

Inside the age file is one JSON object: ``manifest`` (origin, export id, the referral, the
case document limited to the chosen sections, the PDF's SHA-256), the PDF (base64) and the
signature of the manifest (``package_signing``). Importing checks, in order: the age
decryption (a changed byte fails it), the signature (a changed manifest), the PDF's hash,
and that the signing key belongs to an organisation in our directory (a package re-signed
by anyone else is refused). Only then is anything written: a new case, an incoming referral
and the PDF as its attachment, in one transaction; a package is imported once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.canonical import canonical_json
from caseapp.crypto.compare import same
from caseapp.documents import forms, sealing
from caseapp.errors import ValidationError
from caseapp.i18n import N_
from caseapp.services import document_values as values
from caseapp.services import package_signing
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired
from caseapp.services.directory import DirectoryService
from caseapp.services.documents import (
    ExportedDocument,
    ReferralDocument,
    check_recipient_key,
    referral_document,
    referral_form,
    require_package_roles,
    sender_of,
)
from caseapp.services.exports import (
    check_destination,
    check_purpose,
    new_export_id,
    require_export,
    run_export,
)
from caseapp.services.protection import Protection
from caseapp.services.referrals import ReferralService
from caseapp.services.session import Session

FORMAT = "hifazat-referral-package"
VERSION = 1
IMPORT_RECORD = "referral_package"  # one per imported package: its export id, once
MAX_PACKAGE_BYTES = 32 * 1024 * 1024
# Fields of the case document that travel: the chosen sections' stored fields.
_TRAVELS = {f for _title, fields in values.SECTIONS.values() for f in fields} - {values.AGE}


class PackageRefused(ValidationError):
    """A package that is not imported; each message says why, and that nothing was."""

    msgid = N_("The file is not a referral package. Nothing was imported.")


NOT_A_PACKAGE = PackageRefused.msgid
BAD_SIGNATURE = N_("The referral package was refused: its signature does not match its "
                   "content, so it was changed after it was signed. Nothing was imported.")
BAD_PDF = N_("The referral package was refused: its referral form does not match the "
             "signed content. Nothing was imported.")
UNKNOWN_KEY = N_("The referral package was refused: it is signed with a key that is not in "
                 "your service directory (fingerprint %(fingerprint)s). Check the "
                 "fingerprint with the sender by phone, then add the key with: caseapp "
                 "directory set-key ORG --signing-key KEY. Nothing was imported.")
ALREADY = N_("The referral package was refused: it was imported before, as case %(case)s. "
             "Nothing was imported.")


@dataclass(frozen=True)
class ImportedReferral:
    case_id: str
    referral_id: str
    organisation: str  # name in our directory of the signing organisation
    sender_team: str
    contact: str
    export_id: str
    sent_on: str
    fingerprint: str


def _travelling_case(doc: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The case document the recipient needs: only the fields of the chosen sections."""
    allowed = {f for f in set(fields) & _TRAVELS if not f.startswith("cas_")}
    return {k: v for k, v in doc.items() if k in allowed}


@dataclass(frozen=True)
class PreparedPackage:
    """Everything a package needs, read from the vault and checked; no referral, file or
    export record written yet.
    ``seal_package`` turns it into the sealed bytes without the vault, so the desktop does
    the slow part (layout, signature, sealing) off the database thread."""

    export_id: str
    path: Path
    purpose: str
    age_recipient: str
    document: ReferralDocument
    manifest: dict[str, Any]  # without the PDF's hash, known once the PDF is laid out
    signing_key: Ed25519PrivateKey
    force: bool = False


def _prepare(session: Session, document: ReferralDocument, export_id: str, path: Path,
             purpose: str, protection: Protection, force: bool) -> PreparedPackage:
    check_recipient_key(document.organisation, protection)
    sender, contact = sender_of(session)
    referral = document.referral
    manifest = {
        "format": FORMAT, "version": VERSION, "export_id": export_id,
        "sent_on": dt.datetime.now(dt.UTC).date().isoformat(),
        "origin": {"team": sender, "contact": contact, "device": session.device_id},
        "recipient": str(document.organisation.get("org_Name") or ""),
        "referral": {k: referral[k] for k in ("hfz_Services", "hfz_Urgency",
                                              "cas_ReasonForOutgoingReferral",
                                              "cas_OutgoingReferralDetails")
                     if referral.get(k) not in (None, "", [])
                     and (k != "cas_OutgoingReferralDetails"
                          or k in document.fields)},
        "case": _travelling_case(document.case_document, document.fields),
    }
    return PreparedPackage(export_id, path, purpose, str(protection.age_recipient),
                           document, manifest, package_signing.signing_key(session), force)


def seal_package(prepared: PreparedPackage) -> bytes:
    """The referral form laid out, the manifest signed, the whole sealed with age: pure
    work on values, no vault (any thread)."""
    pdf_bytes = forms.render(prepared.document.form)
    manifest = {**prepared.manifest, "pdf_sha256": hashlib.sha256(pdf_bytes).hexdigest()}
    key = prepared.signing_key
    package = {"manifest": manifest, "pdf": base64.b64encode(pdf_bytes).decode("ascii"),
               "signature": {"public_key": package_signing.public_key_hex(key),
                             "value": package_signing.sign(key, canonical_json(manifest))}}
    return sealing.seal_age(canonical_json(package), prepared.age_recipient)


def write_package(session: Session, prepared: PreparedPackage, data: bytes,
                  referral_id: str) -> ExportedDocument:
    run_export(session, prepared.path, data, kind="referral_package",
               purpose=prepared.purpose, force=prepared.force, export_id=prepared.export_id,
               referral=referral_id, protection="age",
               fields=[*prepared.document.fields, f"referral:{referral_id}",
                       "protection:age", "signed:package_sign_key"])
    return ExportedDocument(prepared.path, prepared.export_id, "age")


def export_package(session: Session, referral_id: str, path: Path, purpose: str,
                   age_recipient: str, *, sections: list[str] | None = None,
                   force: bool = False) -> ExportedDocument:
    check_destination(path, force)
    require_export(session)
    purpose = check_purpose(purpose)
    protection = Protection.age(age_recipient)
    export_id = new_export_id()
    document = referral_document(session, referral_id, sections, export_id)
    prepared = _prepare(session, document, export_id, path, purpose, protection, force)
    return write_package(session, prepared, seal_package(prepared), referral_id)


# -- a new referral, made and sent as a package (the desktop's "Refer") ----------------------

NO_AGE_KEY = N_("%(org)s has no age key in the service directory, so a package cannot be "
                "sealed to it. A manager stores the key the organisation gave, with: caseapp "
                "directory set-key ORG --age-recipient KEY")


@dataclass(frozen=True)
class NewReferral:
    case_id: str
    org_id: str
    services: tuple[str, ...]
    urgency: str
    details: str | None = None


def prepare_referral(session: Session, new: NewReferral, path: Path, purpose: str, *,
                     sections: list[str] | None = None, force: bool = False
                     ) -> PreparedPackage:
    """Check a referral that is not made yet and prepare its package: the destination,
    the export permission and purpose, the referral itself, every consent sending it needs
    (referral to this provider; sharing with law enforcement for police, FIA or
    immigration), the recipient's age key. Raises before anything of the referral is
    written, so a refused or cancelled referral leaves nothing behind."""
    check_destination(path, force)
    require_export(session)
    purpose = check_purpose(purpose)
    referrals = ReferralService(session)
    body = referrals.draft_body(new.case_id, new.org_id, list(new.services), new.urgency,
                                details=new.details)
    needed = referrals.consents_needed(new.case_id, body)
    for _purpose, decision in needed:
        if not decision.permitted:
            raise ConsentRequired(decision)
    org = DirectoryService(session).get(new.org_id)
    key = str(org.get("hfz_AgeRecipient") or "")
    if not key:
        raise ValidationError(NO_AGE_KEY, org=str(org.get("org_Name") or ""))
    export_id = new_export_id()
    document = referral_form(session, {**body, "case_id": new.case_id}, needed[0][1],
                             sections, export_id)
    return _prepare(session, document, export_id, path, purpose, Protection.age(key), force)


def send_referral(session: Session, new: NewReferral, prepared: PreparedPackage,
                  data: bytes) -> tuple[str, ExportedDocument]:
    """Make the referral, write its sealed package and record it as sent: the package is
    how it reaches the recipient. Returns (referral id, the export)."""
    referrals = ReferralService(session)
    referral_id = referrals.create_draft(new.case_id, new.org_id, list(new.services),
                                         new.urgency, details=new.details).id
    assert referral_id is not None
    done = write_package(session, prepared, data, referral_id)
    referrals.send(referral_id)
    return referral_id, done


def own_signing_key(session: Session) -> tuple[str, str]:
    """(public key, fingerprint) of this device's package key, to give to partners."""
    public = package_signing.public_key_hex(package_signing.signing_key(session))
    return public, package_signing.fingerprint(public)


# -- import ---------------------------------------------------------------------------------

def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_PACKAGE_BYTES:
            raise PackageRefused(NOT_A_PACKAGE)
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(N_("The file cannot be read: %(path)s"), path=str(path)) from exc


def open_package(data: bytes, identity_text: str) -> tuple[dict[str, Any], bytes, str]:
    """(manifest, PDF, signing public key) of a package whose signature and PDF hash hold;
    PackageRefused otherwise. Pure checks: nothing is read from or written to the vault."""
    plain = sealing.open_age(data, sealing.read_age_identity(identity_text))
    try:
        package = json.loads(plain)
        manifest = package["manifest"]
        signature = package["signature"]
        public, value = str(signature["public_key"]), str(signature["value"])
        pdf_bytes = base64.b64decode(package["pdf"], validate=True)
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise PackageRefused(NOT_A_PACKAGE)
        message = canonical_json(manifest)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise PackageRefused(NOT_A_PACKAGE) from exc
    if not package_signing.verify(public, value, message):
        raise PackageRefused(BAD_SIGNATURE)
    if not same(hashlib.sha256(pdf_bytes).hexdigest(), manifest.get("pdf_sha256")):
        raise PackageRefused(BAD_PDF)
    return manifest, pdf_bytes, public


def import_package(session: Session, path: Path, identity_text: str) -> ImportedReferral:
    require_package_roles(session)
    manifest, pdf_bytes, public = open_package(_read(path), identity_text)
    fingerprint = package_signing.fingerprint(public)
    org = DirectoryService(session).by_signing_key(public)
    if org is None:
        raise PackageRefused(UNKNOWN_KEY, fingerprint=fingerprint)
    export_id = str(manifest.get("export_id") or "")
    for record in session.store.list(IMPORT_RECORD, limit=-1):
        if record.body.get("export_id") == export_id:
            raise PackageRefused(ALREADY, case=str(record.body.get("case_id")))
    referral = manifest.get("referral") or {}
    origin = manifest.get("origin") or {}
    case = manifest.get("case") or {}
    # Signed by a partner we know, and still refused whole unless it has a package's shape
    # (a partner's bug or stolen key can sign anything).
    if not all(isinstance(part, dict) for part in (referral, origin, case)) or \
            not isinstance(referral.get("hfz_Services") or [], list):
        raise PackageRefused(NOT_A_PACKAGE)
    cases = CaseService(session)
    with session.write():
        case_id = cases.create(dict(case)).id
        assert case_id is not None
        received = ReferralService(session).receive(
            case_id, str(org["id"]), list(referral.get("hfz_Services") or []),
            reason=str(referral.get("cas_ReasonForOutgoingReferral")
                       or "AdditionalServicesRequired"),
            received_on=dt.datetime.now(dt.UTC).date(),
            details=referral.get("cas_OutgoingReferralDetails"),
            referring_caseworker=str(origin.get("contact") or "") or None,
            urgency=str(referral.get("hfz_Urgency") or "routine"))
        referral_id = received.id
        assert referral_id is not None
        cases.add_attachment(case_id, f"referral-{export_id}.pdf", pdf_bytes,
                             "application/pdf")
        session.store.create(IMPORT_RECORD, {"export_id": export_id, "case_id": case_id,
                                             "organisation": org["id"],
                                             "fingerprint": fingerprint},
                             team=session.team_id)
        session.audit.append(session.user_id, "referral_package_imported", referral_id,
                             [f"organisation:{org['id']}", f"export:{export_id}",
                              *sorted(case)])
    return ImportedReferral(case_id, referral_id, str(org.get("org_Name") or ""),
                            str(origin.get("team") or ""), str(origin.get("contact") or ""),
                            export_id, str(manifest.get("sent_on") or ""), fingerprint)
