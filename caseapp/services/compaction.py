"""Compaction (issue 12): the vault rewritten into a new file with every page full and in
order. A vault written case by case has part-empty, scattered pages; its compact copy holds
the same data in less space (and reads faster from a spinning disk).

``compact`` works on an unlocked session and leaves it unlocked, on the new file. Its steps,
in order, each after the last has reached the disk:

1. No other connection may have the vault open (``database.hold_exclusive``: from here on
   none can open it either), and no unlock of the profile may start (``unlock_guard``'s
   lock is held throughout).
2. The -wal file is copied into the main file (checkpoint), so the main file is the whole
   database.
3. ``sqlcipher_export`` writes the compact copy to a hidden temp file *in the profile
   folder* (the same file system, so the final rename is atomic), encrypted with the vault's
   own key in the current format (``database.HMAC``: ``upgrade_cipher`` uses this to carry
   a vault of the earlier format over to it); SQLite's temporary data stays in memory
   (``temp_store = MEMORY``), so no plaintext is written anywhere.
4. The copy is fsynced, then opened read-only with the key and checked: SQLite's quick
   check, SQLCipher's page check, the same rows in every table.
5. The session's connection is closed: SQLite copies the (empty) -wal file in and removes
   it and the -shm file. A -wal file still there now belongs to someone else (its pages are
   not in the copy): the copy is dropped and the old file kept. A -shm file alone is only
   an index of a -wal file that is gone, and is removed.
6. The copy is renamed over ``vault.db`` and the folder fsynced.
7. The session reconnects to the new file and the ``database_compacted`` event is audited.

A cut at any step leaves ``vault.db`` whole — the old file up to the rename, the new one
after it — and never a -wal file of the old database beside the new one (which SQLite
would replay into it). A temp file a cut left behind is removed at the next unlock or the
next compaction (``clear_leftovers``).

Who may compact: whoever holds the passphrase, as for the other operations on the vault
file itself (a key rotation, the erase policy). It changes no record, only the layout.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from caseapp.errors import ProfileLocked, StorageError
from caseapp.fsutil import fsync_dir, storage_error
from caseapp.i18n import N_
from caseapp.services import unlock_guard
from caseapp.services.profile_paths import ProfilePaths
from caseapp.services.session import Session
from caseapp.store import database

MIB = 1 << 20
# Free space needed beyond the copy itself: the -wal file of the next edits, the audit.
MARGIN = 64 * MIB
TEMP_SUFFIX = ".compact"
# The steps ``after_step`` hears, in order (the tests cut the work at each).
STEPS = ("checkpointed", "copied", "synced", "verified", "closed", "replaced", "reopened",
         "audited")

Progress = Callable[[float], None]


@dataclass(frozen=True)
class CompactReport:
    before: int  # bytes of vault.db, its -wal file copied in
    after: int
    seconds: float


class NotEnoughSpace(StorageError):
    msgid = N_("There is not enough free disk space to compact the case file: it needs "
               "%(need)s MiB free and %(free)s MiB are, %(short)s MiB too few. Nothing was "
               "changed; free some disk space, then try again.")


MSG_COPY_FAILED = N_("the compacted copy did not pass its check")


def temp_files(p: ProfilePaths) -> list[Path]:
    """Compaction temp files in the profile folder (with any file SQLite made beside one)."""
    return sorted(p.folder.glob(f".{p.database.name}.*{TEMP_SUFFIX}*"))


def clear_leftovers(p: ProfilePaths) -> None:
    """Remove what a cut compaction left: its temp file, never the only copy of anything
    (the vault is whole until the rename, and the temp file is gone after it). Encrypted
    like the vault, so unlinking it is enough. Called with the profile's lock held."""
    found = temp_files(p)
    for leftover in found:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    if found:
        with contextlib.suppress(OSError):
            fsync_dir(p.folder)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _wal(p: ProfilePaths, suffix: str = "-wal") -> Path:
    return p.database.with_name(p.database.name + suffix)


def check_space(p: ProfilePaths) -> None:
    """Refuse (``NotEnoughSpace``) unless the disk holds a whole copy of the vault and a
    margin: the copy is never larger than the vault with its -wal file."""
    need = _file_size(p.database) + _file_size(_wal(p)) + MARGIN
    free = shutil.disk_usage(p.folder).free
    if free < need:
        raise NotEnoughSpace(need=_mib(need), free=_mib(free), short=_mib(need - free))


