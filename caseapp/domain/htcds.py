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
        if len(row) < 9 or not re.match(r"^[a-z]{3}_\w+$", row[6]):
            continue
        codes = _split(row[9]) if len(row) > 9 and " / " in row[9] else ()
        labels = _split(row[10]) if codes and len(row) > 10 else ()
        if len(labels) != len(codes):
            labels = codes
        specs[row[6]] = FieldSpec(row[6], row[5], row[7], row[2] == "Core",
                                  row[1] == "DEPRECATED", codes, labels)
    return specs


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
        bad = [v for v in values if v not in field.codes]
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
