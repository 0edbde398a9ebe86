"""Numbered schema migrations. Released migrations are immutable: change the schema only by
appending a new one. Each runs in one transaction together with its ``user_version`` bump."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlcipher3

from caseapp.domain import merge_rules
from caseapp.domain.projections import projection
from caseapp.errors import ProfileError
from caseapp.i18n import N_
from caseapp.store import changelog, identities, merge, packing
from caseapp.store.database import Connection, storage_error

# The outbox view gives the change log's packed ids and clocks back in text (schema 8).
_UUID_TEXT = ("CASE WHEN typeof({c}) = 'blob' THEN lower(substr(hex({c}), 1, 8) || '-' || "
              "substr(hex({c}), 9, 4) || '-' || substr(hex({c}), 13, 4) || '-' || "
              "substr(hex({c}), 17, 4) || '-' || substr(hex({c}), 21)) ELSE {c} END")
_OUTBOX_V8 = f"""
    DROP VIEW outbox;
    CREATE VIEW outbox AS
        SELECT device_seq, {_UUID_TEXT.format(c="change_id")} AS change_id,
               {_UUID_TEXT.format(c="record_id")} AS record_id, record_type, kind, fields,
               seen AS base,
               CASE WHEN length(hlc) = 19 THEN hlc || '.' || {_UUID_TEXT.format(c="device")}
                    ELSE hlc END AS hlc,
               created_at, pushed_seq
        FROM changes WHERE origin = 'local';
"""
# The case list's indexes hold cases only (a case has four other records: person, events).
# They keep the type and deleted columns the queries test: without them the planner, seeing no
# equality on the index, would rather sort records_by_type's matches in memory.
_CASE_LIST_INDEXES_V8 = """
    DROP INDEX records_by_status;
    DROP INDEX records_by_label;
    DROP INDEX records_by_owner;
    CREATE INDEX records_by_status ON records (type, deleted, status, updated_at, id)
        WHERE type = 'case';
    CREATE INDEX records_by_label ON records (type, deleted, label, id) WHERE type = 'case';
    CREATE INDEX records_by_owner ON records (type, deleted,
        json_extract(body, '$.cas_CaseOwner'), updated_at, id) WHERE type = 'case';
