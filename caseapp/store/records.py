"""The uniform record store (ARCHITECTURE §3): every record is id (UUIDv7), type, team, JSON
body and per-field hybrid logical clocks, with a tombstone flag.

Every write — a local create, update or delete, or a change applied from another device — goes
through one path: merge the change into the record (``merge``), log it in the change log in
the same transaction, and rebuild the record's derived columns (label, status, search terms)
from its body with the record type's projection (``domain.projections``)."""

from __future__ import annotations

import builtins
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from caseapp.canonical import reject_floats
from caseapp.domain import merge_rules
from caseapp.domain.projections import projection
from caseapp.errors import NotFound
from caseapp.store import bulk, changelog, database, identities, merge, packing, queries
from caseapp.store.changelog import DELETE, LOCAL, REMOTE, UPSERT, LoggedChange
from caseapp.store.changes import ChangeCollector
from caseapp.store.database import Connection, HoldsConnection
from caseapp.store.hlc import HybridClock
from caseapp.store.ids import uuid7

SEARCH_MERGE_PAGES = 200  # about 20 ms of merging at a million cases
_COLUMNS = "id, type, team, parent, label, status, body, clocks, hlc, deleted, updated_at"
CASE = "case"


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
        body = packing.unpack_json(row[6])
        return cls(id=row[0], type=row[1], team=row[2], parent=row[3], label=row[4],
                   status=row[5], body=body, clocks=packing.unpack_clocks(row[7], body, row[8]),
                   hlc=row[8], deleted=bool(row[9]), updated_at=row[10])


@dataclass(frozen=True)
class Change:
    """What one write did: the record after it, the fields whose value changed, and the
    change as logged."""

    record: Record
    fields: dict[str, Any]
    kind: str
    logged: LoggedChange


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _reads_parent(record_type: str) -> bool:
    """Whether a record's label, status, search entry or filing reads its parent's body."""
    proj = projection(record_type)
    return proj.reads_parent or proj.search is not None or proj.identity is not None


