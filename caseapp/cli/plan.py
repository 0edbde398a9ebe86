"""``caseapp plan …``: assistance-plan items, services delivered and follow-ups of a case, and
the caseload-wide list of what is due."""

from __future__ import annotations

import argparse
from datetime import date

from caseapp.cli.argparse_i18n import valid_values
from caseapp.cli.common import (
    CASE_ID_HELP,
    JSON_HELP,
    add_profile_args,
    free_text,
    open_profile,
    print_json,
)
from caseapp.domain import referrals as rules
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _
from caseapp.services.plans import PlanService

# Plan-item options and the HTCDS / Hifazat fields they fill.
PLAN_OPTIONS = (("type", "spl_Type"), ("objectives", "spl_Objectives"),
                ("action_plan", "spl_ActionPlan"), ("responsible_org", "hfz_ResponsibleOrg"),
                ("start", "hfz_StartDate"), ("planned_end", "spl_PlannedEndDate"),
                ("ended", "spl_ActualEndDate"), ("due", "hfz_DueDate"))


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    parsed = rules.parse_date(text)
    if parsed is None:
        # The text is not repeated: it could be anything the user typed (issue 7, item 8).
        raise ValidationError(N_("The date is not valid; write it as YYYY-MM-DD."))
    return parsed


def _add(args: argparse.Namespace) -> int:
    fields = {name: getattr(args, option) for option, name in PLAN_OPTIONS}
    with open_profile(args) as session:
        print(PlanService(session).add_plan_item(args.case, fields).id)
    return 0


def _deliver(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        print(PlanService(session).record_service(args.case, args.service, args.on,
                                                  provider=args.provider, notes=args.notes).id)
    return 0


def _follow_up(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        print(PlanService(session).add_follow_up(args.case, args.due, args.purpose).id)
    return 0


def _done(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        PlanService(session).complete(args.item_id, args.on)
    print(_("Marked done."))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = PlanService(session).for_case(args.case)
    if args.json:
        print_json(found)
        return 0
    for key, rows in found.items():
        for row in rows:
            print("\t".join((key, *(f"{k}={v}" for k, v in row.items()))))
    return 0


def _due(args: argparse.Namespace) -> int:
    before = _date(args.before)
    with open_profile(args) as session:
        found = PlanService(session).follow_ups_due(before)
    if args.json:
        print_json([d.to_json() for d in found])
        return 0
    for d in found:
        print("\t".join((d.due.isoformat(), d.kind, d.case_id, d.id, d.title)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plan", help=N_("assistance plan, services delivered and follow-ups"))
    commands = parser.add_subparsers(dest="plan_command", required=True)

    add = commands.add_parser("add", help=N_("add an assistance-plan item to a case"))
    add_profile_args(add)
    add.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    # Both required by every plan item: argparse names the option a user forgot, where the
    # item's check would name the HTCDS field.
    add.add_argument("--type", metavar="CODE", required=True,
                     help=N_("HTCDS spl_Type code, such as Legal (caseapp fields --picklist "
                             "spl_Type lists them)"))
    add.add_argument("--objectives", metavar="TEXT", required=True, type=free_text,
                     help=N_("what the item is to achieve; '-' reads it from standard input "
                             "and @FILE from a file, out of the process list"))
    add.add_argument("--action-plan", metavar="TEXT",
                     help=N_("the steps planned to reach the objectives"))
    add.add_argument("--responsible-org", metavar="ORG",
                     help=N_("the organisation responsible for the item (directory id or "
                             "name)"))
    add.add_argument("--start", metavar="YYYY-MM-DD",
                     help=N_("when the item starts (default today)"))
    add.add_argument("--planned-end", metavar="YYYY-MM-DD",
                     help=N_("when the item is planned to end"))
    add.add_argument("--ended", metavar="YYYY-MM-DD",
                     help=N_("actual end: the item is done"))
    add.add_argument("--due", metavar="YYYY-MM-DD", help=N_("when the item is next due"))
    add.set_defaults(handler=_add)

    deliver = commands.add_parser("deliver", help=N_("record a service the person received"))
    add_profile_args(deliver)
    deliver.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    valid_values(deliver.add_argument("--service", required=True, metavar="TYPE",
                                      help=N_("the service delivered: one of %(valid)s")),
                 rules.SERVICE_TYPES)
    deliver.add_argument("--on", required=True, metavar="YYYY-MM-DD",
                         help=N_("the date it was delivered"))
    deliver.add_argument("--provider", metavar="ORG",
                         help=N_("who delivered it: directory id or name"))
    deliver.add_argument("--notes", metavar="TEXT", type=free_text,
                         help=N_("notes on the service; '-' reads them from standard input "
                                 "and @FILE from a file, out of the process list"))
    deliver.set_defaults(handler=_deliver)

    follow_up = commands.add_parser("follow-up", help=N_("schedule a follow-up on a case"))
    add_profile_args(follow_up)
    follow_up.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    follow_up.add_argument("--due", required=True, metavar="YYYY-MM-DD",
                           help=N_("when the follow-up is due"))
    follow_up.add_argument("--purpose", required=True, metavar="TEXT",
                           help=N_("what the follow-up is for, such as a phone call after "
                                   "the return"))
    follow_up.set_defaults(handler=_follow_up)

    done = commands.add_parser("done", help=N_("mark a plan item or a follow-up done"))
    done.add_argument("item_id", metavar="ID",
                      help=N_("the plan item or follow-up, as 'plan show' prints it"))
    add_profile_args(done)
    done.add_argument("--on", metavar="YYYY-MM-DD", help=N_("when (default today)"))
    done.set_defaults(handler=_done)

    show = commands.add_parser("show", help=N_("plan items, services and follow-ups of a "
                                               "case"))
    add_profile_args(show)
    show.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    show.add_argument("--json", action="store_true", help=JSON_HELP)
    show.set_defaults(handler=_show)

    due = commands.add_parser("due", help=N_("open plan items and follow-ups due, across the "
                                             "caseload, most overdue first"))
    add_profile_args(due)
    due.add_argument("--before", metavar="YYYY-MM-DD",
                     help=N_("due on or before (default today)"))
    due.add_argument("--json", action="store_true", help=JSON_HELP)
    due.set_defaults(handler=_due)
