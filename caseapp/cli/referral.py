"""``caseapp referral …``: referrals out of and into a case and their lifecycle
(draft → sent → accepted / declined → completed, or withdrawn).

Sending needs the person's consent to a referral naming that provider. A manager or an
administrator may send without it only with ``--override-reason``, which is recorded and
audited; for anyone else the override is refused.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

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
from caseapp.i18n import N_, _
from caseapp.services.referrals import ReferralService


def _when(ms: object) -> str:
    if not isinstance(ms, int):
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _status_line(referral_id: str, status: str) -> None:
    print(_("Referral %(id)s is now %(status)s.", id=referral_id,
            status=_(rules.STATUS_LABELS.get(status, status))))


def _create(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        referral_id = ReferralService(session).create_draft(
            args.case, args.org, args.services or [], urgency=args.urgency,
            reason=args.reason, details=args.details).id
    print(referral_id)
    return 0


def _send(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        ReferralService(session).send(args.referral_id, override_reason=args.override_reason)
    _status_line(args.referral_id, rules.SENT)
    return 0


def _respond(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        ReferralService(session).record_response(args.referral_id, args.decision,
                                                 note=args.note)
    _status_line(args.referral_id, args.decision)
    return 0


def _complete(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        ReferralService(session).complete(args.referral_id, note=args.note)
    _status_line(args.referral_id, rules.COMPLETED)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        ReferralService(session).withdraw(args.referral_id, note=args.note)
    _status_line(args.referral_id, rules.WITHDRAWN)
    return 0


def _receive(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        referral_id = ReferralService(session).receive(
            args.case, args.referring_org, args.services or [], reason=args.reason,
            received_on=args.received_on, details=args.details,
            referring_caseworker=args.referring_caseworker, urgency=args.urgency).id
    print(referral_id)
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        service = ReferralService(session)
        referral = service.get(args.referral_id)
        events = service.events(args.referral_id)
    if args.json:
        print_json({**referral, "events": events})
        return 0
    for key, value in referral.items():
        print(f"{key}: {value}")
    for event in events:
        print("\t".join((_when(event.get("at")), str(event.get("from") or ""),
                         str(event.get("to") or ""), str(event.get("note") or ""))))
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        service = ReferralService(session)
        if args.case:
            found: list[dict[str, Any]] = [
                r for r in service.list_for_case(args.case)
                if (args.direction is None or r.get("hfz_Direction") == args.direction)
                and (args.status is None or r.get("hfz_Status") == args.status)]
        else:
            found = service.list(direction=args.direction, status=args.status,
                                 limit=args.limit)
    if args.json:
        print_json(found)
        return 0
    for r in found:
        print("\t".join(str(r.get(k) or "") for k in ("id", "hfz_Direction", "hfz_Status",
                                                      "hfz_Urgency", "hfz_OrganisationName",
                                                      "case_id")))
    return 0


def _add_services(parser: argparse.ArgumentParser) -> None:
    valid_values(parser.add_argument("--service", dest="services", action="append",
                                     metavar="TYPE",
                                     help=N_("a service asked for: one of %(valid)s; repeat "
                                             "for each")), rules.SERVICE_TYPES)
    valid_values(parser.add_argument("--urgency", default=rules.ROUTINE,
                                     help=N_("one of %(valid)s (default %(default)s)")),
                 rules.URGENCIES)
    parser.add_argument("--reason", default="AdditionalServicesRequired",
                        help=N_("HTCDS reason code (default %(default)s)"))
    parser.add_argument("--details", metavar="TEXT", type=free_text,
                        help=N_("what the receiving side needs to know; '-' reads it from "
                                "standard input and @FILE from a file, out of the process "
                                "list"))


REFERRAL_ID_HELP = N_("the referral's id, as 'referral list' prints it")


def _add_move(commands: argparse._SubParsersAction, name: str, help_text: str,
              handler: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text)
    parser.add_argument("referral_id", metavar="ID", help=REFERRAL_ID_HELP)
    add_profile_args(parser)
    parser.add_argument("--note", metavar="TEXT", type=free_text,
                        help=N_("a note kept with the status change; '-' reads it from "
                                "standard input and @FILE from a file, out of the process "
                                "list"))
    parser.set_defaults(handler=handler)
    return parser


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("referral", help=N_("referrals out of and into a case"))
    commands = parser.add_subparsers(dest="referral_command", required=True)

    create = commands.add_parser("create", help=N_("a draft referral of a case to a directory "
                                                   "organisation"))
    add_profile_args(create)
    create.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    create.add_argument("--org", required=True, metavar="ORG_ID",
                        help=N_("id of the organisation in the service directory"))
    _add_services(create)
    create.set_defaults(handler=_create)

    send = commands.add_parser("send", help=N_("send a draft referral (needs referral consent "
                                               "naming the provider)"))
    send.add_argument("referral_id", metavar="ID", help=REFERRAL_ID_HELP)
    add_profile_args(send)
    send.add_argument("--override-reason", metavar="TEXT", type=free_text,
                      help=N_("managers only: send without the person's consent, for this "
                              "recorded reason; '-' reads it from standard input and @FILE "
                              "from a file, out of the process list"))
    send.set_defaults(handler=_send)

    respond = _add_move(commands, "respond", N_("record the receiving side's answer"),
                        _respond)
    respond.add_argument("decision", metavar="accepted|declined",
                         help=N_("the receiving side's answer: accepted or declined"))

    _add_move(commands, "complete", N_("mark an accepted referral completed"), _complete)
    _add_move(commands, "withdraw", N_("withdraw a referral that is still open"), _withdraw)

    receive = commands.add_parser("receive", help=N_("record a referral another organisation "
                                                     "made to us"))
    add_profile_args(receive)
    receive.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    receive.add_argument("--from", dest="referring_org", required=True, metavar="ORG",
                         help=N_("referring organisation: directory id, or its name"))
    _add_services(receive)
    receive.add_argument("--received-on", metavar="YYYY-MM-DD",
                         help=N_("when the referral arrived (default today)"))
    receive.add_argument("--referring-caseworker", metavar="NAME",
                         help=N_("the caseworker who referred the person to us"))
    receive.set_defaults(handler=_receive)

    show = commands.add_parser("show", help=N_("a referral and its status history"))
    show.add_argument("referral_id", metavar="ID", help=REFERRAL_ID_HELP)
    add_profile_args(show)
    show.add_argument("--json", action="store_true", help=JSON_HELP)
    show.set_defaults(handler=_show)

    listing = commands.add_parser("list", help=N_("referrals of a case, or across the caseload "
                                                  "(most recently changed first)"))
    add_profile_args(listing)
    listing.add_argument("--case", metavar="ID",
                         help=N_("only the referrals of this case (its id or case number)"))
    listing.add_argument("--direction", choices=(rules.OUTGOING, rules.INCOMING),
                         help=N_("only referrals in this direction: %(choices)s"))
    listing.add_argument("--status", choices=rules.STATUSES,
                         help=N_("only referrals with this status: %(choices)s"))
    listing.add_argument("--limit", type=int, default=-1,
                         help=N_("without --case: show at most this many (-1, the default: "
                                 "all)"))
    listing.add_argument("--json", action="store_true", help=JSON_HELP)
    listing.set_defaults(handler=_list)
