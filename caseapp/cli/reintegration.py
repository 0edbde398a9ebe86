"""``caseapp reintegration …``: reintegration assessments of a case, one per round (baseline,
monitoring_1, …), and the change between two rounds.

Answers come from a JSON file mapping question ids to answers. A round is recorded once; a
correction is a new assessment that supersedes the old one, which is kept as it was.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from caseapp.cli.common import (
    CASE_ID_HELP,
    JSON_HELP,
    add_profile_args,
    free_text,
    open_profile,
    print_json,
    read_json,
)
from caseapp.domain import reintegration as rss
from caseapp.i18n import N_, _
from caseapp.reference import loader
from caseapp.services.reintegration import ReintegrationService


def _survey(args: argparse.Namespace) -> rss.Survey | None:
    return loader.load_survey_file(args.survey_file) if args.survey_file else None


def _record(args: argparse.Namespace) -> int:
    answers = read_json(args.answers)
    survey = _survey(args)
    with open_profile(args) as session:
        print(ReintegrationService(session, survey).record(args.case, args.round, answers,
                                                           notes=args.notes).id)
    return 0


def _correct(args: argparse.Namespace) -> int:
    answers = read_json(args.answers)
    survey = _survey(args)
    with open_profile(args) as session:
        print(ReintegrationService(session, survey).correct(args.assessment_id, answers,
                                                            notes=args.notes).id)
    return 0


def _questions(args: argparse.Namespace) -> int:
    """The survey's questions and the answers each takes, in the user's language: what an
    answers file may hold. Reference data only: no profile is opened."""
    shown = (_survey(args) or loader.load_survey()).to_json()
    if args.json:
        print_json(shown)
        return 0
    special = list(shown["special_answers"])
    for q in shown["questions"]:
        answer_type = q["answer_type"]
        if answer_type["kind"] == "options":
            answers = [o["value"] for o in answer_type["options"]]
        else:
            answers = [_("a number from %(min)s to %(max)s",
                         min=_plain(answer_type["min"]), max=_plain(answer_type["max"]))]
        answers += special if q["not_applicable_allowed"] else special[:1]
        print("\t".join((q["id"], q["dimension"], q["label"], " | ".join(answers),
                         q["evidence"])))
    return 0


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _score(value: object) -> str:
    return "" if value is None else str(value)


def _print_assessments(found: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(found)
        return
    for a in found:
        scores = a.get("scores") or {}
        # Without a reading, say why: a dimension without enough answers, or dimensions far
        # apart; an empty column would read as "nothing to report".
        reading = scores.get("reading") or scores.get("composite_status") or ""
        print("\t".join((str(a.get("round", "")), _score(scores.get("composite")),
                         str(reading), a["id"], str(a.get("supersedes") or ""))))


def _rounds(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = ReintegrationService(session).rounds(args.case)
    _print_assessments(found, args.json)
    return 0


def _history(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = ReintegrationService(session).history(args.case)
    _print_assessments(found, args.json)
    return 0


def _change(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        result = ReintegrationService(session).change(args.case, args.from_round,
                                                      args.to_round)
    if args.json:
        print_json(result)
        return 0
    rows = [("composite", result["composite"]), *result["dimensions"].items()]
    for name, c in rows:
        print("\t".join((name, _score(c["earlier"]), _score(c["later"]), _score(c["delta"]),
                         c["direction"])))
    return 0


SURVEY_HELP = N_("a survey file installed by an administrator (default: the packaged "
                 "survey)")


def _add_answers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--answers", required=True, type=Path, metavar="FILE.json",
                        help=N_("JSON object {question_id: answer}, as 'reintegration "
                                "questions' lists them ('-' reads standard input)"))
    parser.add_argument("--notes", metavar="TEXT", type=free_text,
                        help=N_("notes on the round; '-' reads them from standard input and "
                                "@FILE from a file, out of the process list"))
    parser.add_argument("--survey-file", type=Path, metavar="FILE", help=SURVEY_HELP)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reintegration", help=N_("reintegration assessments of a case"))
    commands = parser.add_subparsers(dest="reintegration_command", required=True)

    record = commands.add_parser("record", help=N_("score and store one round (needs "
                                                   "interview consent)"))
    add_profile_args(record)
    record.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    record.add_argument("--round", required=True, metavar="R",
                        help=N_("baseline, monitoring_1, monitoring_2, …"))
    _add_answers(record)
    record.set_defaults(handler=_record)

    correct = commands.add_parser("correct", help=N_("record a correction of an assessment; "
                                                     "the old one is kept"))
    correct.add_argument("assessment_id", metavar="ID",
                         help=N_("the assessment corrected, as 'reintegration history' "
                                 "prints it"))
    add_profile_args(correct)
    _add_answers(correct)
    correct.set_defaults(handler=_correct)

    questions = commands.add_parser("questions", help=N_("the survey's questions and the "
                                                         "answers each takes (no profile "
                                                         "needed)"))
    questions.add_argument("--survey-file", type=Path, metavar="FILE", help=SURVEY_HELP)
    questions.add_argument("--json", action="store_true", help=JSON_HELP)
    questions.set_defaults(handler=_questions)

    rounds = commands.add_parser("rounds", help=N_("the current assessment of each round"))
    add_profile_args(rounds)
    rounds.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    rounds.add_argument("--json", action="store_true", help=JSON_HELP)
    rounds.set_defaults(handler=_rounds)

    history = commands.add_parser("history", help=N_("every assessment, corrected ones "
                                                     "included"))
    add_profile_args(history)
    history.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    history.add_argument("--json", action="store_true", help=JSON_HELP)
    history.set_defaults(handler=_history)

    change = commands.add_parser("change", help=N_("change per dimension and overall between "
                                                   "two rounds"))
    add_profile_args(change)
    change.add_argument("--case", required=True, metavar="ID", help=CASE_ID_HELP)
    change.add_argument("--from", dest="from_round", required=True, metavar="R",
                        help=N_("the earlier round, such as baseline"))
    change.add_argument("--to", dest="to_round", required=True, metavar="R",
                        help=N_("the later round, such as monitoring_1"))
    change.add_argument("--json", action="store_true", help=JSON_HELP)
    change.set_defaults(handler=_change)
