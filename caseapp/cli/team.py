"""``caseapp team create|list``: the teams of the organisation (an office, a shelter, an FIA
circle); a record is readable by the devices of its team."""

from __future__ import annotations

import argparse

from caseapp.cli.common import JSON_HELP, add_profile_args, open_profile, print_json
from caseapp.i18n import N_, _
from caseapp.services import sync_setup


def _create(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        team_id = sync_setup.create_team(session, args.name)
    if args.json:
        print_json({"id": team_id, "name": args.name})
    else:
        print(_("Team %(name)s created.", name=args.name))
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = sync_setup.teams(session)
    if args.json:
        print_json(found)
        return 0
    for team in found:
        mark = _("member") if team["member"] else ""
        print(f"{team['id']}  {team['name']}  {mark}".rstrip())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("team", help=N_("teams of the organisation"))
    tsub = parser.add_subparsers(dest="team_command", required=True)
    create = tsub.add_parser("create", help=N_("create a team (administrators)"))
    add_profile_args(create)
    create.add_argument("--name", required=True, help=N_("the team's name"))
    create.add_argument("--json", action="store_true", help=JSON_HELP)
    create.set_defaults(handler=_create)
    listing = tsub.add_parser("list", help=N_("list the teams"))
    add_profile_args(listing)
    listing.add_argument("--json", action="store_true", help=JSON_HELP)
    listing.set_defaults(handler=_list)
