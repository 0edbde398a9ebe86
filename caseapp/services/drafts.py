"""Drafts of unsaved edits (ARCHITECTURE §9): the desktop hands over every open form's typed
text before the keys go, and gets it back after the next unlock — in the vault, so nothing
typed is lost and nothing typed is left in a locked window or on disk in the clear."""

from __future__ import annotations

import time
from typing import Any

from caseapp.services.session import Session
from caseapp.store import database
from caseapp.store import drafts as draft_store
from caseapp.store import meta as vault_meta


class DraftService:
    """Drafts belong to the signed-in user's device only; keys name the form, for example
    ``case:<id>:person`` or ``new-case``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save_all(self, drafts: dict[str, dict[str, Any] | None]) -> None:
        """Store each draft in one transaction; a ``None`` draft removes that key."""
        conn = self.session.store.conn
        at = time.time_ns() // 1_000_000
        with database.transaction(conn):
            for key, body in drafts.items():
                if body is None:
                    draft_store.discard(conn, key)
                else:
                    draft_store.save(conn, key, body, at)

    def load_all(self) -> dict[str, dict[str, Any]]:
        return draft_store.load_all(self.session.store.conn)

    # A user's view settings (columns, sort order) live in the vault's meta table too: they
    # say which cases a user looks at, and they follow the user, not the machine.
    def preference(self, name: str) -> str | None:
        return self.session.store.meta(f"pref:{self.session.user_id}:{name}")

    def set_preference(self, name: str, value: str) -> None:
        conn = self.session.store.conn
        with database.transaction(conn):
            vault_meta.write(conn, [(f"pref:{self.session.user_id}:{name}", value)])

    def discard(self, key: str) -> None:
        conn = self.session.store.conn
        with database.transaction(conn):
            draft_store.discard(conn, key)
