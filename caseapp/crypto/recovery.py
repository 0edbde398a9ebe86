"""Recovery codes: 40 decimal digits (132 bits) in groups of five, easy to read aloud in any
language and to type on any keyboard; Urdu and Arabic-Indic digits are accepted when typed."""

from __future__ import annotations

import secrets

from caseapp.errors import ValidationError
from caseapp.i18n import N_

DIGITS = 40
GROUP = 5
# Extended Arabic-Indic (Urdu/Persian) and Arabic-Indic digits map to ASCII.
_DIGIT_MAP = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class BadRecoveryCode(ValidationError):
    msgid = N_("A recovery code has 40 digits, written in groups of five.")


def generate() -> str:
    digits = "".join(str(secrets.randbelow(10)) for _ in range(DIGITS))
    return format_code(digits)


def format_code(digits: str) -> str:
    return "-".join(digits[i:i + GROUP] for i in range(0, len(digits), GROUP))


def normalise(text: str) -> str:
    """Return the bare 40 digits of a typed code, ignoring spaces and dashes."""
    cleaned = "".join(ch for ch in text.translate(_DIGIT_MAP) if ch not in " -\t\n")
    if len(cleaned) != DIGITS or not cleaned.isascii() or not cleaned.isdigit():
        raise BadRecoveryCode()
    return cleaned


def looks_like_code(text: str) -> bool:
    try:
        normalise(text)
    except BadRecoveryCode:
        return False
    return True