def _mib(size: int) -> str:
    return str(max(1, -(-size // MIB)))  # rounded up: "1 MiB too few" rather than "0"


def compact(session: Session, *, progress: Progress | None = None,
            after_step: Callable[[str], None] = lambda step: None) -> CompactReport:
    """Rewrite the session's vault into a compact file (the module docstring has the
    steps); the session stays unlocked, on the new file. Run it on the session's database
    thread, outside any transaction. ``progress`` hears an estimate of the share done
    (0 to 1), at most twice a second."""
    if session.conn is None:
        raise ProfileLocked()
    conn = session.conn
    conn.check_thread()
    if session.in_transaction:
        raise RuntimeError("compact() runs outside any transaction")
    started = time.monotonic()
    with unlock_guard.profile_lock(session.paths):
        before, after = rewrite(conn, session.paths, session.db_key,
                                reconnect=session.reconnect, progress=progress,
                                after_step=after_step)
        with session.write():
            session.audit.append(session.user_id, "database_compacted")
        after_step("audited")
    if progress is not None:
        progress(1.0)
    return CompactReport(before, after, time.monotonic() - started)


def rewrite(conn: database.Connection, p: ProfilePaths, key: bytes, *,
            reconnect: Callable[[database.Connection], None], progress: Progress | None = None,
            after_step: Callable[[str], None] = lambda step: None) -> tuple[int, int]:
    """Steps 1 to 6 of the module docstring, the profile's lock held by the caller; returns
    the file's size before and after. Once ``conn`` is closed, ``reconnect`` is given the
    connection to whichever file is in place (the new one, or the old one after an error)."""
    clear_leftovers(p)
    check_space(p)
    tmp = p.database.with_name(f".{p.database.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    closed = False
    try:
        database.hold_exclusive(conn)
        database.checkpoint(conn)
        before = _file_size(p.database)
        after_step("checkpointed")
        _create_private(tmp)
        database.export_into(conn, tmp, key, _ticker(progress, tmp, before))
        after_step("copied")
        _fsync(tmp)
        after_step("synced")
        if database.check_copy(tmp, key, database.row_counts(conn)):
            raise StorageError(reason=MSG_COPY_FAILED)
        after_step("verified")
        closed = True
        conn.close()
        after_step("closed")
        _no_other_wal(p)
        _replace(tmp, p.database)
        after_step("replaced")
    except BaseException:
        for leftover in temp_files(p):
            leftover.unlink(missing_ok=True)
        if not closed:
            with contextlib.suppress(database.DatabaseError):
                database.release_exclusive(conn)
        raise
    finally:
        if closed:  # old file or new, whichever is in place: the caller goes on with it
            reconnect(database.open_database(p.database, key))
    after_step("reopened")
    return before, _file_size(p.database)


def upgrade_cipher(conn: database.Connection, p: ProfilePaths, key: bytes,
                   progress: Progress | None = None) -> database.Connection:
    """At an unlock, the profile's lock held: a vault of the earlier format (page HMAC
    SHA-512, ``database.LEGACY_HMAC``) is rewritten in the current one (``database.HMAC``),
    compacted on the way; returns the connection to go on with. Skipped, the vault opened as
    it is, while the disk lacks the space for the copy or another program has the vault
    open: the next unlock tries again."""
    if database.hmac_of(conn) == database.HMAC:
        return conn
    current = [conn]

    def reconnect(new: database.Connection) -> None:
        current[0] = new

    try:
        rewrite(conn, p, key, reconnect=reconnect, progress=progress)
    except StorageError:
        pass  # the old file is in place, whole; ``current`` holds a connection to it
    except BaseException:
        current[0].close()
        raise
    if progress is not None:
        progress(1.0)
    return current[0]


def _create_private(path: Path) -> None:
    """The empty temp file, readable by its owner only (the export fills an empty file; one
    it made itself would take the default mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise storage_error(exc) from exc


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise storage_error(exc) from exc


def _no_other_wal(p: ProfilePaths) -> None:
    """After the close: a -wal file now is another connection's, with pages the copy lacks;
    renamed under it, the new file would get them replayed into it. A -shm file alone is a
    stale index, rebuilt by SQLite anyway."""
    if _wal(p).exists():
        raise StorageError(reason=database.IN_USE)
    with contextlib.suppress(FileNotFoundError):
        _wal(p, "-shm").unlink()


def _replace(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise storage_error(exc) from exc


def _ticker(progress: Progress | None, tmp: Path, before: int) -> Callable[[], None] | None:
    """A progress estimate for the export: how much of the old size the copy has
    reached (the copy ends smaller, so this runs a little behind)."""
    if progress is None:
        return None
    report = progress
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        if now - last[0] < 0.5:
            return
        last[0] = now
        report(min(_file_size(tmp) / before, 0.99) if before else 0.99)

    return tick
