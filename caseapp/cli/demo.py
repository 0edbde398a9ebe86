"""``caseapp demo``: fill a profile with synthetic cases (created first when it does not exist)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from caseapp.cli.common import read_secret
from caseapp.i18n import N_, _
from caseapp.services import demo, profile_paths, profiles


def _demo(args: argparse.Namespace) -> int:
    secret = read_secret(args.passphrase_file)
    if args.profile not in profile_paths.list_profiles():
        created = profiles.create_profile(args.profile, secret, user_name="Demo Manager")
        print(_("Profile %(name)s created.", name=created.name))
        print(_("Recovery code (write it down and keep it apart from this computer; it is "
                "shown only once):"))
        print(created.recovery_code)

    def report(done: int, total: int) -> None:
        print(_("%(done)s of %(total)s cases written", done=done, total=total),
              file=sys.stderr)

    with profiles.unlock(args.profile, secret) as session:
        ids = demo.fill(session, args.cases, seed=args.seed, progress=report)
    print(_("%(count)s synthetic cases added.", count=len(ids)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help=N_("fill a profile with realistic synthetic cases"))
    parser.add_argument("--profile", required=True,
                        help=N_("the profile to fill; created (a new office, you its "
                                "administrator) when it does not exist"))
    parser.add_argument("--passphrase-file", required=True, type=Path,
                        help=N_("file whose first line is the profile's passphrase (of the "
                                "new profile, when it is created)"))
    parser.add_argument("--cases", type=int, default=200,
                        help=N_("synthetic cases to add (default %(default)s)"))
    parser.add_argument("--seed", type=int, default=2026,
                        help=N_("seed of the random choices: the same seed gives the same "
                                "people (default %(default)s)"))
    parser.set_defaults(handler=_demo)
