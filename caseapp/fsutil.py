"""Crash-safe file writes: a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from caseapp.errors import StorageError
from caseapp.i18n import N_


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temp file, fsync, rename, fsync of the folder.

    A failure before the rename leaves the old file untouched and no temp file, and is raised
    as a StorageError that tells the user what to do (a full disk, a failing drive).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise _storage_error(exc) from exc
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)  # a failed replace must not leave the temp file behind
        if isinstance(exc, OSError):
            raise _storage_error(exc) from exc
        raise
    fsync_dir(path.parent)


def _storage_error(exc: OSError) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return StorageError(reason=N_("the disk is full"))
    return StorageError(reason=N_("the drive reported an error"))


def destroy_file(path: Path) -> None:
    """Overwrite a small file with random bytes before unlinking it (crypto-erase of keyslots).

    Flash storage may keep old blocks; the real protection is that the keys exist only
    wrapped, so destroying the wrapping makes the database unreadable.
    """
    if not path.exists():
        return
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.write(secrets.token_bytes(max(size, 1)))
        f.flush()
        os.fsync(f.fileno())
    path.unlink()
    fsync_dir(path.parent)
