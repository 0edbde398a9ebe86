"""``caseapp fields [--picklist NAME]``: the fields a case document may hold and the valid
codes of each list, so a user finds them without reading the standard (issue 8). Reference
data only: no profile is opened."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from caseapp.cli.common import JSON_HELP, print_json
from caseapp.domain import consent, htcds, identity, stages
from caseapp.domain import referrals as directory_rules
from caseapp.domain.case_documents import CASE_EXTENSIONS, PERSON_EXTENSIONS
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _

# Lists that are not HTCDS picklists but are typed into documents and options: code -> label
# (a message id, translated when shown; None where the code is its own label).
_OTHER_LISTS: Mapping[str, Mapping[str, str | None]] = {
    "document_type": dict.fromkeys(identity.DOCUMENT_TYPES),
    "consent_purpose": consent.PURPOSE_LABELS,
    "service_type": directory_rules.SERVICE_TYPES,
    "stage": stages.STAGE_LABELS,
}


def _picklists() -> list[str]:
    return [f.name for f in htcds.fields().values() if f.picklist and not f.deprecated] \
        + list(_OTHER_LISTS)


def _values(name: str) -> list[tuple[str, str]]:
    """(code, label in the user's language) of one list; an unknown name is refused with
    the names there are."""
    if name in _OTHER_LISTS:
        return [(code, _(label) if label else code) for code, label in _OTHER_LISTS[name].items()]
    spec = htcds.spec(name)
    if spec is None or not spec.picklist or spec.deprecated:
        raise ValidationError(N_("--picklist: %(name)s is not a list of codes; the lists are: "
                                 "%(names)s"), name=name[:80], names=", ".join(_picklists()))
    return [(code, _(spec.label_of(code))) for code in spec.codes]


def _fields(args: argparse.Namespace) -> int:
    if args.picklist:
        values = _values(args.picklist)
        if args.json:
            print_json([{"code": code, "label": label} for code, label in values])
        else:
            for code, label in values:
                print(f"{code}\t{label}")
        return 0
    # The fields a case document holds (route events as hte_ items of hte_Events).
    rows = [(f.name, f.type or "Text", "core" if f.core else "")
            for f in htcds.fields().values()
            if not f.deprecated and f.name.startswith(("prs_", "vic_", "per_", "cas_", "hte_"))]
    rows += [(name, kind, "hfz") for name, kind in {**PERSON_EXTENSIONS,
                                                    **CASE_EXTENSIONS}.items()]
    if args.json:
        print_json([{"name": n, "type": t, "note": note} for n, t, note in rows])
    else:
        for row in rows:
            print("\t".join(row).rstrip("\t"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fields", help=N_("the fields of a case document, or the codes of "
                                           "one list (no profile needed)"))
    parser.add_argument("--picklist", metavar="NAME",
                        help=N_("show the codes of this list, such as prs_Gender or "
                                "document_type"))
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.set_defaults(handler=_fields)
