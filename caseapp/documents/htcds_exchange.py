"""HTCDS 2.0 exchange files (CSV and XLSX): export one row per case and import them back.

Column names are exactly the standard's prefixed field names, in the standard's order, and
picklist cells hold exactly its codes; multi-select values are joined with ";" as CTDC does.
Our ``hfz_`` extension columns are written only when asked for.

Import treats the file as hostile (SECURITY §16–17): the size is bounded before reading, an
XLSX (a zip) has its member sizes, count and compression ratio checked before openpyxl touches
it, XML with a DOCTYPE (entity expansion) is refused, external links are never followed, rows
and cells are bounded. Every row is validated by the same code that validates a form
(``split_document``), and every problem is reported by row and column. A file with any problem
imports nothing unless the caller asks to skip the bad rows; the good rows are then imported in
one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseapp.documents import xlsx_writer
from caseapp.domain import htcds, roles
from caseapp.domain.case_documents import (
    CASE_EXTENSIONS,
    PERSON_EXTENSIONS,
    SKIP_FIELDS,
    split_document,
)
from caseapp.errors import (
    CaseAppError,
    FieldErrors,
    InvalidTransition,
    PermissionDenied,
    StorageError,
    ValidationError,
)
from caseapp.fsutil import atomic_write
from caseapp.i18n import N_, _
from caseapp.services.base import CASE, actor_of
from caseapp.services.cases import CaseService
from caseapp.services.session import Session

# -- limits (SECURITY §17): bounded before anything is parsed ------------------------------
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 300
MAX_CELL_CHARS = 32_767          # Excel's own cell limit
MAX_ZIP_MEMBERS = 2_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200              # XML compresses well, but not a thousandfold
MAX_PURPOSE_CHARS = 200

CSV = "csv"
XLSX = "xlsx"
EXPORT = "export"  # record type: one per export, holding its stated purpose
FORMATS = (CSV, XLSX)
LIST_SEPARATOR = ";"
EXCHANGE_PREFIXES = ("prs_", "vic_", "per_", "cas_")
ZIP_MAGIC = b"PK\x03\x04"
# Cells a spreadsheet would run as a formula when the CSV is opened (CSV injection). They are
# written with a leading apostrophe, which the import removes again, so values round-trip.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

EXTENSION_KINDS: dict[str, str] = {**PERSON_EXTENSIONS, **CASE_EXTENSIONS}
_LIST_EXTENSIONS = frozenset({"text_list", "tracks"})


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (not CSV/XLSX, too big, a zip bomb, …)."""

    msgid = N_("The file cannot be imported.")


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


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    columns: tuple[str, ...]


# -- columns --------------------------------------------------------------------------------

def standard_columns(actor: roles.Actor | None = None) -> list[str]:
    """The standard's person and case fields, in the standard's order, that may be exchanged
    (deprecated fields cannot be recorded) and, when an actor is given, that it may read."""
    names = [f.name for f in htcds.fields().values()
             if f.name.startswith(EXCHANGE_PREFIXES) and not f.deprecated]
    if actor is not None:
        names = [n for n in names if actor.may_read_field(n)]
    return names


def extension_columns() -> list[str]:
    return list(EXTENSION_KINDS)


# -- cell encoding --------------------------------------------------------------------------

def _is_list_field(name: str) -> bool:
    spec = htcds.spec(name)
    if spec is not None:
        return spec.multiple
    return EXTENSION_KINDS.get(name) in _LIST_EXTENSIONS


def encode_value(name: str, value: Any) -> str | int | float | bool | None:
    """A stored value as one cell: lists joined with ";", identity documents as
    TYPE:COUNTRY:NUMBER, booleans as true/false."""
    if value is None:
        return None
    if EXTENSION_KINDS.get(name) == "documents":
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


