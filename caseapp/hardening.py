"""Keep decrypted case data out of crash dumps and away from other processes (SECURITY.md;
issue 7, item 11). A core dump of an unlocked session holds the database key and every page
it read, in plaintext, on disk.

What Python can do: no core files (RLIMIT_CORE 0) and, on Linux, a process that is not
dumpable (no core even if a limit is raised later, and other processes of the same user can
no longer attach a debugger or read its memory through /proc). What it cannot do: wipe the
key and passphrase copies that strings and the driver leave in memory, or stop a process
running as root."""

from __future__ import annotations

import contextlib
import ctypes
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _prctl(option: int, value: int = 0) -> int:
    # The process's own symbols, libc's among them (Linux only): ctypes.util.find_library
    # would run ldconfig in a child process at every start of the desktop.
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, value, 0, 0, 0))


def harden_process() -> None:
    """Best effort, once at start: each step that the platform refuses is skipped."""
    try:
        import resource  # not on Windows

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError, TypeError):
            _prctl(PR_SET_DUMPABLE, 0)


def dumpable() -> bool | None:
    """Whether this process may be dumped (Linux); None where that cannot be asked."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _prctl(PR_GET_DUMPABLE) != 0
    except (OSError, AttributeError, TypeError):
        return None
