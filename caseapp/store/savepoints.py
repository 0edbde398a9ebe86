"""Savepoints: part of a transaction that can be undone alone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from caseapp.store.database import Connection, DatabaseError


@contextlib.contextmanager
def savepoint(conn: Connection, name: str) -> Iterator[None]:
    """Run the block inside an open transaction; an error undoes only the block's writes
    and is raised again, so the caller decides whether the transaction carries on."""
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        # A failing drive may already have ended the transaction: the original error is
        # the one to report, and the enclosing transaction rolls back on it anyway.
        with contextlib.suppress(DatabaseError):
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")
