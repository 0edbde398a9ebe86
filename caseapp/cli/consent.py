"""``caseapp consent record | withdraw | show``: the person's consent on a case, per purpose.

Every decision is its own record; a withdrawal is a new record naming what it withdraws, so
nothing here edits an earlier entry. Whether the person is a child follows from the case (birth
date or estimated age); the child fields are asked for only when the service needs them.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from caseapp.cli.argparse_i18n import valid_values
from caseapp.cli.common import (
    CASE_ID_HELP,
    JSON_HELP,
    add_profile_args,
    free_text,
    naming_options,
    open_profile,
    person_at_terminal,
    print_json,
)
from caseapp.domain import consent
from caseapp.i18n import N_, _
from caseapp.services.consent import ConsentService


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _entry_json(entry: consent.ConsentEntry) -> dict[str, Any]:
    return {"id": entry.id, **entry.to_json(), "withdrawn_at": entry.withdrawn_at}


# The service's field names and the options that set them.
RECORD_OPTIONS = {
    "purpose": "--purpose", "granted": "--granted / --refused", "language": "--language",
    "explanation_version": "--explanation-version", "interpreter": "--interpreter",
    "providers": "--provider", "assent": "--assent", "guardian_name": "--guardian-name",
    "guardian_relationship": "--guardian-relationship",
    "best_interests_by": "--best-interests-by",
    "best_interests_reason": "--best-interests-reason",
}
WITHDRAW_OPTIONS = {"purpose": "--purpose", "consent_id": "--consent"}
# Whole sentences, one per decision: the id goes to standard output for scripts, this to
# standard error for the person at the keyboard.
RECORDED = {
    True: N_("Recorded: the person gave consent for %(purpose)s. Explanation version "
             "%(version)s, language %(language)s."),
    False: N_("Recorded: the person refused consent for %(purpose)s. Explanation version "
              "%(version)s, language %(language)s."),
}


def _record(args: argparse.Namespace) -> int:
    with open_profile(args) as session, naming_options(RECORD_OPTIONS):
        consent_id = ConsentService(session).record(
            args.case, args.purpose, args.granted, language=args.language,
            explanation_version=args.explanation_version, interpreter=args.interpreter,
            providers=args.providers or [], assent=args.assent,
            guardian_name=args.guardian_name, guardian_relationship=args.guardian_relationship,
            best_interests_by=args.best_interests_by,
            best_interests_reason=args.best_interests_reason).id
    print(consent_id)
    if person_at_terminal():  # a script reads the id alone; a person is told what it means
        print(_(RECORDED[bool(args.granted)], purpose=_(consent.PURPOSE_LABELS[args.purpose]),
                version=args.explanation_version.strip(), language=args.language),
              file=sys.stderr)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    with open_profile(args) as session, naming_options(WITHDRAW_OPTIONS):
        withdrawal_id = ConsentService(session).withdraw(args.case, consent_id=args.consent,
                                                         purpose=args.purpose).id
    print(withdrawal_id)
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        service = ConsentService(session)
        entries = service.entries(args.case)
        current = service.current(args.case)
    if args.json:
        print_json({"current": current, "entries": [_entry_json(e) for e in entries]})
        return 0
    for purpose in consent.PURPOSES:
        state = current[purpose]
        msgid = consent.REASONS[state["reason"]]
        sentence = _(msgid, purpose=_(consent.PURPOSE_LABELS[purpose]))
        permitted = _("permitted") if state["permitted"] else _("not permitted")
        print("\t".join((purpose, permitted, sentence, ", ".join(state.get("providers", [])))))
    for e in entries:
        decision = _("granted") if e.granted else _("refused")
        withdrawn = _("withdrawn %(when)s", when=_when(e.withdrawn_at)) \
            if e.withdrawn_at is not None else ""
        print("\t".join((e.id or "", e.purpose, decision, _when(e.at),
                         ", ".join(e.providers), withdrawn)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("consent", help=N_("record, withdraw and show consent on a case"))
    commands = parser.add_subparsers(dest="consent_command", required=True)

    record = commands.add_parser("record", help=N_("record one consent decision for one "
                                                   "purpose"))
    add_profile_args(record)
    record.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    valid_values(record.add_argument("--purpose", required=True,
                                     help=N_("what the decision is about: one of %(valid)s")),
                 consent.PURPOSES)
    decision = record.add_mutually_exclusive_group(required=True)
    decision.add_argument("--granted", dest="granted", action="store_true", default=None,
                          help=N_("the person gave consent"))
    decision.add_argument("--refused", dest="granted", action="store_false",
                          help=N_("the person refused consent"))
    record.add_argument("--language", default="urd",
                        help=N_("ISO 639 code of the language the consent was explained in "
                                "(default %(default)s)"))
    record.add_argument("--explanation-version", metavar="V",
                        help=N_("required: the version of the consent explanation that was "
                                "read out, as printed at the end of the rights sheet (such "
                                "as rights-2026-1)"))
    record.add_argument("--interpreter", metavar="NAME", type=free_text,
                        help=N_("the interpreter, if one was used; '-' reads the name from "
                                "standard input and @FILE from a file, out of the process "
                                "list"))
    record.add_argument("--provider", dest="providers", action="append", metavar="ORG",
                        help=N_("service provider (directory id or name) a referral consent "
                                "names; repeat for each"))
    record.add_argument("--assent", action=argparse.BooleanOptionalAction, default=None,
                        help=N_("a child's own assent (children only; --no-assent records "
                                "that the child did not assent)"))
    # Names and reasons about a child: each may come from a file or standard input instead
    # of the command line, where every user of the machine can read them.
    record.add_argument("--guardian-name", metavar="NAME", type=free_text,
                        help=N_("the guardian who consents for a child; '-' reads the name "
                                "from standard input and @FILE from a file, out of the "
                                "process list"))
    record.add_argument("--guardian-relationship", metavar="TEXT", type=free_text,
                        help=N_("how the guardian is related to the child, such as mother; "
                                "'-' reads it from standard input and @FILE from a file"))
    record.add_argument("--best-interests-by", metavar="NAME", type=free_text,
                        help=N_("who took a best-interests decision instead of a guardian; "
                                "'-' reads the name from standard input and @FILE from a "
                                "file, out of the process list"))
    record.add_argument("--best-interests-reason", metavar="TEXT", type=free_text,
                        help=N_("why a best-interests decision stands in for the guardian; "
                                "'-' reads it from standard input and @FILE from a file"))
    record.set_defaults(handler=_record)

    withdraw = commands.add_parser("withdraw", help=N_("withdraw one consent, or every "
                                                       "consent given for a purpose"))
    add_profile_args(withdraw)
    withdraw.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    which = withdraw.add_mutually_exclusive_group(required=True)
    valid_values(which.add_argument("--purpose", metavar="P",
                                    help=N_("withdraw every consent given for this purpose: "
                                            "one of %(valid)s")), consent.PURPOSES)
    which.add_argument("--consent", metavar="ID",
                       help=N_("withdraw this one consent entry, by its id as 'consent show' "
                               "prints it"))
    withdraw.set_defaults(handler=_withdraw)

    show = commands.add_parser("show", help=N_("what is permitted now, and every decision"))
    add_profile_args(show)
    show.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    show.add_argument("--json", action="store_true", help=JSON_HELP)
    show.set_defaults(handler=_show)
