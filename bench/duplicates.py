"""Benchmark: duplicate detection for one new person over a large caseload (budget p95 ≤ 200 ms).

Usage::

    .venv/bin/python bench/duplicates.py --build-only   # build the cached profile (slow)
    .venv/bin/python bench/duplicates.py               # time find_candidates, write JSON

The profile is cached under ``bench/results/cache-dup/`` (its own CASEAPP_HOME) and reused;
building 100,000 cases takes a few minutes, so run it with nohup and poll the log.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "results" / "cache-dup"
RESULT = ROOT / "bench" / "results" / "duplicates.json"
PASSPHRASE = "river lamp seven orchard"
BUDGET_MS = 200.0
# The home must be set before caseapp.services.profiles decides where profiles live.
os.environ["CASEAPP_HOME"] = str(CACHE)
sys.path.insert(0, str(ROOT))

from caseapp.crypto import kdf  # noqa: E402
from caseapp.services import demo, profile_paths, profiles  # noqa: E402


def _profile_name(cases: int) -> str:
    return f"dup{cases}"


def build(cases: int) -> None:
    """Create and fill the cached profile unless a complete one exists."""
    name = _profile_name(cases)
    done_marker = CACHE / f"{name}.done"
    if done_marker.exists():
        print(f"reusing cached profile {name}")
        return
    if name in profile_paths.list_profiles():
        # A half-built profile from an interrupted run: start over.
        profiles.erase(profile_paths.paths(name))
    profiles.create_profile(name, PASSPHRASE, user_name="Bench Manager", role="manager",
                            params=kdf.FLOOR)
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done % 5000 == 0 or done == total:
            rate = (time.perf_counter() - started) / done * 1000
            print(f"{done}/{total} cases ({rate:.2f} ms/case)", flush=True)

    with profiles.unlock(name, PASSPHRASE) as session:
        # Cases only: the stage records of a walked demo are not what this times.
        demo.fill(session, cases, seed=2026, batch=1000, progress=report, records=False)
    done_marker.write_text(str(cases))


_LATIN_VARIANTS = {"Muhammad": "Mohammed", "Ahmed": "Ahmad", "Ali": "Aly", "Hussain": "Husain",
                   "Fatima": "Fatimah", "Ayesha": "Aisha", "Qureshi": "Kureshi",
                   "Waseem": "Wasim", "Naveed": "Navid", "Khan": "Khaan"}


def _variant(person: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The same person as another office might record them: one script only, another
    transliteration, the birth year off by one."""
    copy = dict(person)
    if rng.random() < 0.5:
        copy.pop("hfz_NameUrdu", None)
        copy["prs_FirstName"] = _LATIN_VARIANTS.get(copy.get("prs_FirstName", ""),
                                                    copy.get("prs_FirstName", ""))
    else:
        copy.pop("prs_FirstName", None)
        copy.pop("prs_SecondName", None)
    copy.pop("hfz_IdentityDocuments", None)
    birth = str(copy.get("prs_Birthdate") or "")
    if birth[:4].isdigit():
        copy["prs_Birthdate"] = f"{int(birth[:4]) + rng.choice((-1, 1))}{birth[4:]}"
    return copy


def probes(count: int, cases: int) -> list[dict[str, Any]]:
    """New synthetic persons (another seed) plus transliterated copies of existing ones."""
    from caseapp.domain.case_documents import split_document

    rng = random.Random(7)  # noqa: S311 (synthetic data)
    fresh = random.Random(99)  # noqa: S311
    existing = random.Random(2026)  # noqa: S311 (same seed as the fill: the same people)
    known = [split_document(demo.synthetic_case(existing))[0] for _ in range(min(cases, 2000))]
    people: list[dict[str, Any]] = []
    for i in range(count):
        if i % 4 == 3:
            people.append(_variant(rng.choice(known), rng))
        else:
            people.append(split_document(demo.synthetic_case(fresh))[0])
    return people


def run(cases: int, count: int) -> dict[str, Any]:
    from caseapp.services.duplicates import find_candidates

    name = _profile_name(cases)
    people = probes(count, cases)
    timings: list[float] = []
    found = 0
    with profiles.unlock(name, PASSPHRASE) as session:
        find_candidates(session, person=people[0])  # warm the page cache
        for person in people:
            start = time.perf_counter()
            result = find_candidates(session, person=person)
            timings.append((time.perf_counter() - start) * 1000)
            found += bool(result)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    report = {"cases": cases, "queries": len(timings),
              "p50_ms": round(statistics.median(timings), 2), "p95_ms": round(p95, 2),
              "max_ms": round(timings[-1], 2), "budget_ms": BUDGET_MS,
              "within_budget": p95 <= BUDGET_MS, "queries_with_candidates": found}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=250)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    build(args.cases)
    if args.build_only:
        return 0
    report = run(args.cases, args.queries)
    print(f"{'cases':>8} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'budget':>8}")
    print(f"{report['cases']:>8} {report['queries']:>8} {report['p50_ms']:>8} "
          f"{report['p95_ms']:>8} {report['max_ms']:>8} {report['budget_ms']:>8}")
    print("within budget" if report["within_budget"] else "OVER BUDGET")
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
