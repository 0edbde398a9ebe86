"""SECURITY.md item 1 for imports (issue 7, "tests the suite is missing"): a child imports an
HTCDS file of many rows (one transaction) again and again and is killed with SIGKILL at a
random moment. After each kill the vault opens, SQLCipher finds no damage, the audit chain
verifies, and every import is there whole or not at all: the case count is a multiple of the
file's rows, with one ``htcds_imported`` event per whole import.

6 rounds when ``CI`` is set, else 3. ``CRASH_SEED`` replays a run."""

from __future__ import annotations

import csv
import os
import random
import signal
import time
from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile
from forkserver import Zygote

from caseapp.services import profile_paths, profiles
from caseapp.services.session import open_session
from caseapp.store import database

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

ROUNDS = 6 if os.environ.get("CI") else 3
ROWS = 150
NAME = "importer"

IMPORTER = r"""
import sys
from pathlib import Path
from caseapp.services import exchange, profile_paths
from caseapp.services.session import open_session
from caseapp.store import database, migrations

name, key_hex, source = sys.argv[1:4]
key = bytes.fromhex(key_hex)  # the raw database key: skips Argon2 to keep rounds short
paths = profile_paths.existing(name)
conn = database.open_database(paths.database, key)
migrations.migrate(conn)
session = open_session(conn, paths, db_key=key)
print("ready", flush=True)
while True:
    exchange.import_htcds(session, Path(source))
    print("imported", flush=True)
"""


def write_source(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["prs_FirstName", "prs_SecondName", "prs_Birthdate"])
        for i in range(ROWS):
            writer.writerow([f"Synthetic{i}", "Person", "1990-05-01"])


def vault_state(paths: profile_paths.ProfilePaths, key: bytes) -> tuple[int, int, list[str]]:
    conn = database.open_database(paths.database, key)
    with open_session(conn, paths, db_key=key) as session:
        problems = list(database.check_integrity(conn))
        cases = session.store.count("case")
        imports = sum(1 for e in session.audit.events(limit=1_000_000)
                      if e["action"] == "htcds_imported")
        report = session.verify_audit()
        if not report.ok:
            problems.append(f"audit chain broken at {report.broken_at}: {report.reason}")
    return cases, imports, problems


@pytest.mark.slow
def test_sigkill_during_imports(tmp_path: Path, caseapp_home: Path,
                                new_profile: NewProfile) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)  # noqa: S311 (kill timing, not a secret)
    new_profile("manager", NAME)
    with profiles.unlock(NAME, PASSPHRASE) as session:
        key = session.db_key
    source = tmp_path / "cases.csv"
    write_source(source)
    paths = profile_paths.paths(NAME)
    zygote = Zygote(["caseapp.services.exchange", "caseapp.services.session",
                     "caseapp.store.migrations"],
                    env={**os.environ, "CASEAPP_HOME": str(caseapp_home)})
    grew = 0
    before = 0
    try:
        with (tmp_path / "child-stderr.txt").open("wb") as stderr:
            for round_no in range(ROUNDS):
                context = f"round {round_no}, seed {seed} (CRASH_SEED={seed} replays)"
                child = zygote.spawn(IMPORTER, [NAME, key.hex(), str(source)], stderr)
                assert child.stdout.readline().strip() == b"ready", context
                if round_no % 2:  # every other round, only once an import has committed
                    assert child.stdout.readline().strip() == b"imported", context
                time.sleep(rng.uniform(0.0, 0.5))
                child.kill()
                assert child.wait() == -signal.SIGKILL, context
                child.stdout.close()
                cases, imports, problems = vault_state(paths, key)
                assert problems == [], context
                assert cases == imports * ROWS and cases >= before, (context, cases, imports)
                grew += cases > before
                before = cases
    finally:
        zygote.close()
    with profiles.unlock(NAME, PASSPHRASE) as session:
        assert session.verify_audit().ok
    assert grew > 0, "no kill landed after an import had committed"
