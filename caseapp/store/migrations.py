"""Numbered schema migrations. Released migrations are immutable: change the schema only by
appending a new one. Each runs in one transaction together with its ``user_version`` bump."""

from __future__ import annotations

import sqlcipher3

from caseapp.errors import ProfileError
from caseapp.i18n import N_
from caseapp.store.database import Connection, storage_error

MIGRATIONS: list[str] = [
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
]

CURRENT_VERSION = len(MIGRATIONS)


class SchemaTooNew(ProfileError):
    msgid = N_("This profile was written by a newer version of Hifazat; update the program.")


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, target: int = CURRENT_VERSION) -> int:
    """Bring the schema to ``target``; returns the version found before."""
    found = schema_version(conn)
    if found > CURRENT_VERSION:
        raise SchemaTooNew()
    for version in range(found + 1, target + 1):
        script = MIGRATIONS[version - 1]
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};"
                               "\nCOMMIT;")
        except sqlcipher3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise storage_error(exc) from exc
    return found
