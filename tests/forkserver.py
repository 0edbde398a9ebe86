"""Child processes for the crash tests, forked from one "zygote" that imported the
application once: each child is a new process that runs its script and dies by SIGKILL (or
ends), at the cost of a fork instead of a Python start-up and imports (≈ 0.5 s here).

The zygote never opens a database; a child opens what it needs itself. A child is reaped only
after the test has asked for its exit code, so its pid cannot be reused before the test is
done signalling it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

ZYGOTE = r"""
import json, os, signal, socket, sys, traceback

for module in sys.argv[2:]:
    __import__(module)
control = socket.socket(fileno=int(sys.argv[1]))
while True:
    message, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 2)
    if not message:
        break
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        control.close()
        os.environ.update(request["env"])
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in fds:
            os.close(fd)
        sys.argv = ["-c", *request["argv"]]
        code = 0
        try:
            exec(compile(request["code"], "<child>", "exec"), {"__name__": "__main__"})
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    for fd in fds:
        os.close(fd)
    control.sendall(f"{pid}\n".encode())
    done = control.recv(1)  # the test is done with this child
    if not done:  # the test ended without saying so: never leave a child running
        os.kill(pid, signal.SIGKILL)
    _pid, status = os.waitpid(pid, 0)
    if not done:
        break
    control.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
"""


class Forked:
    """A running child: its pid and the read end of its stdout."""

    def __init__(self, zygote: Zygote, pid: int, stdout: BinaryIO) -> None:
        self.zygote = zygote
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None

    def kill(self) -> None:
        if self.returncode is None:  # not reaped yet: the pid is still this child's
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        """How the child ended (negative: the signal); call once it has ended or was killed."""
        if self.returncode is None:
            self.returncode = self.zygote.reap()
        return self.returncode

    def communicate(self, timeout: float = 120) -> tuple[int, bytes]:
        """Read stdout to its end, then the exit code; a child still running after
        ``timeout`` seconds is killed."""
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.append(self.stdout.read()),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            self.kill()
            reader.join(30)
        self.stdout.close()
        return self.wait(), b"".join(chunks)


class Zygote:
    def __init__(self, modules: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.control, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(theirs.fileno()), *modules],
            stdin=subprocess.DEVNULL, env=env, cwd=cwd, pass_fds=[theirs.fileno()])
        theirs.close()
        self.answers = self.control.makefile("rb")

    def spawn(self, code: str, argv: list[str], stderr: BinaryIO,
              env: dict[str, str] | None = None) -> Forked:
        """Run ``code`` as ``python -c code *argv`` would, in a forked child whose
        environment is the zygote's updated with ``env``, stderr going to ``stderr``."""
        read_fd, write_fd = os.pipe()
        request = json.dumps({"code": code, "argv": argv, "env": env or {}}).encode()
        try:
            socket.send_fds(self.control, [request], [write_fd, stderr.fileno()])
        finally:
            os.close(write_fd)
        line = self.answers.readline()
        if not line:
            os.close(read_fd)
            raise RuntimeError("the zygote process ended")
        return Forked(self, int(line), os.fdopen(read_fd, "rb"))

    def reap(self) -> int:
        self.control.sendall(b"r")
        return int(self.answers.readline() or b"-1")

    def close(self) -> None:
        self.answers.close()
        self.control.close()
        self.proc.wait(30)
