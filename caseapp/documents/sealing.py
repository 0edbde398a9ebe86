"""Encrypting a finished file in memory, before anything reaches the disk (SECURITY item 10):
bytes in, encrypted bytes out.

- ``encrypt_pdf``: the PDF's own AES-256 encryption (revision 6, pikepdf/qpdf), opened by any
  PDF reader with the one-time passphrase.
- ``seal_age`` / ``open_age``: the age format (X25519 recipients), readable with the standard
  ``age -d -i KEYFILE`` tool; for a recipient organisation whose key is in the directory.
- ``encrypt_xlsx``: Office agile encryption (AES-256, SHA-512) of a workbook, which Excel and
  LibreOffice open with the passphrase.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile

import pikepdf
import pyrage
from msoffcrypto.format.ooxml import OOXMLFile

from caseapp.errors import ValidationError
from caseapp.i18n import N_

# age's X25519 recipient: "age1" and 58 bech32 characters.
AGE_RECIPIENT_RE = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")


class SealingError(ValidationError):
    msgid = N_("The file could not be decrypted: the key or passphrase does not fit, or the "
               "file was changed.")


def check_age_recipient(text: str, option: str = "--age-recipient") -> pyrage.x25519.Recipient:
    key = text.strip()
    if not AGE_RECIPIENT_RE.match(key):
        raise ValidationError(N_("%(option)s must be an age public key (age1… , 62 "
                                 "characters)."), option=option)
    try:
        return pyrage.x25519.Recipient.from_str(key)
    except Exception as exc:  # pyrage raises its own untyped error for a bad checksum
        raise ValidationError(N_("%(option)s must be an age public key (age1… , 62 "
                                 "characters)."), option=option) from exc


def encrypt_pdf(data: bytes, passphrase: str) -> bytes:
    """AES-256 (R6) with ``passphrase`` to open; the owner password is random and thrown
    away, so no one can lift the restrictions without the user passphrase."""
    owner = secrets.token_hex(32)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(
            user=passphrase, owner=owner, R=6, aes=True, metadata=True,
            allow=pikepdf.Permissions(extract=True, modify_other=False,
                                      modify_annotation=False, modify_assembly=False,
                                      modify_form=False)))
    return out.getvalue()


def seal_age(data: bytes, recipient: str) -> bytes:
    return bytes(pyrage.encrypt(data, [check_age_recipient(recipient)]))


def read_age_identity(text: str) -> pyrage.x25519.Identity:
    """The identity of an age key file (``age-keygen`` output: comments and one
    AGE-SECRET-KEY-1… line)."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                return pyrage.x25519.Identity.from_str(line)
            except Exception as exc:  # pyrage's own error type
                raise ValidationError(N_("--age-identity does not hold a valid age secret "
                                         "key.")) from exc
    raise ValidationError(N_("--age-identity does not hold a valid age secret key."))


def open_age(data: bytes, identity: pyrage.x25519.Identity) -> bytes:
    try:
        return bytes(pyrage.decrypt(data, [identity]))
    except Exception as exc:  # wrong key, or changed bytes: age's MAC fails either way
        raise SealingError() from exc


# msoffcrypto-tool 6.1 writes an encrypted package below 4096 bytes into the compound file's
# mini stream wrongly (it does not decrypt again); a zip comment keeps the workbook above it.
MIN_PACKAGE_BYTES = 4096 + 512


def _padded(data: bytes) -> bytes:
    if len(data) >= MIN_PACKAGE_BYTES:
        return data
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = b" " * (MIN_PACKAGE_BYTES - len(data))
    return buffer.getvalue()


def encrypt_xlsx(data: bytes, passphrase: str) -> bytes:
    """Office agile encryption of an XLSX workbook (msoffcrypto-tool: AES-256, SHA-512)."""
    source = OOXMLFile(io.BytesIO(_padded(data)))
    out = io.BytesIO()
    source.encrypt(passphrase, out)
    return out.getvalue()
