"""A throwaway PostgreSQL cluster on loopback (``initdb`` + ``pg_ctl``) for the server's
tests. Skips, saying why, only where no ``initdb`` is installed (CI installs Debian's
``postgresql``, so there the tests run). As root, the cluster runs as the ``postgres`` user
(PostgreSQL refuses to run as root)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync_helpers import free_port


def initdb() -> Path | None:
    # Debian's versioned folder first: it holds pg_ctl and pg_dump beside initdb.
    found = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)),
                 None) or shutil.which("initdb")
    return Path(found) if found else None


class Cluster:
    def __init__(self, bindir: Path, base: Path, port: int, user: str | None) -> None:
        self.bindir, self.base, self.port, self.user = bindir, base, port, user

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def dump(self, url: str) -> bytes:
        """Everything in the database (schema and rows) as pg_dump writes it."""
        cmd = [str(self.bindir / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
               "postgres", url.rsplit("/", 1)[1]]
        return subprocess.run(cmd, check=True, capture_output=True, timeout=120).stdout

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    binary = initdb()
    if binary is None:
        pytest.skip("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    bindir = binary.parent
    user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="hifazat-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    port = free_port()
    pg = Cluster(bindir, base, port, user)
    data = base / "data"
    pg._run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync")
    pg._run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield pg
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            pg._run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Cluster]:
    """One throwaway cluster per test module; each test makes its own database in it."""
    with cluster() as pg:
        yield pg


def database_url(pg: Cluster) -> str:
    import uuid
    return pg.create_database("hz_" + uuid.uuid4().hex[:12])