class RecordStore(HoldsConnection):
    """Reads and writes records. Callers own the transaction (``Session.write``) so a
    record, its change, its audit event and its search entry commit or fail together."""

    def __init__(self, conn: Connection, clock: HybridClock, device: str) -> None:
        super().__init__(conn)
        self.clock = clock
        self.device = device
        # Set by the session while a transaction is open: what it touched, for ``Changes``.
        self.collector: ChangeCollector | None = None
        # Called before every local edit (not before changes from other devices): raises
        # to refuse edits, e.g. while the machine's clock is far behind the server's.
        self.edit_guard: Callable[[], None] = lambda: None
        # What a bulk write holds until its end (``bulk_write``); None outside one.
        self._held: bulk.HeldWrites | None = None
        self._filing_deferred = False  # ``deferred_filing``

    # -- reading ----------------------------------------------------------------------
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

    def children(self, parent: str, record_type: str) -> list[Record]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM records WHERE parent = ? AND type = ? "  # noqa: S608
            "AND deleted = 0 ORDER BY id", (parent, record_type))
        return [Record.from_row(r) for r in rows]

    def all_children(self, parent: str) -> builtins.list[Record]:
        """Every live record directly under ``parent``, whatever its type, oldest first."""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM records WHERE parent = ? "  # noqa: S608
                                 "AND deleted = 0 ORDER BY id", (parent,))
        return [Record.from_row(r) for r in rows]

    def list(self, record_type: str, *, limit: int = 50, after: tuple[int, str] | None = None,
             status: str | None = None) -> list[Record]:
        """Newest first, one page after the key ``(updated_at, id)`` of the last record of the
        page before: served by the (type, deleted, updated_at, id) index at any depth, where
        an OFFSET would read every record it skips."""
        sql = f"SELECT {_COLUMNS} FROM records WHERE type = ? AND deleted = 0"  # noqa: S608
        args: list[Any] = [record_type]
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        if after is not None:
            sql += " AND (updated_at, id) < (?, ?)"
            args += [after[0], after[1]]
        sql += " ORDER BY updated_at DESC, id DESC LIMIT ?"
        return [Record.from_row(r) for r in self.conn.execute(sql, (*args, limit))]

    def count(self, record_type: str) -> int:
        """Live records of a type, from the count every write keeps (not a scan)."""
        row = self.conn.execute("SELECT live FROM counts WHERE type = ?",
                                (record_type,)).fetchone()
        return 0 if row is None else int(row[0])

    def pending_changes(self) -> int:
        return changelog.pending(self.conn)

    def unpushed(self, limit: int = 500) -> builtins.list[LoggedChange]:
        return changelog.unpushed(self.conn, limit)

    def compact_log(self) -> int:
        """Drop from the change log the values of acknowledged changes that neither the
        conflict rules nor history read (``changelog.compact``); returns how many."""
        return changelog.compact(self.conn, merge_rules.guarded)

    def history(self, record_id: str) -> builtins.list[dict[str, Any]]:
        """Every change to the record, local and from other devices, in the order applied."""
        return changelog.history(self.conn, record_id)

    def conflicts(self, record_id: str | None = None) -> builtins.list[dict[str, Any]]:
        return merge.conflicts(self.conn, record_id)

    def merge_search(self, pages: int = SEARCH_MERGE_PAGES) -> bool:
        """One step of merging the search index's segments, for when no one waits (the
        desktop's database thread runs it when idle); whether there may be more to merge.

        Each commit that touches the index adds a segment. FTS5's own merging (``automerge``,
        off from schema 15) ran inside every 20th or so save: at a million cases it wrote
        hundreds of pages there and set the p95 of saving an edit (bench/store.py: 30-41 ms,
        4.0 ms without it). Without idle steps, its crisis merge still bounds the segments
        (16 a level): about every 250th save in a row then pays some 80 ms."""
        before = self.conn.total_changes
        self.conn.execute("INSERT INTO search (search, rank) VALUES ('merge', ?)", (pages,))
        return self.conn.total_changes - before >= 2  # FTS5's sign that the step did work

    def optimize_search(self) -> None:
        """Merge the search index into one segment, after a bulk load: each batch left one,
        and with automerge off, fewer than 16 of them stayed apart until a save's crisis
        merge rewrote them all (0.66 s for one save after 300,000 demo cases)."""
        self.conn.execute("INSERT INTO search (search) VALUES ('optimize')")

    def search(self, match: str, limit: int = 50) -> builtins.list[Record]:
        """Records whose index matches an FTS5 ``match`` expression, best first.

        Ranking looks at the newest 500 hits only (``queries.RANKED_WINDOW``), and the
        ranked top is joined to the records table before anything else: each joined row is a
        page to decrypt. Deleted records leave the index when they are deleted."""
        self.flush_held()
        rows = self.conn.execute(
            f"SELECT {', '.join('r.' + c.strip() for c in _COLUMNS.split(','))} "  # noqa: S608
            f"FROM ({queries.RANKED_WINDOW}) hits "
            "JOIN records r ON r.rowid = hits.rowid "
            "WHERE r.deleted = 0 ORDER BY hits.rank, r.rowid DESC",
            (match, limit))
        return [Record.from_row(r) for r in rows]

    # -- local writes -----------------------------------------------------------------
    def create(self, record_type: str, fields: dict[str, Any], *, team: str | None = None,
               parent: str | None = None, record_id: str | None = None) -> Change:
        # An id minted here names no record yet (nor any child): nothing to read for it.
        fresh = record_id is None
        record_id = record_id or uuid7()
        if not fresh and self.get(record_id, include_deleted=True) is not None:
            raise ValueError("a record with that id exists")
        logged = {k: self._as_logged(record_type, k, None, v) for k, v in fields.items()}
        return self._local(record_type, record_id, UPSERT, logged, {}, team, parent,
                           fresh=fresh)

    def update(self, record_id: str, fields: dict[str, Any], *,
               seen: dict[str, str | None] | None = None,
               record_type: str | None = None) -> Change | None:
        """Change ``fields`` of a record; None when no value changes.

        ``seen`` holds the field clocks the editor was shown (``Record.clocks`` when the form
        opened): a guarded field changed over a value it never saw is a conflict. Without it,
        the editor saw the record as it is now."""
        existing = self.get(record_id, include_deleted=True)
        if existing is None or existing.deleted:
            # A deleted record never comes back through an edit (SYNC.md §4).
            raise NotFound()
        if record_type is not None and existing.type != record_type:
            raise ValueError("record type cannot change")
        logged: dict[str, Any] = {}
        for name, value in fields.items():
            if merge_rules.set_key(existing.type, name) is not None:
                delta = self._as_logged(existing.type, name, existing.body.get(name), value)
                if delta is not None:
                    logged[name] = delta
            elif name not in existing.body or existing.body[name] != value:
                logged[name] = value
        if not logged:
            return None
        base = existing.clocks if seen is None else seen
        seen_map = {name: base.get(name) for name in logged}
        return self._local(existing.type, record_id, UPSERT, logged, seen_map, existing.team,
                           existing.parent)

    def resolve(self, record_id: str, name: str, value: Any, seen: str) -> Change:
        """Write ``value`` to a guarded field over the clock ``seen`` (the newer of a
        conflict's two), even when it is the value shown now: the resolution is a change of
        its own, so every replica learns of it."""
        existing = self.get(record_id)
        if existing is None:
            raise NotFound()
        return self._local(existing.type, record_id, UPSERT, {name: value},
                           {name: seen, merge.RESOLUTION: seen}, existing.team, existing.parent)

    def delete(self, record_id: str) -> Change | None:
        record = self.get(record_id)
        if record is None:
            return None
        return self._local(record.type, record_id, DELETE, {}, {}, record.team, record.parent)

    @staticmethod
    def _as_logged(record_type: str, name: str, old: Any, new: Any) -> Any:
        """A set field's value as the element changes that make it; other values as they are."""
        key = merge_rules.set_key(record_type, name)
        if key is None:
            return new
        return merge.set_delta(key, old, new)

    def _local(self, record_type: str, record_id: str, kind: str, fields: dict[str, Any],
               seen: dict[str, str | None], team: str | None, parent: str | None, *,
               fresh: bool = False) -> Change:
        self.edit_guard()
        fields = {k: v for k, v in fields.items() if v is not None or
                  merge_rules.set_key(record_type, k) is None}
        # A change is signed as canonical JSON when it syncs: a float would make it unsendable
        # (and differ in its last digit between devices). Callers store integers or text.
        reject_floats(fields)
        entry = LoggedChange(
            change_id=uuid7(), record_id=record_id, record_type=record_type, kind=kind,
            fields=fields, hlc=self.clock.tick(), device=self.device,
            device_seq=self._next_device_seq(), parent=parent,
            team=team, seen=seen)
        record, changed = self._write(entry, LOCAL, fresh=fresh)
        return Change(record, {k: record.body.get(k) for k in changed}, kind, entry)

    def _next_device_seq(self) -> int:
        held = self._held
        if held is None:
            return changelog.next_device_seq(self.conn, self.device)
        if held.device_seq is None:
            held.device_seq = changelog.next_device_seq(self.conn, self.device) - 1
        held.device_seq += 1
        return held.device_seq

    # -- changes from other devices ---------------------------------------------------
    def apply_remote(self, entry: LoggedChange) -> bool:
        """Merge a change made on another device (already verified and decrypted by sync);
        False when this replica has it already."""
        if changelog.known(self.conn, entry.change_id):
            return False
        self.clock.observe(entry.hlc)
        self._write(entry, REMOTE)
        if self.collector is not None:
            self.collector.remote = True
        return True

    # -- the one write path -------------------------------------------------------------
    def _write(self, entry: LoggedChange, origin: str, *,
               fresh: bool = False) -> tuple[Record, builtins.list[str]]:
        conn = self.conn
        existing = None if fresh else self.get(entry.record_id, include_deleted=True)
        if existing is not None and existing.type != entry.record_type:
            raise ValueError("record type cannot change")
        body = dict(existing.body) if existing else {}
        clocks = dict(existing.clocks) if existing else {}
        if not fresh:
            # A record minted here has no logged change to conflict with, nor to resolve.
            merge.record_conflicts(conn, entry)
            merge.resolve_seen(conn, entry)
        changed = merge.merge_fields(entry.record_type, body, clocks, entry.fields, entry.hlc)
        if self.collector is not None:
            self.collector.fields.update(changed)
        now = _now_ms()
        record = Record(
            id=entry.record_id, type=entry.record_type, body=body,
            team=existing.team if existing else entry.team,
            parent=existing.parent if existing else entry.parent,
            clocks=clocks, hlc=max(existing.hlc, entry.hlc) if existing else entry.hlc,
            deleted=(existing.deleted if existing else False) or entry.kind == DELETE,
            updated_at=now)
        parent_body = self._parent_body(record) if _reads_parent(record.type) else None
        record.label, record.status = self._derived(record, parent_body)
        rowid = conn.execute(
            "INSERT INTO records (id, type, team, parent, label, status, body, clocks, hlc, "
            "deleted, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
            "label=excluded.label, status=excluded.status, body=excluded.body, "
            "clocks=excluded.clocks, hlc=excluded.hlc, deleted=excluded.deleted, "
            "updated_at=excluded.updated_at RETURNING rowid",
            (record.id, record.type, record.team, record.parent, record.label, record.status,
             packing.pack_body(record.type, body), packing.pack_clocks(clocks, body, record.hlc),
             record.hlc,
             int(record.deleted), now)).fetchone()[0]
        was_live = existing is not None and not existing.deleted
        if was_live != (not record.deleted):
            conn.execute("INSERT INTO counts (type, live) VALUES (?, ?) ON CONFLICT (type) "
                         "DO UPDATE SET live = live + excluded.live",
                         (record.type, -1 if was_live else 1))
        changelog.append(conn, entry, origin, now)
        if self._held is None:
            bulk.persist_clock(conn, self.clock.last)
        else:
            self._held.clock_moved = True
            self._held.newest = (record.id, dict(body))
        self._reproject(record, now, written=(rowid, existing is None, parent_body),
                        follow=not fresh)
        return record, changed

    def _derived(self, record: Record,
                 parent_body: dict[str, Any] | None) -> tuple[str | None, str | None]:
        proj = projection(record.type)
        parent = parent_body if proj.reads_parent else None
        return proj.label(record.body, parent), proj.status(record.body, parent)

    def _parent_body(self, record: Record) -> dict[str, Any] | None:
        if not record.parent:
            return None
        if self._held is not None and self._held.newest is not None and \
                self._held.newest[0] == record.parent:
            return self._held.newest[1]
        parent = self.get(record.parent, include_deleted=True)
        return parent.body if parent else None

    def reproject_all(self) -> int:
        """Rebuild every record's derived columns and search entry (after an upgrade whose
        projections differ from those the vault was written with); returns the count. List
        order is kept: nothing was edited."""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM records ORDER BY rowid")  # noqa: S608
        count = 0
        for row in rows.fetchall():
            record = Record.from_row(row)
            self._reproject(record, record.updated_at, follow=False)
            count += 1
        return count

    def _reproject(self, record: Record, now: int, *,
                   written: tuple[int, bool, dict[str, Any] | None] | None = None,
                   follow: bool = True) -> None:
        """Rebuild what is derived from ``record`` — its own columns (unless ``written``:
        just written, with its rowid, whether it is new and its parent's body), its search
        entry, and (``follow``) the records whose projection reads it."""
        proj = projection(record.type)
        if written is None:
            parent_body = self._parent_body(record) if _reads_parent(record.type) else None
            label, status = self._derived(record, parent_body)
            if (label, status) != (record.label, record.status):
                record.label, record.status = label, status
                self.conn.execute("UPDATE records SET label = ?, status = ?, updated_at = ? "
                                  "WHERE id = ?", (label, status, now, record.id))
        else:
            parent_body = written[2]
        if proj.search is not None or proj.identity is not None:
            rowid, new = written[:2] if written is not None else (self.rowid(record.id), False)
            if rowid is not None:
                self._derive_rows(record, rowid, new, parent_body)
        if self.collector is not None:
            self.collector.touched(record.type, record.id, self._cases_of(record))
        for child_type in proj.children if follow else ():
            for child in self.children(record.id, child_type):
                self._reproject(child, now)

    def _cases_of(self, record: Record) -> builtins.list[str]:
        if record.type == CASE:
            return [record.id]
        if record.parent:
            row = self.conn.execute("SELECT type FROM records WHERE id = ?",
                                    (record.parent,)).fetchone()
            if row is not None and row[0] == CASE:
                return [record.parent]
        return []

    def _derive_rows(self, record: Record, rowid: int, new: bool,
                     parent_body: dict[str, Any] | None) -> None:
        """The record's search entry (rows share the record's rowid) and its filing for the
        duplicate lookup: replaced, unless the record is new, and dropped once it is deleted."""
        proj = projection(record.type)
        if proj.search is not None:
            held = self._held.search if self._held is not None else None
            # An entry still held was never added to the index: nothing there to delete.
            if not new and (held is None or held.pop(rowid, None) is None):
                self.conn.execute("DELETE FROM search WHERE rowid = ?", (rowid,))
            if not record.deleted:
                entry = proj.search(record.body, parent_body)
                if held is not None:
                    held[rowid] = entry
                else:
                    self.conn.execute("INSERT INTO search (rowid, text, sound) "
                                      "VALUES (?, ?, ?)", (rowid, *entry))
        if proj.identity is not None:
            filing = None if record.deleted else proj.identity(record.body, parent_body)
            identities.file(self.conn, rowid, filing, replace=not new,
                            pending=self._filing_deferred)

    # -- bulk writes ----------------------------------------------------------------------
    @contextlib.contextmanager
    def bulk_write(self) -> Iterator[None]:
        """Inside the caller's transaction: hold what ``bulk.HeldWrites`` lists and write it
        at the end of the block (2.0 → 1.7 ms a case at a million cases in ``demo.fill``,
        most of it the search index). A search in the block writes the held entries first."""
        if self._held is not None:
            yield
            return
        self._held = bulk.HeldWrites()
        try:
            yield
            self.flush_held()
        finally:
            self._held = None

    @contextlib.contextmanager
    def deferred_filing(self) -> Iterator[None]:
        """Across the transactions of a bulk load: file people for the duplicate lookup in
        the order they come, and in the lookup's order once at the end, in a transaction of
        its own (``identities`` says why). A lookup in the block misses what is pending."""
        self._filing_deferred = True
        try:
            yield
        finally:
            self._filing_deferred = False
        with database.transaction(self.conn):
            identities.settle(self.conn)

    def flush_held(self) -> None:
        """Write what the bulk write holds (before the index is read, or a savepoint)."""
        if self._held is not None:
            self._held.flush(self.conn, self.clock.last)

    def undo_held(self) -> None:
        """Forget what was held since the savepoint that was just rolled back."""
        if self._held is not None:
            self._held.undo()

    # -- meta and attachment content ----------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def next_counter(self, key: str) -> int:
        """Increment and return a counter kept in ``meta`` (inside the caller's transaction)."""
        n = int(self.meta(key) or 0) + 1
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(n)))
        return n

    def put_content(self, record_id: str, sha256: str, data: bytes) -> None:
        self.conn.execute("INSERT INTO attachment_content (record_id, sha256, data) "
                          "VALUES (?, ?, ?)", (record_id, sha256, data))

    def content(self, record_id: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM attachment_content WHERE record_id = ?",
                                (record_id,)).fetchone()
        return None if row is None else bytes(row[0])
