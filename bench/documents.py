"""Document budgets of issue 11 (ARCHITECTURE §11), measured on a real vault: a referral PDF
in at most 1 s, the statistics report over 100,000 cases in at most 5 s; the HTCDS export of
the same caseload is timed beside them (no budget).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/documents.py --cases 2000   # quick
    .venv/bin/python bench/documents.py --cases 100000 --rounds 3
    .venv/bin/python bench/documents.py --only report_facts,report_vault --rounds 5

**The profile** (``documents-<cases>`` under ``bench/results/cache/profiles/``; the script
sets ``CASEAPP_HOME=bench/results/cache`` before caseapp is imported, so it never sees a real
profile): ``--cases`` synthetic cases written by ``caseapp.services.demo.fill(...,
records=False)``, as ``bench/store.py`` writes its own profile, then each person's consent,
recorded through ``ConsentService`` as a caseworker would: storing and processing for
assistance for every case (the HTCDS export needs it) and the use of non-identifying data for
research for nine in ten of them (the report counts only those, so its consent check does
real work). A child's consent carries assent and a guardian's consent. Built once (on the
2-core development machine under load, about 3 ms a case for the fill and 1.3 ms for a case's
consents: 7 minutes for 100,000), cached, resumed where a cut-off build stopped
(``--build-only`` builds and stops); delete the folder to rebuild. Each run works on a fresh copy
(``documents-run-<cases>``): every export adds its records and audit events to the vault.

Measured per round, wall time and the benchmark process's CPU time (``time.process_time``:
what the work itself costs, little moved by other programs on the machine):

- ``referral_pdf``: one case's referral form built and encrypted in memory (values read
  through the services, laid out, AES-256 with a one-time passphrase), nothing written;
- ``report_facts``: the report's reading alone: every case's coarse facts in one query, the
  research consent of the whole caseload, merged duplicates once;
- ``report_vault``: ``documents.export_report`` end to end over the whole caseload: the
  reading above, counting, suppression, layout, the file written, the audit events;
- ``report_render``: counting and layout alone over 100,000 coarse case facts made in memory
  (no vault), so the layout's share of the budget is known at full size;
- ``htcds_csv_age``: ``exchange.export_htcds`` of every consented case as CSV sealed with age;
- ``htcds_xlsx_passphrase``: the same as XLSX encrypted with a one-time passphrase.

The machine is shared: besides the absolute medians the script prints ratios that noise
moves less — the vault report against the in-memory render of the same number of facts,
CPU time against wall time, and the load average at the start and the end. Exported files go
to ``bench/results/cache/documents-out-<cases>/`` and are deleted after each round.

A report, not a test: it prints PASS / FAIL per budget, writes JSON and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics as stats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "results" / "cache"
# Profiles are looked up under $CASEAPP_HOME: set before caseapp is imported.
os.environ["CASEAPP_HOME"] = str(CACHE)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyrage  # noqa: E402

from caseapp.crypto import kdf  # noqa: E402
from caseapp.documents import forms, statistics_report  # noqa: E402
from caseapp.domain import consent  # noqa: E402
from caseapp.services import demo, documents, exchange, profile_paths, profiles  # noqa: E402
from caseapp.services.consent import CONSENT, ConsentService  # noqa: E402
from caseapp.services.directory import DirectoryService  # noqa: E402
from caseapp.services.exports import new_export_id  # noqa: E402
from caseapp.services.protection import Protection, protect  # noqa: E402
from caseapp.services.referrals import ReferralService  # noqa: E402
from caseapp.services.session import Session  # noqa: E402
from caseapp.store import migrations  # noqa: E402

BUDGETS = {"referral_pdf": 1.0, "report_vault": 5.0, "report_render": 5.0}
PASSPHRASE = "synthetic bench data only: documents 2026"  # noqa: S105 (a throw-away profile)
SEED = 2026
BATCH = 500
RESEARCH_SHARE = 0.9
EXPLANATION = "rights-2026-1"


def log(message: str) -> None:
    print(f"[bench/documents {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr,
          flush=True)


def built_name(cases: int) -> str:
    return f"documents-{cases}"


def marker(cases: int) -> Path:
    return profile_paths.paths(built_name(cases)).folder / "bench-built.json"


# -- the profile: build once, cache, copy per run ------------------------------------------

def _fill(session: Session, cases: int) -> None:
    have = session.store.count("case")
    missing = cases - have
    if missing <= 0:
        return
    log(f"writing {missing} synthetic cases ({have} already there) ...")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 5000 and done != total:
            return
        spent = time.perf_counter() - started
        log(f"  {have + done:>7} of {cases} cases ({spent / done * 1000:.2f} ms/case, "
            f"about {spent / done * (total - done):.0f} s left)")

    # A resumed build continues with another seed, so it adds different people.
    demo.fill(session, missing, seed=SEED + have, batch=BATCH, progress=progress,
              records=False)


def _consents(session: Session) -> dict[str, int]:
    """Record each person's consent where none is recorded yet; returns the counts."""
    store = session.store
    done = {r.parent for r in store.list(CONSENT, limit=-1)}
    assert session.conn is not None
    case_ids = [row[0] for row in session.conn.execute(
        "SELECT id FROM records WHERE type = 'case' AND deleted = 0 ORDER BY id")]
    todo = [c for c in case_ids if c not in done]
    log(f"recording consent for {len(todo)} of {len(case_ids)} cases ...")
    service = ConsentService(session)
    now = int(time.time() * 1000)
    started = time.perf_counter()
    for start in range(0, len(todo), BATCH):
        with session.write():
            for case_id in todo[start:start + BATCH]:
                case = store.get(case_id)
                person = store.get(case.parent or "") if case else None
                child = consent.person_is_child(person.body if person else {}, now)
                backing: dict[str, Any] = ({"assent": True, "guardian_name": "Guardian (demo)",
                                            "guardian_relationship": "mother"} if child else {})
                purposes = [consent.ASSISTANCE_PROCESSING]
                # The same cases on every build: decided by the case id, not by the order.
                if random.Random(case_id).random() < RESEARCH_SHARE:  # noqa: S311
                    purposes.append(consent.ANONYMISED_RESEARCH)
                for purpose in purposes:
                    service.record(case_id, purpose, True, language="urd",
                                   explanation_version=EXPLANATION, **backing)
        written = min(start + BATCH, len(todo))
        if written % 10_000 < BATCH or written == len(todo):
            spent = time.perf_counter() - started
            log(f"  {written:>7} of {len(todo)} ({spent / written * 1000:.2f} ms/case)")
    research = ConsentService(session).cases_permitting(consent.ANONYMISED_RESEARCH)
    return {"cases": len(case_ids), "research_consent": len(research)}


