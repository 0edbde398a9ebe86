"""List queries that join records for what a list row shows."""

from __future__ import annotations

from typing import Any

from caseapp.store.database import Connection


def case_rows(conn: Connection, limit: int,
              after: tuple[int, str] | None = None) -> list[tuple[Any, ...]]:
    """(id, case number, label, Urdu name, stage, updated_at) of cases, newest first, after
    the key ``(updated_at, id)``; the (type, deleted, updated_at, id) index serves any depth."""
    sql = ("SELECT c.id, json_extract(c.body, '$.hfz_CaseNumber'), c.label, "
           "json_extract(p.body, '$.hfz_NameUrdu'), c.status, c.updated_at "
           "FROM records c LEFT JOIN records p ON p.id = c.parent "
           "WHERE c.type = 'case' AND c.deleted = 0")
    args: list[Any] = []
    if after is not None:
        sql += " AND (c.updated_at, c.id) < (?, ?)"
        args += [after[0], after[1]]
    sql += " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"
    return list(conn.execute(sql, (*args, limit)))
