"""``caseapp org create``: register the organisation on the sync server and make this profile
its first administrator device."""

from __future__ import annotations

import argparse
from pathlib import Path

from caseapp.cli.common import JSON_HELP, add_profile_args, open_profile, print_json, read_secret
from caseapp.i18n import N_, _
from caseapp.services import sync_setup


def _create(args: argparse.Namespace) -> int:
    code = read_secret(args.setup_code)
    with open_profile(args) as session:
        done = sync_setup.create_org(session, url=args.server, pin=args.pin, setup_code=code,
                                     name=args.name, recovery_kit=args.recovery_kit)
    if args.json:
        print_json({"fingerprint": done.fingerprint, "team": done.team_id,
                    "recovery_kit": str(args.recovery_kit)})
        return 0
    print(_("Organisation %(name)s created. Its fingerprint:", name=args.name))
    print(done.fingerprint)
    print(_("The recovery kit is in %(path)s: print it, keep the paper in a safe, and delete "
            "the file. It holds the only copy of the escrow key.", path=str(args.recovery_kit)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("org", help=N_("the organisation that devices sync within"))
    osub = parser.add_subparsers(dest="org_command", required=True)
    create = osub.add_parser("create", help=N_("register the organisation on the sync server"))
    add_profile_args(create)
    create.add_argument("--server", required=True, help=N_("https://host:port of the server"))
    create.add_argument("--pin", required=True,
                        help=N_("the TLS pin 'caseapp server init' printed"))
    create.add_argument("--setup-code", required=True, type=Path,
                        help=N_("file holding the one-time setup code ('-' reads standard "
                                "input)"))
    create.add_argument("--name", required=True, help=N_("the organisation's name"))
    create.add_argument("--recovery-kit", required=True, type=Path,
                        help=N_("file to write the recovery kit to (print it, then delete "
                                "it)"))
    create.add_argument("--json", action="store_true", help=JSON_HELP)
    create.set_defaults(handler=_create)
