"""Org-signed directory entries (SYNC.md §1): device certificates, team public keys per
epoch, and grants (a team private key sealed to one device, signed by an administrator
device). Each signed form is ``{"body": {...}, "sig": …}`` over a domain-separated canonical
JSON, so a signature made for one kind of entry never verifies as another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from caseapp.canonical import canonical_json
from caseapp.domain import roles
from caseapp.sync import keys
from caseapp.sync.keys import ProtocolError

CERT = "hifazat-device-certificate-v1"
TEAM = "hifazat-team-key-v1"
GRANT = "hifazat-grant-v1"
ESCROW = "hifazat-escrow-key-v1"
CERT_FIELDS = ("device_id", "user_id", "user_name", "role", "teams", "sign_pub", "kx_pub",
               "issued_at", "not_after", "serial")
DAY_MS = 86_400_000
CERT_LIFETIME_MS = 2 * 365 * DAY_MS


def _message(domain: str, body: dict[str, Any]) -> bytes:
    return domain.encode() + b"\0" + canonical_json(body)


def sign_entry(domain: str, key: Ed25519PrivateKey, body: dict[str, Any]) -> dict[str, Any]:
    return {"body": body, "sig": keys.sign(key, _message(domain, body))}


def verify_entry(domain: str, public: Ed25519PublicKey, signed: Any) -> dict[str, Any]:
    if not isinstance(signed, dict) or set(signed) != {"body", "sig"} or \
            not isinstance(signed["body"], dict) or not isinstance(signed["sig"], str):
        raise ProtocolError("bad_entry")
    keys.verify_sig(public, signed["sig"], _message(domain, signed["body"]))
    return signed["body"]


@dataclass(frozen=True)
class Certificate:
    device_id: str
    user_id: str
    user_name: str
    role: str
    teams: tuple[str, ...]
    sign_pub: str
    kx_pub: str
    issued_at: int
    not_after: int
    serial: str

    @property
    def actor(self) -> roles.Actor:
        return roles.Actor(self.user_id, self.role)


def issue_certificate(org: Ed25519PrivateKey, *, device_id: str, user_id: str, user_name: str,
                      role: str, teams: list[str], sign_pub: str, kx_pub: str, now_ms: int,
                      serial: str) -> dict[str, Any]:
    if role not in roles.ROLES:
        raise ValueError("unknown role")
    body = {"device_id": device_id, "user_id": user_id, "user_name": user_name, "role": role,
            "teams": sorted(set(teams)), "sign_pub": sign_pub, "kx_pub": kx_pub,
            "issued_at": now_ms, "not_after": now_ms + CERT_LIFETIME_MS, "serial": serial}
    return sign_entry(CERT, org, body)


def verify_certificate(org_pub: Ed25519PublicKey, signed: Any, now_ms: int) -> Certificate:
    """The certificate, if the organisation signed it and it is in force at ``now_ms``."""
    body = verify_entry(CERT, org_pub, signed)
    if set(body) != set(CERT_FIELDS):
        raise ProtocolError("bad_certificate")
    try:
        cert = Certificate(**{**body, "teams": tuple(body["teams"])})
    except TypeError as exc:
        raise ProtocolError("bad_certificate") from exc
    if cert.role not in roles.ROLES:
        raise ProtocolError("bad_certificate")
    if not cert.issued_at - DAY_MS <= now_ms <= cert.not_after:
        raise ProtocolError("certificate_expired")
    return cert


def sign_escrow(org: Ed25519PrivateKey, escrow_pub: str) -> str:
    """The organisation's signature on its escrow public key: every record key is sealed to
    it, so a server that could swap it would read everything."""
    return keys.sign(org, ESCROW.encode() + b"\0" + escrow_pub.encode())


def verify_escrow(org_pub: Ed25519PublicKey, escrow_pub: str, sig: str) -> None:
    keys.verify_sig(org_pub, sig, ESCROW.encode() + b"\0" + escrow_pub.encode())


def team_entry(org: Ed25519PrivateKey, team_id: str, epoch: int, kx_pub: str,
               now_ms: int) -> dict[str, Any]:
    return sign_entry(TEAM, org, {"team_id": team_id, "epoch": epoch, "kx_pub": kx_pub,
                                  "issued_at": now_ms})


def verify_team_entry(org_pub: Ed25519PublicKey, signed: Any) -> dict[str, Any]:
    body = verify_entry(TEAM, org_pub, signed)
    if set(body) != {"team_id", "epoch", "kx_pub", "issued_at"} or \
            not isinstance(body["epoch"], int):
        raise ProtocolError("bad_team_entry")
    return body


def grant_info(team_id: str, epoch: int, device_id: str) -> str:
    return f"hifazat-grant|{team_id}|{epoch}|{device_id}"


def make_grant(admin: Ed25519PrivateKey, admin_device: str, team_id: str, epoch: int,
               team_private: X25519PrivateKey, device_id: str, device_kx_pub: str
               ) -> dict[str, Any]:
    sealed = keys.seal(keys.kx_public(device_kx_pub), keys.raw_private(team_private),
                       grant_info(team_id, epoch, device_id))
    return sign_entry(GRANT, admin, {"team_id": team_id, "epoch": epoch, "device_id": device_id,
                                     "sealed": sealed, "by": admin_device})


def open_grant(signed: Any, admin_cert: Certificate, device_id: str,
               device_kx: X25519PrivateKey) -> tuple[str, int, X25519PrivateKey]:
    """(team id, epoch, team private key) of a grant an administrator device signed."""
    if admin_cert.role != roles.ADMINISTRATOR:
        raise ProtocolError("grant_not_by_administrator")
    body = verify_entry(GRANT, keys.sign_public(admin_cert.sign_pub), signed)
    if body.get("device_id") != device_id or body.get("by") != admin_cert.device_id:
        raise ProtocolError("bad_grant")
    team_id, epoch = body["team_id"], body["epoch"]
    raw = keys.open_seal(device_kx, body["sealed"], grant_info(team_id, epoch, device_id))
    return team_id, epoch, keys.x_private(raw)
