"""Document budgets of issue 11: a referral PDF in at most 1 s, the statistics report over
100,000 cases in at most 5 s.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/documents.py --cases 2000
    .venv/bin/python bench/documents.py --cases 100000 --rounds 3 --out bench/results/documents.json

Measured, as the median of ``--rounds``:

- ``referral_pdf``: the referral form of one case built and encrypted in memory (values read
  through the services, laid out, AES-256 with a one-time passphrase), no file written;
- ``report_vault``: the report over the ``--cases`` synthetic cases of a throw-away profile
  (``demo.fill``): every case read from the vault, counted, suppressed, laid out;
- ``report_render``: counting and layout alone over 100,000 coarse case facts made in memory
  (no vault), so the layout's share of the budget is known at full size on any machine.

A report, not a test: it prints PASS / FAIL per budget, writes JSON and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics as stats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGETS = {"referral_pdf": 1.0, "report_vault": 5.0, "report_render": 5.0}
PASSPHRASE = "synthetic bench data only"  # noqa: S105 (a throw-away profile)


def median_time(rounds: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return stats.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "documents.json")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["CASEAPP_HOME"] = home
        from caseapp.crypto import kdf
        from caseapp.documents import forms, statistics_report
        from caseapp.domain import consent
        from caseapp.services import demo, documents, profiles
        from caseapp.services.consent import ConsentService
        from caseapp.services.directory import DirectoryService
        from caseapp.services.exports import new_export_id
        from caseapp.services.protection import Protection, protect
        from caseapp.services.referrals import ReferralService

        profiles.create_profile("bench", PASSPHRASE, role="manager", params=kdf.FLOOR)
        results: dict[str, float] = {}
        with profiles.unlock("bench", PASSPHRASE) as session:
            print(f"filling {args.cases} synthetic cases…", file=sys.stderr)
            ids = demo.fill(session, args.cases, records=False)  # the report needs cases only
            org = DirectoryService(session).add({
                "org_Name": "Dar-ul-Aman Lahore", "org_Type": "LocalGovernmentOrganisation",
                "hfz_Services": ["shelter"]}).id
            assert org is not None
            ConsentService(session).record(ids[0], consent.REFERRAL, True, language="urd",
                                           explanation_version="rights-2026-1",
                                           providers=[org])
            referral = ReferralService(session).create_draft(ids[0], org, ["shelter"]).id
            assert referral is not None

            def referral_pdf() -> bytes:
                form = documents.referral_document(session, referral,
                                                   ["person", "identity", "details"],
                                                   new_export_id()).form
                return protect(forms.render(form), Protection.passphrase())[0]

            referral_pdf()  # the first call starts Qt and loads the fonts
            results["referral_pdf"] = median_time(args.rounds, referral_pdf)
            today = dt.datetime.now(dt.UTC).date()
            request = statistics_report.ReportRequest(today.replace(month=1, day=1), today,
                                                      "", "ur", today)
            results["report_vault"] = median_time(args.rounds, lambda: statistics_report.render(
                documents.case_facts(session, None), request))

        rng = random.Random(11)  # noqa: S311 (synthetic data)
        facts = [statistics_report.CaseFacts(
            dt.date(2026, rng.randint(1, 12), rng.randint(1, 28)),
            ("TIP",) if rng.random() < 0.8 else ("SOM",),
            rng.choice(["Feminine", "Masculine", "TransgenderFeminine", ""]),
            rng.choice(["9--17", "18--20", "21--23", "24--26", "30--38", "-99"]),
            tuple(rng.sample(["ForcedLabour", "SexualExploitation", "ForcedMarriage",
                              "ForcedBegging"], rng.randint(0, 2))))
            for _ in range(100_000)]
        year = statistics_report.ReportRequest(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "",
                                               "ur", dt.date(2026, 12, 31))
        results["report_render"] = median_time(args.rounds,
                                               lambda: statistics_report.render(facts, year))

    sizes = {"referral_pdf": "1 case", "report_vault": f"{args.cases} cases",
             "report_render": "100000 case facts"}
    print(f"{'measure':<15} {'size':<20} {'median s':>9} {'budget s':>9}  result")
    for name, seconds in results.items():
        verdict = "PASS" if seconds <= BUDGETS[name] else "FAIL"
        print(f"{name:<15} {sizes[name]:<20} {seconds:>9.3f} {BUDGETS[name]:>9.1f}  {verdict}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cases": args.cases, "rounds": args.rounds,
                                    "seconds": results, "budgets": BUDGETS}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
