"""The sync protocol's keys, certificates and change envelope (SYNC.md §1, §3) and
SECURITY.md item 7: every tampered part is refused before anything is decrypted or applied."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from caseapp.sync import certificates, envelope, keys, permissions, protocol
from caseapp.sync.envelope import Audience
from caseapp.sync.keys import OrgKeys, ProtocolError, b64d, b64e

NOW = 1_780_000_000_000


def device(org: OrgKeys, role: str, teams: list[str], device_id: str = "dev-1"
           ) -> tuple[Ed25519PrivateKey, X25519PrivateKey, certificates.Certificate]:
    sign, kx = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    signed = certificates.issue_certificate(
        org.sign, device_id=device_id, user_id="user-" + device_id, user_name="Staff",
        role=role, teams=teams, sign_pub=b64e(keys.raw_public(sign.public_key())),
        kx_pub=b64e(keys.raw_public(kx.public_key())), now_ms=NOW, serial="1")
    return sign, kx, certificates.verify_certificate(org.sign.public_key(), signed, NOW)


HEADER = {"change_id": "c1", "record_id": "r1", "record_type": "case", "device_id": "dev-1",
          "device_seq": 1, "hlc": "1780000000000.00000.dev-1", "kind": "upsert"}
PAYLOAD = {"fields": {"prs_FirstName": "Bilal"}, "seen": {}, "parent": None, "team": "t1"}


@pytest.fixture
def setup() -> dict[str, Any]:
    org = OrgKeys.generate()
    team = X25519PrivateKey.generate()
    sign, _kx, cert = device(org, "caseworker", ["t1"])
    record_key = b"k" * 32
    env = envelope.seal_change(HEADER, PAYLOAD, record_key,
                               [Audience("t1", 1, team.public_key())],
                               org.escrow.public_key(), sign)
    return {"org": org, "team": team, "cert": cert, "env": env, "sign": sign}


def test_round_trip_and_escrow(setup: dict[str, Any]) -> None:
    env, team, cert, org = setup["env"], setup["team"], setup["cert"], setup["org"]
    assert envelope.open_change(env, cert, {("t1", 1): team}) == PAYLOAD
    assert envelope.record_key_of(env, org.escrow, envelope.ESCROW, 0) == b"k" * 32
    assert env["header"]["audience"] == [{"team_id": "t1", "epoch": 1}]
    # The name is nowhere in the envelope's bytes.
    assert "Bilal" not in repr(env)


def _flip(text: str) -> str:
    raw = bytearray(b64d(text))
    raw[len(raw) // 2] ^= 0x01
    return b64e(bytes(raw))


@pytest.mark.parametrize("part", ["ct", "nonce", "sig", "seal_ct", "seal_epk", "header_hlc",
                                  "header_audience", "header_seq"])
def test_tampered_envelopes_are_refused(setup: dict[str, Any], part: str) -> None:
    env = copy.deepcopy(setup["env"])
    if part in ("ct", "nonce"):
        env["body"][part] = _flip(env["body"][part])
    elif part == "sig":
        env["sig"] = _flip(env["sig"])
    elif part == "seal_ct":
        env["key_seals"][0]["sealed"]["ct"] = _flip(env["key_seals"][0]["sealed"]["ct"])
    elif part == "seal_epk":
        env["key_seals"][0]["sealed"]["epk"] = _flip(env["key_seals"][0]["sealed"]["epk"])
    elif part == "header_hlc":
        env["header"]["hlc"] = "1790000000000.00000.dev-1"
    elif part == "header_audience":
        env["header"]["audience"] = [{"team_id": "t1", "epoch": 2}]
    else:
        env["header"]["device_seq"] = 2
    with pytest.raises(ProtocolError):
        envelope.open_change(env, setup["cert"], {("t1", 1): setup["team"]})


def test_signature_is_checked_before_decryption(setup: dict[str, Any]) -> None:
    env = copy.deepcopy(setup["env"])
    env["sig"] = _flip(env["sig"])
    # No team key at all: a bad signature is still what is reported, not a missing key.
    with pytest.raises(ProtocolError) as caught:
        envelope.open_change(env, setup["cert"], {})
    assert caught.value.code == "bad_signature"


def test_swapped_record_key_is_refused(setup: dict[str, Any]) -> None:
    other = envelope.seal_change({**HEADER, "record_id": "r2", "change_id": "c2"}, PAYLOAD,
                                 b"x" * 32, [Audience("t1", 1, setup["team"].public_key())],
                                 setup["org"].escrow.public_key(), setup["sign"])
    env = copy.deepcopy(setup["env"])
    env["key_seals"] = other["key_seals"]  # a seal bound to record r2
    with pytest.raises(ProtocolError) as caught:
        envelope.open_change(env, setup["cert"], {("t1", 1): setup["team"]})
    assert caught.value.code == "bad_seal"


def test_another_team_cannot_open(setup: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as caught:
        envelope.open_change(setup["env"], setup["cert"],
                             {("t2", 1): X25519PrivateKey.generate()})
    assert caught.value.code == "no_key_for_audience"


def test_author_may_write_only_to_certified_teams(setup: dict[str, Any]) -> None:
    sign, _kx, cert = device(setup["org"], "caseworker", ["t2"])
    env = envelope.seal_change(HEADER, PAYLOAD, b"k" * 32,
                               [Audience("t1", 1, setup["team"].public_key())],
                               setup["org"].escrow.public_key(), sign)
    with pytest.raises(ProtocolError) as caught:
        envelope.verify_signature(env, cert)
    assert caught.value.code == "audience_not_permitted"


def test_certificate_from_another_org_or_tampered_is_refused(setup: dict[str, Any]) -> None:
    org, other = setup["org"], OrgKeys.generate()
    signed = certificates.issue_certificate(
        other.sign, device_id="d", user_id="u", user_name="n", role="manager", teams=["t1"],
        sign_pub=setup["cert"].sign_pub, kx_pub=setup["cert"].kx_pub, now_ms=NOW, serial="1")
    with pytest.raises(ProtocolError):
        certificates.verify_certificate(org.sign.public_key(), signed, NOW)
    mine = certificates.issue_certificate(
        org.sign, device_id="d", user_id="u", user_name="n", role="caseworker", teams=["t1"],
        sign_pub=setup["cert"].sign_pub, kx_pub=setup["cert"].kx_pub, now_ms=NOW, serial="1")
    forged = copy.deepcopy(mine)
    forged["body"]["role"] = "administrator"  # a caseworker promoting itself
    with pytest.raises(ProtocolError):
        certificates.verify_certificate(org.sign.public_key(), forged, NOW)
    with pytest.raises(ProtocolError) as caught:
        certificates.verify_certificate(org.sign.public_key(), mine,
                                        NOW + certificates.CERT_LIFETIME_MS + 1)
    assert caught.value.code == "certificate_expired"


@pytest.mark.parametrize("role, fields, kind, allowed", [
    ("caseworker", {"prs_FirstName": "x"}, "upsert", True),
    ("caseworker", {"vic_TraffickingStatus": "confirmed"}, "upsert", False),
    ("caseworker", {"vic_TraffickingStatusDecisionMakingOrg": "FIA"}, "upsert", False),
    ("caseworker", {"per_Name": "x"}, "upsert", False),
    ("caseworker", {}, "delete", False),
    ("manager", {"vic_TraffickingStatus": "confirmed"}, "upsert", True),
    ("manager", {}, "delete", True),
    ("manager", {"per_Name": "x"}, "upsert", False),
    ("border_officer", {"per_Name": "x"}, "upsert", True),
    ("caseworker", {"prs_Birthdate": "x", "~seen": "resolution"}, "upsert", False),
    ("manager", {"prs_Birthdate": "x", "~seen": "resolution"}, "upsert", True),
])
def test_permissions_follow_the_certified_role(role: str, fields: dict[str, str], kind: str,
                                               allowed: bool) -> None:
    _s, _k, cert = device(OrgKeys.generate(), role, ["t1"])
    header = {**HEADER, "kind": kind}
    seen: dict[str, str] = {}
    if fields.pop("~seen", None):  # a conflict's resolution: only for roles that resolve
        seen = {"prs_Birthdate": "c", permissions.RESOLUTION: "c"}
    if allowed:
        permissions.check_change(cert, header, {"fields": fields, "seen": seen})
    else:
        with pytest.raises(ProtocolError) as caught:
            permissions.check_change(cert, header, {"fields": fields, "seen": seen})
        assert caught.value.code.startswith("not_permitted:")


def test_grant_opens_only_for_its_device() -> None:
    org = OrgKeys.generate()
    admin_sign, _akx, admin = device(org, "administrator", ["t1"], "admin")
    _s, kx, cert = device(org, "caseworker", ["t1"], "dev-2")
    team = X25519PrivateKey.generate()
    grant = certificates.make_grant(admin_sign, "admin", "t1", 1, team, "dev-2", cert.kx_pub)
    team_id, epoch, opened = certificates.open_grant(grant, admin, "dev-2", kx)
    assert (team_id, epoch) == ("t1", 1)
    assert keys.raw_private(opened) == keys.raw_private(team)
    with pytest.raises(ProtocolError):
        certificates.open_grant(grant, admin, "dev-3", kx)
    _cs, _ckx, caseworker = device(org, "caseworker", ["t1"], "admin")
    with pytest.raises(ProtocolError):  # a grant must come from an administrator
        certificates.open_grant(grant, caseworker, "dev-2", kx)


def test_signed_requests() -> None:
    key = Ed25519PrivateKey.generate()
    headers = protocol.sign_request(key, "d", "POST", "/v1/push", b"{}", NOW)
    at, nonce = protocol.verify_request(key.public_key(), headers, "POST", "/v1/push", b"{}",
                                        NOW + 1000)
    assert at == NOW and nonce == headers[protocol.H_NONCE]
    for method, path, body, now in [("POST", "/v1/push", b"{ }", NOW),
                                    ("POST", "/v1/pull", b"{}", NOW),
                                    ("GET", "/v1/push", b"{}", NOW),
                                    ("POST", "/v1/push", b"{}", NOW + 5 * 60 * 1000 + 1)]:
        with pytest.raises(ProtocolError):
            protocol.verify_request(key.public_key(), headers, method, path, body, now)


def test_enrolment_code_round_trip_and_proof() -> None:
    code = protocol.encode_enrolment("https://127.0.0.1:8443", "ab" * 32, "cd" * 32, "id1",
                                     "secret")
    bundle = protocol.decode_enrolment(code)
    assert bundle == {"u": "https://127.0.0.1:8443", "p": "ab" * 32, "f": "cd" * 32,
                      "i": "id1", "s": "secret"}
    key = protocol.code_key("secret", "enrol")
    proof = protocol.prove(key, {"device_id": "d"})
    assert protocol.check_proof(key, {"device_id": "d"}, proof)
    assert not protocol.check_proof(protocol.code_key("other", "enrol"), {"device_id": "d"},
                                    proof)
    with pytest.raises(ProtocolError):
        protocol.decode_enrolment("HZ1.notbase64!!")


def test_the_escrow_key_is_signed_by_the_organisation() -> None:
    org, other = OrgKeys.generate(), OrgKeys.generate()
    sig = certificates.sign_escrow(org.sign, org.escrow_pub)
    certificates.verify_escrow(org.sign.public_key(), org.escrow_pub, sig)
    # A server that swaps in an escrow key of its own cannot sign it.
    with pytest.raises(ProtocolError):
        certificates.verify_escrow(org.sign.public_key(), other.escrow_pub, sig)
    with pytest.raises(ProtocolError):
        certificates.verify_escrow(org.sign.public_key(), other.escrow_pub,
                                   certificates.sign_escrow(other.sign, other.escrow_pub))
