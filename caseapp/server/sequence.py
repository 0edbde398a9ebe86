"""Server sequence numbers: strictly increasing, and visible in the order handed out, so a
pull cursor never passes a change that commits later (SYNC.md §5).

``lock`` updates the one counter row first thing in a writing transaction: on PostgreSQL
the row stays locked until that transaction commits, on SQLite the transaction already holds
the write lock (BEGIN IMMEDIATE). So a second process allocating sequence N+1 waits until
the transaction holding N has committed, and no reader can see N+1 without N."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from caseapp.server import models


class Sequence:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        conn.execute(update(models.counters).where(models.counters.c.name == "seq")
                     .values(value=models.counters.c.value))
        self.value = int(conn.execute(select(models.counters.c.value).where(
            models.counters.c.name == "seq")).scalar_one())
        self._start = self.value

    def next(self) -> int:
        self.value += 1
        return self.value

    def save(self) -> None:
        if self.value != self._start:
            self.conn.execute(update(models.counters).where(models.counters.c.name == "seq")
                              .values(value=self.value))
