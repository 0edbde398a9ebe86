"""``caseapp audit verify``: walk the audit chain; exit 1 with the first broken link."""

from __future__ import annotations

import argparse

from caseapp.cli.common import add_profile_args, open_profile
from caseapp.i18n import N_, _
from caseapp.services import audit_trail
from caseapp.services.session import Session


def _verify(args: argparse.Namespace) -> int:
    reports: list[audit_trail.VerifyReport] = []

    def check(session: Session) -> None:
        # Verified before this command's own unlock event joins the chain, so a cut-off
        # tail is reported at its first missing event.
        reports.append(audit_trail.verify_chain(session))

    with open_profile(args, before_audit=check) as session:
        audit_trail.record_verified(session)
    report = reports[0]
    if report.ok:
        print(_("Audit chain intact: %(count)s events.", count=report.events))
        return 0
    print(_("Audit chain broken at event %(seq)s: %(reason)s", seq=report.broken_at,
            reason=report.reason))
    return 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help=N_("check the audit trail"))
    asub = parser.add_subparsers(dest="audit_command", required=True)
    verify = asub.add_parser("verify", help=N_("verify the hash chain of audit events"))
    add_profile_args(verify)
    verify.set_defaults(handler=_verify)
