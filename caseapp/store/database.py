"""Opening the SQLCipher database with a raw 256-bit key, and transactions on it."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Callable, Iterator
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

    def rebind(self, conn: Connection) -> None:
        """Go on with a new connection to the same vault (its file was replaced by a
        compacted copy, ``services.compaction``)."""
        self._conn = conn


def _raw(key: bytes) -> str:
    """SQLCipher's form of a raw 256-bit key (used as is, no key derivation)."""
    if len(key) != 32:
        raise ValueError("database keys are 32 bytes")
    return f"x'{key.hex()}'"


def _key_pragma(key: bytes) -> str:
    return f'"{_raw(key)}"'


# Each page's HMAC: HMAC-SHA256 in every new vault and in every older one once rewritten at
# an unlock (``services.compaction.upgrade_cipher``); SQLCipher's default HMAC-SHA512 before.
# On this 2-core machine's CPU (SHA-NI), a write-heavy loop over a 20,000-case vault took 3.2x
# plain SQLite's CPU time with SHA-512 and 2.4x with SHA-256, and the demo's fill 1.46 against
# 1.22 ms a case; a 256-bit tag under a 256-bit key guards a page as well as a 512-bit one.
HMAC = "HMAC_SHA256"
LEGACY_HMAC = "HMAC_SHA512"


