"""``caseapp directory list|import|export|seed``: the service directory of organisations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from caseapp.cli.common import FORCE_HELP, JSON_HELP, add_profile_args, open_profile, print_json
from caseapp.domain import referrals as rules
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _
from caseapp.services import exports, referral_packages
from caseapp.services.directory import DirectoryService, ImportReport


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_json())
        return
    print(_("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, "
            "skipped rows %(skipped)s", created=report.created, updated=report.updated,
            unchanged=report.unchanged,
            skipped=", ".join(str(r) for r in report.skipped_rows) or "-"))
    for row, column, problem, params in report.problems:
        print(_("row %(row)s, column %(column)s: %(problem)s", row=row, column=column,
                problem=_(problem, **params)), file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    open_24h = True if args.open_24h else None
    with open_profile(args) as session:
        entries = DirectoryService(session).list(
            service=args.service, province=args.province, district=args.district,
            accepts_sex=args.accepts_sex, accepts_age=args.accepts_age, open_24h=open_24h,
            query=args.query)
    if args.json:
        print_json(entries)
        return 0
    for e in entries:
        services = ", ".join(_(rules.SERVICE_TYPES[s]) for s in e.get("hfz_Services") or []
                             if s in rules.SERVICE_TYPES)
        province = e.get("hfz_Province")
        print("\t".join((str(e.get("org_Name") or ""),
                         _(rules.PROVINCES[province]) if province in rules.PROVINCES else "",
                         str(e.get("hfz_District") or ""), services,
                         _("24h") if e.get("hfz_Open24h") else "", e["id"])))
    return 0


def _import(args: argparse.Namespace) -> int:
    if args.csv is None:
        raise ValidationError(N_("Name the file to import with --csv FILE."))
    with open_profile(args) as session:
        report = DirectoryService(session).import_csv(args.csv, skip_errors=args.skip_errors)
    _print_report(report, args.json)
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.csv is not None:
        exports.check_destination(args.csv, args.force)
    with open_profile(args) as session:
        text = DirectoryService(session).export_csv()
    if args.csv is None:
        sys.stdout.write(text)
        return 0
    exports.write_file(args.csv, text.encode("utf-8"), args.force)
    return 0


def _seed(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        report = DirectoryService(session).seed()
    _print_report(report, args.json)
    return 0


def _set_key(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        service = DirectoryService(session)
        org = service.find(args.org)
        service.set_keys(org["id"], age_recipient=args.age_recipient,
                         signing_key=args.signing_key)
    print(_("The keys of %(org)s are stored.", org=str(org.get("org_Name") or "")))
    return 0


def _signing_key(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        public, fingerprint = referral_packages.own_signing_key(session)
    print(_("This device signs referral packages with this key; give it to the partners "
            "who import them, and read them the fingerprint by phone."))
    print(f"key: {public}")
    print(f"fingerprint: {fingerprint}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("directory", help=N_("the service directory of organisations"))
    dsub = parser.add_subparsers(dest="directory_command", required=True)

    listing = dsub.add_parser("list", help=N_("list organisations, filtered"))
    add_profile_args(listing)
    listing.add_argument("--service", choices=sorted(rules.SERVICE_TYPES),
                         help=N_("only organisations offering this service: %(choices)s"))
    listing.add_argument("--province",
                         help=N_("only this province (ISO 3166-2 code such as PK-PB, or its "
                                 "name), with the organisations serving the whole country"))
    listing.add_argument("--district",
                         help=N_("only this district, with the organisations serving the "
                                 "whole country (and, with --province, that province)"))
    listing.add_argument("--accepts-sex", choices=sorted(rules.ACCEPTS_SEX),
                         help=N_("only organisations that take people of this sex: "
                                 "%(choices)s"))
    listing.add_argument("--accepts-age", choices=sorted(rules.ACCEPTS_AGE),
                         help=N_("only organisations that take people of this age group: "
                                 "%(choices)s"))
    listing.add_argument("--open-24h", action="store_true", help=N_("only 24-hour services"))
    listing.add_argument("--query", help=N_("words in the name, district or notes"))
    listing.add_argument("--json", action="store_true", help=JSON_HELP)
    listing.set_defaults(handler=_list)

    importing = dsub.add_parser("import", help=N_("import organisations from a CSV file"))
    add_profile_args(importing)
    importing.add_argument("--csv", type=Path, metavar="FILE",
                           help=N_("required: the CSV file, with the columns 'directory "
                                   "export' writes; rows are matched to entries by their key"))
    importing.add_argument("--skip-errors", action="store_true",
                           help=N_("import the good rows and report the bad ones"))
    importing.add_argument("--json", action="store_true",
                           help=N_("print the counts and problems as JSON"))
    importing.set_defaults(handler=_import)

    exporting = dsub.add_parser("export", help=N_("write the directory as CSV"))
    add_profile_args(exporting)
    exporting.add_argument("--csv", type=Path, metavar="FILE",
                           help=N_("file to write (standard output if omitted)"))
    exporting.add_argument("--force", action="store_true", help=FORCE_HELP)
    exporting.set_defaults(handler=_export)

    seeding = dsub.add_parser("seed", help=N_("add the packaged Pakistani service types that "
                                              "are not in the directory yet (a new profile "
                                              "has them already)"))
    add_profile_args(seeding)
    seeding.add_argument("--json", action="store_true",
                         help=N_("print the counts as JSON"))
    seeding.set_defaults(handler=_seed)

    keys = dsub.add_parser("set-key", help=N_("store a partner's age key or package signing "
                                              "key"))
    keys.add_argument("org", metavar="ORG", help=N_("directory id or key of the organisation"))
    add_profile_args(keys)
    keys.add_argument("--age-recipient", metavar="KEY",
                      help=N_("age public key (age1…) documents for it are sealed to"))
    keys.add_argument("--signing-key", metavar="HEX",
                      help=N_("public key its referral packages are signed with"))
    keys.set_defaults(handler=_set_key)

    own = dsub.add_parser("signing-key", help=N_("this device's referral package signing key"))
    add_profile_args(own)
    own.set_defaults(handler=_signing_key)
