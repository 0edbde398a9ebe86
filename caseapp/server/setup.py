"""``caseapp server init`` and what ``serve`` reads from the data folder: the TLS key and
(self-signed, for a pilot) certificate, the key that signs audit receipts, and the hash of
the one-time setup code. Nothing here is personal data; the folder is still the owner's only."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from caseapp.sync import protocol
from caseapp.sync.tls import spki_pin

TLS_KEY = "tls-key.pem"
TLS_CERT = "tls-cert.pem"
RECEIPT_KEY = "receipt-key.pem"
SETUP = "setup.json"


@dataclass(frozen=True)
class Initialised:
    pin: str
    setup_code: str


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def self_signed(hosts: list[str], days: int = 825,
                key: ec.EllipticCurvePrivateKey | None = None,
                not_before: datetime.datetime | None = None) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) for ``hosts`` (names or IP addresses)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    start = not_before or datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def init(data: Path, hosts: list[str], certificate: tuple[bytes, bytes] | None = None
         ) -> Initialised:
    """Create the data folder's keys and a new setup code; refuses a folder set up before.
    ``certificate`` is (key PEM, certificate PEM) of a real certificate; without it a
    self-signed one is made for ``hosts`` (for a pilot)."""
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (data / SETUP).exists():
        raise FileExistsError(str(data / SETUP))
    if certificate is not None:
        key_pem, cert_pem = certificate
        x509.load_pem_x509_certificate(cert_pem)  # ValueError when it is not one
        serialization.load_pem_private_key(key_pem, None)
    else:
        key_pem, cert_pem = self_signed(hosts)
    _write_private(data / TLS_KEY, key_pem)
    (data / TLS_CERT).write_bytes(cert_pem)
    receipt = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    _write_private(data / RECEIPT_KEY, receipt)
    code = protocol.new_secret()
    _write_private(data / SETUP, json.dumps(
        {"setup_key": protocol.code_key(code, "setup")}).encode())
    return Initialised(spki_pin(cert_pem), code)


@dataclass(frozen=True)
class ServerFiles:
    data: Path

    @property
    def tls_key(self) -> Path:
        return self.data / TLS_KEY

    @property
    def tls_cert(self) -> Path:
        return self.data / TLS_CERT

    def receipt_key(self) -> Ed25519PrivateKey:
        key = serialization.load_pem_private_key((self.data / RECEIPT_KEY).read_bytes(), None)
        assert isinstance(key, Ed25519PrivateKey)
        return key

    def setup_key(self) -> str:
        return str(json.loads((self.data / SETUP).read_text())["setup_key"])

    def pin(self) -> str:
        return spki_pin(self.tls_cert.read_bytes())
