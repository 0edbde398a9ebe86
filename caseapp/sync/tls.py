"""TLS pinning (SYNC.md §5, SECURITY.md item 14). The client fetches the server's certificate
once, at enrolment, and keeps it only if the SHA-256 of its public key equals the pin in the
enrolment code; from then on that certificate is the one trust anchor of every connection,
so an impostor's certificate, a wrong host name or an expired certificate fails the
handshake, before any request is sent. There is no fallback to an unpinned connection."""

from __future__ import annotations

import hashlib
import socket
import ssl
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from caseapp.crypto.compare import same
from caseapp.sync.keys import ProtocolError


def spki_pin(cert_pem: bytes) -> str:
    """SHA-256 of the certificate's SubjectPublicKeyInfo, hex."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ProtocolError("not_https")
    return parts.hostname, parts.port or 443


def fetch_pinned(url: str, pin: str, timeout: float = 10.0) -> str:
    """The server's certificate (PEM), if its public key matches ``pin``. Only a TLS
    handshake happens here; nothing is sent."""
    host, port = host_port(url)
    context = ssl.create_default_context()
    context.check_hostname = False  # crypto-lint: allow (the key pin below decides)
    # Read the certificate; the pin decides, below.
    context.verify_mode = ssl.CERT_NONE  # crypto-lint: allow (the key pin below decides)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except OSError as exc:
        raise ProtocolError("unreachable") from exc
    if der is None:
        raise ProtocolError("no_certificate")
    pem = ssl.DER_cert_to_PEM_cert(der)
    if not same(spki_pin(pem.encode()), pin.strip().lower()):
        raise ProtocolError("pin_mismatch")
    return pem


def pinned_context(cert_pem: str) -> ssl.SSLContext:
    """A client context that trusts exactly the pinned certificate, checks its host name
    and validity, and speaks TLS 1.2 or newer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the pinned leaf is the anchor
    context.load_verify_locations(cadata=cert_pem)
    return context
