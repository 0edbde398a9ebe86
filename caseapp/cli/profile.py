"""``caseapp profile …``: create, list, change passphrase, rotate the database key, replace
the recovery code, set the erase policy, compact the case file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from caseapp.cli.argparse_i18n import valid_values
from caseapp.cli.common import add_profile_args, open_profile, read_secret, unlock_secret
from caseapp.domain import legal_status
from caseapp.i18n import N_, _, formatting
from caseapp.services import compaction, profile_paths, profiles


def _create(args: argparse.Namespace) -> int:
    # A new profile starts a new office, whose first user is its administrator: further
    # users are added by them (caseapp user add), with a signed role (issue 7, item 5).
    created = profiles.create_profile(args.name, read_secret(args.passphrase_file),
                                      user_name=args.user, org_type=args.org_type)
    print(_("Profile %(name)s created.", name=created.name))
    print(_("Recovery code (write it down and keep it apart from this computer; it is shown "
            "only once):"))
    print(created.recovery_code)
    return 0


def _list(_args: argparse.Namespace) -> int:
    for name in profile_paths.list_profiles():
        print(name)
    return 0


def _change(args: argparse.Namespace) -> int:
    profiles.change_passphrase(args.profile, unlock_secret(args),
                               read_secret(args.new_passphrase_file))
    print(_("Passphrase changed."))
    return 0


def _rotate(args: argparse.Namespace) -> int:
    code = profiles.rotate_database_key(args.profile, unlock_secret(args))
    print(_("The database key was replaced. Your old recovery code no longer works; the new "
            "one is:"))
    print(code)
    return 0


def _new_recovery_code(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        code = profiles.new_recovery_code(session)
    print(_("The recovery code was replaced. The old one no longer works; the new one is "
            "(write it down and keep it apart from this computer; it is shown only once):"))
    print(code)
    return 0


def _erase_policy(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        profiles.set_erase_policy(session, None if args.off else args.after)
    # Say what was set: a policy that erases the profile must never be a surprise.
    if args.off:
        print(_("Erasing after wrong passphrases is off for profile %(name)s.",
                name=args.profile))
    else:
        print(_("Profile %(name)s will be erased after %(n)s wrong passphrases in a row.",
                name=args.profile, n=args.after))
    return 0


def _office_type(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        profiles.set_office_type(session, args.set)
    print(_("The office's organisation type is now %(type)s: its users record "
            "trafficking-status decisions made by %(org)s.", type=args.set,
            org=legal_status.deciding_org(False, args.set)))
    return 0


class CompactReport:
    """Tells on stderr about how far the copy has come, at most every ten percent."""

    def __init__(self) -> None:
        self.shown = 0

    def __call__(self, share: float) -> None:
        step = int(share * 10)
        if step > self.shown and share < 1:
            self.shown = step
            print(_("Compacting: about %(done)s done.", done=formatting.percent(step / 10)),
                  file=sys.stderr)


def _compact(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        print(_("Compacting the case file (this can take a few minutes for a large "
                "caseload)…"), file=sys.stderr)
        report = compaction.compact(session, progress=CompactReport())
    print(_("The case file went from %(before)s MiB to %(after)s MiB (%(seconds)s s).",
            before=formatting.mebibytes(report.before),
            after=formatting.mebibytes(report.after),
            seconds=formatting.number(round(report.seconds))))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("profile", help=N_("create and manage encrypted profiles"))
    psub = parser.add_subparsers(dest="profile_command", required=True)

    create = psub.add_parser("create", help=N_("create a new office and its administrator's "
                                               "profile (prints the recovery code once)"))
    create.add_argument("--name", required=True,
                        help=N_("name of the new profile, given as --profile to the other "
                                "commands"))
    create.add_argument("--passphrase-file", required=True, type=Path,
                        help=N_("file whose first line is the new passphrase ('-' reads "
                                "standard input)"))
    create.add_argument("--user", help=N_("display name of the user (default: the profile "
                                          "name)"))
    valid_values(create.add_argument(
        "--org-type", metavar="CODE",
        help=N_("the office's HTCDS organisation type, which decides whose "
                "trafficking-status decisions its users record (NGO when not given): "
                "%(valid)s")), legal_status.DECIDING_ORG_OF_TYPE)
    create.set_defaults(handler=_create)

    psub.add_parser("list", help=N_("list the profiles on this machine")).set_defaults(
        handler=_list)

    change = psub.add_parser("change-passphrase", help=N_("replace the passphrase"))
    add_profile_args(change)
    change.add_argument("--new-passphrase-file", required=True, type=Path,
                        help=N_("file whose first line is the new passphrase ('-' reads "
                                "standard input)"))
    change.set_defaults(handler=_change)

    rotate = psub.add_parser("rotate-key", help=N_("re-encrypt the database under a new key"))
    add_profile_args(rotate)
    rotate.set_defaults(handler=_rotate)

    code = psub.add_parser("new-recovery-code",
                           help=N_("replace the recovery code (the old one stops working)"))
    add_profile_args(code)
    code.set_defaults(handler=_new_recovery_code)

    erase = psub.add_parser("erase-policy",
                            help=N_("erase the profile after N wrong passphrases (off by "
                                    "default)"))
    add_profile_args(erase)
    group = erase.add_mutually_exclusive_group(required=True)
    group.add_argument("--after", type=int, metavar="N",
                       help=N_("erase the profile after N wrong passphrases in a row"))
    group.add_argument("--off", action="store_true",
                       help=N_("never erase the profile after wrong passphrases"))
    erase.set_defaults(handler=_erase_policy)

    office = psub.add_parser("office-type", help=N_("record the office's organisation type "
                                                   "(administrators)"))
    add_profile_args(office)
    valid_values(office.add_argument("--set", required=True, metavar="CODE",
                                     help=N_("the office's HTCDS organisation type: one of "
                                             "%(valid)s")),
                 legal_status.DECIDING_ORG_OF_TYPE)
    office.set_defaults(handler=_office_type)

    compact = psub.add_parser(
        "compact", help=N_("rewrite the case file without its empty space (it stays "
                           "encrypted; needs free disk space for a whole copy)"))
    add_profile_args(compact)
    compact.set_defaults(handler=_compact)
