"""``caseapp case …`` and ``caseapp search``: create, show, edit, list and find cases, their
notes and their history. Every CASE_ID may also be the case number."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from caseapp.cli.argparse_i18n import valid_values
from caseapp.cli.common import (
    CASE_ID_HELP,
    JSON_HELP,
    add_profile_args,
    free_text,
    open_profile,
    print_json,
    read_json,
)
from caseapp.cli.duplicates import warn_of_duplicates
from caseapp.domain import case_search, legal_status, stages
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _
from caseapp.services import duplicates
from caseapp.services.cases import CaseService, CaseSummary
from caseapp.services.screenings import ORG_CODES, STATUS_CODES, ScreeningService


def _create(args: argparse.Namespace) -> int:
    document = read_json(args.json)
    with open_profile(args) as session:
        case_id = CaseService(session).create(document).id
        print(case_id)
        # At once, while the person is still there to ask: no silent doubles.
        if case_id:
            warn_of_duplicates(duplicates.possible_duplicates(session, [case_id]))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        doc = CaseService(session).show(args.case_id)
    if args.json:
        print_json(doc)
    else:
        # The field clocks are for editors that save back (update(seen=…)), not for reading.
        for key, value in doc.items():
            if key != "clocks":
                print(f"{key}: {_readable(value)}")
    return 0


def _readable(value: Any) -> str:
    """A field as a person reads it: lists joined, documents and events as short lines."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        parts = [_readable(v) for v in value]
        if any(isinstance(v, dict) for v in value):
            return "".join(f"\n  - {p}" for p in parts)
        return ", ".join(parts)
    return "" if value is None else str(value)


def _edit(args: argparse.Namespace) -> int:
    changes = read_json(args.json)
    with open_profile(args) as session:
        changed = CaseService(session).update(args.case_id, changes)
    if changed.fields:
        print(_("Changed: %(fields)s", fields=", ".join(sorted(changed.fields))))
    else:
        print(_("Nothing changed: the case already holds these values."))
    return 0


def _notes(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        notes = CaseService(session).notes(args.case_id)
    if args.json:
        print_json(notes)
        return 0
    for note in notes:
        print(f"{_when(note['at'])}\t{note['text']}")
    return 0


def _history(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        entries = CaseService(session).history(args.case_id)
        here = session.device_id
    if args.json:
        print_json(entries)
        return 0
    for entry in entries:
        where = _("this device") if entry["device"] == here else _("another device")
        print("\t".join((_when(entry["at"]), entry["record_type"], entry["kind"], where,
                         ", ".join(entry["fields"]))))
    return 0


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000)) + " UTC"


def _print_summaries(summaries: list[CaseSummary], as_json: bool) -> None:
    if as_json:
        print_json([s.to_json() for s in summaries])
        return
    for s in summaries:
        line = [s.case_number, s.stage, s.name, s.name_urdu, s.id]
        if s.matched in MATCH_NOTES:
            line.append(_(MATCH_NOTES[s.matched]))  # not the person's own name
        print("\t".join(line))


# What a search hit says when the query matched something other than the person's name.
MATCH_NOTES = {case_search.FATHERS_NAME: N_("matched the father's name"),
               case_search.ALIAS: N_("matched an alias")}


def _page_key(text: str | None) -> tuple[int, str] | None:
    """``--after`` is the ``next`` key printed with the page before: UPDATED_AT:CASE_ID."""
    if text is None:
        return None
    updated_at, _sep, case_id = text.partition(":")
    if not updated_at.isdigit() or not case_id:
        raise ValidationError(N_("--after takes the key printed after the previous page, "
                                 "such as 1764599000000:0193…"))
    return int(updated_at), case_id


def _list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ValidationError(N_("--limit must be a whole number of at least 1."))
    after = _page_key(args.after)
    with open_profile(args) as session:
        page = CaseService(session).list(args.limit, after)
    key = f"{page.next[0]}:{page.next[1]}" if page.next else None
    if args.json:
        print_json({"total": page.total, "cases": [s.to_json() for s in page.cases],
                    "next": key})
        return 0
    _print_summaries(page.cases, False)
    if key:
        print(_("%(shown)s of %(total)s cases shown; the next page: --after %(key)s",
                shown=len(page.cases), total=page.total, key=key), file=sys.stderr)
    return 0


def _search(args: argparse.Namespace) -> int:
    # "-" reads the query from standard input: a name typed as an argument is visible to
    # every user of the machine (process list) and stays in the shell's history.
    query = sys.stdin.readline().strip() if args.query == "-" else args.query
    with open_profile(args) as session:
        _print_summaries(CaseService(session).search(query, args.limit), args.json)
    return 0


