"""``caseapp export referral|summary|rights-sheet|report|package`` and ``caseapp import
referral``: PDF documents and referral packages (ARCHITECTURE §7). Registered by
``caseapp.cli.exchange`` under its ``export`` and ``import`` commands.

A document with personal data leaves sealed (``--age-recipient``) or encrypted with a
one-time passphrase (``--pdf-passphrase``): the passphrase is printed once, as the last
line, ``passphrase: …``, to be read out to the recipient by phone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from caseapp.cli.argparse_i18n import valid_values
from caseapp.cli.common import CASE_ID_HELP, FORCE_HELP, add_profile_args, free_text, open_profile
from caseapp.documents import forms
from caseapp.errors import ValidationError
from caseapp.i18n import LANGUAGES, N_, _, ngettext
from caseapp.services import document_values, documents, referral_packages
from caseapp.services.documents import ExportedDocument
from caseapp.services.exports import check_destination
from caseapp.services.protection import AGE, Protection

MAX_KEY_FILE_BYTES = 64 * 1024


def _protection(args: argparse.Namespace, *, plain_allowed: bool = False) -> Protection:
    if args.age_recipient:
        return Protection.age(args.age_recipient)
    if args.pdf_passphrase:
        return Protection.passphrase()
    if plain_allowed:
        return Protection.plain()
    raise ValidationError(N_("Choose how the file is protected: --age-recipient KEY or "
                             "--pdf-passphrase."))


def _sections(args: argparse.Namespace) -> list[str] | None:
    return [s.strip() for s in args.sections.split(",") if s.strip()] if args.sections \
        else None


def _date(option: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(N_("%(option)s must be a date as YYYY-MM-DD."),
                              option=option) from exc


WROTE_REFERRAL = N_("Wrote the referral form to %(path)s (export %(export_id)s).")
WROTE_SUMMARY = N_("Wrote the case summary to %(path)s (export %(export_id)s).")
WROTE_SHEET = N_("Wrote the rights sheet to %(path)s (export %(export_id)s).")
WROTE_REPORT = N_("Wrote the statistics report to %(path)s (export %(export_id)s).")
WROTE_PACKAGE = N_("Wrote the referral package to %(path)s (export %(export_id)s).")


def _report(done: ExportedDocument, wrote: str) -> int:
    print(_(wrote, path=str(done.path), export_id=done.export_id))
    if done.protection == AGE:
        print(_("Sealed with age: only the holder of the recipient's key can open it."))
    if done.passphrase:
        print(_("Read the passphrase to the recipient by phone; it is not shown again."))
        print(f"passphrase: {done.passphrase}")
    return 0


def _print_form(form: forms.Form) -> None:
    for row in form.header:
        print(f"{_(row.label)}: {row.value}")
    for section in form.sections:
        print(f"\n[{_(section.title)}]")
        for row in section.rows:
            print(f"{_(row.label)}: {row.value}")


def _export_referral(args: argparse.Namespace) -> int:
    if args.preview:
        with open_profile(args) as session:
            _print_form(documents.preview_referral(session, args.referral_id,
                                                   _sections(args)))
        print(_("Preview only: nothing was written."), file=sys.stderr)
        return 0
    if args.out is None or args.purpose is None:
        raise ValidationError(N_("Name the file to write with --out FILE and state why it "
                                 "leaves with --purpose."))
    protection = _protection(args)
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        done = documents.export_referral(session, args.referral_id, args.out, args.purpose,
                                         protection, sections=_sections(args),
                                         force=args.force)
    return _report(done, WROTE_REFERRAL)


def _export_summary(args: argparse.Namespace) -> int:
    protection = _protection(args)
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        done = documents.export_summary(session, args.case_id, args.recipient, args.out,
                                        args.purpose, protection, force=args.force)
    return _report(done, WROTE_SUMMARY)


def _export_rights_sheet(args: argparse.Namespace) -> int:
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        done = documents.export_rights_sheet(session, args.sheet_lang, args.out, args.purpose,
                                             force=args.force)
    return _report(done, WROTE_SHEET)


def _export_report(args: argparse.Namespace) -> int:
    start, end = _date("--from", args.start), _date("--to", args.end)
    protection = _protection(args, plain_allowed=True)
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        done = documents.export_report(session, start, end, args.out, args.purpose,
                                       protection, team=args.team, lang=args.report_lang,
                                       force=args.force)
    if done.without_consent:
        # As `export statistics` says it: the report counts only cases with that consent.
        print(ngettext("%(n)s case was left out: no consent to the use of non-identifying "
                       "data for research.",
                       "%(n)s cases were left out: no consent to the use of non-identifying "
                       "data for research.", done.without_consent), file=sys.stderr)
    return _report(done, WROTE_REPORT)


def _export_package(args: argparse.Namespace) -> int:
    Protection.age(args.age_recipient)  # a bad key is refused before the unlock
    check_destination(args.out, args.force)
    with open_profile(args) as session:
        done = referral_packages.export_package(session, args.referral_id, args.out,
                                                args.purpose, args.age_recipient,
                                                sections=_sections(args), force=args.force)
        _public, fingerprint = referral_packages.own_signing_key(session)
    _report(done, WROTE_PACKAGE)
    print(_("Signed by this device's package key, fingerprint %(fingerprint)s.",
            fingerprint=fingerprint))
    return 0


def _read_identity(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise ValidationError(N_("--age-identity does not hold a valid age secret key."))
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(N_("The key file cannot be read: %(path)s"),
                              path=str(path)) from exc


def _import_referral(args: argparse.Namespace) -> int:
    identity = _read_identity(args.age_identity)
    with open_profile(args) as session:
        done = referral_packages.import_package(session, args.file, identity)
    print(_("Imported a referral from %(org)s (team %(team)s, contact %(contact)s), sent "
            "%(date)s as export %(export_id)s.", org=done.organisation, team=done.sender_team,
            contact=done.contact, date=done.sent_on, export_id=done.export_id))
    print(_("Signing key fingerprint: %(fingerprint)s", fingerprint=done.fingerprint))
    print(_("New case %(case)s, incoming referral %(referral)s.", case=done.case_id,
            referral=done.referral_id))
    return 0


def _common(parser: argparse.ArgumentParser, *, out_required: bool = True) -> None:
    add_profile_args(parser)
    parser.add_argument("--out", required=out_required, type=Path, metavar="FILE",
                        help=N_("the file to write (never in the profiles folder)"))
    parser.add_argument("--purpose", required=out_required, type=free_text,
                        help=N_("why the document leaves, kept in the audit; '-' reads it "
                                "from standard input and @FILE from a file, out of the "
                                "process list"))
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def _encryption(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--age-recipient", metavar="KEY", help=AGE_RECIPIENT_HELP)
    group.add_argument("--pdf-passphrase", action="store_true",
                       help=N_("encrypt the PDF (AES-256) with a one-time passphrase, printed "
                               "once as the last line"))


AGE_RECIPIENT_HELP = N_("seal to the recipient organisation's age public key (age1…)")


def _sections_option(parser: argparse.ArgumentParser) -> None:
    action = parser.add_argument(
        "--sections", metavar="LIST",
        help=N_("comma-separated sections to include (minimum necessary data): %(valid)s; "
                "default: %(standard)s"))
    valid_values(action, document_values.REFERRAL_SECTIONS,
                 standard=",".join(document_values.DEFAULT_SECTIONS))


def register_exports(exports: argparse._SubParsersAction,
                     imports: argparse._SubParsersAction) -> None:
    referral = exports.add_parser("referral", help=N_("referral form (PDF, English and Urdu)"))
    referral.add_argument("referral_id", metavar="REFERRAL_ID",
                          help=N_("the outgoing referral, as 'referral list' prints it"))
    _common(referral, out_required=False)
    _encryption(referral, required=False)
    _sections_option(referral)
    referral.add_argument("--preview", action="store_true",
                          help=N_("print what the form would hold; write nothing"))
    referral.set_defaults(handler=_export_referral)

    summary = exports.add_parser("summary", help=N_("case summary (PDF) for an authorised "
                                                    "transfer"))
    summary.add_argument("case_id", metavar="CASE_ID", help=CASE_ID_HELP)
    summary.add_argument("--recipient", required=True, metavar="ORG",
                         help=N_("the receiving organisation (directory id or key)"))
    _common(summary)
    _encryption(summary, required=True)
    summary.set_defaults(handler=_export_summary)

    sheet = exports.add_parser("rights-sheet", help=N_("rights and consent sheet (PDF)"))
    # dest differs from the global --lang (the language of messages).
    sheet.add_argument("--lang", dest="sheet_lang", required=True, choices=list(LANGUAGES),
                       help=N_("the language of the sheet: %(choices)s"))
    _common(sheet)
    sheet.set_defaults(handler=_export_rights_sheet)

    report = exports.add_parser("report", help=N_("statistics report (PDF), anonymised"))
    report.add_argument("--from", dest="start", required=True, metavar="DATE",
                        help=N_("first day of the period, YYYY-MM-DD: cases registered from "
                                "that day"))
    report.add_argument("--to", dest="end", required=True, metavar="DATE",
                        help=N_("last day of the period, YYYY-MM-DD"))
    report.add_argument("--team", help=N_("team id or name (default: every team)"))
    report.add_argument("--lang", dest="report_lang", default="en", choices=list(LANGUAGES),
                        help=N_("language of the report: %(choices)s (default %(default)s)"))
    _common(report)
    _encryption(report, required=False)
    report.set_defaults(handler=_export_report)

    package = exports.add_parser("package", help=N_("signed referral package (PDF and HTCDS "
                                                    "data) sealed with age"))
    package.add_argument("referral_id", metavar="REFERRAL_ID",
                         help=N_("the outgoing referral, as 'referral list' prints it"))
    package.add_argument("--age-recipient", required=True, metavar="KEY",
                         help=AGE_RECIPIENT_HELP)
    _common(package)
    _sections_option(package)
    package.set_defaults(handler=_export_package)

    incoming = imports.add_parser("referral", help=N_("a referral package sealed to us"))
    incoming.add_argument("file", type=Path, metavar="FILE",
                          help=N_("the package file received"))
    incoming.add_argument("--age-identity", required=True, type=Path, metavar="KEYFILE",
                          help=N_("our age secret key file (age-keygen output)"))
    add_profile_args(incoming)
    incoming.set_defaults(handler=_import_referral)