def build_profile(cases: int) -> dict[str, Any]:
    name = built_name(cases)
    if marker(cases).exists():
        log(f"reusing cached profile {profile_paths.paths(name).folder}")
        info: dict[str, Any] = json.loads(marker(cases).read_text())
        # Unlocking migrates a cache built at an older schema, once and untimed.
        profiles.unlock(name, PASSPHRASE).close()
        info["schema"] = migrations.CURRENT_VERSION
        return info
    started = time.perf_counter()
    if name not in profile_paths.list_profiles():
        log(f"creating profile {name} ...")
        # The unlock is not measured here: the floor KDF keeps the many unlocks short.
        profiles.create_profile(name, PASSPHRASE, user_name="Bench Manager", role="manager",
                                params=kdf.FLOOR)
    session = profiles.unlock(name, PASSPHRASE)
    try:
        _fill(session, cases)
        counts = _consents(session)
    finally:
        log("locking the built profile (verifies the audit chain) ...")
        session.close()
    info = {**counts, "build_seconds": round(time.perf_counter() - started, 1),
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "schema": migrations.CURRENT_VERSION}
    marker(cases).write_text(json.dumps(info, indent=1))
    log(f"profile built in {info['build_seconds']} s")
    return info


def fresh_copy(cases: int) -> str:
    source = profile_paths.paths(built_name(cases))
    target = profile_paths.paths(f"documents-run-{cases}")
    shutil.rmtree(target.folder, ignore_errors=True)
    target.folder.mkdir(parents=True, mode=0o700)
    for item in source.folder.iterdir():
        if item.name != "bench-built.json" and item.is_file():
            shutil.copy2(item, target.folder / item.name)
    return target.name