def _move(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        CaseService(session).move(args.case_id, args.to, args.reason)
    print(_("The case is now at the stage %(stage)s.",
            stage=_(stages.STAGE_LABELS.get(args.to, args.to))))
    return 0


def _status(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        ScreeningService(session).decide_status(
            args.case_id, args.status, args.decided_by, decided_on=args.decided_on,
            act=args.act, section=args.section, fir=args.fir)
    print(_("The trafficking status of the case is recorded."))
    return 0


def _read_text(path: Path) -> str:
    try:
        return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(N_("The file cannot be read: %(path)s"),
                              path=str(path)) from exc


def _note(args: argparse.Namespace) -> int:
    text = _read_text(args.text_file)
    with open_profile(args) as session:
        print(CaseService(session).add_note(args.case_id, text).id)
    return 0


def _reader(csub: argparse._SubParsersAction, name: str, help_text: str,
            handler: Callable[[argparse.Namespace], int]) -> None:
    """A command that prints something of one case, as text or --json."""
    parser = csub.add_parser(name, help=help_text)
    parser.add_argument("case_id", help=CASE_ID_HELP)
    add_profile_args(parser)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.set_defaults(handler=handler)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("case", help=N_("create, show and list cases"))
    csub = parser.add_subparsers(dest="case_command", required=True)

    create = csub.add_parser("create", help=N_("create a person and case from an HTCDS JSON file"))
    add_profile_args(create)
    create.add_argument("--json", required=True, type=Path, metavar="FILE",
                        help=N_("the case document: a JSON object of HTCDS fields, as "
                                "'caseapp fields' lists them ('-' reads standard input)"))
    create.set_defaults(handler=_create)

    _reader(csub, "show", N_("print a case, one field a line"), _show)

    editing = csub.add_parser("edit", help=N_("change fields of a case from a JSON file keyed "
                                           "as in create ('-' reads standard input)"))
    editing.add_argument("case_id", help=CASE_ID_HELP)
    add_profile_args(editing)
    editing.add_argument("--json", required=True, type=Path, metavar="FILE",
                         help=N_("the fields to change, a JSON object keyed as in 'case "
                                 "create' ('-' reads standard input)"))
    editing.set_defaults(handler=_edit)

    _reader(csub, "notes", N_("print the notes of a case, oldest first"), _notes)
    _reader(csub, "history", N_("every change to a case and the records under it, from this "
                                "device and others"), _history)

    listing = csub.add_parser("list", help=N_("list cases, most recently changed first"))
    add_profile_args(listing)
    listing.add_argument("--limit", type=int, default=50,
                         help=N_("cases a page (default %(default)s)"))
    listing.add_argument("--after", metavar="KEY",
                         help=N_("start after this key (printed with the page before)"))
    listing.add_argument("--json", action="store_true",
                         help=N_("print the page as JSON, with the total and the next key"))
    listing.set_defaults(handler=_list)

    move = csub.add_parser("move", help=N_("move a case to another stage (closing needs a "
                                        "reason)"))
    move.add_argument("case_id", help=CASE_ID_HELP)
    add_profile_args(move)
    valid_values(move.add_argument("--to", required=True, metavar="STAGE",
                                   help=N_("the stage to move to: one of %(valid)s")),
                 stages.STAGES)
    move.add_argument("--reason", metavar="TEXT", type=free_text,
                      help=N_("why the case is closed; '-' reads it from standard input and "
                              "@FILE from a file, out of the process list"))
    move.set_defaults(handler=_move)

    status = csub.add_parser("status", help=N_("record the legal trafficking status decision "
                                            "(FIA officers, managers and administrators)"))
    status.add_argument("case_id", help=CASE_ID_HELP)
    add_profile_args(status)
    valid_values(status.add_argument("--status", required=True, metavar="CODE",
                                     help=N_("the status decided: one of %(valid)s")),
                 STATUS_CODES)
    valid_values(status.add_argument(
        "--decided-by", metavar="ORG_CODE",
        help=N_("the deciding organisation, which must be your own organisation's "
                "(the default): one of %(valid)s")), ORG_CODES)
    status.add_argument("--decided-on", required=True, metavar="YYYY-MM-DD",
                        help=N_("the date of the decision"))
    valid_values(status.add_argument("--act", required=True, metavar="ACT",
                                     help=N_("the legal basis: %(valid)s")), legal_status.ACTS)
    status.add_argument("--section", required=True, metavar="SECTION",
                        help=N_("the section of the act, such as 3 or 3(1)"))
    status.add_argument("--fir", metavar="REFERENCE",
                        help=N_("the FIR reference, where there is one"))
    status.set_defaults(handler=_status)

    note = csub.add_parser("note", help=N_("add a note to a case"))
    note.add_argument("case_id", help=CASE_ID_HELP)
    add_profile_args(note)
    note.add_argument("--text-file", required=True, type=Path, metavar="FILE",
                      help=N_("UTF-8 text of the note ('-' reads standard input)"))
    note.set_defaults(handler=_note)

    search = sub.add_parser("search", help=N_("find cases by name (either script), identity "
                                           "number or case number"))
    add_profile_args(search)
    search.add_argument("query", help=N_("name, identity number or case number; '-' reads it "
                                         "from standard input"))
    search.add_argument("--limit", type=int, default=50,
                        help=N_("show at most this many cases, own-name matches first "
                                "(default %(default)s)"))
    search.add_argument("--json", action="store_true", help=JSON_HELP)
    search.set_defaults(handler=_search)
