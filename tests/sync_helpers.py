"""A real sync server for tests: ``caseapp server init`` and ``caseapp serve`` as a
subprocess on a free loopback port, with this worktree's code (PYTHONPATH is inherited)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from caseapp.services import profiles
from caseapp.services.session import Session
from tests.conftest import PASSPHRASE, CliProfile, Run

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    return env


def caseapp(*args: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "caseapp.cli.main", *map(str, args)],
                          capture_output=True, text=True, env=env or cli_env(), timeout=120,
                          check=False)
    if done.returncode != 0:
        raise AssertionError(f"caseapp {args[:2]} failed: {done.stderr[-2000:]}")
    return done.stdout


@dataclass
class Server:
    data: Path
    url: str
    pin: str
    setup_code: str
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    database: str | None = None

    def start(self, workers: int = 1) -> None:
        args = [sys.executable, "-m", "caseapp.cli.main", "serve", "--data", str(self.data),
                "--port", str(self.port), "--workers", str(workers)]
        if self.database:
            args += ["--database", self.database]
        log = (self.data / "serve.log").open("ab")
        self.process = subprocess.Popen(args, env=cli_env(), stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError((self.data / "serve.log").read_text()[-3000:])
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5) as raw:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                with context.wrap_socket(raw):
                    return
            time.sleep(0.1)
        raise AssertionError("server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@contextlib.contextmanager
def running_server(base: Path, database: str | None = None, workers: int = 1
                   ) -> Iterator[Server]:
    data = base / "server-data"
    init = json.loads(caseapp("server", "init", "--data", data, "--json"))
    if database:
        caseapp("server", "migrate", "--data", data, "--database", database)
    port = free_port()
    server = Server(data, f"https://127.0.0.1:{port}", init["pin"], init["setup_code"],
                    port=port, database=database)
    server.start(workers)
    try:
        yield server
    finally:
        server.stop()


def ok_(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err
    return out


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def session_of(name: str) -> Session:
    return profiles.unlock(name, PASSPHRASE)


class Org:
    """An organisation on ``server`` with its administrator profile ``admin``."""

    def __init__(self, run: Run, cli_profile: CliProfile, server: Server, tmp_path: Path
                 ) -> None:
        self.run, self.cli_profile, self.server, self.tmp = run, cli_profile, server, tmp_path
        self.admin = cli_profile("administrator", "admin")
        out = ok_(run("org", "create", *self.admin, "--server", server.url, "--pin",
                      server.pin, "--setup-code", _file(tmp_path, "setup", server.setup_code),
                      "--name", "Test Org", "--recovery-kit", tmp_path / "kit.txt", "--json"))
        self.fingerprint = json.loads(out)["fingerprint"]

    def enrol(self, role: str, name: str, team: str) -> list[str | Path]:
        profile = self.cli_profile(role, name)
        code = json.loads(ok_(self.run("sync", "invite", *self.admin, "--team", team,
                                       "--role", role, "--json")))["code"]
        enrolled = json.loads(ok_(self.run("sync", "enrol", *profile, "--code",
                                           _file(self.tmp, f"{name}.code", code), "--json")))
        pending = json.loads(ok_(self.run("sync", "pending", *self.admin, "--json")))
        device = next(d for d in pending if d["fingerprint"] == enrolled["fingerprint"])
        ok_(self.run("sync", "approve", *self.admin, device["device"], "--fingerprint",
                     enrolled["fingerprint"], "--json"))
        return profile

    def sync(self, profile: list[str | Path]) -> dict[str, int]:
        return dict(json.loads(ok_(self.run("sync", "run", *profile, "--json"))))


