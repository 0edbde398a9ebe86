"""``caseapp demo``: fill a profile with synthetic cases (created first when it does not exist)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from caseapp.cli.common import read_secret
from caseapp.cli.profile import CompactReport
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _, formatting
from caseapp.services import compaction, demo, profile_paths, profiles


class FillReport:
    """Tells on stderr how many cases are written and about how long the rest will take, at
    most every percent (a million cases took 16 minutes on the 2-core development machine)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        step = done * 100 // total if total else 100
        if step == self.shown and done != total:
            return
        self.shown = step
        left = (self.clock() - self.started) / done * (total - done) if done else 0.0
        if done == total or left < 60:
            print(_("%(done)s of %(total)s cases written.", done=formatting.number(done),
                    total=formatting.number(total)), file=sys.stderr)
        else:
            print(_("%(done)s of %(total)s cases written; about %(minutes)s minutes left.",
                    done=formatting.number(done), total=formatting.number(total),
                    minutes=formatting.number(round(left / 60))), file=sys.stderr)


def _demo(args: argparse.Namespace) -> int:
    if args.cases < 1:
        raise ValidationError(N_("--cases must be a whole number of at least 1."))
    secret = read_secret(args.passphrase_file)
    if args.profile not in profile_paths.list_profiles():
        created = profiles.create_profile(args.profile, secret, user_name="Demo Manager")
        print(_("Profile %(name)s created.", name=created.name))
        print(_("Recovery code (write it down and keep it apart from this computer; it is "
                "shown only once):"))
        print(created.recovery_code)

    with profiles.unlock(args.profile, secret) as session:
        ids = demo.fill(session, args.cases, seed=args.seed, progress=FillReport(),
                        records=not args.cases_only)
        # Written case by case, the indexes' pages are part empty: compacted, a million
        # cases take 3.9 KB each, not 4.1 (issue 12's budget is 4 KB).
        print(_("Compacting the case file (this can take a few minutes for a large "
                "caseload)…"), file=sys.stderr)
        report = compaction.compact(session, progress=CompactReport())
    print(_("%(count)s synthetic cases added.", count=formatting.number(len(ids))))
    print(_("The case file went from %(before)s MiB to %(after)s MiB (%(seconds)s s).",
            before=formatting.mebibytes(report.before),
            after=formatting.mebibytes(report.after),
            seconds=formatting.number(round(report.seconds))), file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help=N_("fill a profile with realistic synthetic cases, "
                                            "then compact its case file"))
    parser.add_argument("--profile", required=True,
                        help=N_("the profile to fill; created (a new office, you its "
                                "administrator) when it does not exist"))
    parser.add_argument("--passphrase-file", required=True, type=Path,
                        help=N_("file whose first line is the profile's passphrase (of the "
                                "new profile, when it is created)"))
    parser.add_argument("--cases", type=int, default=200,
                        help=N_("synthetic cases to add (default %(default)s)"))
    parser.add_argument("--cases-only", action="store_true",
                        help=N_("write each case with its person and route only, without the "
                                "consent, screening, plan, referral and follow-up records its "
                                "stage implies: about six times faster, for trying Hifazat "
                                "at a national caseload"))
    parser.add_argument("--seed", type=int, default=2026,
                        help=N_("seed of the random choices: the same seed gives the same "
                                "people (default %(default)s)"))
    parser.set_defaults(handler=_demo)
