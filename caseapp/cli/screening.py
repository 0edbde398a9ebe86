"""``caseapp screening``: list, show and evaluate screening instruments (no profile needed).

Answers are read from a JSON file (or standard input with ``-``, so a caseworker's answers need
not touch the disk) and the result is printed as JSON. The result is a screening indication,
never a legal status.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from caseapp.domain import screening
from caseapp.i18n import N_, current_language


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _instrument(args: argparse.Namespace) -> screening.Instrument:
    if args.instrument_file is not None:
        return screening.load_instrument_file(args.instrument_file)
    return screening.load_instrument(args.instrument)


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
        for ins in screening.list_instruments()
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


def _add_instrument_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--instrument", metavar="ID", help="id of a packaged instrument")
    group.add_argument("--instrument-file", metavar="FILE", type=Path,
                       help="an instrument file installed by an administrator")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("screening", help="screening instruments and their evaluation")
    commands = parser.add_subparsers(dest="screening_command", required=True)

    listing = commands.add_parser("list", help="list the packaged instruments")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="show an instrument's indicators")
    _add_instrument_args(show)
    show.set_defaults(handler=_show)

    evaluate = commands.add_parser(
        "evaluate", help="evaluate answers; the result is a screening indication, not a "
                         "legal status")
    _add_instrument_args(evaluate)
    evaluate.add_argument("--answers", required=True, metavar="FILE",
                          help="JSON object {indicator_id: yes|no|unknown}; '-' reads "
                               "standard input")
    evaluate.set_defaults(handler=_evaluate)
