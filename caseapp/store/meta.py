"""The vault's own settings (device, user and team ids, the device signing key, clocks and
counters): a key-value table inside the encrypted database."""

from __future__ import annotations

from collections.abc import Iterable

from caseapp.store.database import Connection


def read_all(conn: Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def write(conn: Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """Set keys inside the caller's transaction."""
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", list(pairs))
