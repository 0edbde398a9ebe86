"""The uniform record store (ARCHITECTURE §3): every record is id (UUIDv7), type, team, JSON
body and per-field hybrid logical clocks, with a tombstone flag. Every local change writes an
outbox entry (the unit sync pushes) in the same transaction as the record itself."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from caseapp.errors import NotFound
from caseapp.store.database import Connection
from caseapp.store.hlc import HybridClock
from caseapp.store.ids import uuid7

_COLUMNS = "id, type, team, parent, label, status, body, clocks, hlc, deleted, updated_at"


@dataclass
class Record:
    id: str
    type: str
    body: dict[str, Any]
    team: str | None = None
    parent: str | None = None
    label: str | None = None
    status: str | None = None
    clocks: dict[str, str] = field(default_factory=dict)
    hlc: str = ""
    deleted: bool = False
    updated_at: int = 0

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Record:
        return cls(id=row[0], type=row[1], team=row[2], parent=row[3], label=row[4],
                   status=row[5], body=json.loads(row[6]), clocks=json.loads(row[7]),
                   hlc=row[8], deleted=bool(row[9]), updated_at=row[10])


@dataclass(frozen=True)
class Change:
    """What one write changed: the fields, and the clocks they had before (for merge)."""

    record: Record
    fields: dict[str, Any]
    kind: str


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class RecordStore:
    """Reads and writes records. Callers own the transaction (``database.transaction``) so a
    record, its audit event and its search entry commit or fail together."""

    def __init__(self, conn: Connection, clock: HybridClock) -> None:
        self.conn = conn
        self.clock = clock

    def get(self, record_id: str, *, include_deleted: bool = False) -> Record | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM records WHERE id = ?",  # noqa: S608
                                (record_id,)).fetchone()
        if row is None:
            return None
        record = Record.from_row(row)
        return None if record.deleted and not include_deleted else record

    def rowid(self, record_id: str) -> int | None:
        row = self.conn.execute("SELECT rowid FROM records WHERE id = ?", (record_id,)).fetchone()
        return None if row is None else int(row[0])

    def put(self, record_type: str, fields: dict[str, Any], *, record_id: str | None = None,
            team: str | None = None, parent: str | None = None, label: str | None = None,
            status: str | None = None) -> Change | None:
        """Create or update a record with ``fields``; returns None when nothing changed."""
        now = time.time_ns() // 1_000_000
        existing = self.get(record_id, include_deleted=True) if record_id else None
        if existing is not None and existing.deleted:
            # A deleted record never comes back through an edit (SYNC.md §4).
            raise NotFound()
        if existing is not None and existing.type != record_type:
            raise ValueError("record type cannot change")
        body = dict(existing.body) if existing else {}
        clocks = dict(existing.clocks) if existing else {}
        changed = {k: v for k, v in fields.items() if k not in body or body[k] != v}
        # None leaves a column as it is, so only a given, different value is a change.
        index_same = existing is not None and all(
            new is None or new == old
            for new, old in ((team, existing.team), (parent, existing.parent),
                             (label, existing.label), (status, existing.status)))
        if existing is not None and not changed and index_same:
            return None
        hlc = self.clock.tick()
        base = {k: clocks.get(k) for k in changed}
        for key in changed:
            clocks[key] = hlc
        body.update(changed)
        record = Record(
            id=record_id or uuid7(now), type=record_type, body=body,
            team=team if team is not None or existing is None else existing.team,
            parent=parent if parent is not None or existing is None else existing.parent,
            label=label if label is not None or existing is None else existing.label,
            status=status if status is not None or existing is None else existing.status,
            clocks=clocks, hlc=hlc, updated_at=now)
        self.conn.execute(
            "INSERT INTO records (id, type, team, parent, label, status, body, clocks, hlc, "
            "deleted, updated_at) VALUES (?,?,?,?,?,?,?,?,?,0,?) ON CONFLICT (id) DO UPDATE SET "
            "team=excluded.team, parent=excluded.parent, label=excluded.label, "
            "status=excluded.status, body=excluded.body, clocks=excluded.clocks, "
            "hlc=excluded.hlc, updated_at=excluded.updated_at",
            (record.id, record.type, record.team, record.parent, record.label, record.status,
             _dumps(body), _dumps(clocks), hlc, now))
        self._outbox(record, "upsert", changed, base, hlc, now)
        return Change(record, changed, "upsert")

    def delete(self, record_id: str) -> Change | None:
        record = self.get(record_id)
        if record is None:
            return None
        now = time.time_ns() // 1_000_000
        hlc = self.clock.tick()
        self.conn.execute("UPDATE records SET deleted = 1, hlc = ?, updated_at = ? WHERE id = ?",
                          (hlc, now, record_id))
        self.unindex(record_id)
        self._outbox(record, "delete", {}, {}, hlc, now)
        record.deleted = True
        return Change(record, {}, "delete")

    def _outbox(self, record: Record, kind: str, fields: dict[str, Any],
                base: dict[str, str | None], hlc: str, now: int) -> None:
        self.conn.execute(
            "INSERT INTO outbox (change_id, record_id, record_type, kind, fields, base, hlc, "
            "created_at) VALUES (?,?,?,?,?,?,?,?)",
            (uuid7(now), record.id, record.type, kind, _dumps(fields), _dumps(base), hlc, now))
        self.conn.execute("INSERT INTO meta (key, value) VALUES ('hlc', ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (hlc,))

    def children(self, parent: str, record_type: str) -> list[Record]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM records WHERE parent = ? AND type = ? "  # noqa: S608
            "AND deleted = 0 ORDER BY id", (parent, record_type))
        return [Record.from_row(r) for r in rows]

    def list(self, record_type: str, *, limit: int = 50, offset: int = 0,
             status: str | None = None) -> list[Record]:
        """Newest first; served by the (type, deleted, updated_at) index."""
        sql = f"SELECT {_COLUMNS} FROM records WHERE type = ? AND deleted = 0"  # noqa: S608
        args: list[Any] = [record_type]
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?"
        return [Record.from_row(r) for r in self.conn.execute(sql, (*args, limit, offset))]

    def count(self, record_type: str) -> int:
        return int(self.conn.execute(
            "SELECT count(*) FROM records WHERE type = ? AND deleted = 0",
            (record_type,)).fetchone()[0])

    def pending_changes(self) -> int:
        return int(self.conn.execute(
            "SELECT count(*) FROM outbox WHERE pushed_seq IS NULL").fetchone()[0])

    def history(self, record_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT device_seq, kind, fields, base, hlc, created_at FROM outbox "
            "WHERE record_id = ? ORDER BY device_seq", (record_id,))
        return [{"seq": r[0], "kind": r[1], "fields": json.loads(r[2]), "base": json.loads(r[3]),
                 "hlc": r[4], "at": r[5]} for r in rows]

    # Search index rows share the record's rowid; the caller decides what text a record has.
    def index(self, record_id: str, text: str, sound: str) -> None:
        rowid = self.rowid(record_id)
        if rowid is None:
            return
        self.conn.execute("DELETE FROM search WHERE rowid = ?", (rowid,))
        self.conn.execute("INSERT INTO search (rowid, text, sound) VALUES (?, ?, ?)",
                          (rowid, text, sound))

    def unindex(self, record_id: str) -> None:
        rowid = self.rowid(record_id)
        if rowid is not None:
            self.conn.execute("DELETE FROM search WHERE rowid = ?", (rowid,))

    def search(self, match: str, limit: int = 50) -> list[Record]:
        """Records whose index matches an FTS5 ``match`` expression, best first.

        Ranking looks at the newest 2,000 hits only, and the ranked top is joined to the
        records table before anything else: each joined row is a page to decrypt, so a
        common name ("Muhammad") over 100,000 cases stays inside the 50 ms budget. Deleted
        records leave the index when they are deleted."""
        rows = self.conn.execute(
            f"SELECT {', '.join('r.' + c.strip() for c in _COLUMNS.split(','))} "  # noqa: S608
            "FROM (SELECT rowid, rank FROM ("
            "        SELECT rowid, rank FROM search WHERE search MATCH ? "
            "        ORDER BY rowid DESC LIMIT 2000) "
            "      ORDER BY rank, rowid DESC LIMIT ?) hits "
            "JOIN records r ON r.rowid = hits.rowid "
            "WHERE r.deleted = 0 ORDER BY hits.rank, r.rowid DESC",
            (match, limit))
        return [Record.from_row(r) for r in rows]
