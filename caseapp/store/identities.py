"""The duplicate lookup's filing of people (``caseapp.domain.lookup_blocks``): one row per
block a case is filed under, clustered by (block, birth year, father's key), each holding
the compared fields packed, so a lookup reads a few neighbouring pages and no record (issue 12: the
lookup read one person record per name hit — a few hundred scattered pages, 1.7 s p95 on a
cold page cache at a million cases). Derived data, like the search index: written by the
record store with the case's search entry, never synced.

A bulk load (``RecordStore.deferred_filing``) files people in the order they come, into
``identities_pending``, and into the lookup's order once at its end (``settle``): the filing's
key is as good as random, so a batch of 20,000 cases filed in place dirtied most pages of the
table, and at a national caseload, where it outgrows the page cache, every commit rewrote it
(at 300,000 cases with the cache a million would leave it, the filing took 0.2 ms of a case's
1.0; a million demo cases went from 24 to 16 minutes). A lookup reads only ``identities``:
the load settles before it returns, and what an interrupted one left pending is settled at
the next unlock (an edit deletes a case's pending rows too, so none of them goes stale)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from caseapp.store.database import Connection
from caseapp.store.packing import pack_json, unpack_json

SCHEMA = """
CREATE TABLE identities (
    block      TEXT NOT NULL,
    year       INTEGER NOT NULL,
    father     TEXT NOT NULL,
    case_rowid INTEGER NOT NULL,
    person     BLOB NOT NULL,
    PRIMARY KEY (block, year, father, case_rowid)
) WITHOUT ROWID;
CREATE INDEX identities_by_case ON identities (case_rowid);
"""
SMALL_BLOCK = 300  # a block of at most this many people is read whole
SETTLE_ROWS = 200_000  # pending rows ``settle`` sorts at a time (about 30 MiB of them)
Filing = tuple[list[str], int, str, dict[str, Any]]
Found = dict[int, dict[str, Any]]


def file(conn: Connection, case_rowid: int, filing: Filing | None, *, replace: bool,
         pending: bool = False) -> None:
    """File a case under its blocks (``filing`` None: not filed), replacing its old rows
    (filed or pending) unless it is new; ``pending``: for ``settle`` to put in place."""
    if replace:
        conn.execute("DELETE FROM identities WHERE case_rowid = ?", (case_rowid,))
        conn.execute("DELETE FROM identities_pending WHERE case_rowid = ?", (case_rowid,))
    if filing is None:
        return
    blocks, year, father, person = filing
    packed = pack_json(person)
    table = "identities_pending" if pending else "identities"
    conn.executemany(f"INSERT INTO {table} (block, year, father, case_rowid, person) "  # noqa: S608
                     "VALUES (?, ?, ?, ?, ?)",
                     [(b, year, father, case_rowid, packed) for b in blocks])


def settle(conn: Connection) -> int:
    """Put the pending filing in place, in the table's order (inside the caller's
    transaction); returns the rows it moved. Pending rows are the newer: a case filed in
    place before has had its rows there replaced already, so a clash is stale data.

    In slices of ``SETTLE_ROWS`` cases' rows, each sorted on its own: the sort is held in
    memory (``temp_store``, so that no plaintext reaches a temporary file), and sorting the
    2.4 million rows of a million cases at once took 916 MiB."""
    moved, after = 0, -1
    while True:
        edge = conn.execute("SELECT case_rowid FROM identities_pending WHERE case_rowid > ? "
                            "ORDER BY case_rowid LIMIT 1 OFFSET ?",
                            (after, SETTLE_ROWS)).fetchone()
        # a case's rows all in one slice (the first case of it whole, however many it has)
        upto = max(edge[0] - 1, after + 1) if edge is not None else None
        moved += conn.execute(
            "INSERT OR REPLACE INTO identities (block, year, father, case_rowid, person) "
            "SELECT block, year, father, case_rowid, person FROM identities_pending "
            "WHERE case_rowid > ? AND (? IS NULL OR case_rowid <= ?) "
            "ORDER BY block, year, father, case_rowid", (after, upto, upto)).rowcount
        if upto is None:
            break
        after = upto
    if moved:
        conn.execute("DELETE FROM identities_pending")
    return moved


def candidates(conn: Connection, block: str, year: int, father: str, *, nearest_limit: int,
               father_years: int, father_limit: int) -> Found:
    """Case rowid → compared fields of the people of ``block`` worth comparing with one born
    in ``year`` whose father's key is ``father``: all of them when the block is small;
    else the ``nearest_limit`` born nearest, and those with the same father's key born up to
    ``father_years`` from ``year`` (or in an unknown year), up to ``father_limit``."""
    first = conn.execute("SELECT case_rowid, person FROM identities WHERE block = ? LIMIT ?",
                         (block, SMALL_BLOCK + 1)).fetchall()
    if len(first) <= SMALL_BLOCK:
        return {rowid: unpack_json(person) for rowid, person in first}
    found = {rowid: person for rowid, _year, person in nearest(conn, block, year, nearest_limit)}
    if father:
        years = [0, *range(max(year - father_years, 1), year + father_years + 1)]
        for rowid, person in conn.execute(same_father_sql(len(years)),
                                          (block, *years, father, father_limit)):
            if rowid not in found:
                found[rowid] = unpack_json(person)
    return found


# The reads of a lookup, each a range of the primary key (their plans are tested).
BORN_LATER_SQL = ("SELECT case_rowid, year, person FROM identities WHERE block = ? "
                  "AND year >= ? ORDER BY year, father, case_rowid LIMIT ?")
BORN_EARLIER_SQL = ("SELECT case_rowid, year, person FROM identities WHERE block = ? "
                    "AND year > 0 AND year < ? ORDER BY year DESC, father DESC, "
                    "case_rowid DESC LIMIT ?")
YEAR_UNKNOWN_SQL = ("SELECT case_rowid, year, person FROM identities WHERE block = ? "
                    "AND year = 0 ORDER BY father DESC, case_rowid DESC LIMIT ?")


def same_father_sql(years: int) -> str:
    """People of a block with a father's key, born in one of ``years`` years."""
    marks = ", ".join("?" * years)
    return ("SELECT case_rowid, person FROM identities WHERE block = ? "  # noqa: S608
            f"AND year IN ({marks}) AND father = ? LIMIT ?")


def nearest(conn: Connection, block: str, year: int, limit: int
            ) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(case rowid, year, compared fields) of up to ``limit`` people of ``block`` born
    nearest ``year`` (ties to the later year), and besides them up to ``limit`` whose year is
    unknown. Three range reads of the primary key, none a scan of the block."""
    later = conn.execute(BORN_LATER_SQL, (block, max(year, 1), limit)).fetchall()
    earlier = conn.execute(BORN_EARLIER_SQL, (block, max(year, 1), limit)).fetchall()
    merged = sorted(later + earlier, key=lambda row: (abs(row[1] - year), -row[1]))[:limit]
    unknown = conn.execute(YEAR_UNKNOWN_SQL, (block, limit)).fetchall()
    for case_rowid, filed, person in merged + unknown:
        yield case_rowid, filed, unpack_json(person)
