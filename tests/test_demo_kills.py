"""SECURITY.md item 1 for demo generation (issue 7, "tests the suite is missing"): a child
fills a vault with synthetic cases in batches and is killed with SIGKILL at a random moment.
After each kill the vault opens, SQLCipher finds no damage, the audit chain verifies, and
every batch is there whole or not at all (each is one transaction): the case count is a
multiple of the batch size, and every case has its ``case_created`` event.

8 rounds when ``CI`` is set, else 4. ``CRASH_SEED`` replays a run."""

from __future__ import annotations

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

ROUNDS = 8 if os.environ.get("CI") else 4
BATCH = 40
NAME = "demo"

FILLER = r"""
import sys
from caseapp.services import demo, profile_paths
from caseapp.services.session import open_session
from caseapp.store import database, migrations

name, key_hex, seed, batch = sys.argv[1:5]
key = bytes.fromhex(key_hex)  # the raw database key: skips Argon2 to keep rounds short
paths = profile_paths.existing(name)
conn = database.open_database(paths.database, key)
migrations.migrate(conn)
session = open_session(conn, paths, db_key=key)
print("ready", flush=True)
demo.fill(session, 100_000, seed=int(seed), batch=int(batch),
          progress=lambda done, total: print(done, flush=True))
"""


def vault_state(paths: profile_paths.ProfilePaths, key: bytes) -> tuple[int, int, list[str]]:
    """(cases, case_created events, problems), read without an unlock's repairs."""
    conn = database.open_database(paths.database, key)
    with open_session(conn, paths, db_key=key) as session:
        problems = list(database.check_integrity(conn))
        cases = session.store.count("case")
        created = sum(1 for e in session.audit.events(limit=1_000_000)
                      if e["action"] == "case_created")
        report = session.verify_audit()
        if not report.ok:
            problems.append(f"audit chain broken at {report.broken_at}: {report.reason}")
    return cases, created, problems


@pytest.mark.slow
def test_sigkill_during_demo_generation(tmp_path: Path, caseapp_home: Path,
                                        new_profile: NewProfile) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)  # noqa: S311 (kill timing, not a secret)
    new_profile("manager", NAME)
    with profiles.unlock(NAME, PASSPHRASE) as session:
        key = session.db_key
    paths = profile_paths.paths(NAME)
    zygote = Zygote(["caseapp.services.demo", "caseapp.services.session",
                     "caseapp.store.migrations"],
                    env={**os.environ, "CASEAPP_HOME": str(caseapp_home)})
    grew = 0
    before = 0
    try:
        with (tmp_path / "child-stderr.txt").open("wb") as stderr:
            for round_no in range(ROUNDS):
                context = f"round {round_no}, seed {seed} (CRASH_SEED={seed} replays)"
                child = zygote.spawn(FILLER, [NAME, key.hex(), str(rng.randrange(10**6)),
                                              str(BATCH)],
                                     stderr)
                assert child.stdout.readline().strip() == b"ready", context
                if round_no % 2:  # every other round, only once a batch has committed
                    assert child.stdout.readline().strip().isdigit(), context
                time.sleep(rng.uniform(0.0, 0.5))
                child.kill()
                assert child.wait() == -signal.SIGKILL, context
                child.stdout.close()
                cases, created, problems = vault_state(paths, key)
                assert problems == [], context
                assert cases % BATCH == 0 and cases >= before, (context, cases)
                assert created == cases, context
                grew += cases > before
                before = cases
    finally:
        zygote.close()
    with profiles.unlock(NAME, PASSPHRASE) as session:
        assert session.verify_audit().ok
    assert grew > 0, "no kill landed after a batch had committed"
