"""HTCDS 2.0 exchange rows ⇄ case documents: one row per case, one cell per field.

Column names are exactly the standard's prefixed field names, in the standard's order, and
picklist cells hold exactly its codes; multi-select values are joined with ";" as CTDC does.
Our ``hfz_`` extension columns are described by ``extensions`` (field name → kind, as the
case documents declare them) and written only when asked for. Nothing here reads or writes a
file or the vault: the services do, with permissions and audit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseapp.documents.tables import PLAIN_NUMBER
from caseapp.domain import htcds, roles
from caseapp.i18n import N_, _

LIST_SEPARATOR = ";"
EXCHANGE_PREFIXES = ("prs_", "vic_", "per_", "cas_")
_LIST_EXTENSIONS = frozenset({"text_list", "tracks"})

Extensions = Mapping[str, str]  # extension field name → kind ("text", "documents", …)


@dataclass(frozen=True)
class Problem:
    """One problem of an imported file: row 1 is the header, data starts on row 2."""

    row: int
    column: str
    msgid: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self) -> str:
        return _(self.msgid, **self.params)

    def user_message(self) -> str:
        return _(N_("row %(row)s, column %(column)s: %(problem)s"), row=self.row,
                 column=self.column or "-", problem=self.message())


# -- columns --------------------------------------------------------------------------------

def standard_columns(actor: roles.Actor | None = None) -> list[str]:
    """The standard's person and case fields, in the standard's order, that may be exchanged
    (deprecated fields cannot be recorded) and, when an actor is given, that it may read."""
    names = [f.name for f in htcds.fields().values()
             if f.name.startswith(EXCHANGE_PREFIXES) and not f.deprecated]
    if actor is not None:
        names = [n for n in names if actor.may_read_field(n)]
    return names


def check_header(header: list[str], extensions: Extensions) -> list[Problem]:
    problems: list[Problem] = []
    known = set(standard_columns()) | set(extensions)
    seen: set[str] = set()
    for index, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(1, str(index), N_("The column has no name.")))
        elif name in seen:
            problems.append(Problem(1, name, N_("The column appears twice.")))
        elif name not in known:
            problems.append(Problem(1, name, N_("is not an HTCDS field or a Hifazat "
                                                "extension")))
        seen.add(name)
    return problems


# -- cells ----------------------------------------------------------------------------------

def _is_list_field(name: str, extensions: Extensions) -> bool:
    spec = htcds.spec(name)
    if spec is not None:
        return spec.multiple
    return extensions.get(name) in _LIST_EXTENSIONS


def encode_value(name: str, value: Any, extensions: Extensions
                 ) -> str | int | float | bool | None:
    """A stored value as one cell: lists joined with ";", identity documents as
    TYPE:COUNTRY:NUMBER, booleans as true/false."""
    if value is None:
        return None
    if extensions.get(name) == "documents":
        return LIST_SEPARATOR.join(f"{d.get('type', '')}:{d.get('country', '')}:"
                                   f"{d.get('number', '')}"
                                   for d in value if isinstance(d, dict)) or None
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return value
    return str(value)


def _parse_number(text: str, whole: bool) -> int | float | None:
    if not PLAIN_NUMBER.match(text):
        return None
    try:
        number = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return None
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        if whole:
            return int(number) if number.is_integer() else None
    return number


def decode_cell(name: str, cell: object, extensions: Extensions) -> Any:
    """One cell as the value a case document holds. Anything that does not convert is
    passed on unchanged, so the document's validation names the problem in its usual
    words."""
    if isinstance(cell, dt.datetime):
        cell = cell.date().isoformat()
    elif isinstance(cell, dt.date | dt.time):
        cell = cell.isoformat()
    if isinstance(cell, str):
        cell = cell.strip()
        if not cell:
            return None
    elif cell is None:
        return None
    spec = htcds.spec(name)
    kind = extensions.get(name, "")
    if kind == "documents":
        if not isinstance(cell, str):
            return cell
        docs: list[Any] = []
        for part in (p.strip() for p in cell.split(LIST_SEPARATOR)):
            if part:
                bits = part.split(":", 2)
                docs.append({"type": bits[0], "country": bits[1], "number": bits[2]}
                            if len(bits) == 3 else part)
        return docs
    if _is_list_field(name, extensions):
        parts = str(cell).split(LIST_SEPARATOR)
        return [p.strip() for p in parts if p.strip()]
    if kind == "bool" or (spec is not None and spec.type == "Checkbox"):
        if isinstance(cell, bool):
            return cell
        lowered = str(cell).lower()
        return {"true": True, "false": False, "1": True, "0": False}.get(lowered, cell)
    if kind == "int" or (spec is not None and spec.type in ("Number", "Geolocation")):
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, int | float):
            return int(cell) if kind == "int" and float(cell).is_integer() else cell
        number = _parse_number(str(cell), whole=kind == "int")
        return cell if number is None else number
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a phone number typed into a spreadsheet cell
    return str(cell)


# -- rows -----------------------------------------------------------------------------------

def case_row(person: Mapping[str, Any], case: Mapping[str, Any], columns: list[str],
             extensions: Extensions) -> list[Any]:
    """The cells of one case: its person's fields and its own, in ``columns`` order."""
    merged = {**person, **case}
    return [encode_value(c, merged.get(c), extensions) for c in columns]


def row_document(header: list[str], cells: list[Any], extensions: Extensions,
                 derived: Collection[str] = ()) -> dict[str, Any]:
    """The case document of one row; ``derived`` fields (computed from others, such as
    cas_Status from the stage) and empty cells are left out."""
    doc: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        if name in derived:
            continue
        value = decode_cell(name, cell, extensions)
        if value is not None and value != []:
            doc[name] = value
    return doc
