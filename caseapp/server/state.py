"""What every request handler reaches: the database engine and the data folder's keys. The
app keeps nothing else between requests, so several processes can serve one database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import HTTPException, Request
from sqlalchemy import Connection, Engine, select

from caseapp.server import models
from caseapp.sync import keys


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def fail(status: int, code: str) -> HTTPException:
    """An API error: a stable code, never a value from a request."""
    return HTTPException(status_code=status, detail=code)


@dataclass
class ServerState:
    engine: Engine
    receipt_key: Ed25519PrivateKey
    setup_key: str

    @property
    def receipt_pub(self) -> str:
        return keys.b64e(keys.raw_public(self.receipt_key.public_key()))

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn


def state_of(request: Request) -> ServerState:
    state = request.app.state.server
    assert isinstance(state, ServerState)
    return state


def org_row(conn: Connection) -> Any:
    row = conn.execute(select(models.org)).first()
    if row is None:
        raise fail(409, "no_organisation")
    return row
