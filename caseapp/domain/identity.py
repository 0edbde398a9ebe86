"""Identity documents (RESEARCH.md §5.6): stored as a list of (type, number, issuing country).

CNIC, NICOP and B-Form numbers share NADRA's 13-digit format ``XXXXX-XXXXXXX-X``. There is no
check digit, so only the format is validated; the last digit's parity is never used to infer
or overwrite gender (trans persons and older cards are exceptions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from caseapp.i18n import N_

NADRA_TYPES = ("CNIC", "NICOP", "BForm")
DOCUMENT_TYPES = ("CNIC", "NICOP", "BForm", "PoR", "ACC", "Tazkira", "Passport", "Other")
CNIC_RE = re.compile(r"^\d{5}-\d{7}-\d$")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def normalise_cnic(text: str) -> str | None:
    """``XXXXX-XXXXXXX-X`` for a 13-digit NADRA number typed with or without dashes or in
    Urdu digits; None when the text is not one."""
    digits = re.sub(r"[\s-]", "", ascii_digits(text.strip()))
    if not re.fullmatch(r"\d{13}", digits):
        return None
    return f"{digits[:5]}-{digits[5:12]}-{digits[12]}"


def looks_like_number(text: str) -> bool:
    """True for a query made of digits and separators only (an identity or case number)."""
    return bool(re.fullmatch(r"[\d\s-]{4,}", ascii_digits(text.strip())))


@dataclass(frozen=True)
class IdentityDocument:
    type: str
    number: str
    country: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "number": self.number, "country": self.country}


def parse_document(data: object) -> tuple[IdentityDocument | None, str | None]:
    """(document, None) when valid; (None, problem) otherwise. Problems are msgids."""
    if not isinstance(data, dict):
        return None, N_("An identity document needs a type, a number and a country.")
    doc_type = data.get("type")
    number = data.get("number")
    country = data.get("country", "PK" if doc_type in NADRA_TYPES else None)
    if doc_type not in DOCUMENT_TYPES:
        return None, N_("Unknown identity document type.")
    if not isinstance(number, str) or not number.strip():
        return None, N_("An identity document needs a number.")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
        return None, N_("The issuing country must be a two-letter ISO 3166 code, such as PK or AF.")
    if doc_type in NADRA_TYPES:
        formatted = normalise_cnic(number)
        if formatted is None:
            return None, N_("A CNIC, NICOP or B-Form number has 13 digits: XXXXX-XXXXXXX-X.")
        if len(set(formatted.replace("-", ""))) == 1:
            # 00000-0000000-0 is what a form gets when the number is not known; stored, it
            # would make every such person the same person in duplicate checks.
            return None, N_("A number of one digit repeated, such as all zeros, is a "
                            "placeholder, not a CNIC: leave the document out if the number "
                            "is not known.")
        number = formatted
    else:
        number = ascii_digits(number.strip()).upper()
    return IdentityDocument(doc_type, number, country), None


def search_terms(doc: IdentityDocument) -> list[str]:
    """The number as written and as bare digits, so both forms are found."""
    bare = re.sub(r"[^0-9A-Za-z]", "", doc.number)
    return [doc.number, bare] if bare != doc.number else [doc.number]
