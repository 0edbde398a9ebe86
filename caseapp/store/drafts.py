"""Drafts: what a user had typed but not saved when the profile locked, kept inside the
encrypted vault (never beside it) under the key of the form they belong to. Drafts are not
records: they are never synced, logged as changes or shown to another user."""

from __future__ import annotations

import json
from typing import Any

from caseapp.store.database import Connection


def save(conn: Connection, key: str, body: dict[str, Any], at: int) -> None:
    conn.execute("INSERT INTO drafts (key, body, saved_at) VALUES (?, ?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET body = excluded.body, "
                 "saved_at = excluded.saved_at", (key, json.dumps(body, ensure_ascii=False), at))


def load_all(conn: Connection) -> dict[str, dict[str, Any]]:
    return {str(k): json.loads(v) for k, v in conn.execute("SELECT key, body FROM drafts")}


def discard(conn: Connection, key: str) -> None:
    conn.execute("DELETE FROM drafts WHERE key = ?", (key,))
