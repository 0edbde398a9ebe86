"""``caseapp screening``: list, show and evaluate screening instruments (no profile needed),
and submit answers on a case or read a case's screening history (profile needed).

Answers are read from a JSON file (or standard input with ``-``, so a caseworker's answers need
not touch the disk) and the result is printed as JSON. The result is a screening indication,
never a legal status.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from caseapp.cli.common import (
    CASE_ID_HELP,
    JSON_HELP,
    add_profile_args,
    free_text,
    open_profile,
)
from caseapp.domain import screening
from caseapp.i18n import N_, current_language
from caseapp.reference import loader
from caseapp.services.screenings import ScreeningService


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _instrument(args: argparse.Namespace) -> screening.Instrument:
    if args.instrument_file is not None:
        return loader.load_instrument_file(args.instrument_file)
    return loader.load_instrument(args.instrument)


def _read_answers(path: str) -> dict[str, object]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise screening.InvalidAnswers(N_("The answers file %(path)s is not UTF-8 text."),
                                       path=path) from exc
    except OSError as exc:
        raise screening.InvalidAnswers(N_("The answers file %(path)s cannot be read "
                                          "(%(reason)s)."),
                                       path=path, reason=exc.strerror or type(exc).__name__
                                       ) from exc
    return screening.parse_answers(text, path)


def _list(args: argparse.Namespace) -> int:
    lang = current_language()
    _print_json([
        {"id": ins.id, "version": ins.version, "title": ins.title_in(lang), "kind": ins.kind,
         "evidence": ins.evidence}
        for ins in loader.list_instruments()
    ])
    return 0


def _show(args: argparse.Namespace) -> int:
    _print_json(_instrument(args).to_json(current_language()))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    instrument = _instrument(args)
    answers = _read_answers(args.answers)
    _print_json(screening.evaluate_any(instrument, answers).to_json())
    return 0


def _submit(args: argparse.Namespace) -> int:
    answers = _read_answers(args.answers)
    with open_profile(args) as session:
        submission_id = ScreeningService(session).submit(args.case, args.instrument, answers,
                                                         notes=args.notes).id
    # The stored result is this evaluation: the same packaged instrument, the same answers.
    result = screening.evaluate_any(loader.load_instrument(args.instrument), answers)
    _print_json({"id": submission_id, "result": result.to_json()})
    return 0


def _when(ms: object) -> str:
    if not isinstance(ms, int):
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _history(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = ScreeningService(session).history(args.case)
    if args.json:
        _print_json(found)
        return 0
    for s in found:
        result = s.get("result") or {}
        outcome = result.get("indication") or result.get("summary") or ""
        print("\t".join((s["id"], _when(s.get("submitted_at")),
                         f"{s.get('instrument_id', '')}@{s.get('instrument_version', '')}",
                         str(outcome))))
    return 0


INSTRUMENT_HELP = N_("id of a packaged instrument, as 'screening list' prints it")
ANSWERS_HELP = N_("JSON object {indicator_id: yes|no|unknown}; '-' reads standard input")


def _add_instrument_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--instrument", metavar="ID", help=INSTRUMENT_HELP)
    group.add_argument("--instrument-file", metavar="FILE", type=Path,
                       help=N_("an instrument file installed by an administrator"))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("screening", help=N_("screening instruments and their evaluation"))
    commands = parser.add_subparsers(dest="screening_command", required=True)

    listing = commands.add_parser("list", help=N_("list the packaged instruments"))
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help=N_("show an instrument's indicators"))
    _add_instrument_args(show)
    show.set_defaults(handler=_show)

    evaluate = commands.add_parser(
        "evaluate", help=N_("evaluate answers; the result is a screening indication, not a "
                            "legal status"))
    _add_instrument_args(evaluate)
    evaluate.add_argument("--answers", required=True, metavar="FILE", help=ANSWERS_HELP)
    evaluate.set_defaults(handler=_evaluate)

    submit = commands.add_parser(
        "submit", help=N_("evaluate answers and store them on a case (needs interview "
                          "consent); the result is a screening indication, not a legal "
                          "status"))
    add_profile_args(submit)
    submit.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    submit.add_argument("--instrument", required=True, metavar="ID", help=INSTRUMENT_HELP)
    submit.add_argument("--answers", required=True, metavar="FILE", help=ANSWERS_HELP)
    submit.add_argument("--notes", metavar="TEXT", type=free_text,
                        help=N_("notes on the screening; '-' reads them from standard input "
                                "and @FILE from a file, out of the process list"))
    submit.set_defaults(handler=_submit)

    history = commands.add_parser("history", help=N_("every screening of a case, newest "
                                                     "first"))
    add_profile_args(history)
    history.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    history.add_argument("--json", action="store_true", help=JSON_HELP)
    history.set_defaults(handler=_history)
