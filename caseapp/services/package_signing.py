"""This device's key for signing referral packages (Ed25519), kept in the vault's meta table
under ``PACKAGE_SIGN_KEY`` and made on first use.

It is a key of its own, apart from the audit chain's device key: a package is read by other
organisations, and a signature made for them should never double as one over our own audit
events. When the sync work brings device keys of its own, this is the one place to change.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseapp.services.session import Session
from caseapp.store import meta

PACKAGE_SIGN_KEY = "package_sign_key"  # meta key: the private key, hex
CONTEXT = b"hifazat referral package v1\n"  # what a package signature is for


def signing_key(session: Session) -> Ed25519PrivateKey:
    conn = session.conn
    assert conn is not None
    stored = meta.read_all(conn).get(PACKAGE_SIGN_KEY)
    if stored:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))
    key = Ed25519PrivateKey.generate()
    with session.write():
        meta.write(conn, [(PACKAGE_SIGN_KEY, key.private_bytes_raw().hex())])
        session.audit.append(session.user_id, "package_signing_key_created")
    return key


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes_raw().hex()


def fingerprint(public_hex: str) -> str:
    """Sixteen characters in four groups (base32 of the key's SHA-256), short enough to
    compare over the phone: ``MFRG-GZDF-MZTW-Q2LK``."""
    digest = hashlib.sha256(bytes.fromhex(public_hex)).digest()
    text = base64.b32encode(digest).decode("ascii")[:16]
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return key.sign(CONTEXT + message).hex()


def verify(public_hex: str, signature_hex: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), CONTEXT + message)
    except (InvalidSignature, ValueError):
        return False
    return True
