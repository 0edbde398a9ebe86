"""Read queries over the records that no ``RecordStore`` method answers: the caseload as
exports and duplicate checks walk it, and ranked search hits. Nothing here writes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from caseapp.store.database import Connection

# A case merged into another describes the same person as the kept one: left out, so that
# person is counted and compared once.
_UNMERGED = "json_extract(c.body, '$.hfz_MergedInto') IS NULL"


def unmerged_case_ids(conn: Connection) -> list[str]:
    """Ids of the live cases not merged into another, oldest first."""
    return [r[0] for r in conn.execute(
        f"SELECT c.id FROM records c WHERE c.type = 'case' AND c.deleted = 0 "  # noqa: S608
        f"AND {_UNMERGED} ORDER BY c.id")]


# The search hits worth ranking: the newest 500 matches (or as many as asked for, if more).
# Ranking reads the word positions of every hit it ranks, so a common name ("Muhammad", one
# case in twenty) would otherwise cost in proportion to the caseload; at a million cases
# ranking 2,000 was two thirds of a two-word search (28 of 42 ms).
RANK_AT_LEAST = 500
RANKED_WINDOW = ("SELECT rowid, rank FROM (SELECT rowid, rank FROM search WHERE search MATCH ?1 "
                 f"ORDER BY rowid DESC LIMIT max(?2, {RANK_AT_LEAST})) "
                 "ORDER BY rank, rowid DESC LIMIT ?2")


CASE_HITS_SQL = (
    "SELECT c.id, json_extract(c.body, '$.hfz_CaseNumber'), c.label, c.status, c.updated_at, "
    "p.body FROM (SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid DESC LIMIT ?) "
    "hits CROSS JOIN records c ON c.rowid = hits.rowid LEFT JOIN records p ON p.id = c.parent "
    "WHERE c.type = 'case' AND c.deleted = 0 ORDER BY c.rowid DESC")


def case_hits(conn: Connection, match: str, limit: int
              ) -> list[tuple[str, str, str, str, int, dict[str, Any]]]:
    """The live cases among the newest ``limit`` search hits, newest first, as a hit list
    shows them: (id, case number, label, status, updated at, the person's body). The caller
    orders them (``case_search.NameQuery``): FTS5's own ranking (bm25) counts every match of
    every word in the whole index first, 25 ms a query at a million cases whatever the limit.

    One statement for the whole window, the person joined in: fetching each hit's person on
    its own was two thirds of a search over 300,000 cases. CROSS JOIN keeps the hits the
    outer loop: otherwise SQLite walks every case in the type index to meet them."""
    rows = conn.execute(CASE_HITS_SQL, (match, limit))
    return [(case_id, str(number or ""), label or "", status or "", updated_at,
             json.loads(body) if body else {})
            for case_id, number, label, status, updated_at, body in rows]


def people_of_cases(conn: Connection) -> Iterator[tuple[str, dict[str, Any]]]:
    """(case id, person body) of every live, unmerged case, by case id."""
    rows = conn.execute("SELECT c.id, p.body FROM records c "  # noqa: S608
                        "JOIN records p ON p.id = c.parent "
                        f"WHERE c.type = 'case' AND c.deleted = 0 AND {_UNMERGED} ORDER BY c.id")
    for case_id, person_body in rows:
        yield case_id, json.loads(person_body)


CASE_IDS_SQL = (
    "SELECT c.rowid, c.id FROM json_each(?) hits "  # noqa: S608
    "CROSS JOIN records c ON c.rowid = hits.value "
    f"WHERE c.type = 'case' AND c.deleted = 0 AND {_UNMERGED}")


def case_ids(conn: Connection, rowids: Sequence[int]) -> dict[int, str]:
    """Record rowid → id of those of ``rowids`` that are live, unmerged cases; each fetched
    by its rowid (the rowids the outer loop, CROSS JOIN: joined any other way SQLite walks a
    case-list index over every case to meet a few)."""
    if not rowids:
        return {}
    return dict(conn.execute(CASE_IDS_SQL, (json.dumps(list(rowids)),)).fetchall())


def unfinished_export_ids(conn: Connection, device: str) -> list[str]:
    """Ids of the exports this device started and never recorded as ended (a kill cut them
    off), oldest first. Exports are few, and the type index finds them."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM records WHERE type = 'export' AND deleted = 0 "
        "AND json_extract(body, '$.state') = 'started' "
        "AND json_extract(body, '$.device') = ? ORDER BY id", (device,))]


def report_facts(conn: Connection, team: str | None = None
                 ) -> list[tuple[str, str | None, str | None, Any, Any, Any]]:
    """(case id, its tracks and types of exploitation as JSON, the person's gender, birth
    date and estimated age) of every live case not merged into another (of ``team`` if
    given): only the coarse fields the statistics report counts, read in one pass without
    decoding whole records. In no order: counting needs none, and sorting 100,000 rows by
    id cost a tenth of the read."""
    sql = ("SELECT c.id, json_extract(c.body, '$.hfz_Tracks'), "
           "json_extract(c.body, '$.vic_TypeOfExploitation'), "
           "json_extract(p.body, '$.prs_Gender'), json_extract(p.body, '$.prs_Birthdate'), "
           "json_extract(p.body, '$.hfz_EstimatedAge') "
           "FROM records c LEFT JOIN records p ON p.id = c.parent "
           f"WHERE c.type = 'case' AND c.deleted = 0 AND {_UNMERGED}")
    args: tuple[str, ...] = ()
    if team is not None:
        sql += " AND c.team = ?"
        args = (team,)
    return [tuple(row) for row in conn.execute(sql, args)]


def consent_decisions(conn: Connection, purpose: str
                      ) -> list[tuple[str | None, str, Any, bool]]:
    """(case id, entry id, time, granted) of every live consent entry for ``purpose`` (a
    consent record's status is its purpose): four fields read in the database, so a
    caseload's consent costs no decoding of whole records. Granted only if stored as
    ``true``, as the entry's own check reads it."""
    return [(parent, entry_id, at, bool(granted)) for parent, entry_id, at, granted in
            conn.execute("SELECT parent, id, json_extract(body, '$.at'), "
                         "json_type(body, '$.granted') = 'true' FROM records "
                         "WHERE type = 'consent' AND deleted = 0 AND status = ?", (purpose,))]


def consent_withdrawals(conn: Connection, purpose: str) -> list[tuple[Any, Any]]:
    """(withdrawn entry id, time of the withdrawal) for every entry each live withdrawal of
    ``purpose`` names: one row per named entry."""
    return [tuple(row) for row in conn.execute(
        "SELECT j.value, json_extract(w.body, '$.at') FROM records w, "
        "json_each(w.body, '$.consent_ids') j "
        "WHERE w.type = 'consent_withdrawal' AND w.deleted = 0 AND w.status = ?", (purpose,))]
