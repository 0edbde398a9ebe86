"""``caseapp case …`` and ``caseapp search``: create, show, list and find cases."""

from __future__ import annotations

import argparse
from pathlib import Path

from caseapp.cli.common import add_profile_args, open_profile, print_json, read_json
from caseapp.services.cases import CaseService, CaseSummary


def _create(args: argparse.Namespace) -> int:
    document = read_json(args.json)
    with open_profile(args) as session:
        print(CaseService(session).create(document))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        doc = CaseService(session).show(args.case_id)
    if args.json:
        print_json(doc)
    else:
        for key, value in doc.items():
            print(f"{key}: {value}")
    return 0


def _print_summaries(summaries: list[CaseSummary], as_json: bool) -> None:
    if as_json:
        print_json([s.to_json() for s in summaries])
        return
    for s in summaries:
        print("\t".join((s.case_number, s.stage, s.name, s.name_urdu, s.id)))


def _list(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        _print_summaries(CaseService(session).list(args.limit, args.offset), args.json)
    return 0


def _search(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        _print_summaries(CaseService(session).search(args.query, args.limit), args.json)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("case", help="create, show and list cases")
    csub = parser.add_subparsers(dest="case_command", required=True)

    create = csub.add_parser("create", help="create a person and case from an HTCDS JSON file")
    add_profile_args(create)
    create.add_argument("--json", required=True, type=Path, metavar="FILE")
    create.set_defaults(handler=_create)

    show = csub.add_parser("show", help="print a case")
    show.add_argument("case_id")
    add_profile_args(show)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    listing = csub.add_parser("list", help="list cases, most recently changed first")
    add_profile_args(listing)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    search = sub.add_parser("search", help="find cases by name (either script), identity "
                                           "number or case number")
    add_profile_args(search)
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=_search)
