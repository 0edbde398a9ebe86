"""HTCDS 2.0 exchange rows ⇄ case documents: one row per case, one cell per field.

Column names are exactly the standard's prefixed field names, in the standard's order, and
picklist cells hold exactly its codes; multi-select values are joined with ";" as CTDC does.
Our ``hfz_`` extension columns are described by ``extensions`` (field name → kind, as the
case documents declare them) and written only when asked for. Nothing here reads or writes a
file or the vault: the services do, with permissions and audit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseapp.documents.tables import PLAIN_NUMBER
from caseapp.domain import htcds, roles
from caseapp.i18n import N_, _

LIST_SEPARATOR = ";"
EXCHANGE_PREFIXES = ("prs_", "vic_", "per_", "cas_")
# The standard's related records, one cell per field holding every record of the case (case
# comments, route events, support plans) and the consent: written on export from the case's
# own records, read back on import as derived (they are recorded through their own forms).
RELATED_PREFIXES = ("cco_", "hte_", "spl_", "con_")
CONSENT_FIELD = "con_Consent"
# hte_Type -> the case field its place fills when the case itself leaves it empty.
_EVENT_LOCATIONS = {"Recruitment": "vic_LocationOfRecruitment",
                    "Exploitation": "vic_LocationOfExploitation"}
_NADRA = ("CNIC", "NICOP", "BForm")
_OBJECT_EXTENSIONS = frozenset({"age_assessment", "status_decision"})
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
    """The standard's person, case and related-record fields, in the standard's order, that
    may be exchanged (deprecated fields cannot be recorded) and, when an actor is given,
    that it may read."""
    names = [f.name for f in htcds.fields().values()
             if f.name.startswith(EXCHANGE_PREFIXES + RELATED_PREFIXES) and not f.deprecated]
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
    if isinstance(value, dict):
        # An object-valued extension (an age assessment, a status decision) as JSON text,
        # which the import reads back (``decode_cell``).
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
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
    if kind in _OBJECT_EXTENSIONS and isinstance(cell, str):
        try:
            return json.loads(cell)
        except ValueError:
            return cell  # the document check names the field
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

def related_columns(columns: list[str]) -> list[str]:
    """The columns of ``columns`` that an import derives rather than reads."""
    return [c for c in columns if c.startswith(RELATED_PREFIXES)]


def _escaped(value: Any) -> str:
    # One cell holds a field of every related record, joined with ";": a ";" or "\" inside
    # a value is written with a backslash so the records stay apart.
    text = "" if value is None else str(encode_value("", value, {}) or "")
    return text.replace("\\", "\\\\").replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR)


def _related_cell(name: str, records: list[Mapping[str, Any]]) -> str | None:
    """Field ``name`` of each related record, in order, joined so that position i is the
    i-th record in every column of that prefix (an empty value keeps its place)."""
    if not records or all(r.get(name) in (None, "", []) for r in records):
        return None
    return LIST_SEPARATOR.join(_escaped(r.get(name)) for r in records)


def _place(event: Mapping[str, Any]) -> str | None:
    parts = [str(event.get(k)) for k in ("hte_City", "hte_State", "hte_Country")
             if event.get(k)]
    return ", ".join(parts) or None


def derived_fields(person: Mapping[str, Any], case: Mapping[str, Any],
                   events: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Standard fields an export fills from what else is recorded when the case leaves them
    empty: the identity number from the identity documents (NADRA's first), the places of
    recruitment and exploitation from the route events, languages as ISO 639-2."""
    out: dict[str, Any] = {}
    docs = [d for d in person.get("hfz_IdentityDocuments") or [] if isinstance(d, dict)
            and d.get("number")]
    if not person.get("prs_IdentityNumber") and docs:
        nadra = [d for d in docs if d.get("type") in _NADRA]
        out["prs_IdentityNumber"] = str((nadra or docs)[0]["number"])
    for event_type, field_name in _EVENT_LOCATIONS.items():
        if case.get(field_name):
            continue
        place = next((p for e in events if e.get("hte_Type") == event_type
                      for p in [_place(e)] if p), None)
        if place:
            out[field_name] = place
    for name in ("prs_PrimaryLanguage", "prs_SecondaryLanguage"):
        if isinstance(person.get(name), str):
            out[name] = htcds.iso639_2(person[name])
    return out


def case_row(person: Mapping[str, Any], case: Mapping[str, Any], columns: list[str],
             extensions: Extensions,
             related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> list[Any]:
    """The cells of one case: its person's fields and its own, in ``columns`` order, with
    ``related`` records by prefix ("hte_": route events, "spl_": plan items, "cco_": notes)
    and the consent (``con_Consent`` in ``case``)."""
    related = related or {}
    merged = {**person, **case}
    merged.update(derived_fields(person, case, list(related.get("hte_", []))))
    cells: list[Any] = []
    for c in columns:
        prefix = c[:4]
        if prefix in related:
            cells.append(_related_cell(c, list(related[prefix])))
        else:
            cells.append(encode_value(c, merged.get(c), extensions))
    return cells


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
