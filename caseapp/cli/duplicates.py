"""``caseapp duplicates``: cases that may describe the same person, with scores and reasons;
``caseapp merge``: record that two cases are the same person (managers and administrators)."""

from __future__ import annotations

import argparse
import sys

from caseapp.cli.common import STDIN_HELP, add_profile_args, free_text, open_profile, print_json
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _
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
        why = " ".join(r.text() for r in c.reasons)
        print("\t".join((c.case_id, c.candidate_id, f"{c.score:.2f}", why)))
    return 0


def _merge(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        duplicates.merge(session, args.keep_id, args.merged_id, args.reason)
    print(_("Case %(merged)s is merged into case %(kept)s.", merged=args.merged_id,
            kept=args.keep_id))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("duplicates", help="find cases that may be the same person")
    add_profile_args(parser)
    parser.add_argument("--case", metavar="ID", help="only candidates for this case")
    parser.add_argument("--threshold", default="0.6",
                        help="lowest score shown, between 0 and 1 (default 0.6)")
    parser.add_argument("--limit", type=int, default=20, help="candidates per case")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=_duplicates)

    merge = sub.add_parser("merge", help="merge a duplicate case into the case that is kept; "
                                         "nothing is deleted")
    merge.add_argument("keep_id", metavar="KEEP_ID", help="the case that is kept")
    merge.add_argument("merged_id", metavar="MERGED_ID", help="the duplicate case")
    add_profile_args(merge)
    merge.add_argument("--reason", metavar="TEXT", type=free_text,
                       help=f"why both cases are the same person ({STDIN_HELP})")
    merge.set_defaults(handler=_merge)