def _keyed(conn: sqlcipher3.Connection, key: bytes, hmac: str) -> None:
    # Not cipher_memory_security: wiping and locking every allocation made a search of
    # 100,000 cases 9× slower (median 83 ms against 9 ms, the slowest 1.2 s), far past its
    # 50 ms budget. Decrypted pages sit in SQLCipher's page cache while a profile is open
    # anyway; what keeps process memory from other eyes is caseapp.hardening (no core
    # dumps, not dumpable or traceable by the same user).
    conn.execute("PRAGMA cipher_memory_security = OFF")
    conn.execute(f"PRAGMA key = {_key_pragma(key)}")
    conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")  # after the key, before a read


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No SQLCipher log lines while the format of a vault is tried: the first guess failing
    is expected, and SQLCipher would write 'hmac check failed' to stderr (its log level is
    the process's, not the connection's)."""
    probe = sqlcipher3.connect(":memory:")
    try:
        level = probe.execute("PRAGMA cipher_log_level").fetchone()[0]
        probe.execute("PRAGMA cipher_log_level = NONE")
        try:
            yield
        finally:
            probe.execute(f"PRAGMA cipher_log_level = {level}")
    finally:
        probe.close()


def open_database(path: Path, key: bytes) -> Connection:
    """Open (or create) the encrypted database. A wrong key raises WrongPassphrase."""
    new = not path.exists() or path.stat().st_size == 0
    failed: sqlcipher3.DatabaseError | None = None
    # The file does not say its format (all but its salt is encrypted): the current one is
    # tried first, then the earlier one. A wrong key fails both.
    for hmac in (HMAC,) if new else (HMAC, LEGACY_HMAC):
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True,
                                  factory=Connection)
        assert isinstance(conn, Connection)
        try:
            _keyed(conn, key, hmac)
            with _quiet():
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            break
        except sqlcipher3.DatabaseError as exc:
            conn.close()
            failed = exc
            # Only "not a database" says the format (or the key) is wrong; an I/O error is
            # the drive's, and trying the next format would hide it behind that one's answer.
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_NOTADB":
                raise WrongPassphrase() from exc
    else:
        raise WrongPassphrase() from failed
    # Only the owner may read the file, even encrypted (its WAL and SHM files take the same
    # mode from it).
    os.chmod(path, 0o600)
    configure(conn)
    return conn


def configure(conn: Connection) -> None:
    """The settings of every vault connection (the benchmark gives its plain copy the same)."""
    # WAL keeps readers off the writer's back; FULL makes every commit durable (power cuts
    # are common); temp_store=MEMORY keeps sort spills out of plaintext temp files.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CEILING_PAGES}")


def hmac_of(conn: Connection) -> str:
    """The page HMAC the open database is written with."""
    return str(conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0])


# 125 MiB of decrypted pages at most (SQLite takes what it needs, up to this): at a million
# cases, against 32 MB, searches 1.20x -> 1.09x plain SQLite's time (each page missed is
# decrypted and its HMAC checked again) and the whole workload 1.26x -> 1.17x, for 288 MiB
# resident instead of 196 (bench/store.py, both stores with the same cache).
CACHE_KIB = 128000
# Saving an edit dirties about 50 pages at a million cases, so SQLite's checkpoint at 1,000
# WAL pages fell on every 20th save, beside the search index's merge (``RecordStore.
# merge_search``); in back-to-back saves, it alone took the p95 from 9 to 13-19 ms. The
# desktop's database thread checkpoints when idle (``idle_checkpoint``); this ceiling only
# bounds the -wal file (40 MiB) when work never pauses: the command line, a bulk load.
WAL_CEILING_PAGES = 10_000


@contextlib.contextmanager
def page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """A larger page cache for a bulk write, then the usual one again (and its memory
    given back): filling a million cases, every insert lands on a random page of an index
    several times larger than the usual 125 MiB, read and decrypted again on each miss."""
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
    checkpoint(conn)


IN_USE = N_("the case file is in use by another program")


def idle_checkpoint(conn: Connection) -> None:
    """Copy what the -wal file holds into the main file, while no one waits for the database
    (the desktop's database thread runs it when its queue is idle)."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def checkpoint(conn: Connection) -> None:
    """Copy every page of the -wal file into the main file and empty the -wal file: the
    main file alone then holds the whole database."""
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise StorageError(reason=IN_USE)


def hold_exclusive(conn: Connection) -> None:
    """Keep every other connection — of this process or another — off the database until
    ``release_exclusive`` or the close: none may open, read or write it meanwhile. Refused
    (StorageError) while another connection has it open."""
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    try:
        # The lock is taken by the first write and then kept (SQLite's EXCLUSIVE mode).
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("COMMIT")
    except sqlcipher3.Error as exc:
        release_exclusive(conn)
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise StorageError(reason=IN_USE) from exc
        raise storage_error(exc) from exc


def release_exclusive(conn: Connection) -> None:
    conn.execute("PRAGMA locking_mode = NORMAL")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # released at this access


def export_into(conn: Connection, target: Path, key: bytes,
                tick: Callable[[], None] | None = None) -> None:
    """Write a compact copy of the database to ``target`` (a new or empty file): every page
    full, in order, encrypted with ``key`` in the current format (``HMAC``), whatever the
    format of ``conn``'s database (``VACUUM INTO`` would write SQLCipher's default). ``tick``
    is called now and then while it runs (SQLite cannot say how far it has come)."""
    if tick is not None:
        conn.set_progress_handler(lambda: _ticked(tick), 50_000)
    attached = False
    try:
        conn.execute("ATTACH DATABASE ? AS compact_copy KEY ?", (str(target), _raw(key)))
        attached = True
        conn.execute(f"PRAGMA compact_copy.cipher_hmac_algorithm = {HMAC}")
        conn.execute("SELECT sqlcipher_export('compact_copy')").fetchall()
        # The export copies schema and rows, not the header's schema version.
        version = int(conn.execute("PRAGMA main.user_version").fetchone()[0])
        conn.execute(f"PRAGMA compact_copy.user_version = {version:d}")
    except sqlcipher3.Error as exc:
        raise storage_error(exc) from exc
    finally:
        conn.set_progress_handler(None, 0)
        if attached:
            with contextlib.suppress(sqlcipher3.Error):
                conn.execute("DETACH DATABASE compact_copy")


def _ticked(tick: Callable[[], None]) -> int:
    with contextlib.suppress(Exception):  # a failing report must not stop the copy
        tick()
    return 0  # non-zero would interrupt the statement


def row_counts(conn: Connection) -> dict[str, int]:
    """The schema version and the number of rows of every table: what a copy must share
    with its original."""
    counts = {"user_version": int(conn.execute("PRAGMA user_version").fetchone()[0])}
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
    for name in tables:
        quoted = '"' + name.replace('"', '""') + '"'
        counts[name] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
    return counts


def check_copy(path: Path, key: bytes, expected: dict[str, int]) -> list[str]:
    """Problems of a copy of the database (empty when sound): opened read-only with
    ``key``, it must pass SQLite's quick check and SQLCipher's page check and hold what
    ``expected`` (``row_counts`` of the original) says."""
    conn = sqlcipher3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                              isolation_level=None)
    try:
        _keyed(conn, key, HMAC)  # every copy is written in the current format
        conn.execute("PRAGMA temp_store = MEMORY")
        problems = [r[0] for r in conn.execute("PRAGMA quick_check") if r[0] != "ok"]
        problems += [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
        if not problems and row_counts(conn) != expected:
            problems.append("the copy does not hold the same rows as the original")
        return problems
    except sqlcipher3.Error as exc:
        return [f"the copy cannot be read: {exc}"]
    finally:
        conn.close()


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