def _csv_escape(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(cell) \
            and not htcds.PHONE_RE.match(cell):
        return "'" + cell
    return cell


def _csv_unescape(cell: str) -> str:
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "".join(_FORMULA_START):
        return cell[1:]
    return cell


def _parse_number(text: str, whole: bool) -> int | float | None:
    if not _PLAIN_NUMBER.match(text):
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


def decode_cell(name: str, cell: object) -> Any:
    """One cell as the value ``split_document`` expects. Anything that does not convert is
    passed on unchanged, so the validator names the problem in its usual words."""
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
    kind = EXTENSION_KINDS.get(name, "")
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
    if _is_list_field(name):
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


# -- export ---------------------------------------------------------------------------------

def check_purpose(purpose: str) -> str:
    purpose = " ".join(purpose.split())
    if not purpose:
        raise ValidationError(N_("State the purpose of the export."))
    if len(purpose) > MAX_PURPOSE_CHARS:
        raise ValidationError(N_("The purpose is longer than %(n)s characters."),
                              n=MAX_PURPOSE_CHARS)
    return purpose


def _all_cases(session: Session) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(person body, case body) of every case, oldest first."""
    store = session.store
    conn = session.conn
    assert conn is not None
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM records WHERE type = ? AND deleted = 0 "
        # A case merged into another describes the same person: counted once, as the kept one.
        "AND json_extract(body, '$.hfz_MergedInto') IS NULL ORDER BY id", (CASE,))]
    for case_id in ids:
        case = store.get(case_id)
        if case is None:
            continue
        person = store.get(case.parent or "")
        yield (person.body if person else {}), case.body


def build_rows(session: Session, columns: list[str]) -> list[list[Any]]:
    rows = []
    for person, case in _all_cases(session):
        merged = {**person, **case}
        rows.append([encode_value(c, merged.get(c)) for c in columns])
    return rows


def render_csv(columns: list[str], rows: Iterable[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _csv_escape(v) if isinstance(v, str) else v
                         for v in row])
    # The byte order mark makes Excel read the file as UTF-8, so Urdu shows correctly.
    return buf.getvalue().encode("utf-8-sig")


def render_xlsx(columns: list[str], rows: Iterable[list[Any]], title: str = "HTCDS") -> bytes:
    # Built in memory: openpyxl's writer would spill the rows into a plaintext temp file.
    return xlsx_writer.render(columns, rows, title)


def write_file(path: Path, data: bytes) -> None:
    # Checked first: the storage layer would report a missing folder as a failing drive.
    if not path.parent.is_dir() or path.is_dir():
        raise ValidationError(N_("The file cannot be written: %(path)s"), path=str(path))
    try:
        atomic_write(path, data)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise  # the transaction reports a full disk in its own words
        raise ValidationError(N_("The file cannot be written: %(path)s"),
                              path=str(path)) from exc


def record_export(session: Session, kind: str, purpose: str, **details: object) -> str:
    """Keep the stated purpose of an export as an encrypted record of its own, so the audit
    event can name it without holding the text (which may mention a person)."""
    change = session.store.put(EXPORT, {"kind": kind, "purpose": purpose, **details},
                               team=session.team_id)
    assert change is not None
    return change.record.id


def export_htcds(session: Session, path: Path, fmt: str, purpose: str, *,
                 include_extensions: bool = False) -> ExportReport:
    """Write every case the user may export as one HTCDS row; an audit event records the
    purpose, the columns and the row count (never a value)."""
    actor = actor_of(session)
    if not actor.can(roles.CASE_EXPORT):
        raise PermissionDenied()
    if fmt not in FORMATS:
        raise ValidationError(N_("Unknown format %(format)s; choose csv or xlsx."), format=fmt)
    purpose = check_purpose(purpose)
    # Perpetrator fields only for those who may read them: never export what one cannot see.
    columns = standard_columns(actor)
    if include_extensions:
        columns += extension_columns()
    rows = build_rows(session, columns)
    data = render_csv(columns, rows) if fmt == CSV else render_xlsx(columns, rows)
    with session.write():
        export_id = record_export(session, "htcds", purpose, rows=len(rows), format=fmt)
        session.audit.append(session.user_id, "htcds_exported", export_id,
                             [*columns, f"format:{fmt}", f"rows:{len(rows)}"])
        # Inside the transaction: if the file cannot be written, the audit event rolls back.
        write_file(path, data)
    return ExportReport(path, len(rows), tuple(columns))


# -- reading files --------------------------------------------------------------------------

@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)


def _check_cell(row: int, column: str, value: object) -> None:
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise ImportFileError(N_("Row %(row)s, column %(column)s is longer than %(n)s "
                                 "characters."), row=row, column=column, n=MAX_CELL_CHARS)


def _table(records: Iterable[list[Any]]) -> Table:
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(records, start=1):
        if len(cells) > MAX_COLUMNS:
            raise ImportFileError(N_("Row %(row)s has more than %(n)s columns."),
                                  row=number, n=MAX_COLUMNS)
        if number > MAX_ROWS + 1:
            raise ImportFileError(N_("The file has more than %(n)s rows."), n=MAX_ROWS)
        for index, value in enumerate(cells):
            _check_cell(number, header[index] if header and index < len(header)
                        else str(index + 1), value)
        if header is None:
            header = ["" if c is None else str(c).strip().lstrip("\ufeff") for c in cells]
            while header and not header[-1]:
                header.pop()  # trailing empty header cells, as spreadsheets write them
            if not header:
                raise ImportFileError(N_("The file has no header row."))
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        rows.append((number, list(cells)))
    if header is None:
        raise ImportFileError(N_("The file is empty."))
    return Table(header, rows)


def parse_csv(data: bytes) -> Table:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(N_("The file is larger than %(n)s MB."),
                              n=MAX_FILE_BYTES // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(N_("The file is not UTF-8 text; save the CSV as UTF-8.")) from exc
    if "\x00" in text:
        raise ImportFileError(N_("The file is not a CSV text file."))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return _table([_csv_unescape(c) for c in record] for record in reader)
    except csv.Error as exc:
        raise ImportFileError(N_("The file is not valid CSV (near line %(line)s)."),
                              line=reader.line_num) from exc


def _check_zip(data: bytes) -> None:
    """Refuse zip bombs and XML entity tricks before openpyxl reads anything. zipfile never
    inflates a member past its declared size (it stops there and fails the CRC), so checking
    the declared sizes bounds the memory used."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise ImportFileError(N_("The XLSX file has too many parts."))
            total = 0
            for info in infos:
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if total > MAX_UNZIPPED_BYTES or (info.file_size > 1024 * 1024
                                                  and ratio > MAX_ZIP_RATIO):
                    raise ImportFileError(N_("The XLSX file unpacks to too much data "
                                             "(a decompression bomb?)."))
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as member:
                        head = member.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise ImportFileError(N_("The XLSX file contains XML declarations "
                                                 "that are not allowed."))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError, ValueError) as exc:
        raise ImportFileError(N_("The file is not a valid XLSX workbook.")) from exc


