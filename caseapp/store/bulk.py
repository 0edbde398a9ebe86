"""What a bulk write (``RecordStore.bulk_write``, used by ``demo.fill``) holds until its end
instead of writing record by record (issue 12).

- Search entries: FTS5 writes what it holds in memory to disk at every statement that opens a
  statement journal (an upsert does), so written case by case each entry became an index
  segment of its own, and merging those grew with the caseload.
- The device's change sequence: read once, then counted on (the block's transaction holds
  the write lock, so no other writer takes a number in between).
- The clock's persisted value: written once, at the end, not after every record.
- The newest record's body: a case's projection reads its person's, written just before.

A savepoint in the block (``Session.savepoint``) writes what is held first; rolled back, it
forgets what was held since, so nothing of the records it undid is written afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caseapp.store.database import Connection


@dataclass
class HeldWrites:
    search: dict[int, tuple[str, str]] = field(default_factory=dict)  # by records.rowid
    device_seq: int | None = None  # the last sequence number handed out in the block
    clock_moved: bool = False
    newest: tuple[str, dict[str, Any]] | None = None  # (id, body) of the last record written

    def flush(self, conn: Connection, clock: str) -> None:
        """Write the held search entries (in rowid order) and the clock."""
        if self.search:
            conn.executemany("INSERT INTO search (rowid, text, sound) VALUES (?, ?, ?)",
                             [(rowid, *entry) for rowid, entry in sorted(self.search.items())])
            self.search.clear()
        if self.clock_moved:
            persist_clock(conn, clock)
            self.clock_moved = False

    def undo(self) -> None:
        """A savepoint was rolled back: what was held since it began is gone with it."""
        self.search.clear()
        self.device_seq = None  # the undone changes' numbers are free again
        self.newest = None


def persist_clock(conn: Connection, clock: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES ('hlc', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (clock,))
