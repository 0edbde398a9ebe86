"""SECURITY.md item 16 for what arrives from outside: referral packages from partner
organisations, and the pages, envelopes and change payloads a sync server delivers (a seized
server can send anything; a certified device can sign anything). Each either goes in whole
or is refused (or quarantined) with the project's own error: never another exception, never
a hang, never a half-stored record, and the vault stays sound.

The genuine documents the mutations start from are built here by hand, field by field as
the formats say, not by the code under test."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pyrage
import pytest
from conftest import OpenProfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fuzz_helpers import FUZZ, JSON, mutated, no_hang
from hypothesis import event, given
from hypothesis import strategies as st

from caseapp.canonical import canonical_json
from caseapp.documents import sealing
from caseapp.errors import CaseAppError
from caseapp.services import package_signing, referral_packages, sync
from caseapp.services.cases import CaseService
from caseapp.services.directory import DirectoryService
from caseapp.services.session import Session
from caseapp.services.sync_state import SyncState, TeamKey
from caseapp.store import database
from caseapp.sync import certificates, envelope, keys
from caseapp.sync.client import ServerUnreachable
from caseapp.sync.keys import DeviceKeys, OrgKeys, ProtocolError

PDF = b"%PDF-1.4\n% a referral form\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


def vault_is_sound(session: Session) -> None:
    assert session.conn is not None
    assert database.check_integrity(session.conn) == []
    assert session.verify_audit().ok


def counts(session: Session) -> dict[str, int]:
    return {kind: session.store.count(kind)
            for kind in ("case", "person", "referral", "attachment",
                         referral_packages.IMPORT_RECORD)}


# -- referral packages -----------------------------------------------------------------------

@dataclass
class Partner:
    receiver: Session
    identity: pyrage.x25519.Identity
    identity_text: str
    recipient: str
    sign_key: Ed25519PrivateKey
    genuine: bytes = b""  # a package the receiver accepts (made once: its size is fixed)


@pytest.fixture
def partner(open_profile: OpenProfile) -> Partner:
    """A receiving office (a manager may store partners' keys) that knows one partner's
    package signing key, and the age key its packages are sealed to."""
    receiver = open_profile("manager", "receiver")
    identity = pyrage.x25519.Identity.generate()
    sign_key = Ed25519PrivateKey.generate()
    directory = DirectoryService(receiver)
    org_id = directory.add({"org_Name": "Partner Shelter", "org_Type": "NGO",
                            "hfz_Services": ["shelter"]}).id
    assert org_id is not None
    directory.set_keys(org_id, signing_key=sign_key.public_key().public_bytes_raw().hex())
    made = Partner(receiver, identity, f"# fuzz\n{identity}\n", str(identity.to_public()),
                   sign_key)
    made.genuine = package_bytes(made, genuine_manifest())
    return made


def genuine_manifest() -> dict[str, Any]:
    return {"format": "hifazat-referral-package", "version": 1,
            "export_id": "0190f2a4-7c3e-7d11-9a2b-4c5d6e7f8091", "sent_on": "2026-03-01",
            "origin": {"team": "Partner Shelter", "contact": "Desk 2", "device": "d-1"},
            "recipient": "Our office",
            "referral": {"hfz_Services": ["shelter", "legal_aid"], "hfz_Urgency": "urgent",
                         "cas_ReasonForOutgoingReferral": "AdditionalServicesRequired"},
            "case": {"prs_FirstName": "Fuzzia", "prs_Gender": "Feminine",
                     "prs_Birthdate": "1990-01-01", "prs_Citizenship": ["PK"]},
            "pdf_sha256": hashlib.sha256(PDF).hexdigest()}


def package_bytes(partner: Partner, manifest: Any, pdf: bytes = PDF,
                  signature: Any = None) -> bytes:
    try:
        message = canonical_json(manifest)
    except (ValueError, TypeError):  # no sender could sign it: any signature is wrong
        message = b"unsignable"
    package = {"manifest": manifest, "pdf": base64.b64encode(pdf).decode("ascii"),
               "signature": signature or {
                   "public_key": partner.sign_key.public_key().public_bytes_raw().hex(),
                   "value": partner.sign_key.sign(package_signing.CONTEXT + message).hex()}}
    return sealing.seal_age(json.dumps(package).encode("utf-8", "surrogatepass"),
                            partner.recipient)


def test_the_genuine_package_imports(partner: Partner, tmp_path: Any) -> None:
    """The starting point of the mutations is a package the receiver accepts."""
    path = tmp_path / "genuine.hfz.age"
    path.write_bytes(package_bytes(partner, genuine_manifest()))
    imported = referral_packages.import_package(partner.receiver, path, partner.identity_text)
    assert imported.organisation == "Partner Shelter"
    assert counts(partner.receiver)[referral_packages.IMPORT_RECORD] == 1


@FUZZ
@given(data=st.data())
def test_a_damaged_package_is_refused_as_a_package(partner: Partner, data: st.DataObject
                                                   ) -> None:
    """Bytes that are not an age file, age files of anything, and packages whose signature
    was made by another key: refused, with the package error or the sealing error."""
    kind = data.draw(st.sampled_from(["bytes", "sealed json", "sealed mutation", "cut"]))
    whole = partner.genuine
    if kind == "bytes":
        raw = data.draw(st.binary(max_size=800))
    elif kind == "sealed json":
        raw = sealing.seal_age(json.dumps(data.draw(JSON)).encode("utf-8", "surrogatepass"),
                               partner.recipient)
    elif kind == "sealed mutation":
        genuine = json.loads(sealing.open_age(whole, partner.identity))
        changed = data.draw(mutated(genuine))
        raw = sealing.seal_age(json.dumps(changed).encode("utf-8", "surrogatepass"),
                               partner.recipient)
        if changed == genuine:
            return
    else:
        raw = whole[:data.draw(st.integers(0, len(whole) - 1))]
    try:
        with no_hang(5):
            manifest, pdf, _key = referral_packages.open_package(raw, partner.identity_text)
    except CaseAppError as exc:
        assert exc.user_message()
        return
    # Accepted only when what it says is what the partner signed (a change of form, such as
    # the key's hex in capitals, is no change of content).
    assert manifest == genuine_manifest() and pdf == PDF


@FUZZ
@given(data=st.data())
def test_a_signed_package_with_any_content_imports_whole_or_not_at_all(
        partner: Partner, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
        ) -> None:
    """A partner whose key we hold may still send anything (a bug, or a stolen key): each
    signed package either becomes one case with its referral, or is refused with a clear
    error and leaves nothing behind."""
    session = partner.receiver
    manifest = data.draw(mutated(genuine_manifest()))
    if isinstance(manifest, dict) and data.draw(st.booleans()):
        manifest["export_id"] = str(uuid.uuid4())  # not refused merely as a repeat
    path = tmp_path_factory.mktemp("package") / "p.hfz.age"
    path.write_bytes(package_bytes(partner, manifest))
    before = counts(session)
    try:
        with no_hang(10):
            referral_packages.import_package(session, path, partner.identity_text)
    except CaseAppError as exc:
        event(f"refused: {exc.msgid[:40]}")
        assert exc.user_message()
        assert counts(session) == before  # refused whole
    else:
        event("imported")
        after = counts(session)
        assert after["case"] == before["case"] + 1
        assert after[referral_packages.IMPORT_RECORD] == \
            before[referral_packages.IMPORT_RECORD] + 1
    vault_is_sound(session)


# -- sync: what the server delivers ----------------------------------------------------------

class FakeServer:
    """Answers ``pull`` with the pages a test gives (the last one again once they run out);
    a directory refresh fails as an unreachable server would."""

    def __init__(self, pages: list[Any]) -> None:
        self.pages = pages
        self.calls = 0

    def pull(self, after: int, limit: int = 0) -> Any:
        self.calls += 1
        return self.pages[min(self.calls, len(self.pages)) - 1]

    def directory(self) -> Any:
        raise ServerUnreachable()


@dataclass
class Receiving:
    session: Session
    state: SyncState
    author: DeviceKeys
    author_id: str
    team_key: X25519PrivateKey
    escrow: X25519PrivateKey
    seq: int = 0  # the author's device sequence: each new change the next number

    def envelope(self, header: dict[str, Any] | None = None,
                 payload: Any = None) -> dict[str, Any]:
        """A change the certified author signed: the given header fields and payload, or a
        genuine new case's."""
        self.seq += 1

        def fresh() -> dict[str, Any]:
            now = time.time_ns() // 1_000_000
            return {"change_id": str(uuid.uuid4()), "record_id": str(uuid.uuid4()),
                    "record_type": "case", "device_id": self.author_id,
                    "device_seq": self.seq, "hlc": f"{now:013d}.00000.{self.author_id}",
                    "kind": "upsert"}

        base = {**fresh(), **(header or {})}
        body = payload if payload is not None else {
            "fields": {"hfz_Summary": "fuzz case"}, "seen": {}, "parent": None,
            "team": self.session.team_id}
        audience = [envelope.Audience(self.session.team_id, 1, self.team_key.public_key())]
        def seal(head: dict[str, Any], content: Any) -> dict[str, Any]:
            return envelope.seal_change(head, content, keys.new_record_key(), audience,
                                        self.escrow.public_key(), self.author.sign)

        try:
            return seal(base, body)
        except (ValueError, TypeError):  # canonical JSON refuses the payload or the header
            pass
        try:
            return seal(base, {"raw": repr(body)})  # the payload as text, signed
        except (ValueError, TypeError):
            # No signature can cover a header canonical JSON refuses: the genuine header is
            # signed, then the fuzzed one put in its place (the receiver must refuse it).
            sealed = seal(fresh(), body if _canonical(body) else {"raw": repr(body)})
            sealed["header"].update(header or {})
            return sealed


@pytest.fixture
def receiving(open_profile: OpenProfile) -> Receiving:
    """A manager's device enrolled in an organisation, holding its team's key, that knows
    one other device: a caseworker of the same team with an organisation-signed certificate."""
    session = open_profile("manager", "receiving")
    org = OrgKeys.generate()
    author = DeviceKeys(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())
    author_id = str(uuid.uuid4())
    now = time.time_ns() // 1_000_000
    cert = certificates.issue_certificate(
        org.sign, device_id=author_id, user_id=str(uuid.uuid4()), user_name="Field worker",
        role="caseworker", teams=[session.team_id], sign_pub=author.sign_pub,
        kx_pub=author.kx_pub, now_ms=now, serial="1")
    team_key = X25519PrivateKey.generate()
    state = SyncState(url="https://sync.invalid", pin="", cert_pem="",
                      org_fingerprint=org.fingerprint, org_sign_pub=org.sign_pub,
                      escrow_pub=org.escrow_pub, receipt_pub="",
                      kx_key=keys.raw_private(X25519PrivateKey.generate()).hex(),
                      status="approved", role="manager", team_id=session.team_id,
                      directory={author_id: cert})
    state.team_keys[f"{session.team_id}|1"] = TeamKey(
        session.team_id, 1, keys.b64e(keys.raw_public(team_key.public_key())),
        keys.raw_private(team_key).hex())
    return Receiving(session, state, author, author_id, team_key, org.escrow)


def _canonical(value: Any) -> bool:
    try:
        canonical_json(value)
    except (ValueError, TypeError):
        return False
    return True


def page(*envelopes: Any, next_seq: int = 1, more: bool = False) -> dict[str, Any]:
    return {"changes": [{"seq": i + 1, "envelope": e} for i, e in enumerate(envelopes)],
            "next": next_seq, "server_time": time.time_ns() // 1_000_000, "more": more}


def pull(receiving: Receiving, *pages: Any) -> sync.RunReport:
    report = sync.RunReport()
    with no_hang(10):
        sync.pull(receiving.session, receiving.state, FakeServer(list(pages)), report)
    return report


def test_a_genuine_change_is_applied(receiving: Receiving) -> None:
    env = receiving.envelope()
    report = pull(receiving, page(env))
    assert (report.pulled, report.quarantined) == (1, 0)
    record = receiving.session.store.get(env["header"]["record_id"])
    assert record is not None and record.body["hfz_Summary"] == "fuzz case"


@FUZZ
@given(data=st.data())
def test_any_page_from_the_server_is_applied_quarantined_or_refused(
        receiving: Receiving, data: st.DataObject) -> None:
    """A seized server edits what it relays: pages, items, envelopes and their headers,
    bodies, seals and signatures at random places."""
    genuine = page(receiving.envelope())
    delivered = data.draw(st.one_of(mutated(genuine), JSON))
    session = receiving.session
    before = counts(session)
    try:
        report = pull(receiving, delivered)
    except (CaseAppError, ProtocolError) as exc:
        message = exc.user_message() if isinstance(exc, CaseAppError) else exc.code
        event(f"refused: {message[:30]}")
        assert message
        assert counts(session) == before
    else:
        event(f"pulled {report.pulled}, quarantined {report.quarantined}")
        assert report.pulled + report.quarantined <= len(delivered.get("changes", []))
    vault_is_sound(session)


@FUZZ
@given(data=st.data())
def test_any_change_a_certified_device_signs_is_applied_or_quarantined(
        receiving: Receiving, data: st.DataObject) -> None:
    """The signature holds, so only the content can be wrong: any header field, any
    payload. Each change is applied or quarantined (never an exception that stops the
    sync for good), and the vault stays sound."""
    header_fields = st.fixed_dictionaries({}, optional={
        "record_type": st.one_of(st.sampled_from(["case", "person", "note", "user", "team",
                                                  "attachment", "referral"]), JSON),
        "hlc": st.one_of(st.sampled_from(["", "x", "9" * 40 + ".1.d", "1.2", "0.0.0"]), JSON),
        "device_seq": JSON, "kind": st.sampled_from(["upsert", "delete", "purge"]),
        "record_id": JSON, "change_id": JSON})
    header = data.draw(st.one_of(st.just({}), header_fields))  # half: only the payload
    genuine_payload = {"fields": {"hfz_Summary": "fuzz case", "prs_FirstName": "Fuzzia"},
                       "seen": {}, "parent": None, "team": receiving.session.team_id}
    payload = data.draw(st.one_of(mutated(genuine_payload), st.fixed_dictionaries({
        "fields": st.dictionaries(st.sampled_from(
            ["hfz_Summary", "prs_FirstName", "prs_Birthdate", "hfz_CaseNumber", "hte_Events",
             "hfz_Stage", "per_Name", "vic_TraffickingStatus"]) | st.text(max_size=12),
            JSON, max_size=4),
        "seen": st.dictionaries(st.text(max_size=12), JSON, max_size=3),
        "parent": JSON, "team": JSON})))
    env = receiving.envelope(header, payload)
    try:
        report = pull(receiving, page(env))
    except (CaseAppError, ProtocolError) as exc:
        pytest.fail(f"one signed change stopped the whole pull: {exc!r}")
    event(f"pulled {report.pulled}, quarantined {report.quarantined}")
    assert report.pulled + report.quarantined <= 1
    if report.quarantined and "record_id" not in header:
        # Quarantined whole: not even a first version of the new record exists.
        assert receiving.session.store.get(env["header"]["record_id"],
                                           include_deleted=True) is None
    vault_is_sound(receiving.session)


def test_a_server_that_says_more_without_moving_on_is_refused(receiving: Receiving) -> None:
    """Found by the page fuzz test: "more" with the same cursor made the pull loop for
    ever. A page that does not move the cursor on while promising more is refused."""
    stuck = page(receiving.envelope(), next_seq=0, more=True)
    with pytest.raises(CaseAppError) as info:
        pull(receiving, stuck)
    assert "sync" in info.value.user_message().lower()


# -- case documents (typed, pasted or read from an answer file) ------------------------------

GENUINE_CASE = {"prs_FirstName": "Fuzzia", "prs_SecondName": "Bibi", "hfz_NameUrdu": "فزیہ",
                "prs_Gender": "Feminine", "prs_Birthdate": "1990-01-01",
                "prs_Citizenship": ["PK"], "vic_TypeOfExploitation": ["ForcedLabour"],
                "hfz_IdentityDocuments": [{"type": "CNIC", "number": "35202-1234567-1",
                                           "country": "PK"}],
                "hte_Events": [{"hte_Type": "Exploitation", "hte_City": "Kasur",
                                "hte_Description": "Kept at a brick kiln."}],
                "hfz_Summary": "Referred by the helpline."}


@pytest.fixture
def manager(open_profile: OpenProfile) -> Session:
    """One vault for all the examples of a test (Hypothesis runs them in one call)."""
    return open_profile("manager")


@FUZZ
@given(document=st.one_of(mutated(GENUINE_CASE), JSON))
def test_any_case_document_is_stored_whole_or_refused_naming_fields(
        manager: Session, document: Any) -> None:
    before = counts(manager)
    try:
        with no_hang(5):
            case_id = CaseService(manager).create(document).id
    except CaseAppError as exc:
        event("refused")
        assert exc.user_message() and counts(manager) == before
        return
    event("stored")
    assert case_id is not None and counts(manager)["case"] == before["case"] + 1
    assert isinstance(CaseService(manager).show(case_id), dict)
