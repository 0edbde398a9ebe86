"""The service directory: organisations that receive referrals (HTCDS ``org_`` fields plus
services offered, province, district, who they accept, a 24-hour flag and contact).

The directory holds no personal data, so it is imported and exported as plain CSV. An import
checks every row first and, unless told to skip bad rows, writes nothing when any row is wrong:
a half-imported directory is harder to repair than a refused file.
"""

from __future__ import annotations

import builtins
import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from caseapp.crypto.compare import same
from caseapp.domain import referrals as rules
from caseapp.domain import roles, text_rules
from caseapp.errors import FieldErrors, NotFound, PermissionDenied, ValidationError
from caseapp.i18n import N_, _
from caseapp.services.base import Service
from caseapp.services.session import Session
from caseapp.store.changes import Changes
from caseapp.store.records import Record

ORGANISATION = "organisation"
SEED_FILE = "service-directory.csv"

# CSV column → record field. The column names are the file format; keep them stable.
COLUMNS: dict[str, str] = {
    "key": "hfz_Key",
    "name": "org_Name",
    "org_type": "org_Type",
    "services": "hfz_Services",
    "province": "hfz_Province",
    "district": "hfz_District",
    "accepts_sex": "hfz_AcceptsSex",
    "accepts_age": "hfz_AcceptsAge",
    "open_24h": "hfz_Open24h",
    "phone": "org_Phone",
    "contact": "hfz_Contact",
    "evidence": "hfz_Evidence",
    "notes": "hfz_Notes",
}
FIELD_COLUMNS = {v: k for k, v in COLUMNS.items()}
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
# Spreadsheet formula triggers; a cell starting with one is written with a leading quote so
# opening an export in a spreadsheet cannot run anything (a plain phone number stays as is).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CSV_CHARS = 10 * 1024 * 1024  # a directory of thousands of entries is a few MB
MAX_CELL_CHARS = 2_000
CELL_PROBLEMS = {
    text_rules.CHARACTER: N_("holds a control character or broken Unicode"),
    text_rules.TOO_LONG: N_("is longer than %(limit)s characters"),
}
_PLAIN_PHONE = re.compile(r"^\+?[0-9][0-9 -]*$")


class CsvErrors(ValidationError):
    """Every problem of an imported file, each tied to its row (the header is row 1) and
    column, so the user can fix the file in one pass."""

    msgid = N_("row %(row)s, column %(column)s: %(problem)s")

    def __init__(self, problems: list[tuple[int, str, str, dict[str, object]]]) -> None:
        super().__init__()
        self.problems = problems

    def user_message(self) -> str:
        return "; ".join(_(self.msgid, row=row, column=column, problem=_(problem, **params))
                         for row, column, problem, params in self.problems)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_rows: list[int] = field(default_factory=list)
    problems: list[tuple[int, str, str, dict[str, object]]] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped_rows": self.skipped_rows,
                "problems": [{"row": r, "column": c, "problem": _(p, **params)}
                             for r, c, p, params in self.problems]}


def _clean(value: str) -> str:
    value = value.strip()
    # Undo the quote an export put before a formula-like cell.
    if value.startswith("'") and value[1:2] in _FORMULA_START:
        value = value[1:]
    return value


def _province_code(value: str) -> str:
    """Accept a province by ISO code or by its English name, as people type it."""
    by_name = {rules.normalise_key(label): code for code, label in rules.PROVINCES.items()}
    return by_name.get(rules.normalise_key(value), value.upper() if value else value)


