"""``caseapp conflicts list|resolve``: guarded fields two devices changed without seeing each
other's value; a manager keeps one, or writes the right value."""

from __future__ import annotations

import argparse

from caseapp.cli.common import JSON_HELP, add_profile_args, open_profile, print_json
from caseapp.i18n import N_, _
from caseapp.services import conflicts


def _list(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = conflicts.open_conflicts(session)
    if args.json:
        print_json(found)
        return 0
    if not found:
        print(_("No open conflicts."))
    for c in found:
        print(f"{c['id']}  {c['record_type']} {c['record_id']}  {c['field']}: "
              f"{c['value_a']!r} | {c['value_b']!r}")
    return 0


def _resolve(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        value = conflicts.resolve(session, args.id, args.keep)
    if args.json:
        print_json({"id": args.id, "kept": value})
    else:
        print(_("Conflict resolved."))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("conflicts", help=N_("conflicts on guarded fields"))
    csub = parser.add_subparsers(dest="conflicts_command", required=True)
    listing = csub.add_parser("list", help=N_("open conflicts"))
    add_profile_args(listing)
    listing.add_argument("--json", action="store_true", help=JSON_HELP)
    listing.set_defaults(handler=_list)
    resolve = csub.add_parser("resolve", help=N_("resolve a conflict (managers)"))
    add_profile_args(resolve)
    resolve.add_argument("id", help=N_("the conflict's id, as 'conflicts list' prints it"))
    resolve.add_argument("--keep", required=True,
                         help=N_("'mine', 'theirs', or the value to keep"))
    resolve.add_argument("--json", action="store_true",
                         help=N_("print the conflict's id and the value kept as JSON"))
    resolve.set_defaults(handler=_resolve)
