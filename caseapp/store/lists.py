"""List queries that join records for what a list row shows, sorted and filtered by what the
case list offers, paged by keyset (the key of the last row shown) so any depth is as fast as
the first page: each sort has an index that serves it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseapp.store.database import Connection

_SELECT = ("SELECT c.id, json_extract(c.body, '$.hfz_CaseNumber'), c.label, "
           "json_extract(p.body, '$.hfz_NameUrdu'), c.status, c.updated_at "
           "FROM records c LEFT JOIN records p ON p.id = c.parent "
           "WHERE c.type = 'case' AND c.deleted = 0")

# sort name → the columns it orders by (the last is always the id, for a total order)
SORTS: dict[str, tuple[str, ...]] = {
    "updated": ("c.updated_at", "c.id"),
    "name": ("c.label", "c.id"),
    "stage": ("c.status", "c.updated_at", "c.id"),
}
# where each sort column is in a row of case_rows (id, number, label, urdu, status, updated)
_ROW_INDEX = {"c.id": 0, "c.label": 2, "c.status": 4, "c.updated_at": 5}


@dataclass(frozen=True)
class CaseFilter:
    """What the case list may be narrowed to; None means any."""

    stage: str | None = None
    owner: str | None = None  # a user id (cas_CaseOwner)
    track: str | None = None  # TIP or SOM
    exploitation: str | None = None  # an HTCDS vic_TypeOfExploitation code
    changed_from: int | None = None  # ms, inclusive
    changed_to: int | None = None  # ms, exclusive

    @property
    def empty(self) -> bool:
        return self == CaseFilter()


def _where(f: CaseFilter) -> tuple[str, list[Any]]:
    sql = ""
    args: list[Any] = []
    if f.stage is not None:
        sql += " AND c.status = ?"
        args.append(f.stage)
    if f.owner is not None:
        sql += " AND json_extract(c.body, '$.cas_CaseOwner') = ?"
        args.append(f.owner)
    if f.track is not None:
        sql += (" AND EXISTS (SELECT 1 FROM json_each(c.body, '$.hfz_Tracks') "
                "WHERE value = ?)")
        args.append(f.track)
    if f.exploitation is not None:
        sql += (" AND EXISTS (SELECT 1 FROM json_each(c.body, '$.vic_TypeOfExploitation') "
                "WHERE value = ?)")
        args.append(f.exploitation)
    if f.changed_from is not None:
        sql += " AND c.updated_at >= ?"
        args.append(f.changed_from)
    if f.changed_to is not None:
        sql += " AND c.updated_at < ?"
        args.append(f.changed_to)
    return sql, args


def row_key(row: tuple[Any, ...], sort: str) -> tuple[Any, ...]:
    """The keyset key of ``row`` under ``sort``: pass it as ``after`` for the next page."""
    return tuple(row[_ROW_INDEX[column]] for column in SORTS[sort])


def case_rows(conn: Connection, limit: int, after: tuple[Any, ...] | None = None, *,
              sort: str = "updated", descending: bool = True,
              where: CaseFilter = CaseFilter()) -> list[tuple[Any, ...]]:
    """(id, case number, label, Urdu name, stage, updated_at) of cases in ``sort`` order,
    after the key ``after`` (``row_key`` of the last row of the page before)."""
    columns = SORTS[sort]
    sql, args = _where(where)
    sql = _SELECT + sql
    if after is not None:
        if len(after) != len(columns):
            raise ValueError("the page key does not belong to this sort")
        marks = ", ".join("?" * len(columns))
        sql += f" AND ({', '.join(columns)}) {'<' if descending else '>'} ({marks})"
        args += list(after)
    direction = " DESC" if descending else ""
    sql += " ORDER BY " + ", ".join(c + direction for c in columns) + " LIMIT ?"
    return list(conn.execute(sql, (*args, limit)))


def key_at(conn: Connection, position: int, *, sort: str = "updated",
           descending: bool = True, where: CaseFilter = CaseFilter()) -> tuple[Any, ...] | None:
    """The keyset key of the row at ``position`` (0-based) in ``sort`` order, for a list that
    jumps deep (a scrollbar dragged to row 50,000): only the sort's index is read to get there,
    never the rows themselves."""
    columns = SORTS[sort]
    sql, args = _where(where)
    direction = " DESC" if descending else ""
    row = conn.execute(
        f"SELECT {', '.join(columns)} FROM records c WHERE c.type = 'case' AND c.deleted = 0"
        + sql + " ORDER BY " + ", ".join(c + direction for c in columns)
        + " LIMIT 1 OFFSET ?", (*args, position)).fetchone()
    return None if row is None else tuple(row)


def count_cases(conn: Connection, where: CaseFilter) -> int:
    """How many cases match ``where`` (the unfiltered total comes from the counts table)."""
    sql, args = _where(where)
    return int(conn.execute("SELECT count(*) FROM records c WHERE c.type = 'case' "
                            "AND c.deleted = 0" + sql, args).fetchone()[0])
