"""PDF documents that leave the machine: the referral form, the case summary, the rights
sheet and the statistics report (ARCHITECTURE §7).

Each export is built in memory, encrypted in memory (``Protection``) and only then written,
through ``exports.run_export``: a stated purpose, the export-started event committed before
the file exists, the destination rules of every export. A document with personal data never
leaves plain: it is sealed to the recipient's age key or encrypted with a one-time
passphrase that is returned once and never stored. The rights sheet (no personal data) and
the anonymised report may leave plain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from caseapp.documents import forms, rights_sheet, statistics_report
from caseapp.documents.statistics import age_bracket, age_on, registration_date
from caseapp.domain import consent, roles
from caseapp.errors import NotFound, PermissionDenied, ValidationError
from caseapp.i18n import LANGUAGES, N_
from caseapp.services import document_values as values
from caseapp.services.base import actor_of
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.directory import DirectoryService
from caseapp.services.exports import (
    check_destination,
    check_purpose,
    new_export_id,
    require_export,
    require_identified_export,
    run_export,
)
from caseapp.services.protection import AGE, PLAIN, Protection, protect
from caseapp.services.referrals import ReferralService
from caseapp.services.session import Session
from caseapp.store import queries


@dataclass(frozen=True)
class ExportedDocument:
    path: Path
    export_id: str
    protection: str
    passphrase: str | None = None  # shown once to the user, never stored
    without_consent: int = 0  # cases a report left out: no consent to research use


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def check_recipient_key(org: dict[str, Any], protection: Protection) -> None:
    """A key given for a recipient whose key is in the directory must be that key: a
    mistyped or pasted-from-elsewhere key would send the file to someone else."""
    stored = org.get("hfz_AgeRecipient")
    if protection.kind == AGE and stored and stored != protection.age_recipient:
        raise ValidationError(N_("The age key given is not the key of %(org)s in the "
                                 "directory. Check it with the recipient."),
                              org=str(org.get("org_Name") or ""))


def sender_of(session: Session) -> tuple[str, str]:
    """(the sending team's name, the contact person: the signed-in user)."""
    team = session.store.get(session.team_id)
    return (str(team.body.get("name") or "") if team else "",
            str(session.user.get("name") or ""))


def _write(session: Session, path: Path, pdf_bytes: bytes, protection: Protection, *,
           kind: str, purpose: str, export_id: str, fields: list[str], force: bool,
           **details: object) -> ExportedDocument:
    data, passphrase = protect(pdf_bytes, protection)
    run_export(session, path, data, kind=kind, purpose=purpose, force=force,
               export_id=export_id, fields=[*fields, f"protection:{protection.kind}"],
               protection=protection.kind, **details)
    return ExportedDocument(path, export_id, protection.kind, passphrase)


# -- the referral form ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReferralDocument:
    """A referral form ready to print: its form values, the case document they came from
    (for a package) and the fields it includes (for the audit)."""

    form: forms.Form
    case_document: dict[str, Any]
    referral: dict[str, Any]
    organisation: dict[str, Any]
    fields: tuple[str, ...]


def referral_document(session: Session, referral_id: str, sections: list[str] | None,
                      export_id: str) -> ReferralDocument:
    """The form of an outgoing referral with the chosen sections only. Refused without the
    person's consent to a referral to this recipient (or a manager's recorded override)."""
    referrals = ReferralService(session)
    referral = referrals.get(referral_id)
    if referral.get("hfz_Direction") != "outgoing":
        raise ValidationError(N_("Only an outgoing referral has a referral form."))
    return referral_form(session, referral, referrals.consent_decision(referral_id), sections,
                         export_id)


def referral_form(session: Session, referral: dict[str, Any], decision: consent.Decision,
                  sections: list[str] | None, export_id: str) -> ReferralDocument:
    """The form of the outgoing referral ``referral`` (its body and ``case_id``, stored or
    about to be), given the consent decision for its recipient."""
    chosen = values.check_sections(sections)
    org_id = str(referral.get("cas_ReferredOrganisation") or "")
    try:
        org = DirectoryService(session).get(org_id)
    except NotFound:
        org = {"org_Name": referral.get("hfz_OrganisationName") or ""}
    recipient = str(org.get("org_Name") or referral.get("hfz_OrganisationName") or "")
    consent_line = values.consent_text(referral, decision.entry if decision.permitted
                                       else None, recipient)
    if consent_line is None:
        raise ConsentRequired(decision)
    doc = CaseService(session).show(str(referral["case_id"]))
    doc = {**doc, "cas_OutgoingReferralDetails": referral.get("cas_OutgoingReferralDetails")}
    readable = {k for k in doc if actor_of(session).may_read_field(k)}
    today = _today()
    built = tuple(values.section(name, doc, today, readable) for name in chosen)
    sender, contact = sender_of(session)
    header = values.header_rows(export_id=export_id, today=today, recipient=recipient,
                                sender=sender, contact=contact, referral=referral,
                                consent_line=consent_line)
    included = tuple(f for name in chosen for f in values.SECTIONS[name][1]
                     if f == values.AGE or doc.get(f) not in (None, "", []))
    form = forms.Form(forms.REFERRAL_TITLE, export_id, recipient, header, built,
                      note=forms.MINIMUM_NOTE)
    return ReferralDocument(form, doc, referral, org, included)


def preview_referral(session: Session, referral_id: str,
                     sections: list[str] | None) -> forms.Form:
    """What the form would say, before anything is written (the export id is a
    placeholder until the export is made)."""
    return referral_document(session, referral_id, sections, "—").form


def export_referral(session: Session, referral_id: str, path: Path, purpose: str,
                    protection: Protection, *, sections: list[str] | None = None,
                    force: bool = False) -> ExportedDocument:
    check_destination(path, force)
    require_export(session)
    purpose = check_purpose(purpose)
    if protection.kind == PLAIN:
        raise ValidationError(N_("A referral form names the person: seal it with "
                                 "--age-recipient or encrypt it with --pdf-passphrase."))
    export_id = new_export_id()
    document = referral_document(session, referral_id, sections, export_id)
    check_recipient_key(document.organisation, protection)
    return _write(session, path, forms.render(document.form), protection,
                  kind="referral_form", purpose=purpose, export_id=export_id, force=force,
                  fields=[*document.fields, f"referral:{referral_id}"],
                  referral=referral_id)


# -- the case summary -----------------------------------------------------------------------

def summary_form(session: Session, case_id: str, org: dict[str, Any], export_id: str
                 ) -> tuple[forms.Form, list[str]]:
    """The summary's form values and the fields it prints (for the audit)."""
    doc = CaseService(session).show(case_id)
    readable = {k for k in doc if actor_of(session).may_read_field(k)}
    today = _today()
    sections = [values.case_file_section(doc)]
    sections += [values.section(name, doc, today, readable)
                 for name in (values.PERSON, values.IDENTITY, values.EXPLOITATION)]
    sender, contact = sender_of(session)
    recipient = str(org.get("org_Name") or "")
    header = (forms.Row(values.EXPORT_ID, export_id), forms.Row(values.DATE, today.isoformat()),
              forms.Row(values.TO, recipient), forms.Row(values.FROM, sender),
              forms.Row(values.CONTACT, contact))
    form = forms.Form(forms.SUMMARY_TITLE, export_id, recipient, header, tuple(sections))
    return form, sorted(f for f in doc if f not in ("clocks", "id", "person_id"))


def export_summary(session: Session, case_id: str, recipient_org: str, path: Path,
                   purpose: str, protection: Protection, *,
                   force: bool = False) -> ExportedDocument:
    """Every section of a case, for the file of an authorised transfer: managers and
    administrators only, like any export of identified data."""
    check_destination(path, force)
    require_identified_export(session)
    purpose = check_purpose(purpose)
    if protection.kind == PLAIN:
        raise ValidationError(N_("A case summary names the person: seal it with "
                                 "--age-recipient or encrypt it with --pdf-passphrase."))
    org = DirectoryService(session).find(recipient_org)
    check_recipient_key(org, protection)
    export_id = new_export_id()
    form, fields = summary_form(session, case_id, org, export_id)
    return _write(session, path, forms.render(form), protection, kind="case_summary",
                  purpose=purpose, export_id=export_id, force=force,
                  fields=[*fields, f"case:{case_id}", f"recipient:{org['id']}"],
                  case=case_id)


# -- the rights sheet and the statistics report ---------------------------------------------

def export_rights_sheet(session: Session, lang: str, path: Path, purpose: str, *,
                        force: bool = False) -> ExportedDocument:
    """The rights and consent sheet in ``lang``: no personal data, so plain."""
    check_destination(path, force)
    require_export(session)
    purpose = check_purpose(purpose)
    data = rights_sheet.render(rights_sheet.check_language(lang))
    return _write(session, path, data, Protection.plain(), kind="rights_sheet",
                  purpose=purpose, export_id=new_export_id(), force=force,
                  fields=[f"lang:{lang}", f"version:{rights_sheet.VERSION}"], lang=lang)


def _team_id(session: Session, team: str | None) -> tuple[str | None, str]:
    """(team id, its name) for ``--team`` given as an id or a name; (None, "") for all."""
    if not team:
        return None, ""
    for record in session.store.list("team", limit=-1):
        if team in (record.id, str(record.body.get("name") or "")):
            return record.id, str(record.body.get("name") or "")
    raise ValidationError(N_("--team: no team %(team)s in this case file."), team=team)


@lru_cache(maxsize=4096)
def _codes(value: str | None) -> tuple[str, ...]:
    """A picklist list as stored (JSON text from the query), or none. Cached: a caseload
    has few distinct lists, and decoding one per case was most of the report's time."""
    try:
        codes = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return ()
    return tuple(str(c) for c in codes) if isinstance(codes, list) else ()


@lru_cache(maxsize=65536)
def _day(days_since_epoch: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=days_since_epoch)


def _registered(case_id: str) -> dt.date | None:
    """The creation day of a case from its UUIDv7 id (its first 48 bits are milliseconds),
    read straight from the text: the report does this for every case."""
    try:
        ms = int(case_id[:8] + case_id[9:13], 16)
    except ValueError:
        return registration_date(case_id)
    return _day(ms // 86_400_000)


def case_facts(session: Session, team_id: str | None
               ) -> tuple[list[statistics_report.CaseFacts], int]:
    """The coarse facts the report counts, one per case (merged duplicates once), read in
    one query of only those fields, and how many cases were left out for want of consent.
    Only a person who agreed to the use of non-identifying data for research is counted
    (RESEARCH §6.2 (e)), as in the published statistics (``exports.consented_cases``): the
    consent in force now, no override."""
    facts: list[statistics_report.CaseFacts] = []
    assert session.conn is not None
    permitting = ConsentService(session).cases_permitting(consent.ANONYMISED_RESEARCH)
    left_out = 0
    for case_id, tracks, types, gender, birthdate, estimated in queries.report_facts(
            session.conn, team_id):
        if case_id not in permitting:
            left_out += 1
            continue
        registered = _registered(case_id)
        if registered is None:
            continue
        age = age_on(birthdate, registered) if isinstance(birthdate, str) else None
        if age is None and isinstance(estimated, int):
            age = estimated
        facts.append(statistics_report.CaseFacts(
            registered, _codes(tracks), str(gender or ""), age_bracket(age), _codes(types)))
    return facts, left_out


def export_report(session: Session, start: dt.date, end: dt.date, path: Path,
                  purpose: str, protection: Protection, *, team: str | None = None,
                  lang: str = "en", force: bool = False) -> ExportedDocument:
    """Anonymised counts for a period and team (small counts suppressed) of the cases whose
    person agreed to research use (``case_facts``): the export permission is enough, and it
    may leave plain."""
    check_destination(path, force)
    require_export(session)
    purpose = check_purpose(purpose)
    if end < start:
        raise ValidationError(N_("--to must not be before --from."))
    if lang not in LANGUAGES:
        raise ValidationError(N_("--lang must be one of %(codes)s."), codes=", ".join(LANGUAGES))
    team_id, team_name = _team_id(session, team)
    request = statistics_report.ReportRequest(start, end, team_name, lang, _today())
    facts, without_consent = case_facts(session, team_id)
    data = statistics_report.render(facts, request)
    done = _write(session, path, data, protection, kind="statistics_report",
                  purpose=purpose, export_id=new_export_id(), force=force,
                  fields=[f"from:{start.isoformat()}", f"to:{end.isoformat()}",
                          f"team:{team_id or 'all'}", f"lang:{lang}",
                          f"without_consent:{without_consent}"])
    return dataclasses.replace(done, without_consent=without_consent)


def require_package_roles(session: Session) -> None:
    actor = actor_of(session)
    if not (actor.can(roles.CASE_CREATE) and actor.can(roles.CASE_EDIT)):
        raise PermissionDenied()
