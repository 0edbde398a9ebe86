"""``caseapp duplicates``: cases that may describe the same person, with scores and reasons;
``caseapp merge``: record that two cases are the same person (managers and administrators)."""

from __future__ import annotations

import argparse
import sys

from caseapp.cli.common import JSON_HELP, add_profile_args, free_text, open_profile, print_json
from caseapp.domain import matching
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _, ngettext
from caseapp.services import duplicates


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        # argparse would print its own English message; ours is translated and one line.
        raise ValidationError(N_("The threshold must be between 0 and 1."))
    return value


def _progress(done: int, total: int) -> None:
    print(_("%(done)s of %(total)s pairs compared", done=done, total=total), file=sys.stderr)


def _duplicates(args: argparse.Namespace) -> int:
    threshold = _threshold(args.threshold)
    with open_profile(args) as session:
        if args.case:
            found = duplicates.find_candidates(session, case_id=args.case, threshold=threshold,
                                               limit=args.limit)
        else:
            found = duplicates.all_pairs(session, threshold=threshold, progress=_progress)
    if args.json:
        print_json([c.to_json() for c in found])
        return 0
    for c in found:
        print("\t".join((c.case_number or c.case_id, c.case_name,
                         c.candidate_number or c.candidate_id, c.candidate_name,
                         f"{c.score:.2f}", explain(c))))
    return 0


def explain(candidate: duplicates.Candidate) -> str:
    """The reasons in three groups, so a reader sees which signals point each way: remarks
    (a possibly borrowed document) first, then what agrees, then what differs."""
    groups = {signal: " ".join(r.text() for r in candidate.reasons if r.signal == signal)
              for signal in (matching.REMARK, matching.AGREES, matching.DIFFERS)}
    parts = [groups[matching.REMARK]] if groups[matching.REMARK] else []
    if groups[matching.AGREES]:
        parts.append(_("Agrees: %(reasons)s", reasons=groups[matching.AGREES]))
    if groups[matching.DIFFERS]:
        parts.append(_("Differs: %(reasons)s", reasons=groups[matching.DIFFERS]))
    return " ".join(parts)


WARNINGS_SHOWN = 20


def warn_of_duplicates(found: list[duplicates.Candidate]) -> None:
    """After a case is created or imported: one line on stderr per possible duplicate, by
    case number only (names stay out of messages), and where to compare them; a long list
    (a file imported twice) ends with how many more there are."""
    for c in found[:WARNINGS_SHOWN]:
        print(_("Case %(case)s may be the same person as case %(other)s (score %(score)s); "
                "compare them with: caseapp duplicates --case %(case)s",
                case=c.case_number or c.case_id, other=c.candidate_number or c.candidate_id,
                score=f"{c.score:.2f}"), file=sys.stderr)
    if len(found) > WARNINGS_SHOWN:
        print(ngettext("%(n)s more possible duplicate; list them all with: caseapp "
                       "duplicates",
                       "%(n)s more possible duplicates; list them all with: caseapp "
                       "duplicates", len(found) - WARNINGS_SHOWN), file=sys.stderr)


def _merge(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        duplicates.merge(session, args.keep_id, args.merged_id, args.reason)
    print(_("Case %(merged)s is merged into case %(kept)s.", merged=args.merged_id,
            kept=args.keep_id))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("duplicates", help=N_("find cases that may be the same person"))
    add_profile_args(parser)
    parser.add_argument("--case", metavar="ID",
                        help=N_("only candidates for this case (its id or case number); "
                                "without it every pair of cases is compared"))
    parser.add_argument("--threshold", default="0.6",
                        help=N_("lowest score shown, between 0 and 1 (default %(default)s)"))
    parser.add_argument("--limit", type=int, default=20,
                        help=N_("with --case: at most this many candidates (default "
                                "%(default)s)"))
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.set_defaults(handler=_duplicates)

    merge = sub.add_parser("merge", help=N_("merge a duplicate case into the case that is kept; "
                                         "nothing is deleted"))
    merge.add_argument("keep_id", metavar="KEEP_ID",
                       help=N_("the case that is kept (its id or case number)"))
    merge.add_argument("merged_id", metavar="MERGED_ID",
                       help=N_("the duplicate case (its id or case number)"))
    add_profile_args(merge)
    merge.add_argument("--reason", metavar="TEXT", type=free_text,
                       help=N_("why both cases are the same person; '-' reads it from "
                               "standard input and @FILE from a file, out of the process "
                               "list"))
    merge.set_defaults(handler=_merge)