def parse_xlsx(data: bytes) -> Table:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(N_("The file is larger than %(n)s MB."),
                              n=MAX_FILE_BYTES // (1024 * 1024))
    if not data.startswith(ZIP_MAGIC):
        raise ImportFileError(N_("The file is not a valid XLSX workbook."))
    _check_zip(data)
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; keep_links=False never loads external workbook links.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except CaseAppError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise ImportFileError(N_("The file is not a valid XLSX workbook.")) from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise ImportFileError(N_("The workbook has no sheet."))
        try:
            return _table(list(r) for r in ws.iter_rows(values_only=True))
        except CaseAppError:
            raise
        except Exception as exc:
            raise ImportFileError(N_("The file is not a valid XLSX workbook.")) from exc
    finally:
        wb.close()


def read_table(path: Path) -> Table:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(N_("The file is larger than %(n)s MB."),
                                  n=MAX_FILE_BYTES // (1024 * 1024))
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImportFileError(N_("The file cannot be read: %(path)s"), path=str(path)) from exc
    if data.startswith(ZIP_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        return parse_xlsx(data)
    return parse_csv(data)


# -- import ---------------------------------------------------------------------------------

def check_header(header: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    known = set(standard_columns()) | set(EXTENSION_KINDS)
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


def row_document(header: list[str], cells: list[Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        if name in SKIP_FIELDS:
            continue  # cas_Status is derived from the stage
        value = decode_cell(name, cell)
        if value is not None and value != []:
            doc[name] = value
    return doc


def validate_rows(table: Table, actor: roles.Actor | None = None
                  ) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """(valid rows as documents, problems); problems name the row and the column."""
    problems: list[Problem] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    width = len(table.header)
    for number, cells in table.rows:
        row_problems: list[Problem] = []
        extra = [c for c in cells[width:] if c is not None and str(c).strip()]
        if extra:
            row_problems.append(Problem(number, str(width + 1),
                                        N_("The row has more cells than the header.")))
        doc = row_document(table.header, cells[:width])
        try:
            split_document(doc)
        except FieldErrors as exc:
            row_problems += [Problem(number, name, msgid, dict(params))
                             for name, msgid, params in exc.problems]
        if actor is not None:
            row_problems += [Problem(number, name, N_("Your role may not record this field."))
                             for name in doc if not actor.may_write_field(name)]
        if row_problems:
            problems += row_problems
        else:
            valid.append((number, doc))
    return valid, problems


class _Abort(Exception):
    """Rolls back the import transaction when a row fails and errors are not skipped."""


def import_table(session: Session, table: Table, *, skip_errors: bool = False) -> ImportReport:
    service = CaseService(session)
    if not service.actor.can(roles.CASE_CREATE):
        raise PermissionDenied()
    report = ImportReport()
    header_problems = check_header(table.header)
    if header_problems:
        # Columns that cannot be mapped make every row ambiguous: nothing is imported.
        report.problems = header_problems
        report.skipped = len(table.rows)
        return report
    valid, problems = validate_rows(table, service.actor)
    report.problems = problems
    bad_rows = {p.row for p in problems}
    report.skipped = len(bad_rows)
    if problems and not skip_errors:
        report.skipped = len(table.rows)
        return report
    conn = session.conn
    assert conn is not None
    try:
        with session.write():
            for number, doc in valid:
                # A savepoint per row: a row refused by the service (a stage this role may
                # not hold, say) is undone alone when errors are skipped.
                conn.execute("SAVEPOINT htcds_row")
                try:
                    case_id = service.create(doc).id
                except StorageError:
                    raise
                except CaseAppError as exc:
                    conn.execute("ROLLBACK TO htcds_row")
                    conn.execute("RELEASE htcds_row")
                    report.problems += _service_problems(number, exc)
                    report.skipped += 1
                    if not skip_errors:
                        raise _Abort() from exc
                    continue
                conn.execute("RELEASE htcds_row")
                report.case_ids.append(case_id)
            session.audit.append(session.user_id, "htcds_imported", None,
                                 [*table.header, f"rows:{len(report.case_ids)}",
                                  f"skipped:{report.skipped}"])
    except _Abort:
        report.case_ids = []
        report.skipped = len(table.rows)
        return report
    report.imported = len(report.case_ids)
    return report


def _service_problems(row: int, exc: CaseAppError) -> list[Problem]:
    if isinstance(exc, FieldErrors):
        return [Problem(row, name, msgid, dict(params)) for name, msgid, params in exc.problems]
    column = "hfz_Stage" if isinstance(exc, InvalidTransition) else ""
    return [Problem(row, column, exc.msgid, dict(exc.params))]


def import_htcds(session: Session, path: Path, *, skip_errors: bool = False) -> ImportReport:
    if not actor_of(session).can(roles.CASE_CREATE):
        raise PermissionDenied()
    return import_table(session, read_table(path), skip_errors=skip_errors)