# -- measuring ----------------------------------------------------------------------------

def timed(rounds: int, work: Callable[[], object], after: Callable[[], None] = lambda: None
          ) -> dict[str, Any]:
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        after()
    return {"wall": stats.median(walls), "cpu": stats.median(cpus), "walls": walls,
            "cpus": cpus}


def memory_facts(count: int) -> list[statistics_report.CaseFacts]:
    rng = random.Random(11)  # noqa: S311 (synthetic data)
    return [statistics_report.CaseFacts(
        dt.date(2026, rng.randint(1, 12), rng.randint(1, 28)),
        ("TIP",) if rng.random() < 0.8 else ("SOM",),
        rng.choice(["Feminine", "Masculine", "TransgenderFeminine", ""]),
        rng.choice(["9--17", "18--20", "21--23", "24--26", "30--38", "-99"]),
        tuple(rng.sample(["ForcedLabour", "SexualExploitation", "ForcedMarriage",
                          "ForcedBegging"], rng.randint(0, 2))))
        for _ in range(count)]


MEASURES = ("referral_pdf", "report_facts", "report_vault", "report_render", "htcds_csv_age",
            "htcds_xlsx_passphrase")


def measure(session: Session, rounds: int, out: Path, only: set[str] | None = None
            ) -> dict[str, dict[str, Any]]:
    """Every measure, or only those named (their setup runs regardless)."""
    results: dict[str, dict[str, Any]] = {}

    def wanted(name: str) -> bool:
        return only is None or name in only

    out.mkdir(parents=True, exist_ok=True)

    def clear() -> None:
        for item in out.iterdir():
            item.unlink()

    case_id = _first_case(session)
    org = DirectoryService(session).list(service="shelter")[0]["id"]
    ConsentService(session).record(case_id, consent.REFERRAL, True, language="urd",
                                   explanation_version=EXPLANATION, providers=[org],
                                   **_backing(session, case_id))
    referral = ReferralService(session).create_draft(case_id, org, ["shelter"]).id
    assert referral is not None

    def referral_pdf() -> bytes:
        form = documents.referral_document(session, referral, ["person", "identity", "details"],
                                           new_export_id()).form
        return protect(forms.render(form), Protection.passphrase())[0]

    log("referral PDF ...")
    referral_pdf()  # the first call starts Qt and loads the fonts
    if wanted("referral_pdf"):
        results["referral_pdf"] = timed(rounds, referral_pdf)

    today = dt.datetime.now(dt.UTC).date()
    start = dt.date(2000, 1, 1)  # every synthetic case, whenever the cache was built
    log("statistics report: reading the facts ...")
    facts: list[statistics_report.CaseFacts] = []

    def read() -> None:
        facts[:], _left_out = documents.case_facts(session, None)

    results["report_facts"] = timed(rounds if wanted("report_facts") else 1, read)
    results["report_facts"]["counted"] = len(facts)
    if not wanted("report_facts"):
        del results["report_facts"]
    if wanted("report_vault"):
        log(f"  {len(facts)} cases counted; the report from the vault, end to end ...")
        results["report_vault"] = timed(rounds, lambda: documents.export_report(
            session, start, today, out / "report.pdf", "bench", Protection.plain(),
            lang="ur"), clear)
    if wanted("report_render"):
        log("the report over as many facts made in memory ...")
        in_memory = memory_facts(len(facts))
        year = statistics_report.ReportRequest(dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                               "", "ur", dt.date(2026, 12, 31))
        results["report_render"] = timed(rounds,
                                         lambda: statistics_report.render(in_memory, year))
        results["report_render"]["facts"] = len(in_memory)

    recipient = str(pyrage.x25519.Identity.generate().to_public())
    rows: list[int] = []
    for name, fmt, protection in (("htcds_csv_age", exchange.CSV, Protection.age(recipient)),
                                  ("htcds_xlsx_passphrase", exchange.XLSX,
                                   Protection.passphrase())):
        if not wanted(name):
            continue
        log(f"{name} ...")

        def export(fmt: str = fmt, protection: Protection = protection) -> None:
            report = exchange.export_htcds(session, out / f"htcds.{fmt}", fmt, "bench",
                                           protection=protection)
            rows.append(report.rows)

        results[name] = timed(rounds, export, clear)
        results[name]["rows"] = rows[-1]
    return results


