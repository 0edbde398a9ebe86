"""``caseapp user add``: the administrator adds a user of the office, with a profile of their
own on this machine and a first passphrase they must change."""

from __future__ import annotations

import argparse
from pathlib import Path

from caseapp.cli.common import add_profile_args, open_profile, read_secret
from caseapp.i18n import N_, _
from caseapp.services import profiles, users


def _add(args: argparse.Namespace) -> int:
    first = read_secret(args.first_passphrase_file)
    with open_profile(args) as session:
        created = users.add_user(session, profile_name=args.new_profile, user_name=args.name,
                                 role=args.role, first_passphrase=first,
                                 law_enforcement=args.law_enforcement)
    print(_("User %(name)s added, with the profile %(profile)s. Give them the first "
            "passphrase; they must change it before the profile opens for anything else.",
            name=args.name, profile=created.name))
    print(_("Their recovery code (for them only: hand it over in person; it is shown only "
            "once):"))
    print(created.recovery_code)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("user", help=N_("users of the office (administrator only)"))
    usub = parser.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help=N_("add a user with a profile of their own"))
    add_profile_args(add)
    add.add_argument("--name", required=True, help=N_("the user's display name"))
    add.add_argument("--role", required=True, choices=profiles.ROLES,
                     help=N_("the user's role, which decides what they may do: %(choices)s"))
    add.add_argument("--new-profile", required=True, help=N_("profile name for the new user"))
    add.add_argument("--first-passphrase-file", required=True, type=Path,
                     help=N_("file whose first line is the first passphrase, which the user "
                             "must change before the profile opens ('-' reads standard "
                             "input)"))
    add.add_argument("--law-enforcement", action="store_true",
                     help=N_("the user works for law enforcement (sees perpetrator context)"))
    add.set_defaults(handler=_add)
