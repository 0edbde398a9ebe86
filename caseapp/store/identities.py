"""The duplicate lookup's filing of people (``caseapp.domain.lookup_blocks``): one row per
block a case is filed under, clustered by (block, birth year), each holding the compared
fields packed, so a lookup reads a few neighbouring pages and no record (issue 12: the
lookup read one person record per name hit — a few hundred scattered pages, 1.7 s p95 on a
cold page cache at a million cases). Derived data, like the search index: written by the
record store with the case's search entry, never synced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from caseapp.store.database import Connection
from caseapp.store.packing import pack_json, unpack_json

SCHEMA = """
CREATE TABLE identities (
    block      TEXT NOT NULL,
    year       INTEGER NOT NULL,
    case_rowid INTEGER NOT NULL,
    person     BLOB NOT NULL,
    PRIMARY KEY (block, year, case_rowid)
) WITHOUT ROWID;
CREATE INDEX identities_by_case ON identities (case_rowid);
"""


def file(conn: Connection, case_rowid: int,
         filing: tuple[list[str], int, dict[str, Any]] | None, *, replace: bool) -> None:
    """File a case under its blocks (``filing`` None: not filed), replacing its old rows
    unless it is new."""
    if replace:
        conn.execute("DELETE FROM identities WHERE case_rowid = ?", (case_rowid,))
    if filing is None:
        return
    blocks, year, person = filing
    packed = pack_json(person)
    conn.executemany("INSERT INTO identities (block, year, case_rowid, person) "
                     "VALUES (?, ?, ?, ?)", [(b, year, case_rowid, packed) for b in blocks])


def nearest(conn: Connection, block: str, year: int, limit: int
            ) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(case rowid, year, compared fields) of up to ``limit`` people of ``block`` born
    nearest ``year`` (ties to the later year), and besides them up to ``limit`` whose year is
    unknown. Three range reads of the primary key, none a scan of the block."""
    later = conn.execute("SELECT case_rowid, year, person FROM identities WHERE block = ? "
                         "AND year >= ? ORDER BY year, case_rowid LIMIT ?",
                         (block, max(year, 1), limit)).fetchall()
    earlier = conn.execute("SELECT case_rowid, year, person FROM identities WHERE block = ? "
                           "AND year > 0 AND year < ? ORDER BY year DESC, case_rowid DESC "
                           "LIMIT ?", (block, max(year, 1), limit)).fetchall()
    merged = sorted(later + earlier, key=lambda row: (abs(row[1] - year), -row[1]))[:limit]
    unknown = conn.execute("SELECT case_rowid, year, person FROM identities WHERE block = ? "
                           "AND year = 0 ORDER BY case_rowid DESC LIMIT ?",
                           (block, limit)).fetchall()
    for case_rowid, filed, person in merged + unknown:
        yield case_rowid, filed, unpack_json(person)
