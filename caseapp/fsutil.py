"""Crash-safe file writes: a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from caseapp.errors import StorageError
from caseapp.i18n import N_


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """A new hidden name beside ``path`` for the temp file of an atomic write."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def atomic_write(path: Path, data: bytes, mode: int = 0o600, tmp: Path | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file, fsync, rename, fsync of the folder.

    A failure before the rename leaves the old file untouched and no temp file, and is raised
    as a StorageError that tells the user what to do (a full disk, a failing drive). Only a
    kill leaves the temp file: a caller that must find it afterwards names it (``tmp``, from
    ``temp_path``) and keeps the name before writing.
    """
    tmp = tmp or temp_path(path)
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


def storage_error(exc: OSError) -> StorageError:
    """An OSError of a file operation as the StorageError the user is shown."""
    return _storage_error(exc)


def _storage_error(exc: OSError) -> StorageError:
    """The cause in the user's words; never the system's text, which may hold a path."""
    if exc.errno == errno.ENOSPC:
        return StorageError(reason=N_("the disk is full"))
    if exc.errno == errno.EDQUOT:
        return StorageError(reason=N_("the space allowed to this user on the disk is used up"))
    if exc.errno == errno.EFBIG:
        return StorageError(reason=N_("the file would grow past the largest size allowed "
                                      "here"))
    if exc.errno == errno.EROFS:
        return StorageError(reason=N_("the drive can only be read, not written"))
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


_CHUNK = 1 << 20


def shred_leftover(path: Path, max_size: int) -> bool:
    """Best effort: overwrite a file this program left behind (a killed export's temp file)
    with random bytes, then unlink it. True when nothing is left under ``path``.

    Only a regular file with a single link and no larger than what was written is
    overwritten: a link planted under the name (to a vault, say) is unlinked, never written
    through. Flash storage may keep old blocks whatever is written here."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and info.st_size <= max_size:
        # Unlinked below even if this fails: a name that is gone is better than none.
        with contextlib.suppress(OSError):
            _overwrite(path, info.st_size)
    try:
        path.unlink()
        fsync_dir(path.parent)
    except FileNotFoundError:
        return True
    except OSError:
        return not os.path.lexists(path)
    return True


def _overwrite(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        left = size
        while left > 0:
            left -= os.write(fd, secrets.token_bytes(min(left, _CHUNK)))
        os.fsync(fd)
    finally:
        os.close(fd)


def _retired_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.retired")


def retire_and_replace(path: Path, data: bytes) -> None:
    """``atomic_write``, then overwrite the blocks of the file it replaced (best effort).

    A rename alone frees the old file's blocks without touching them: an old passphrase's or
    recovery code's keyslot would stay readable on the disk. So the old file is first given a
    second, hidden name (a hard link: the same blocks), the new file is renamed into place,
    and only then are the old blocks overwritten through the hidden name and the name removed.
    At every moment ``path`` is a whole file, old or new. A kill in between leaves the hidden
    name; ``destroy_retired`` deals with it. (Flash and copy-on-write file systems may keep
    other copies of the blocks: the wrapping is the real protection.)"""
    retired: Path | None = None
    if path.exists():
        retired = _retired_name(path)
        try:
            os.link(path, retired)
        except OSError:
            retired = None  # no hard links here: replaced without the overwrite
    try:
        atomic_write(path, data)
    except BaseException:
        if retired is not None:
            retired.unlink(missing_ok=True)  # still the live file's blocks: never overwrite
        raise
    if retired is not None:
        destroy_file(retired)


def destroy_retired(path: Path) -> None:
    """Overwrite and remove what a kill left of ``retire_and_replace`` on ``path``. A hidden
    name that is still the live file (killed before the replace) is only unlinked."""
    for leftover in path.parent.glob(f".{path.name}.*.retired"):
        try:
            live = path.exists() and os.path.samefile(leftover, path)
            info = os.lstat(leftover)
            # Only a lone regular file is ours to overwrite: never write through a link.
            if live or not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                leftover.unlink()
            else:
                destroy_file(leftover)
        except OSError:
            continue
