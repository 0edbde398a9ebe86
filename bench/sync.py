"""Sync benchmark (issue 10): a real server process over HTTPS on loopback.

Measures:

1. push of 1,000 changes from an administrator's device (one ``sync run``: batches of 500);
2. the first sync of a newly enrolled device receiving ``--changes`` changes (budget 15 s
   for 10,000): verify, decrypt, merge and apply page by page;
3. a no-op sync (nothing to push or pull; budget 200 ms), median of five.

Run: ``.venv/bin/python bench/sync.py [--changes 10000] [--database postgresql://… |
--postgres] [--out bench/results/sync.json]``. Everything lives in a temporary folder
(profiles with the floor KDF, the server's data folder) that is removed afterwards; the data
is synthetic. This is a report, not a test: it exits 0 even when a budget is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="hifazat-bench-sync-"))
os.environ["CASEAPP_HOME"] = str(WORK / "home")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from caseapp.crypto import kdf  # noqa: E402
from caseapp.services import profiles, sync, sync_setup  # noqa: E402
from caseapp.services.session import Session  # noqa: E402
from tests.sync_helpers import running_server  # noqa: E402

PASS = "bench passphrase river lamp seven"  # noqa: S105 (synthetic)
PUSH_CHANGES = 1000


def _profile(name: str, role: str) -> Session:
    profiles.create_profile(name, PASS, role=role, params=kdf.FLOOR)
    return profiles.unlock(name, PASS)


def _changes(session: Session, count: int, start: int = 0) -> None:
    with session.write():
        for i in range(start, start + count):
            session.store.create("person", {"prs_FirstName": f"Synthetic {i}",
                                            "prs_Birthdate": "1990-01-01"},
                                 team=session.team_id)


def _timed(fn: object) -> float:
    assert callable(fn)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--database", help="postgresql://… (default: SQLite)")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throwaway PostgreSQL cluster (initdb) and use it")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sync.json")
    args = parser.parse_args()
    results: dict[str, object] = {"changes": args.changes,
                                  "database": "postgresql" if args.database else "sqlite"}
    cluster = contextlib.ExitStack()
    try:
        if args.postgres:
            from tests import pg_cluster
            args.database = pg_cluster.database_url(cluster.enter_context(pg_cluster.cluster()))
            results["database"] = "postgresql"
        with running_server(WORK, database=args.database) as server:
            admin = _profile("admin", "administrator")
            sync_setup.create_org(admin, url=server.url, pin=server.pin,
                                  setup_code=server.setup_code, name="Bench",
                                  recovery_kit=WORK / "kit.txt")
            sync.run(admin)  # the profile's own first records
            _changes(admin, PUSH_CHANGES)
            results["push_1000_s"] = _timed(lambda: sync.run(admin))
            rest = max(0, args.changes - PUSH_CHANGES)
            _changes(admin, rest, PUSH_CHANGES)
            sync.run(admin)
            device = _profile("device", "caseworker")
            code = sync_setup.invite(admin, "Office", "caseworker")
            sync_setup.enrol(device, code)
            pending = sync_setup.pending(admin)[0]
            sync_setup.approve(admin, pending["device"], pending["fingerprint"])
            report: list[sync.RunReport] = []
            results["first_sync_s"] = _timed(lambda: report.append(sync.run(device)))
            results["first_sync_pulled"] = report[0].pulled
            noop = [_timed(lambda: sync.run(device)) for _ in range(5)]
            results["noop_sync_ms"] = statistics.median(noop) * 1000
            admin.close()
            device.close()
    finally:
        cluster.close()
        shutil.rmtree(WORK, ignore_errors=True)
    budget_first = 15.0 * args.changes / 10_000
    rows = [("push of 1,000 changes", f"{results['push_1000_s']:.2f} s", "-", ""),
            (f"first sync ({results['first_sync_pulled']} changes)",
             f"{results['first_sync_s']:.2f} s", f"{budget_first:.1f} s",
             "PASS" if float(results["first_sync_s"]) <= budget_first else "FAIL"),  # type: ignore[arg-type]
            ("no-op sync (median of 5)", f"{results['noop_sync_ms']:.0f} ms", "200 ms",
             "PASS" if float(results["noop_sync_ms"]) <= 200 else "FAIL")]  # type: ignore[arg-type]
    for row in rows:
        print(f"{row[0]:<34} {row[1]:>10} {row[2]:>9} {row[3]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
