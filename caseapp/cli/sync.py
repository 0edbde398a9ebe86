"""``caseapp sync …``: enrolment codes, enrolling and approving devices, running a sync and
its status."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from caseapp.cli.common import JSON_HELP, add_profile_args, open_profile, print_json, read_secret
from caseapp.domain import roles
from caseapp.i18n import N_, _
from caseapp.services import sync, sync_setup


def _invite(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        code = sync_setup.invite(session, args.team, args.role)
    if args.json:
        print_json({"code": code})
        return 0
    print(_("One-time enrolment code (valid 72 hours, usable once; give it to the new device "
            "by a safe channel):"))
    print(code)
    return 0


def _enrol(args: argparse.Namespace) -> int:
    code = read_secret(args.code)
    with open_profile(args) as session:
        fingerprint = sync_setup.enrol(session, code)
    if args.json:
        print_json({"fingerprint": fingerprint, "status": "pending"})
        return 0
    print(_("Enrolled; waiting for an administrator's approval. Read this fingerprint to "
            "them:"))
    print(fingerprint)
    return 0


def _pending(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = sync_setup.pending(session)
    if args.json:
        print_json(found)
        return 0
    if not found:
        print(_("No device is waiting for approval."))
    for device in found:
        print(f"{device['device']}  {device['fingerprint']}  {device['user']}  "
              f"{device['team']}  {_(roles.ROLE_NAMES.get(device['role'], device['role']))}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        sync_setup.approve(session, args.device, args.fingerprint)
    if args.json:
        print_json({"device": args.device, "status": "approved"})
    else:
        print(_("Device approved."))
    return 0


def _reject(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        sync_setup.reject(session, args.device)
    if args.json:
        print_json({"device": args.device, "status": "rejected"})
    else:
        print(_("Device rejected."))
    return 0


def _run(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        report = sync.run(session)
    if args.json:
        print_json(report.to_json())
    else:
        print(_("Pushed %(pushed)s, pulled %(pulled)s, conflicts %(conflicts)s, rejected "
                "%(rejected)s.", pushed=report.pushed, pulled=report.pulled,
                conflicts=report.conflicts, rejected=report.rejected))
        if report.quarantined:
            print(_("%(count)s changes from other devices failed verification and were set "
                    "aside.", count=report.quarantined))
        if report.rollback:
            print(_("Warning: the server has seen a newer audit trail from this device: this "
                    "copy of the profile may have been restored from an older one."))
    return 0


def _when(ms: int | None) -> str:
    if not ms:
        return _("never")
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _status(args: argparse.Namespace) -> int:
    with open_profile(args) as session:
        found = sync.status(session)
    if args.json:
        print_json(found)
        return 0
    if not found["enrolled"]:
        print(_("This profile does not sync. Changes waiting: %(count)s",
                count=found["pending_changes"]))
        return 0
    print(_("Server: %(server)s", server=found["server"]))
    print(_("Last success: %(when)s", when=_when(found["last_success"])))
    print(_("Changes waiting to be sent: %(count)s", count=found["pending_changes"]))
    if found["device_status"] != "approved":
        print(_("This device is waiting for an administrator's approval."))
    if found["last_error"]:
        print(_("Last error: %(error)s", error=found["last_error"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sync", help=N_("sync with the organisation's server"))
    ssub = parser.add_subparsers(dest="sync_command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = ssub.add_parser(name, help=help_text)
        add_profile_args(cmd)
        cmd.add_argument("--json", action="store_true", help=JSON_HELP)
        return cmd

    invite = command("invite", N_("create a one-time enrolment code (administrators)"))
    invite.add_argument("--team", required=True, help=N_("name of the new device's team"))
    invite.add_argument("--role", required=True, choices=roles.ROLES,
                        help=N_("the role of the new device's user: %(choices)s"))
    invite.set_defaults(handler=_invite)
    enrol = command("enrol", N_("enrol this profile with an enrolment code"))
    enrol.add_argument("--code", required=True, type=Path,
                       help=N_("file holding the enrolment code ('-' reads standard input)"))
    enrol.set_defaults(handler=_enrol)
    command("pending", N_("devices waiting for approval")).set_defaults(handler=_pending)
    approve = command("approve", N_("approve a device after comparing its fingerprint"))
    approve.add_argument("device", help=N_("the device's id, as 'sync pending' prints it"))
    approve.add_argument("--fingerprint", required=True,
                         help=N_("the fingerprint the new device shows, read out by its "
                                 "user: it must match"))
    approve.set_defaults(handler=_approve)
    reject = command("reject", N_("reject a device waiting for approval"))
    reject.add_argument("device", help=N_("the device's id, as 'sync pending' prints it"))
    reject.set_defaults(handler=_reject)
    command("run", N_("push local changes, then pull the others'")).set_defaults(handler=_run)
    command("status", N_("server, last success, changes waiting, last error")).set_defaults(
        handler=_status)
