"""Opening the SQLCipher database with a raw 256-bit key, and transactions on it."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3

from caseapp.errors import ProfileLocked, StorageError, VaultCorrupt, WrongPassphrase
from caseapp.i18n import N_

DatabaseError = sqlcipher3.DatabaseError


class WrongThread(RuntimeError):
    """Database work was attempted off the thread that owns the connection: a programming
    error, never a user's. (A transaction silently shared between threads let one thread's
    rollback erase another's saved note.)"""


class Connection(sqlcipher3.Connection):
    """A connection that belongs to the thread that opened it; the driver refuses any other
    thread (check_same_thread), and ``transaction`` says so by name."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.owner = threading.get_ident()

    def check_thread(self) -> None:
        if threading.get_ident() != self.owner:
            raise WrongThread("this connection belongs to another thread; submit the work "
                              "to the database thread")


class HoldsConnection:
    """Holds the unlocked profile's connection until the lock; any use after it raises
    ProfileLocked (never a raw driver error), and any use from a thread other than the
    connection's raises WrongThread."""

    def __init__(self, conn: Connection) -> None:
        self._conn: Connection | None = conn

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise ProfileLocked()
        self._conn.check_thread()
        return self._conn

    def close(self) -> None:
        self._conn = None


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("database keys are 32 bytes")
    return f"\"x'{key.hex()}'\""


def open_database(path: Path, key: bytes) -> Connection:
    """Open (or create) the encrypted database. A wrong key raises WrongPassphrase."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True,
                              factory=Connection)
    assert isinstance(conn, Connection)
    try:
        # Not cipher_memory_security: wiping and locking every allocation made a search of
        # 100,000 cases 9× slower (median 83 ms against 9 ms, the slowest 1.2 s), far past its
        # 50 ms budget. Decrypted pages sit in SQLCipher's page cache while a profile is open
        # anyway; what keeps process memory from other eyes is caseapp.hardening (no core
        # dumps, not dumpable or traceable by the same user).
        conn.execute("PRAGMA cipher_memory_security = OFF")
        conn.execute(f"PRAGMA key = {_key_pragma(key)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise WrongPassphrase() from exc
    # Only the owner may read the file, even encrypted (its WAL and SHM files take the same
    # mode from it).
    os.chmod(path, 0o600)
    # WAL keeps readers off the writer's back; FULL makes every commit durable (power cuts
    # are common); temp_store=MEMORY keeps sort spills out of plaintext temp files.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


CACHE_KIB = 32000


@contextlib.contextmanager
def page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """A larger page cache for a bulk write, then the usual one again (and its memory
    given back): filling a million cases, every insert lands on a random page of an index
    several times larger than the usual 32 MB, read and decrypted again on each miss."""
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA shrink_memory")


def rekey(conn: Connection, new_key: bytes) -> None:
    conn.execute(f"PRAGMA rekey = {_key_pragma(new_key)}")
    # In WAL mode the re-encrypted pages sit in the -wal file; the main file still holds
    # pages under the old key (cipher_integrity_check fails, and vault.db alone would open
    # with no key we keep). Copy them in before the caller drops the old key.
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise StorageError(reason=N_("the case file is in use by another program"))


def check_integrity(conn: Connection) -> list[str]:
    """Problems found by SQLite's and SQLCipher's integrity checks (empty when sound)."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    problems += [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
    return problems


def storage_error(exc: sqlcipher3.Error) -> StorageError | VaultCorrupt:
    text = str(exc).lower()
    if "malformed" in text or "not a database" in text:
        return VaultCorrupt()
    if "full" in text:
        return StorageError(reason=N_("the disk is full"))
    return StorageError(reason=N_("the drive reported an error"))


@contextlib.contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE … COMMIT; any error rolls everything back and is raised as a typed,
    translatable StorageError, so a failed save never leaves half a record behind.

    Inside a transaction open on the same thread it joins it: a batch (an import, demo data)
    commits once. Another thread never joins: it gets WrongThread."""
    conn.check_thread()
    if conn.in_transaction:
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlcipher3.Error as exc:
        raise storage_error(exc) from exc
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(sqlcipher3.Error):
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlcipher3.Error):
            raise storage_error(exc) from exc
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise StorageError(reason=N_("the disk is full")) from exc
        raise
