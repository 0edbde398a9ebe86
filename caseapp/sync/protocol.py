"""Wire details both sides share (SYNC.md §2, §5): limits, signed requests, enrolment and
setup codes, audit receipts."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseapp.canonical import canonical_json
from caseapp.sync import keys
from caseapp.sync.keys import ProtocolError, b64d, b64e

API = "/v1"
MAX_BATCH = 500                  # changes per push (§6)
MAX_BODY_BYTES = 4 * 1024 * 1024  # one push batch (§6); the server refuses more
MAX_ENVELOPE_BYTES = 256 * 1024  # one change
PULL_PAGE = 500
CLOCK_SKEW_MS = 5 * 60 * 1000    # signed requests further off are refused
ENROLMENT_VALID_MS = 72 * 3600 * 1000
CLOCK_BEHIND_LIMIT_MS = 24 * 3600 * 1000

H_DEVICE = "X-Hifazat-Device"
H_TIME = "X-Hifazat-Time"
H_NONCE = "X-Hifazat-Nonce"
H_SIG = "X-Hifazat-Signature"
H_FORMAT = "X-Hifazat-Format"

# The format of changes a device reads, sent with every request. Raised when a change can
# mean something an older device would get wrong: from 9 on, a case's route events are a set
# field whose changes add and remove elements, which a device of an earlier version would
# store as a plain value (issue 12). The server refuses a device that reads less than
# MIN_FORMAT, or does not say (every earlier version), until it is updated; nothing is lost:
# its changes wait in its outbox.
READS_FORMAT = 9
MIN_FORMAT = 9

_REQUEST = b"hifazat-request-v1\0"
_RECEIPT = b"hifazat-audit-receipt-v1\0"
_CODE_PREFIX = "HZ1."


def request_message(method: str, path_query: str, at_ms: int, nonce: str, body: bytes) -> bytes:
    return _REQUEST + "\n".join([method.upper(), path_query, str(at_ms), nonce,
                                 hashlib.sha256(body).hexdigest()]).encode()


def format_header() -> dict[str, str]:
    return {H_FORMAT: str(READS_FORMAT)}


def reads_enough(headers: Mapping[str, str]) -> bool:
    """Whether the device behind a request reads the changes of this server's format."""
    stated = headers.get(H_FORMAT.lower(), headers.get(H_FORMAT, ""))
    return stated.isdigit() and int(stated) >= MIN_FORMAT


def sign_request(key: Ed25519PrivateKey, device_id: str, method: str, path_query: str,
                 body: bytes, at_ms: int) -> dict[str, str]:
    nonce = b64e(os.urandom(16))
    return {H_DEVICE: device_id, H_TIME: str(at_ms), H_NONCE: nonce, **format_header(),
            H_SIG: keys.sign(key, request_message(method, path_query, at_ms, nonce, body))}


def verify_request(public: Ed25519PublicKey, headers: dict[str, str], method: str,
                   path_query: str, body: bytes, now_ms: int) -> tuple[int, str]:
    """(time, nonce) of a correctly signed, current request; the caller refuses a nonce it
    has seen before."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        at = int(lower[H_TIME.lower()])
        nonce = lower[H_NONCE.lower()]
        sig = lower[H_SIG.lower()]
    except (KeyError, ValueError) as exc:
        raise ProtocolError("unsigned_request") from exc
    if abs(now_ms - at) > CLOCK_SKEW_MS:
        raise ProtocolError("request_time_off")
    if not 16 <= len(nonce) <= 64:
        raise ProtocolError("bad_nonce")
    keys.verify_sig(public, sig, request_message(method, path_query, at, nonce, body))
    return at, nonce


# -- one-time codes --------------------------------------------------------------------
def code_key(secret: str, purpose: str) -> str:
    """What the server stores of a one-time code (a hash, hex) and what proves knowing it."""
    return hashlib.sha256(f"hifazat-{purpose}\0{secret}".encode()).hexdigest()


def prove(key_hex: str, request: dict[str, Any]) -> str:
    return hmac.new(bytes.fromhex(key_hex), canonical_json(request), hashlib.sha256).hexdigest()


def check_proof(key_hex: str, request: dict[str, Any], proof: str) -> bool:
    return hmac.compare_digest(prove(key_hex, request), proof)


def new_secret() -> str:
    return b64e(os.urandom(20))


def encode_enrolment(url: str, pin: str, org_fingerprint: str, code_id: str,
                     secret: str) -> str:
    bundle = {"u": url, "p": pin, "f": org_fingerprint, "i": code_id, "s": secret}
    return _CODE_PREFIX + b64e(canonical_json(bundle))


def decode_enrolment(code: str) -> dict[str, str]:
    """{u: server URL, p: TLS pin, f: org fingerprint, i: code id, s: secret}."""
    code = code.strip()
    if not code.startswith(_CODE_PREFIX):
        raise ProtocolError("bad_code")
    try:
        bundle = json.loads(b64d(code[len(_CODE_PREFIX):]))
    except ValueError as exc:
        raise ProtocolError("bad_code") from exc
    if not isinstance(bundle, dict) or set(bundle) != {"u", "p", "f", "i", "s"} or \
            not all(isinstance(v, str) for v in bundle.values()):
        raise ProtocolError("bad_code")
    return bundle


# -- audit receipts ----------------------------------------------------------------------
def sign_receipt(key: Ed25519PrivateKey, body: dict[str, Any]) -> dict[str, Any]:
    return {"body": body, "sig": keys.sign(key, _RECEIPT + canonical_json(body))}


def verify_receipt(public: Ed25519PublicKey, receipt: Any) -> dict[str, Any]:
    if not isinstance(receipt, dict) or not isinstance(receipt.get("body"), dict):
        raise ProtocolError("bad_receipt")
    keys.verify_sig(public, str(receipt.get("sig", "")), _RECEIPT + canonical_json(receipt["body"]))
    return receipt["body"]
