"""The change envelope (SYNC.md §3): a signed header the server can route by, and a body only
the audience teams (and the escrow key) can open.

``header``: change_id, record_id, record_type, audience [{team_id, epoch}], device_id,
device_seq, hlc, kind. ``body``: AES-256-GCM under the record key with the canonical header as
associated data, so a body moved under another header does not decrypt. ``key_seals``: the
record key sealed to each audience team's key of that epoch and to the escrow key, bound to
the record id. ``sig``: Ed25519 of the device over the canonical header and SHA-256(body).
A receiver checks the signature (and the author's certificate) before it decrypts anything."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseapp.canonical import canonical_json
from caseapp.sync import keys
from caseapp.sync.certificates import Certificate
from caseapp.sync.keys import ProtocolError, b64d, b64e

SIGNED = b"hifazat-change-v1\0"
KINDS = ("upsert", "delete", "purge")
HEADER_FIELDS = ("change_id", "record_id", "record_type", "audience", "device_id",
                 "device_seq", "hlc", "kind")
ESCROW = "escrow"
# The forms of the header's texts (ids are UUIDs, types are words, a clock is the store's
# "wall ms.counter.device" text) and the largest sequence number SQLite stores.
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
HLC_RE = re.compile(r"[0-9]{13}\.[0-9]{5}\.[A-Za-z0-9_-]{1,64}")
MAX_SEQ = 2**63


def seal_info(record_id: str, team_id: str, epoch: int | str) -> str:
    return f"hifazat-record|{record_id}|{team_id}|{epoch}"


def _signed_bytes(header: Mapping[str, Any], body: Mapping[str, str]) -> bytes:
    digest = hashlib.sha256(b64d(body["nonce"]) + b64d(body["ct"])).digest()
    return SIGNED + canonical_json(dict(header)) + digest


@dataclass(frozen=True)
class Audience:
    team_id: str
    epoch: int
    public: X25519PublicKey


def seal_change(header: dict[str, Any], payload: dict[str, Any], record_key: bytes,
                audience: list[Audience], escrow: X25519PublicKey,
                device_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The envelope of one change; ``payload`` is what the body holds (fields, clocks seen,
    parent, team)."""
    header = dict(header)
    header["audience"] = [{"team_id": a.team_id, "epoch": a.epoch} for a in audience]
    if set(header) != set(HEADER_FIELDS):
        raise ValueError("header fields")
    nonce = os.urandom(12)
    ct = AESGCM(record_key).encrypt(nonce, canonical_json(payload), canonical_json(header))
    body = {"nonce": b64e(nonce), "ct": b64e(ct)}
    record_id = header["record_id"]
    seals = [{"team_id": a.team_id, "epoch": a.epoch,
              "sealed": keys.seal(a.public, record_key, seal_info(record_id, a.team_id, a.epoch))}
             for a in audience]
    seals.append({"team_id": ESCROW, "epoch": 0,
                  "sealed": keys.seal(escrow, record_key, seal_info(record_id, ESCROW, 0))})
    return {"header": header, "body": body, "key_seals": seals,
            "sig": keys.sign(device_key, _signed_bytes(header, body))}


def check_shape(envelope: Any) -> dict[str, Any]:
    """The header, when the envelope has the fields and types of §3 (else ProtocolError)."""
    if not isinstance(envelope, dict) or set(envelope) != {"header", "body", "key_seals", "sig"}:
        raise ProtocolError("bad_envelope")
    header, body = envelope["header"], envelope["body"]
    if not isinstance(header, dict) or set(header) != set(HEADER_FIELDS) or \
            not isinstance(body, dict) or set(body) != {"nonce", "ct"}:
        raise ProtocolError("bad_envelope")
    if header["kind"] not in KINDS or type(header["device_seq"]) is not int or \
            not 0 < header["device_seq"] < MAX_SEQ or \
            not isinstance(header["audience"], list) or not header["audience"]:
        raise ProtocolError("bad_header")
    # Every text the receiver stores or parses has the form a sender writes: an id, a type
    # name, a clock (a number or a list here would fail deep in the store instead).
    if not all(isinstance(header[f], str) and ID_RE.fullmatch(header[f])
               for f in ("change_id", "record_id", "record_type", "device_id")) or \
            not isinstance(header["hlc"], str) or not HLC_RE.fullmatch(header["hlc"]):
        raise ProtocolError("bad_header")
    for entry in header["audience"]:
        if not isinstance(entry, dict) or set(entry) != {"team_id", "epoch"} or \
                not isinstance(entry["team_id"], str) or type(entry["epoch"]) is not int:
            raise ProtocolError("bad_header")
    return header


def verify_signature(envelope: dict[str, Any], author: Certificate) -> dict[str, Any]:
    """The header of an envelope its author's device signed, written only to the author's
    certified teams."""
    header = check_shape(envelope)
    if header["device_id"] != author.device_id:
        raise ProtocolError("wrong_author")
    keys.verify_sig(keys.sign_public(author.sign_pub), envelope["sig"],
                    _signed_bytes(header, envelope["body"]))
    if not {a["team_id"] for a in header["audience"]} <= set(author.teams):
        raise ProtocolError("audience_not_permitted")
    return header


def open_change(envelope: dict[str, Any], author: Certificate,
                team_keys: Mapping[tuple[str, int], X25519PrivateKey]) -> dict[str, Any]:
    """Verify, then decrypt: the payload of the change (ProtocolError when anything fails)."""
    header = verify_signature(envelope, author)
    record_key = None
    for entry in envelope["key_seals"] if isinstance(envelope["key_seals"], list) else []:
        if not isinstance(entry, dict):
            continue
        private = team_keys.get((entry.get("team_id"), entry.get("epoch")))  # type: ignore[arg-type]
        if private is None or {"team_id": entry["team_id"], "epoch": entry["epoch"]} \
                not in header["audience"]:
            continue
        record_key = keys.open_seal(private, entry.get("sealed", {}),
                                    seal_info(header["record_id"], entry["team_id"],
                                              entry["epoch"]))
        break
    if record_key is None:
        raise ProtocolError("no_key_for_audience")
    body = envelope["body"]
    try:
        plain = AESGCM(record_key).decrypt(b64d(body["nonce"]), b64d(body["ct"]),
                                           canonical_json(header))
        payload = json.loads(plain)
    except (InvalidTag, ValueError) as exc:
        raise ProtocolError("bad_body") from exc
    if not isinstance(payload, dict):
        raise ProtocolError("bad_body")
    return payload


def record_key_of(envelope: dict[str, Any], private: X25519PrivateKey, team_id: str,
                  epoch: int) -> bytes:
    """Open one seal (the escrow's, with ``team_id`` ``escrow``): for recovery tools."""
    for entry in envelope["key_seals"]:
        if entry["team_id"] == team_id and entry["epoch"] == epoch:
            return keys.open_seal(private, entry["sealed"],
                                  seal_info(envelope["header"]["record_id"], team_id, epoch))
    raise ProtocolError("no_key_for_audience")
