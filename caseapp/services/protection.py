"""How an export leaves the machine (SECURITY item 10): sealed to the recipient's age key,
encrypted with a one-time passphrase (a PDF's own AES-256, or an XLSX's Office encryption),
or plain where the caller allows it — and then the audit says so. Everything happens in
memory: the bytes returned are the only ones that reach the disk."""

from __future__ import annotations

from dataclasses import dataclass

from caseapp.crypto import one_time
from caseapp.documents import sealing
from caseapp.errors import ValidationError
from caseapp.i18n import N_

AGE, PASSPHRASE, PLAIN = "age", "passphrase", "plain"


@dataclass(frozen=True)
class Protection:
    """How a file leaves: sealed to an age recipient, encrypted with a one-time passphrase
    (PDF or XLSX), or plain (only where the caller allows it, and audited as such)."""

    kind: str
    age_recipient: str = ""

    @classmethod
    def age(cls, recipient: str) -> Protection:
        sealing.check_age_recipient(recipient)
        return cls(AGE, recipient.strip())

    @classmethod
    def passphrase(cls) -> Protection:
        return cls(PASSPHRASE)

    @classmethod
    def plain(cls) -> Protection:
        return cls(PLAIN)


def protect(data: bytes, protection: Protection, fmt: str = "pdf"
            ) -> tuple[bytes, str | None]:
    """(the bytes to write, the one-time passphrase if one was made)."""
    if protection.kind == AGE:
        return sealing.seal_age(data, protection.age_recipient), None
    if protection.kind == PASSPHRASE:
        passphrase = one_time.generate()
        if fmt == "pdf":
            return sealing.encrypt_pdf(data, passphrase), passphrase
        if fmt == "xlsx":
            return sealing.encrypt_xlsx(data, passphrase), passphrase
        raise ValidationError(N_("A %(format)s file cannot carry a passphrase; seal it with "
                                 "--age-recipient, or choose --format xlsx."), format=fmt)
    if protection.kind == PLAIN:
        return data, None
    raise ValueError(f"unknown protection {protection.kind!r}")