def _first_case(session: Session) -> str:
    assert session.conn is not None
    return str(session.conn.execute(
        "SELECT id FROM records WHERE type = 'case' AND deleted = 0 LIMIT 1").fetchone()[0])


def _backing(session: Session, case_id: str) -> dict[str, Any]:
    case = session.store.get(case_id)
    person = session.store.get(case.parent or "") if case else None
    if consent.person_is_child(person.body if person else {}, int(time.time() * 1000)):
        return {"assent": True, "guardian_name": "Guardian (demo)",
                "guardian_relationship": "mother"}
    return {}


def report(results: dict[str, dict[str, Any]], cases: int) -> dict[str, float]:
    sizes = {"referral_pdf": "1 case", "report_facts": f"{cases} cases",
             "report_vault": f"{cases} cases"}
    sizes.update({name: f"{r['facts']} facts" if "facts" in r else f"{r['rows']} rows"
                  for name, r in results.items() if name not in sizes})
    print(f"{'measure':<22} {'size':<14} {'wall s':>8} {'CPU s':>8} {'budget s':>9}  result")
    for name, r in results.items():
        budget = BUDGETS.get(name)
        verdict = "info" if budget is None else "PASS" if r["wall"] <= budget else "FAIL"
        print(f"{name:<22} {sizes[name]:<14} {r['wall']:>8.3f} {r['cpu']:>8.3f} "
              f"{'-' if budget is None else f'{budget:.1f}':>9}  {verdict}")
    ratios = {f"{a} / {b} (wall)": results[a]["wall"] / results[b]["wall"]
              for a, b in (("report_vault", "report_render"), ("report_facts", "report_vault"),
                           ("htcds_xlsx_passphrase", "htcds_csv_age"))
              if a in results and b in results}
    ratios.update({f"{name}: CPU / wall": r["cpu"] / r["wall"] for name, r in results.items()})
    print("\nratios (less moved by other work on the machine than the times):")
    for name, value in ratios.items():
        print(f"  {name:<40} {value:.2f}")
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000,
                        help="synthetic cases in the cached profile (default 100000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per measure; the median is reported (default 3)")
    parser.add_argument("--only", default="",
                        help="comma-separated measures to run, of " + ", ".join(MEASURES)
                        + " (default: all)")
    parser.add_argument("--build-only", action="store_true",
                        help="build (or finish) the cached profile and stop")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "bench" / "results" / "documents.json",
                        help="JSON results (default bench/results/documents.json)")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    if only and only - set(MEASURES):
        parser.error(f"--only: no measure {', '.join(sorted(only - set(MEASURES)))}")
    load_start = os.getloadavg()
    info = build_profile(args.cases)
    if args.build_only:
        return 0
    work = fresh_copy(args.cases)
    with profiles.unlock(work, PASSPHRASE) as session:
        results = measure(session, args.rounds, CACHE / f"documents-out-{args.cases}", only)
    shutil.rmtree(profile_paths.paths(work).folder, ignore_errors=True)
    ratios = report(results, args.cases)
    load = {"start": load_start, "end": os.getloadavg()}
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {load['start'][0]:.2f} at start, "
          f"{load['end'][0]:.2f} at end; profile: {info}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cases": args.cases, "rounds": args.rounds,
                                    "profile": info, "results": results, "ratios": ratios,
                                    "budgets": BUDGETS, "load_average": load,
                                    "cpus": os.cpu_count()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
