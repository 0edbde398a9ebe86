"""What sync keeps in the vault besides records and changes: record keys per audience team
and epoch, and the quarantine of changes that failed verification (SYNC.md §3)."""

from __future__ import annotations

import json
from typing import Any

from caseapp.store.database import Connection
from caseapp.store.packing import pack_id


def record_key(conn: Connection, record_id: str, team_id: str, epoch: int) -> bytes | None:
    row = conn.execute("SELECT key FROM sync_record_keys WHERE record_id = ? AND team_id = ? "
                       "AND epoch = ?", (record_id, team_id, epoch)).fetchone()
    return None if row is None else bytes(row[0])


def keep_record_key(conn: Connection, record_id: str, team_id: str, epoch: int,
                    key: bytes) -> None:
    conn.execute("INSERT OR IGNORE INTO sync_record_keys (record_id, team_id, epoch, key) "
                 "VALUES (?, ?, ?, ?)", (record_id, team_id, epoch, key))


def quarantine(conn: Connection, change_id: str, server_seq: int, device_id: str | None,
               reason: str, envelope: dict[str, Any], at: int) -> bool:
    cur = conn.execute("INSERT OR IGNORE INTO sync_quarantine (change_id, server_seq, device_id, "
                       "reason, envelope, at) VALUES (?, ?, ?, ?, ?, ?)",
                       (change_id, server_seq, device_id, reason,
                        json.dumps(envelope, separators=(",", ":")), at))
    return cur.rowcount == 1


def quarantined(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT change_id, server_seq, device_id, reason, at FROM "
                        "sync_quarantine ORDER BY server_seq")
    return [{"change_id": r[0], "seq": r[1], "device_id": r[2], "reason": r[3], "at": r[4]}
            for r in rows]


def move_team(conn: Connection, old: str, new: str) -> int:
    """A profile enrolled into an organisation's team: its records (and the changes not yet
    sent) belong to that team from now on. Returns how many records moved."""
    moved = conn.execute("UPDATE records SET team = ? WHERE team = ?", (new, old)).rowcount
    conn.execute("UPDATE changes SET team = ? WHERE team = ? AND origin = 'local' AND "
                 "pushed_seq IS NULL", (pack_id(new), pack_id(old)))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'team_id'", (new,))
    return int(moved)


def conflict_count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM conflicts").fetchone()[0])