def row_to_body(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as a directory entry body (unvalidated; empty cells become None)."""
    body: dict[str, Any] = {}
    for column, name in COLUMNS.items():
        raw = _clean(row.get(column) or "")
        value: Any = raw or None
        if name == "hfz_Services":
            value = [s.strip() for s in raw.split(";") if s.strip()]
        elif name == "hfz_Open24h" and raw:
            low = raw.casefold()
            value = True if low in _TRUE else False if low in _FALSE else raw
        elif name == "hfz_Province" and raw:
            value = _province_code(raw)
        elif name == "org_Phone" and raw:
            # People write phones with spaces and dashes; E.164 has neither.
            value = re.sub(r"[\s-]", "", raw)
        body[name] = value
    if not body.get("hfz_Key") and isinstance(body.get("org_Name"), str):
        body["hfz_Key"] = rules.normalise_key(
            " ".join(str(body.get(k) or "") for k in ("org_Name", "hfz_Province",
                                                         "hfz_District")))
    return body


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_PHONE.match(text):
        return "'" + text
    return text


class DirectoryService(Service):
    # -- helpers ------------------------------------------------------------------------
    def _require_manager(self) -> None:
        # Bulk changes alter what every caseworker sees, so they are a manager's job.
        if self.actor.role not in (roles.MANAGER, roles.ADMINISTRATOR):
            raise PermissionDenied()

    def _records(self) -> list[Record]:
        # The directory is small (hundreds of entries); LIMIT -1 is SQLite for "no limit".
        return self.store.list(ORGANISATION, limit=-1)

    def _by_key(self) -> dict[str, Record]:
        return {str(r.body.get("hfz_Key")): r for r in self._records() if r.body.get("hfz_Key")}

    def _record(self, org_id: str) -> Record:
        record = self.store.get(org_id)
        if record is None or record.type != ORGANISATION:
            raise NotFound()
        return record

    @staticmethod
    def _as_json(record: Record) -> dict[str, Any]:
        return {"id": record.id, **{k: record.body.get(k) for k in rules.ORG_FIELDS}}

    # -- reading ------------------------------------------------------------------------
    def get(self, org_id: str) -> dict[str, Any]:
        self._require(roles.CASE_VIEW)
        return self._as_json(self._record(org_id))

    def list(self, *, service: str | None = None, province: str | None = None,
             district: str | None = None, accepts_sex: str | None = None,
             accepts_age: str | None = None, open_24h: bool | None = None,
             query: str | None = None, include_national: bool = True) -> list[dict[str, Any]]:
        """Entries matching every filter given, by name. Entries with no province serve the
        whole country and are kept when filtering by province unless ``include_national`` is
        off; likewise entries with no district when filtering by district."""
        self._require(roles.CASE_VIEW)
        if province:
            province = _province_code(province)
        found = []
        for record in self._records():
            b = record.body
            if service and service not in (b.get("hfz_Services") or []):
                continue
            if province and b.get("hfz_Province") != province and \
                    not (include_national and not b.get("hfz_Province")):
                continue
            if district and not self._serves_district(b, district, province,
                                                      include_national):
                continue
            if not rules.accepts(b, accepts_sex, accepts_age):
                continue
            if open_24h is not None and bool(b.get("hfz_Open24h")) != open_24h:
                continue
            if query:
                text = " ".join(str(b.get(k) or "") for k in
                                ("org_Name", "hfz_District", "hfz_Notes")).casefold()
                if not all(word in text for word in query.casefold().split()):
                    continue
            found.append(self._as_json(record))
        return sorted(found, key=lambda o: (str(o.get("org_Name") or "").casefold(), o["id"]))

    @staticmethod
    def _serves_district(body: dict[str, Any], district: str, province: str | None,
                         include_wider: bool) -> bool:
        """Named for the district, or (when wider entries are wanted) covering it: national,
        or province-wide in the province asked for."""
        named = str(body.get("hfz_District") or "")
        if named:
            return named.casefold() == district.casefold()
        if not include_wider:
            return False
        return not body.get("hfz_Province") or body.get("hfz_Province") == province

    # -- writing ------------------------------------------------------------------------
    def add(self, body: dict[str, Any]) -> Changes:
        self._require(roles.CASE_EDIT)
        body = {k: v for k, v in body.items() if v not in (None, "")}
        if not body.get("hfz_Key") and isinstance(body.get("org_Name"), str):
            body["hfz_Key"] = rules.normalise_key(
                " ".join(str(body.get(k) or "") for k in ("org_Name", "hfz_Province",
                                                             "hfz_District")))
        problems = rules.validate_organisation(body)
        if problems:
            raise FieldErrors(problems)
        if body["hfz_Key"] in self._by_key():
            raise FieldErrors([("hfz_Key", N_("is already used by another entry"), {})])
        with self.session.write() as tx:
            change = self.store.create(ORGANISATION, body, team=self.session.team_id)
            self.session.audit.append(self.session.user_id, "organisation_added",
                                      change.record.id, list(body))
        return tx.changes.with_id(change.record.id)

    def edit(self, org_id: str, changes: dict[str, Any]) -> Changes:
        self._require(roles.CASE_EDIT)
        record = self._record(org_id)
        problems = rules.validate_organisation(changes, partial=True)
        if problems:
            raise FieldErrors(problems)
        if "hfz_Key" in changes:
            other = self._by_key().get(str(changes["hfz_Key"]))
            if other is not None and other.id != org_id:
                raise FieldErrors([("hfz_Key", N_("is already used by another entry"), {})])
        with self.session.write() as tx:
            change = self.store.update(record.id, changes)
            if change is not None:
                self.session.audit.append(self.session.user_id, "organisation_edited",
                                          record.id, list(change.fields))
        return tx.changes.with_id(record.id)

    def find(self, org: str) -> dict[str, Any]:
        """An entry by its id or its key (as ``directory list`` shows them)."""
        self._require(roles.CASE_VIEW)
        record = self.store.get(org)
        if record is None or record.type != ORGANISATION:
            record = self._by_key().get(org.strip())
        if record is None:
            raise NotFound(N_("No organisation %(org)s in the directory."), org=org)
        return self._as_json(record)

    def set_keys(self, org_id: str, *, age_recipient: str | None = None,
                 signing_key: str | None = None) -> Changes:
        """Store a partner's public keys: the age recipient its documents are sealed to,
        and the key its referral packages are signed with (checked with the partner by
        phone first). A manager's job: a wrong key sends a file to the wrong people."""
        self._require_manager()
        record = self._record(org_id)
        changes = {k: v.strip() for k, v in (("hfz_AgeRecipient", age_recipient),
                                             ("hfz_SigningKey", signing_key)) if v is not None}
        if not changes:
            raise ValidationError(N_("Give --age-recipient or --signing-key."))
        if "hfz_SigningKey" in changes:
            changes["hfz_SigningKey"] = changes["hfz_SigningKey"].lower()
        problems = rules.validate_organisation(changes, partial=True)
        if problems:
            raise FieldErrors(problems)
        with self.session.write() as tx:
            change = self.store.update(record.id, changes)
            if change is not None:
                self.session.audit.append(self.session.user_id, "organisation_keys_set",
                                          record.id, list(change.fields))
        return tx.changes.with_id(record.id)

    def by_signing_key(self, public_key: str) -> dict[str, Any] | None:
        """The entry whose referral packages are signed with ``public_key``, if any."""
        for record in self._records():
            if same(record.body.get("hfz_SigningKey"), public_key):
                return self._as_json(record)
        return None

    # -- CSV ----------------------------------------------------------------------------
    @staticmethod
    def _read_text(source: str | Path) -> str:
        # A string with a line break is the CSV itself; anything else names a file.
        if isinstance(source, str) and "\n" in source:
            return source
        path = Path(source)
        try:
            with path.open(encoding="utf-8-sig") as handle:
                text = handle.read(MAX_CSV_CHARS + 1)
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(N_("The file cannot be read: %(path)s"),
                                  path=str(path)) from exc
        if len(text) > MAX_CSV_CHARS:
            raise ValidationError(N_("The file is larger than %(limit)s MB: %(path)s"),
                                  limit=MAX_CSV_CHARS // (1024 * 1024), path=str(path))
        return text

    @staticmethod
    def parse_csv(text: str) -> tuple[builtins.list[tuple[int, dict[str, Any]]],
                                      builtins.list[tuple[int, str, str, dict[str, object]]]]:
        """(row number, body) for each data row, and every problem found by row and
        column. Row 1 is the header."""
        text = text.removeprefix("\ufeff")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            return DirectoryService._parse_rows(reader)
        except csv.Error as exc:  # e.g. a cell longer than the csv module allows
            raise ValidationError(N_("The file is not valid CSV (near line %(line)s)."),
                                  line=reader.line_num) from exc

    @staticmethod
    def _parse_rows(reader: csv.DictReader[str]
                    ) -> tuple[builtins.list[tuple[int, dict[str, Any]]],
                               builtins.list[tuple[int, str, str, dict[str, object]]]]:
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        problems: list[tuple[int, str, str, dict[str, object]]] = []
        for column in header:
            if text_rules.problem(column, MAX_CELL_CHARS):
                # Never echoed: it may be anything, even a person's data pasted by mistake.
                problems.append((1, "-", N_("a column name holds a control character or is "
                                            "too long"), {}))
            elif column not in COLUMNS:
                problems.append((1, column, N_("is not a directory column (%(codes)s)"),
                                 {"codes": ", ".join(COLUMNS)}))
        if "name" not in header:
            problems.append((1, "name", N_("the column is missing"), {}))
        if problems:
            return [], problems
        rows: list[tuple[int, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        for index, row in enumerate(reader, start=2):
            if None in row:  # more cells than header columns
                problems.append((index, "-", N_("the row has more cells than the header"), {}))
                continue
            if not any((v or "").strip() for v in row.values()):
                continue
            bad = [(column, found) for column, value in row.items()
                   if (found := text_rules.problem(value or "", MAX_CELL_CHARS))]
            if bad:
                # A NUL or another control character made every XLSX export unreadable;
                # the cell is named, its value is not (issue 7, items 7 and 8).
                for column, found in bad:
                    problems.append((index, column, CELL_PROBLEMS[found],
                                     {"limit": MAX_CELL_CHARS}))
                continue
            body = row_to_body(row)
            for name, problem, params in rules.validate_organisation(body):
                problems.append((index, FIELD_COLUMNS.get(name, name), problem, params))
            key = str(body.get("hfz_Key") or "")
            if key in seen:
                problems.append((index, "key", N_("repeats the key of row %(other)s"),
                                 {"other": seen[key]}))
            seen.setdefault(key, index)
            rows.append((index, body))
        return rows, problems

    def import_csv(self, source: str | Path, skip_errors: bool = False, *,
                   only_new: bool = False) -> ImportReport:
        """Import a directory CSV. Rows match existing entries by ``key``; a matched entry
        takes the row's values (an empty cell clears the field). With ``only_new`` existing
        entries are left alone (used by ``seed`` so it never undoes a manager's edits)."""
        self._require_manager()
        return self._import(source, skip_errors, only_new=only_new)

    def _import(self, source: str | Path, skip_errors: bool, *, only_new: bool,
                packaged: bool = False) -> ImportReport:
        rows, problems = self.parse_csv(self._read_text(source))
        report = ImportReport(problems=problems)
        bad_rows = {p[0] for p in problems}
        if problems and (not skip_errors or 1 in bad_rows):
            raise CsvErrors(problems)
        existing = self._by_key()
        columns: set[str] = set()
        with self.session.write() as tx:
            for index, body in rows:
                if index in bad_rows:
                    report.skipped_rows.append(index)
                    continue
                current = existing.get(str(body["hfz_Key"]))
                record_id = seed_id(self.session.team_id, str(body["hfz_Key"])) \
                    if packaged else None
                if current is None and record_id is not None and \
                        self.store.get(record_id, include_deleted=True) is not None:
                    # The packaged entry is there under another key (a manager renamed it).
                    report.unchanged += 1
                elif current is None:
                    fields = {k: v for k, v in body.items() if v not in (None, [], "")}
                    created = self.store.create(ORGANISATION, fields, team=self.session.team_id,
                                                record_id=record_id)
                    existing[str(body["hfz_Key"])] = created.record
                    report.created += 1
                    columns.update(fields)
                elif only_new:
                    report.unchanged += 1
                else:
                    # An empty cell clears a field, but a field never set stays unset.
                    body = {k: v for k, v in body.items()
                            if v not in (None, []) or current.body.get(k) not in (None, [])}
                    change = self.store.update(current.id, body)
                    if change is None or not change.fields:
                        report.unchanged += 1
                    else:
                        report.updated += 1
                        columns.update(change.fields)
            if report.created or report.updated:
                # One event for the whole file, naming the fields written.
                self.session.audit.append(self.session.user_id, "directory_imported", None,
                                          sorted(columns))
        report.changes = tx.changes
        return report

    def export_csv(self) -> str:
        self._require(roles.CASE_VIEW)
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(COLUMNS))
        records = sorted(self._records(), key=lambda r: (str(r.body.get("hfz_Key")), r.id))
        for record in records:
            writer.writerow([_cell(record.body.get(name)) for name in COLUMNS.values()])
        with self.session.write():
            self.session.audit.append(self.session.user_id, "directory_exported", None,
                                      list(COLUMNS.values()))
        return out.getvalue()

    def seed(self) -> ImportReport:
        """Add the packaged entries of RESEARCH §5.3–5.4 that are not there yet. Anyone who
        does casework may: it only adds the packaged entries and changes no existing one,
        and without a directory a caseworker's profile cannot make any referral (issue 8).
        A new profile is seeded when it is made (``seed_new_profile``); this adds what a
        newer release packages."""
        self._require(roles.CASE_EDIT)
        return self._seed()

    def _seed(self) -> ImportReport:
        text = resources.files("caseapp.reference").joinpath(SEED_FILE).read_text(
            encoding="utf-8")
        return self._import(text, False, only_new=True, packaged=True)


def seed_id(team_id: str, key: str) -> str:
    """The record id of a packaged directory entry in an office: the same in every profile of
    the office, so profiles seeded apart hold the same records and sync does not double
    them."""
    try:
        namespace = uuid.UUID(team_id)
    except ValueError:
        namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"hifazat-team:{team_id}")
    return str(uuid.uuid5(namespace, f"hifazat-directory:{key}"))


def seed_new_profile(session: Session) -> ImportReport:
    """Seed the directory of a profile being created (issue 8): the office's first profile
    and every profile added to it start with the packaged entries, evidence marks ([V]
    confirmed, [M] still to confirm) included, so any caseworker can make a referral. Done
    by the creation itself, before any user could act, hence no permission check."""
    return DirectoryService(session)._seed()
