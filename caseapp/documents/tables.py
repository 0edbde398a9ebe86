"""CSV and XLSX files as tables of cells, both ways, treating every file read as hostile.

Reading (SECURITY §16–17): the size is bounded before parsing, an XLSX (a zip) has its member
sizes, count and compression ratio checked before openpyxl touches it, every XML part is
parsed by defusedxml first and one with a DOCTYPE or entity (expansion, external files)
anywhere is refused, external links are never followed, rows and cells are bounded.
Writing: CSV cells a spreadsheet would run as a formula are escaped, and an XLSX is built in
memory so no exported value reaches a temporary file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from caseapp.documents import xlsx_writer
from caseapp.domain import htcds
from caseapp.errors import CaseAppError, ValidationError
from caseapp.i18n import N_

# -- limits (SECURITY §17): bounded before anything is parsed ------------------------------
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 300
MAX_CELL_CHARS = 32_767          # Excel's own cell limit
MAX_ZIP_MEMBERS = 2_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200              # XML compresses well, but not a thousandfold

ZIP_MAGIC = b"PK\x03\x04"
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Cells a spreadsheet would run as a formula when the CSV is opened (CSV injection). They are
# written with a leading apostrophe, which reading removes again, so values round-trip.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (not CSV/XLSX, too big, a zip bomb, …)."""

    msgid = N_("The file cannot be imported.")


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)


def too_large() -> ImportFileError:
    return ImportFileError(N_("The file is larger than %(n)s MB."),
                           n=MAX_FILE_BYTES // (1024 * 1024))


# -- writing --------------------------------------------------------------------------------

def _csv_escape(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not PLAIN_NUMBER.match(cell) \
            and not htcds.PHONE_RE.match(cell):
        return "'" + cell
    return cell


def _csv_unescape(cell: str) -> str:
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "".join(_FORMULA_START):
        return cell[1:]
    return cell


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


# -- reading --------------------------------------------------------------------------------

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
        raise too_large()
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
                        _check_xml(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError, ValueError, zlib.error) as exc:
        raise ImportFileError(N_("The file is not a valid XLSX workbook.")) from exc


class _Discard:
    """A parser target that keeps nothing: the check needs no tree, only the parse."""

    def start(self, tag: str, attrs: dict[str, str]) -> None: ...
    def end(self, tag: str) -> None: ...
    def data(self, text: str) -> None: ...
    def close(self) -> None: ...


def _check_xml(member: IO[bytes]) -> None:
    """Parse the whole part with defusedxml, which refuses any DOCTYPE, entity declaration or
    external reference wherever it stands (issue 7, item 10: a check of the first 4 KB let a
    DOCTYPE after a 5 KB comment through, and openpyxl expanded its entity)."""
    parser = DefusedXMLParser(target=_Discard(), forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    try:
        while chunk := member.read(1 << 16):
            parser.feed(chunk)
        parser.close()
    except DefusedXmlException as exc:
        raise ImportFileError(N_("The XLSX file contains XML declarations that are not "
                                 "allowed.")) from exc
    except ParseError as exc:
        raise ImportFileError(N_("The file is not a valid XLSX workbook.")) from exc


def parse_xlsx(data: bytes) -> Table:
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
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


def parse(data: bytes, suffix: str = "") -> Table:
    """A workbook when the bytes or the file name say so, CSV otherwise."""
    if data.startswith(ZIP_MAGIC) or suffix.lower() in XLSX_SUFFIXES:
        return parse_xlsx(data)
    return parse_csv(data)