"""
_BATCH = 5000
# How far a long step has come: (rows done, rows in all); and the whole upgrade's share done.
Report = Callable[[int, int], None]
Progress = Callable[[float], None]


def _count(conn: Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def _compact(conn: Connection, report: Report) -> None:
    """8: compact storage (issue 12, caseapp.store.packing): field clocks relative to one
    default, the change log's ids in 16 bytes and its clocks without the device id the row
    holds already, its JSON deflated; the case list's indexes over cases only."""
    total = _count(conn, "records") + _count(conn, "changes")
    done = 0
    last = 0
    while rows := conn.execute("SELECT rowid, body, clocks, hlc FROM records WHERE rowid > ? "
                               "ORDER BY rowid LIMIT ?", (last, _BATCH)).fetchall():
        conn.executemany("UPDATE records SET clocks = ? WHERE rowid = ?", [
            (packing.pack_clocks(json.loads(clocks), json.loads(body), hlc), rowid)
            for rowid, body, clocks, hlc in rows])
        last = rows[-1][0]
        done += len(rows)
        report(done, total)
    last = 0
    while rows := conn.execute("SELECT seq, change_id, record_id, parent, team, device, hlc, "
                               "fields, seen FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                               (last, _BATCH)).fetchall():
        conn.executemany(
            "UPDATE changes SET change_id = ?, record_id = ?, parent = ?, team = ?, device = ?, "
            "hlc = ?, fields = ?, seen = ? WHERE seq = ?",
            [(packing.pack_id(cid), packing.pack_id(rid), packing.pack_id(parent),
              packing.pack_id(team), packing.pack_id(device), packing.pack_hlc(hlc, device),
              packing.pack_json(json.loads(fields)), packing.pack_json(json.loads(seen)), seq)
             for seq, cid, rid, parent, team, device, hlc, fields, seen in rows])
        last = rows[-1][0]
        done += len(rows)
        report(done, total)

    # One statement at a time: executescript would commit the transaction first.
    for statement in (_CASE_LIST_INDEXES_V8 + _OUTBOX_V8).split(";"):
        if statement.strip():
            conn.execute(statement)


_EVENT = "trafficking_event"


def _rowids(conn: Connection, record_type: str) -> list[int]:
    """The rowids of every record of a type, in order, from the type index alone."""
    return [r[0] for r in conn.execute("SELECT rowid FROM records WHERE type = ? ORDER BY rowid",
                                       (record_type,))]


def _batches(conn: Connection, rowids: list[int], columns: str) -> Iterator[list[Any]]:
    """(rowid, *columns) of those records, _BATCH at a time, each fetched by its rowid. (A
    batch asked for as "of this type, after rowid N" made SQLite read the whole type index
    and sort it for every batch: quadratic, twenty minutes at a million cases.)"""
    wanted = ", ".join(f"r.{c.strip()}" for c in columns.split(","))
    for start in range(0, len(rowids), _BATCH):
        yield conn.execute(
            f"SELECT r.rowid, {wanted} FROM json_each(?) batch CROSS JOIN records r "  # noqa: S608
            "ON r.rowid = batch.value ORDER BY r.rowid",
            (json.dumps(rowids[start:start + _BATCH]),)).fetchall()


def _fold_events(conn: Connection, report: Report) -> None:
    """9: a case's historic trafficking events become its ``hte_Events`` set field instead
    of records of their own (issue 12: ~700 bytes each at rest, three per case), and the
    bodies of screenings and assessments are deflated (``packing.DEFLATED_BODIES``). Each
    event is merged in as the change that created it would merge today, at that change's clock, so
    every device folds the same events into the same bytes without syncing. The events' logged
    changes stay: they are the history, and unpushed ones still go out for devices not yet
    upgraded (whose events the case reads as before, ``case_documents.case_events``)."""
    case_rows = _rowids(conn, "case")
    total, done = len(case_rows), 0
    for cases in _batches(conn, case_rows, "id, body, clocks, hlc"):
        events: dict[str, list[tuple[str, str, str]]] = {}
        # From the batch's case ids (CROSS JOIN) through the parent index: planned the other
        # way, every batch walked all the events of the vault.
        for event_id, parent, body, hlc in conn.execute(
                "SELECT e.id, e.parent, e.body, e.hlc FROM json_each(?) batch CROSS JOIN "
                "records e ON e.parent = batch.value WHERE e.type = ? AND e.deleted = 0 "
                "ORDER BY e.rowid", (json.dumps([c[1] for c in cases]), _EVENT)):
            events.setdefault(parent, []).append((event_id, body, hlc))
        updates = []
        for rowid, case_id, body_text, clocks_text, case_hlc in cases:
            if case_id not in events:
                continue
            body = json.loads(body_text)
            clocks = packing.unpack_clocks(clocks_text, body, case_hlc)
            for _id, event_text, event_hlc in events[case_id]:
                event = json.loads(event_text)
                key = merge_rules.event_key(event)
                merge.merge_fields("case", body, clocks, {
                    merge_rules.EVENTS_FIELD: {merge.ADD: [[key, event]], merge.REMOVE: []}},
                    event_hlc)
            updates.append((changelog.dumps(body), packing.pack_clocks(clocks, body, case_hlc),
                            rowid))
        conn.executemany("UPDATE records SET body = ?, clocks = ? WHERE rowid = ?", updates)
        folded = [event_id for group in events.values() for event_id, _b, _h in group]
        conn.execute("DELETE FROM sync_record_keys WHERE record_id IN "
                     "(SELECT value FROM json_each(?))", (json.dumps(folded),))
        conn.execute("DELETE FROM records WHERE id IN (SELECT value FROM json_each(?))",
                     (json.dumps(folded),))
        done += len(cases)
        report(done, total)
    conn.execute("UPDATE counts SET live = (SELECT count(*) FROM records WHERE type = ? "
                 "AND deleted = 0) WHERE type = ?", (_EVENT, _EVENT))
    # The large write-once bodies deflated (``packing.DEFLATED_BODIES``).
    for record_type in sorted(packing.DEFLATED_BODIES):
        for rows in _batches(conn, _rowids(conn, record_type), "body"):
            conn.executemany("UPDATE records SET body = ? WHERE rowid = ?", [
                (packing.pack_body(record_type, json.loads(body)), rowid)
                for rowid, body in rows if isinstance(body, str)])


def _file_identities(conn: Connection, report: Report) -> None:
    """12: the duplicate lookup's filing of people (``identities``; 10 was its first layout,
    without the father's key): every live case filed under its blocks, as the record store
    files each case it writes from now on."""
    conn.execute("DROP TABLE IF EXISTS identities")
    for statement in identities.SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    case_rows = _rowids(conn, "case")
    proj = projection("case")
    assert proj.identity is not None
    total, done = len(case_rows), 0
    for cases in _batches(conn, case_rows, "body, parent, deleted"):
        people = dict(conn.execute(
            "SELECT p.id, p.body FROM json_each(?) batch CROSS JOIN records p "
            "ON p.id = batch.value", (json.dumps([c[2] for c in cases if c[2]]),)))
        for rowid, body, parent, deleted in cases:
            person = people.get(parent)
            if deleted or person is None:
                continue
            identities.file(conn, rowid, proj.identity(packing.unpack_json(body),
                                                       packing.unpack_json(person)),
                            replace=False)
        done += len(cases)
        report(done, total)


def _pack_audit(conn: Connection, report: Report) -> None:
    """11: audit events' field names deflated and their hashes and signatures as bytes
    (``audit``: 823 bytes an event at rest, two thirds hex and JSON). What was hashed and
    signed is the same, so every signature still verifies."""
    conn.execute("UPDATE audit SET prev = unhex(prev), hash = unhex(hash), sig = unhex(sig) "
                 "WHERE typeof(hash) = 'text'")
    seqs = [r[0] for r in conn.execute("SELECT seq FROM audit ORDER BY seq")]
    for start in range(0, len(seqs), _BATCH):
        rows = conn.execute("SELECT seq, fields FROM audit WHERE seq BETWEEN ? AND ?",
                            (seqs[start], seqs[min(start + _BATCH, len(seqs)) - 1])).fetchall()
        conn.executemany("UPDATE audit SET fields = ? WHERE seq = ?", [
            (packing.pack_json(json.loads(fields)), seq)
            for seq, fields in rows if isinstance(fields, str)])
        report(min(start + _BATCH, len(seqs)), len(seqs))


MIGRATIONS: list[str | Callable[[Connection, Report], None]] = [
    # 1: uniform records, per-field clocks, outbox, hash-chained audit, device metadata.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE records (
        rowid      INTEGER PRIMARY KEY,
        id         TEXT NOT NULL UNIQUE,
        type       TEXT NOT NULL,
        team       TEXT,
        parent     TEXT,
        label      TEXT,
        status     TEXT,
        body       TEXT NOT NULL,
        clocks     TEXT NOT NULL,
        hlc        TEXT NOT NULL,
        deleted    INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX records_by_type ON records (type, deleted, updated_at DESC);
    CREATE INDEX records_by_parent ON records (parent, type);
    CREATE TABLE outbox (
        device_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        change_id  TEXT NOT NULL UNIQUE,
        record_id  TEXT NOT NULL,
        record_type TEXT NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('upsert', 'delete', 'purge')),
        fields     TEXT NOT NULL,
        base       TEXT NOT NULL,
        hlc        TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        pushed_seq INTEGER
    );
    CREATE INDEX outbox_by_record ON outbox (record_id);
    CREATE TABLE audit (
        seq       INTEGER PRIMARY KEY,
        at        INTEGER NOT NULL,
        actor     TEXT NOT NULL,
        device    TEXT NOT NULL,
        action    TEXT NOT NULL,
        record_id TEXT,
        fields    TEXT NOT NULL,
        prev      TEXT NOT NULL,
        hash      TEXT NOT NULL,
        sig       TEXT NOT NULL
    );
    """,
    # 2: full-text search over names (both scripts), aliases, identity and case numbers, and
    # their consonant skeletons (caseapp.domain.names) so spellings and scripts meet;
    # attachment content kept inside the encrypted database.
    """
    CREATE VIRTUAL TABLE search USING fts5 (
        text, sound, content = '', contentless_delete = 1,
        tokenize = "unicode61 remove_diacritics 2"
    );
    CREATE TABLE attachment_content (
        record_id TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
        sha256    TEXT NOT NULL,
        data      BLOB NOT NULL
    );
    """,
    # 3: the change log. One table of changes, local and remote alike, each carrying what
    # another replica needs to place and merge it (parent, team, the clocks the editor saw,
    # device and its gapless sequence); the outbox is its unpushed local part, kept as a view.
    # Conflicts on guarded fields (SYNC.md §4). Keyset paging of lists. A random per-profile
    # code for case numbers (a 4-hex-digit device suffix collides too often between devices).
    """
    CREATE TABLE changes (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        change_id   TEXT NOT NULL UNIQUE,
        record_id   TEXT NOT NULL,
        record_type TEXT NOT NULL,
        parent      TEXT,
        team        TEXT,
        kind        TEXT NOT NULL CHECK (kind IN ('upsert', 'delete', 'purge')),
        fields      TEXT NOT NULL,
        seen        TEXT NOT NULL,
        hlc         TEXT NOT NULL,
        device      TEXT NOT NULL,
        device_seq  INTEGER NOT NULL,
        origin      TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
        created_at  INTEGER NOT NULL,
        pushed_seq  INTEGER,
        UNIQUE (device, device_seq)
    );
    CREATE INDEX changes_by_record ON changes (record_id, seq);
    CREATE INDEX changes_unpushed ON changes (seq) WHERE origin = 'local' AND pushed_seq IS NULL;
    INSERT INTO changes (change_id, record_id, record_type, parent, team, kind, fields, seen,
                         hlc, device, device_seq, origin, created_at, pushed_seq)
        SELECT o.change_id, o.record_id, o.record_type, r.parent, r.team, o.kind, o.fields,
               o.base, o.hlc, (SELECT value FROM meta WHERE key = 'device_id'), o.device_seq,
               'local', o.created_at, o.pushed_seq
        FROM outbox o LEFT JOIN records r ON r.id = o.record_id ORDER BY o.device_seq;
    DROP TABLE outbox;
    CREATE VIEW outbox AS
        SELECT device_seq, change_id, record_id, record_type, kind, fields, seen AS base, hlc,
               created_at, pushed_seq
        FROM changes WHERE origin = 'local';
    CREATE TABLE conflicts (
        id          TEXT PRIMARY KEY,
        record_id   TEXT NOT NULL,
        field       TEXT NOT NULL,
        clock_a     TEXT NOT NULL,
        value_a     TEXT NOT NULL,
        clock_b     TEXT NOT NULL,
        value_b     TEXT NOT NULL,
        resolved_by TEXT
    );
    CREATE INDEX conflicts_by_record ON conflicts (record_id);
    DROP INDEX records_by_type;
    CREATE INDEX records_by_type ON records (type, deleted, updated_at DESC, id DESC);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('case_code', upper(hex(randomblob(4))));
    """,
    # 4: live records per type, kept by every write: a list's total without counting 100,000
    # index entries on each page.
    """
    CREATE TABLE counts (type TEXT PRIMARY KEY, live INTEGER NOT NULL);
    INSERT INTO counts (type, live)
        SELECT type, count(*) FROM records WHERE deleted = 0 GROUP BY type;
    """,
    # 5: drafts of unsaved desktop edits, kept in the vault when it locks (never synced, never
    # in the change log); and the indexes the case list sorts and filters by at any depth.
    """
    CREATE TABLE drafts (key TEXT PRIMARY KEY, body TEXT NOT NULL, saved_at INTEGER NOT NULL);
    CREATE INDEX records_by_status ON records (type, deleted, status, updated_at DESC, id DESC);
    CREATE INDEX records_by_label ON records (type, deleted, label, id);
    """,
    # 6: "my cases" counted and listed without reading every case (the owner is in the body);
    # the stage index in one direction, so a sort by stage either way never sorts in memory.
    """
    CREATE INDEX records_by_owner ON records (type, deleted,
        json_extract(body, '$.cas_CaseOwner'), updated_at, id);
    DROP INDEX records_by_status;
    CREATE INDEX records_by_status ON records (type, deleted, status, updated_at, id);
    """,
    # 7: sync (SYNC.md §3): the record key of each record per audience team and epoch, and
    # the changes from other devices that failed verification, kept apart and never applied.
    """
    CREATE TABLE sync_record_keys (
        record_id TEXT NOT NULL,
        team_id   TEXT NOT NULL,
        epoch     INTEGER NOT NULL,
        key       BLOB NOT NULL,
        PRIMARY KEY (record_id, team_id, epoch)
    );
    CREATE TABLE sync_quarantine (
        change_id TEXT PRIMARY KEY,
        server_seq INTEGER NOT NULL,
        device_id TEXT,
        reason    TEXT NOT NULL,
        envelope  TEXT NOT NULL,
        at        INTEGER NOT NULL
    );
    """,
    _compact,
    _fold_events,
    # 10: the first layout of the duplicate lookup's filing (refiled by 12).
    """
    CREATE TABLE identities (
        block      TEXT NOT NULL,
        year       INTEGER NOT NULL,
        case_rowid INTEGER NOT NULL,
        person     BLOB NOT NULL,
        PRIMARY KEY (block, year, case_rowid)
    ) WITHOUT ROWID;
    CREATE INDEX identities_by_case ON identities (case_rowid);
    """,
    _pack_audit,
    _file_identities,
    # 13: the list of a type in ascending order, read backwards for "newest first": a new
    # record goes to the end of its type's range, where descending order put it at the front
    # and left every page of the index half full (a fresh fill of 1,000,000 cases: 240 bytes
    # a case against 118 once compacted).
    """
    DROP INDEX records_by_type;
    CREATE INDEX records_by_type ON records (type, deleted, updated_at, id);
    """,
    # 14: a bulk load's filing for the duplicate lookup, in the order it came, until it is
    # put in place (``identities.settle``); in the order of a case's rows, so that a case
    # filed again replaces its pending rows.
    """
    CREATE TABLE identities_pending (
        case_rowid INTEGER NOT NULL,
        block      TEXT NOT NULL,
        year       INTEGER NOT NULL,
        father     TEXT NOT NULL,
        person     BLOB NOT NULL,
        PRIMARY KEY (case_rowid, block, year, father)
    ) WITHOUT ROWID;
    """,
    # 15: the search index merges its segments when the desktop is idle
    # (``RecordStore.merge_search``), not inside a save.
    """
    INSERT INTO search (search, rank) VALUES ('automerge', 0);
    """,
]

CURRENT_VERSION = len(MIGRATIONS)


class SchemaTooNew(ProfileError):
    msgid = N_("This profile was written by a newer version of Hifazat; update the program.")


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _long_steps(found: int, target: int) -> list[int]:
    """The versions up to ``target`` whose migration rewrites or reads every record."""
    return [v for v in range(found + 1, target + 1) if callable(MIGRATIONS[v - 1])]


def long_steps_pending(conn: Connection) -> bool:
    """Whether ``migrate`` has steps ahead that report their progress."""
    return bool(_long_steps(schema_version(conn), CURRENT_VERSION))


def migrate(conn: Connection, target: int = CURRENT_VERSION,
            progress: Progress | None = None) -> int:
    """Bring the schema to ``target``; returns the version found before. ``progress`` hears
    the share of the upgrade done (0 to 1) as the steps that rewrite every record go: at a
    national caseload they take minutes, and the user must see that something happens."""
    found = schema_version(conn)
    if found > CURRENT_VERSION:
        raise SchemaTooNew()
    long_steps = _long_steps(found, target)

    def reporter(version: int) -> Report:
        def report(done: int, total: int) -> None:
            if progress is not None:
                share = done / total if total else 1.0
                progress((long_steps.index(version) + min(share, 1.0)) / len(long_steps))
        return report

    if progress is not None and long_steps:
        progress(0.0)  # said at once: the first batch can take a while
    for version in range(found + 1, target + 1):
        step = MIGRATIONS[version - 1]
        try:
            if callable(step):
                conn.execute("BEGIN IMMEDIATE")
                step(conn, reporter(version))
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            else:
                conn.executescript(f"BEGIN IMMEDIATE;\n{step}\nPRAGMA user_version = "
                                   f"{version};\nCOMMIT;")
        except sqlcipher3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise storage_error(exc) from exc
    return found
