"""The HTCDS 2.0 field standard (IOM, CC BY 4.0), read from the packaged TSV so field names and
picklist codes are exactly the standard's. Labels are the standard's English value labels;
they are gettext message ids, translated where shown."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

ATTRIBUTION = ("Data fields follow the Human Trafficking Case Data Standard (HTCDS) by IOM, "
               "CC BY 4.0")
PHONE_RE = re.compile(r"^\+?[1-9]\d{1,14}$")
# A fraction is stored as its decimal text: record bodies are signed as canonical JSON,
# which has no floats (the same number must be the same bytes on every device).
DECIMAL_RE = re.compile(r"^-?\d{1,15}(\.\d{1,15})?$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str
    core: bool
    deprecated: bool
    codes: tuple[str, ...]
    code_labels: tuple[str, ...]

    @property
    def multiple(self) -> bool:
        return self.type.startswith("Multiselect")

    @property
    def picklist(self) -> bool:
        return bool(self.codes)

    def label_of(self, code: str) -> str:
        return dict(zip(self.codes, self.code_labels, strict=False)).get(code, code)


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(" / ") if part.strip())


@cache
def fields() -> dict[str, FieldSpec]:
    text = resources.files("caseapp.reference").joinpath(
        "htcds/htcds-field-standards-2.0.tsv").read_text(encoding="utf-8")
    specs: dict[str, FieldSpec] = {}
    for row in csv.reader(io.StringIO(text), delimiter="\t"):
        # A row may stop early: per_Organisation ends after its prefix and name (no full
        # name, type or description) and was dropped when nine cells were required.
        row = row + [""] * (13 - len(row))
        if not row[6] and re.match(r"^[a-z]{3}_$", row[3]) and row[4]:
            row[6] = row[3] + row[4]
        if not re.match(r"^[a-z]{3}_\w+$", row[6]):
            continue
        codes = _split(row[9]) if len(row) > 9 and " / " in row[9] else ()
        labels = _split(row[10]) if codes and len(row) > 10 else ()
        if len(labels) != len(codes):
            labels = codes
        specs[row[6]] = FieldSpec(row[6], row[5], row[7], row[2] == "Core",
                                  row[1] == "DEPRECATED", codes, labels)
    return specs


@cache
def _code_set(field: FieldSpec) -> frozenset[str]:
    # Every field of every case written is checked: a set, not the tuple of 250 countries.
    return frozenset(field.codes)


def spec(name: str) -> FieldSpec | None:
    return fields().get(name)


def check_value(name: str, value: object) -> str | None:
    """Return a problem description (English msgid with %(…)s) or None when valid."""
    field = spec(name)
    if field is None or value is None:
        return None
    if field.deprecated:
        return "deprecated"
    kind = field.type
    if field.picklist:
        if field.multiple and not isinstance(value, list):
            return "list"
        values = value if field.multiple and isinstance(value, list) else [value]
        bad = [v for v in values if not (isinstance(v, str) and v in _code_set(field))]
        return "code" if bad else None
    if kind == "Date":
        if not isinstance(value, str):
            return "date"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "date"
        return None
    if kind == "Checkbox":
        return None if isinstance(value, bool) else "bool"
    if kind in ("Number", "Geolocation"):
        if isinstance(value, str):
            return None if DECIMAL_RE.match(value) else "number"
        ok = isinstance(value, int | float) and not isinstance(value, bool) and \
            math.isfinite(value)  # json.loads accepts NaN and Infinity
        return None if ok else "number"
    if name.endswith("Phone"):
        return None if isinstance(value, str) and PHONE_RE.match(value) else "phone"
    if "Country" in name:
        return None if isinstance(value, str) and COUNTRY_RE.match(value) else "country"
    if name == "prs_Citizenship":
        ok = isinstance(value, list) and all(isinstance(v, str) and COUNTRY_RE.match(v)
                                              for v in value)
        return None if ok else "country"
    if name.endswith("Language"):
        return None if isinstance(value, str) and LANGUAGE_RE.match(value) else "language"
    return None if isinstance(value, str) else "text"


def stored_number(value: object) -> object:
    """A number as a record body keeps it: whole numbers as int, fractions as decimal text
    (31.52 → "31.52"); anything else unchanged."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(value)
    return value


# HTCDS asks for ISO 639-2 language codes. Records may hold ISO 639-1 (ur) or ISO 639-3
# codes (pnb, prs), as consent and forms accept them; an export writes the 639-2 code, for a
# 639-3 language the code of its 639-2 macrolanguage or collection (639-2/T where B and T
# differ, as 639-3 does).
ISO639_2: dict[str, str] = {
    # ISO 639-1 -> 639-2
    "ur": "urd", "ps": "pus", "fa": "fas", "pa": "pan", "sd": "snd", "bn": "ben",
    "en": "eng", "ar": "ara", "hi": "hin", "ks": "kas", "ne": "nep", "ta": "tam",
    "uz": "uzb", "tk": "tuk", "tg": "tgk", "ru": "rus", "zh": "zho", "ms": "msa",
    "id": "ind", "th": "tha", "tr": "tur", "ku": "kur", "so": "som", "am": "amh",
    "ti": "tir", "fr": "fra", "de": "deu", "it": "ita", "es": "spa", "el": "ell",
    # ISO 639-3 individual languages -> their 639-2 macrolanguage or collection
    "pnb": "lah", "skr": "lah", "hno": "lah", "prs": "fas", "pes": "fas", "pbu": "pus",
    "pst": "pus", "pbt": "pus", "bgp": "bal", "bcc": "bal", "bgn": "bal", "arb": "ara",
    "apd": "ara", "cmn": "zho", "zsm": "msa",
}


def iso639_2(code: str) -> str:
    """A language code as ISO 639-2, keeping a region suffix (ur-PK -> urd-PK); a code with
    no 639-2 counterpart (Brahui, brh) is left as it is."""
    base, sep, region = code.partition("-")
    return ISO639_2.get(base.lower(), base) + sep + region
