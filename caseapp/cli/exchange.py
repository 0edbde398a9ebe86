"""``caseapp export htcds|statistics`` and ``caseapp import htcds``: HTCDS 2.0 files and
CTDC-style anonymised statistics. Every export states its purpose (ARCHITECTURE §7)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from caseapp.cli import documents
from caseapp.cli.argparse_i18n import valid_values
from caseapp.cli.common import FORCE_HELP, add_profile_args, free_text, open_profile
from caseapp.cli.duplicates import warn_of_duplicates
from caseapp.documents.statistics import AGGREGATE, COLUMNS, MIN_K, ROWS
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _, ngettext
from caseapp.services import duplicates, exchange, statistics
from caseapp.services.exports import check_destination
from caseapp.services.protection import PLAIN, Protection


def _subcommands(sub: argparse._SubParsersAction, name: str, help_text: str
                 ) -> argparse._SubParsersAction:
    return sub.add_parser(name, help=help_text).add_subparsers(dest=f"{name}_command",
                                                               required=True)


def _htcds_protection(args: argparse.Namespace) -> Protection:
    if args.age_recipient:
        return Protection.age(args.age_recipient)
    if args.password:
        if args.format != exchange.XLSX:
            raise ValidationError(N_("--password needs --format xlsx; a CSV file can only be "
                                     "sealed with --age-recipient."))
        return Protection.passphrase()
    return Protection.plain()  # --unencrypted, asked for by name and audited


def _export_htcds(args: argparse.Namespace) -> int:
    protection = _htcds_protection(args)
    # Before the unlock: a refused destination leaves the vault untouched, not even audited.
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        report = exchange.export_htcds(session, args.out, args.format, args.purpose,
                                       protection=protection,
                                       include_extensions=args.include_extensions,
                                       force=args.force)
    print(ngettext("Exported %(n)s case to %(path)s.", "Exported %(n)s cases to %(path)s.",
                   report.rows, path=str(report.path)))
    if report.without_consent:
        print(ngettext("%(n)s case was left out: the person has not agreed to the storing and "
                       "processing of their data, or has withdrawn that consent.",
                       "%(n)s cases were left out: the person has not agreed to the storing "
                       "and processing of their data, or has withdrawn that consent.",
                       report.without_consent), file=sys.stderr)
    if report.protection == PLAIN:
        print(_("The file is not encrypted: it names every person. Keep it on an encrypted "
                "drive and delete it when the transfer is done."), file=sys.stderr)
    if report.passphrase:
        print(_("Read the passphrase to the recipient by phone; it is not shown again."))
        print(f"passphrase: {report.passphrase}")
    return 0


def _import_htcds(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        report = exchange.import_htcds(session, args.file, skip_errors=args.skip_errors)
        # Importing the same file twice would otherwise double the caseload silently.
        warn_of_duplicates(duplicates.possible_duplicates(session, report.case_ids))
    for problem in report.problems:
        print(problem.user_message(), file=sys.stderr)
    print(_("Imported %(imported)s, skipped %(skipped)s, problems %(problems)s.",
            imported=report.imported, skipped=report.skipped, problems=len(report.problems)))
    if report.problems and not report.imported:
        return 1
    return 0 if report.ok or args.skip_errors else 1


def _export_statistics(args: argparse.Namespace) -> int:
    columns = args.columns.split(",") if args.columns else None
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        report = statistics.export_statistics(
            session, args.out, args.purpose, k=args.k,
            mode=AGGREGATE if args.aggregate else ROWS, columns=columns, force=args.force)
    print(_("Published %(published)s of %(total)s victims to %(path)s; %(suppressed)s "
            "suppressed in groups smaller than %(k)s.", published=report.published,
            total=report.total, path=str(report.path), suppressed=report.suppressed,
            k=report.k))
    if report.without_consent:
        print(ngettext("%(n)s victim was left out: no consent to the use of non-identifying "
                       "data for research.",
                       "%(n)s victims were left out: no consent to the use of non-identifying "
                       "data for research.", report.without_consent), file=sys.stderr)
    return 0


PURPOSE_HELP = N_("why the data leaves, kept in the audit; '-' reads it from standard input "
                  "and @FILE from a file, out of the process list")


def register(sub: argparse._SubParsersAction) -> None:
    exports = _subcommands(sub, "export", N_("export data for a transfer or for publication"))

    htcds = exports.add_parser("htcds", help=N_("HTCDS 2.0 file (one row per case)"))
    add_profile_args(htcds)
    htcds.add_argument("--format", choices=exchange.FORMATS, required=True,
                       help=N_("the file format: %(choices)s"))
    htcds.add_argument("--out", required=True, type=Path, metavar="FILE",
                       help=N_("the file to write (never in the profiles folder)"))
    htcds.add_argument("--purpose", required=True, type=free_text, help=PURPOSE_HELP)
    protect = htcds.add_mutually_exclusive_group(required=True)
    protect.add_argument("--age-recipient", metavar="KEY",
                         help=N_("seal to the recipient organisation's age public key "
                                 "(age1…)"))
    protect.add_argument("--password", action="store_true",
                         help=N_("XLSX encrypted (AES-256) with a one-time passphrase, "
                                 "printed once as the last line"))
    protect.add_argument("--unencrypted", action="store_true",
                         help=N_("write the names in the clear (recorded in the audit)"))
    htcds.add_argument("--include-extensions", action="store_true",
                       help=N_("also write Hifazat's hfz_ columns"))
    htcds.add_argument("--force", action="store_true", help=FORCE_HELP)
    htcds.set_defaults(handler=_export_htcds)

    stats = exports.add_parser("statistics", help=N_("anonymised CTDC-style statistics (CSV)"))
    add_profile_args(stats)
    stats.add_argument("--k", type=int, default=MIN_K,
                       help=N_("minimum group size: smaller groups are left out (at least "
                               "and by default %(default)s)"))
    stats.add_argument("--out", required=True, type=Path, metavar="FILE",
                       help=N_("the CSV file to write (never in the profiles folder)"))
    stats.add_argument("--purpose", required=True, type=free_text, help=PURPOSE_HELP)
    stats.add_argument("--aggregate", action="store_true",
                       help=N_("one line per combination with a count column"))
    valid_values(stats.add_argument("--columns",
                                    help=N_("comma-separated subset of: %(valid)s")), COLUMNS)
    stats.add_argument("--force", action="store_true", help=FORCE_HELP)
    stats.set_defaults(handler=_export_statistics)

    imports = _subcommands(sub, "import", N_("import data from a file"))
    htcds_in = imports.add_parser("htcds", help=N_("HTCDS 2.0 CSV or XLSX file"))
    add_profile_args(htcds_in)
    htcds_in.add_argument("--file", required=True, type=Path,
                          help=N_("the HTCDS file to import (.csv or .xlsx)"))
    htcds_in.add_argument("--skip-errors", action="store_true",
                          help=N_("import the valid rows and skip rows with problems"))
    htcds_in.set_defaults(handler=_import_htcds)

    documents.register_exports(exports, imports)
