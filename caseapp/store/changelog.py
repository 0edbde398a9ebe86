"""The change log (SYNC.md §3): every change to a record, made here or applied from another
device, in the order this replica applied it. A change carries what any replica needs to
place and merge it: the record's type, parent and team, the changed fields, the clock they
were written at and the clocks the editor saw, the device and its gapless sequence.

The outbox is the unpushed local part; history reads the whole log, so edits from other
devices appear in it too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from caseapp.canonical import compact_json
from caseapp.store.database import Connection
from caseapp.store.packing import pack_hlc, pack_id, pack_json, unpack_hlc, unpack_id, unpack_json

LOCAL = "local"
REMOTE = "remote"
UPSERT = "upsert"
DELETE = "delete"


def dumps(value: object) -> str:
    return compact_json(value)


@dataclass(frozen=True)
class LoggedChange:
    change_id: str
    record_id: str
    record_type: str
    kind: str
    fields: dict[str, Any]
    hlc: str
    device: str
    device_seq: int
    parent: str | None = None
    team: str | None = None
    # field -> clock of the value the editor saw (None: the editor saw no value)
    seen: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoggedChange:
        return cls(**data)


_COLUMNS = ("change_id, record_id, record_type, kind, fields, hlc, device, device_seq, parent, "
            "team, seen")


# Ids and clocks are stored packed (caseapp.store.packing, schema 8): every query packs what
# it looks up by and unpacks what it reads.
def _from_row(row: tuple[Any, ...]) -> LoggedChange:
    device = str(unpack_id(row[6]))
    return LoggedChange(str(unpack_id(row[0])), str(unpack_id(row[1])), row[2], row[3],
                        unpack_json(row[4]), unpack_hlc(row[5], device), device, row[7],
                        unpack_id(row[8]), unpack_id(row[9]), unpack_json(row[10]))


def known(conn: Connection, change_id: str) -> bool:
    return conn.execute("SELECT 1 FROM changes WHERE change_id = ?",
                        (pack_id(change_id),)).fetchone() is not None


def next_device_seq(conn: Connection, device: str) -> int:
    row = conn.execute("SELECT max(device_seq) FROM changes WHERE device = ?",
                       (pack_id(device),)).fetchone()
    return int(row[0] or 0) + 1


def append(conn: Connection, change: LoggedChange, origin: str, now_ms: int) -> None:
    conn.execute(
        "INSERT INTO changes (change_id, record_id, record_type, parent, team, kind, fields, "
        "seen, hlc, device, device_seq, origin, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (pack_id(change.change_id), pack_id(change.record_id), change.record_type,
         pack_id(change.parent), pack_id(change.team), change.kind, pack_json(change.fields),
         pack_json(change.seen), pack_hlc(change.hlc, change.device), pack_id(change.device),
         change.device_seq, origin, now_ms))


def of_record(conn: Connection, record_id: str) -> list[LoggedChange]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM changes WHERE record_id = ? "  # noqa: S608
                        "ORDER BY seq", (pack_id(record_id),))
    return [_from_row(r) for r in rows]


def unpushed(conn: Connection, limit: int = 500) -> list[LoggedChange]:
    """Local changes not yet pushed, oldest first: what the next sync sends."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM changes "  # noqa: S608
                        "WHERE origin = 'local' AND pushed_seq IS NULL ORDER BY seq LIMIT ?",
                        (limit,))
    return [_from_row(r) for r in rows]


def mark_pushed(conn: Connection, change_id: str, server_seq: int) -> None:
    """The server has this local change (``server_seq`` 0: held or kept on this device, -1:
    refused): it leaves the outbox."""
    conn.execute("UPDATE changes SET pushed_seq = ? WHERE change_id = ? AND origin = 'local'",
                 (server_seq, pack_id(change_id)))


def pending(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM changes WHERE origin = 'local' AND "
                            "pushed_seq IS NULL").fetchone()[0])


def history(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT seq, kind, fields, seen, hlc, created_at, device, origin FROM changes "
        "WHERE record_id = ? ORDER BY seq", (pack_id(record_id),))
    return [{"seq": r[0], "kind": r[1], "fields": unpack_json(r[2]), "base": unpack_json(r[3]),
             "hlc": unpack_hlc(r[4], str(unpack_id(r[6]))), "at": r[5],
             "device": unpack_id(r[6]), "origin": r[7]} for r in rows]


def compact(conn: Connection, keep: Callable[[str, str], bool]) -> int:
    """Drop the values the log no longer needs (issue 12): a change the server acknowledged,
    or one that came from it, is never sent again; history shows its field names only, and
    the conflict rules compare the values of guarded fields (``keep(record_type, name)``)
    only. Those stay, with every name and the clocks its editor saw; other values become
    null. A change not yet answered stops the pass (the next sync resumes there); a held or
    refused one stays whole. Returns how many changes were compacted."""
    start = int((conn.execute("SELECT value FROM meta WHERE key = 'log_compacted_to'")
                 .fetchone() or (0,))[0])
    last = start
    rows = conn.execute("SELECT seq, record_type, fields, origin, pushed_seq FROM changes "
                        "WHERE seq > ? ORDER BY seq", (start,))
    updates = []
    for seq, record_type, stored, origin, pushed in rows:
        if origin == LOCAL and pushed is None:
            break
        last = seq
        if origin == LOCAL and pushed <= 0:
            continue
        fields = unpack_json(stored)
        kept = {k: (v if keep(record_type, k) else None) for k, v in fields.items()}
        if kept != fields:
            updates.append((pack_json(kept), seq))
    conn.executemany("UPDATE changes SET fields = ? WHERE seq = ?", updates)
    conn.execute("INSERT INTO meta (key, value) VALUES ('log_compacted_to', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(last),))
    return len(updates)
