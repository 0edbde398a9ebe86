"""HTCDS 2.0 exchange files (CSV and XLSX): export one row per case, import them back.

The formats are ``caseapp.documents`` (bytes ⇄ tables ⇄ case documents); this is the use
case around them. An export needs the export permission and a stated purpose, carries only
the fields the user may read, and is audited (columns and row count, never a value). An
import validates every row with the same code that validates a form (``split_document``)
and the user's field permissions, and reports every problem by row and column. A file with
any problem imports nothing unless the caller asks to skip the bad rows; the good rows are
then imported in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseapp.documents import htcds_rows, tables
from caseapp.documents.htcds_rows import Problem
from caseapp.documents.tables import ImportFileError, Table
from caseapp.domain import consent, roles, stages
from caseapp.domain.case_documents import (
    CASE_EXTENSIONS,
    PERSON_EXTENSIONS,
    SKIP_FIELDS,
    case_events,
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
from caseapp.i18n import N_
from caseapp.services.base import actor_of
from caseapp.services.cases import EVENT, NOTE, CaseService, referred_on
from caseapp.services.exports import (
    check_destination,
    check_purpose,
    children_by_parent,
    consented_cases,
    require_identified_export,
    run_export,
)
from caseapp.services.plans import PLAN_ITEM
from caseapp.services.protection import PASSPHRASE, PLAIN, Protection, protect
from caseapp.services.session import Session
from caseapp.store.changes import Changes

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
EXTENSION_KINDS: dict[str, str] = {**PERSON_EXTENSIONS, **CASE_EXTENSIONS}


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)  # what the import's commit changed

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    columns: tuple[str, ...]
    without_consent: int = 0  # cases left out: no consent to storing and processing
    protection: str = PLAIN
    passphrase: str | None = None  # the one-time passphrase of an encrypted XLSX, shown once


def extension_columns() -> list[str]:
    return list(EXTENSION_KINDS)


# -- export ---------------------------------------------------------------------------------

def build_rows(session: Session, columns: list[str]) -> tuple[list[list[Any]], int]:
    """The rows of the cases whose person agreed to the storing and processing of their
    data (HTCDS ``con_Consent``), and how many cases were left out without it. Each row
    carries the case's route events, plan items and notes in the standard's related
    columns."""
    cases, left_out = consented_cases(session, consent.ASSISTANCE_PROCESSING)
    rows: list[list[Any]] = []
    related_of = {prefix: children_by_parent(session, record_type)
                  for prefix, record_type in (("hte_", EVENT), ("spl_", PLAN_ITEM),
                                              ("cco_", NOTE))}
    for case, person in cases:
        body = {**case.body, htcds_rows.CONSENT_FIELD: True}
        # Closed before ClosedReferred was recorded at closing: derived the same way.
        if body.get("cas_Status") == "Closed" and referred_on(session, case.id):
            body["cas_Status"] = stages.htcds_status(stages.CLOSED, referred_on=True)
        related = {prefix: [r.body for r in groups.get(case.id, [])]
                   for prefix, groups in related_of.items()}
        related["hte_"] = case_events(case.body, related["hte_"])
        rows.append(htcds_rows.case_row(person, body, columns, EXTENSION_KINDS, related))
    return rows, left_out


def export_htcds(session: Session, path: Path, fmt: str, purpose: str, *,
                 protection: Protection, include_extensions: bool = False,
                 force: bool = False) -> ExportReport:
    """Write every case the user may export as one HTCDS row (managers and administrators
    only: the rows name every person), leaving out each case whose person has not agreed (or
    no longer agrees) to the storing and processing of their data. The file leaves sealed to
    an age recipient, as an XLSX encrypted with a one-time passphrase, or — only when asked
    for by name — plain (``Protection.plain()``; the audit records it). Audit events record
    the purpose, the protection, the columns and the row count (never a value) before and
    after the file is written (``run_export``). An existing file is replaced only with
    ``force``; nothing is ever written into the profiles folder."""
    check_destination(path, force)
    actor = require_identified_export(session)
    if fmt not in FORMATS:
        raise ValidationError(N_("Unknown format %(format)s; choose csv or xlsx."), format=fmt)
    purpose = check_purpose(purpose)
    # Perpetrator fields only for those who may read them: never export what one cannot see.
    columns = htcds_rows.standard_columns(actor)
    if include_extensions:
        columns += extension_columns()
    rows, left_out = build_rows(session, columns)
    if protection.kind == PASSPHRASE and fmt != XLSX:
        raise ValidationError(N_("A %(format)s file cannot carry a passphrase; seal it with "
                                 "--age-recipient, or choose --format xlsx."), format=fmt)
    data = tables.render_csv(columns, rows) if fmt == CSV else tables.render_xlsx(columns, rows)
    data, passphrase = protect(data, protection, fmt)
    run_export(session, path, data, kind="htcds", purpose=purpose, force=force,
               fields=[*columns, f"format:{fmt}", f"rows:{len(rows)}",
                       f"without_consent:{left_out}", f"protection:{protection.kind}"],
               rows=len(rows), without_consent=left_out, format=fmt,
               protection=protection.kind)
    return ExportReport(path, len(rows), tuple(columns), left_out, protection.kind, passphrase)


# -- import ---------------------------------------------------------------------------------

def read_table(path: Path) -> Table:
    """The file's table; its size is checked before a byte is read."""
    try:
        if path.stat().st_size > tables.MAX_FILE_BYTES:
            raise tables.too_large()
        with path.open("rb") as f:
            data = f.read(tables.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImportFileError(N_("The file cannot be read: %(path)s"), path=str(path)) from exc
    return tables.parse(data, path.suffix)


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
        doc = htcds_rows.row_document(table.header, cells[:width], EXTENSION_KINDS,
                                      derived=SKIP_FIELDS | set(
                                          htcds_rows.related_columns(table.header)))
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
    header_problems = htcds_rows.check_header(table.header, EXTENSION_KINDS)
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
    try:
        with session.write() as tx:
            for number, doc in valid:
                try:
                    # A savepoint per row: a row refused by the service (a stage this role
                    # may not hold, say) is undone alone when errors are skipped.
                    with session.savepoint("htcds_row"):
                        case_id = service.create(doc).id
                        assert case_id is not None  # create always names the new case
                except StorageError:
                    raise
                except CaseAppError as exc:
                    report.problems += _service_problems(number, exc)
                    report.skipped += 1
                    if not skip_errors:
                        raise _Abort() from exc
                    continue
                report.case_ids.append(case_id)
            session.audit.append(session.user_id, "htcds_imported", None,
                                 [*table.header, f"rows:{len(report.case_ids)}",
                                  f"skipped:{report.skipped}"])
    except _Abort:
        report.case_ids = []
        report.skipped = len(table.rows)
        return report
    report.imported = len(report.case_ids)
    report.changes = tx.changes
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
