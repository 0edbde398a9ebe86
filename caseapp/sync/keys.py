"""Keys of the sync protocol (SYNC.md §1) and sealing a secret to a public key.

A *seal* is ephemeral X25519 with the recipient's key, HKDF-SHA256 whose ``info`` binds what
the secret is for (so a seal made for one team, epoch or device cannot be replayed as
another), and AES-256-GCM. Keys travel as unpadded base64url of their raw bytes."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class ProtocolError(Exception):
    """Something received does not verify or decrypt; ``code`` says what, for logs and the
    quarantine (never a value from a record)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ProtocolError("bad_base64") from exc


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def sign_public(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(b64d(text))
    except ValueError as exc:
        raise ProtocolError("bad_key") from exc


def kx_public(text: str) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(b64d(text))
    except ValueError as exc:
        raise ProtocolError("bad_key") from exc


def fingerprint(sign_pub: str) -> str:
    """SHA-256 of an Ed25519 public key (raw bytes), hex: the organisation fingerprint."""
    return hashlib.sha256(b64d(sign_pub)).hexdigest()


def short_fingerprint(sign_pub: str) -> str:
    """Twelve hex digits in groups of four, for reading aloud between two people."""
    digits = fingerprint(sign_pub)[:12].upper()
    return "-".join(digits[i:i + 4] for i in range(0, 12, 4))


def new_record_key() -> bytes:
    """A random 256-bit record key (SYNC.md §3)."""
    return os.urandom(32)


def seal(recipient: X25519PublicKey, secret: bytes, info: str) -> dict[str, str]:
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(recipient)
    epk = raw_public(ephemeral.public_key())
    key = HKDF(hashes.SHA256(), 32, salt=epk + raw_public(recipient),
               info=info.encode()).derive(shared)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret, info.encode())
    return {"epk": b64e(epk), "nonce": b64e(nonce), "ct": b64e(sealed)}


def open_seal(private: X25519PrivateKey, sealed: dict[str, str], info: str) -> bytes:
    try:
        epk = b64d(sealed["epk"])
        shared = private.exchange(X25519PublicKey.from_public_bytes(epk))
        key = HKDF(hashes.SHA256(), 32, salt=epk + raw_public(private.public_key()),
                   info=info.encode()).derive(shared)
        return AESGCM(key).decrypt(b64d(sealed["nonce"]), b64d(sealed["ct"]), info.encode())
    except (KeyError, TypeError, ValueError, InvalidTag) as exc:
        raise ProtocolError("bad_seal") from exc


@dataclass(frozen=True)
class OrgKeys:
    """The organisation's signing key (on administrator profiles) and escrow key (only in
    the printed recovery kit)."""

    sign: Ed25519PrivateKey
    escrow: X25519PrivateKey

    @classmethod
    def generate(cls) -> OrgKeys:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def sign_pub(self) -> str:
        return b64e(raw_public(self.sign.public_key()))

    @property
    def escrow_pub(self) -> str:
        return b64e(raw_public(self.escrow.public_key()))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_pub)


@dataclass(frozen=True)
class DeviceKeys:
    sign: Ed25519PrivateKey
    kx: X25519PrivateKey

    @property
    def sign_pub(self) -> str:
        return b64e(raw_public(self.sign.public_key()))

    @property
    def kx_pub(self) -> str:
        return b64e(raw_public(self.kx.public_key()))


def ed_private(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


def x_private(raw: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(raw)


def verify_sig(public: Ed25519PublicKey, sig: str, message: bytes) -> None:
    try:
        public.verify(b64d(sig), message)
    except InvalidSignature as exc:
        raise ProtocolError("bad_signature") from exc


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    return b64e(private.sign(message))
