"""What the documents print, read from the vault: the sections a sender may choose for a
referral form (minimum necessary data), the rows of each, and the header every referral
form carries. Values become words here (a code's label, a date, "Yes"), in English; the
form prints the labels in English and Urdu.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from caseapp.documents.forms import Row, Section
from caseapp.domain import consent, htcds, stages
from caseapp.domain import referrals as rules
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _

PERSON, IDENTITY, EXPLOITATION, DETAILS, CASE_FILE = (
    "person", "identity", "exploitation", "details", "case")
AGE = "age"  # not a stored field: the age today, from the birth date or the estimate

# Section → (title, fields). The referral form prints only the sections the sender chose;
# the case summary prints them all.
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    PERSON: (N_("The person"), ("prs_FirstName", "prs_SecondName", "hfz_NameUrdu",
                                "prs_Gender", AGE, "prs_Citizenship")),
    IDENTITY: (N_("Identity documents"), ("hfz_IdentityDocuments",)),
    EXPLOITATION: (N_("What happened"), ("hfz_Tracks", "vic_TypeOfExploitation",
                                         "vic_MethodsOfControl")),
    DETAILS: (N_("Details of the referral"), ("cas_OutgoingReferralDetails",)),
}
REFERRAL_SECTIONS = tuple(SECTIONS)
DEFAULT_SECTIONS = (PERSON,)

LABELS: dict[str, str] = {
    "prs_FirstName": N_("Given name"),
    "prs_SecondName": N_("Family name"),
    "hfz_NameUrdu": N_("Name in Urdu"),
    "prs_Gender": N_("Gender"),
    AGE: N_("Age"),
    "prs_Citizenship": N_("Citizenship"),
    "hfz_IdentityDocuments": N_("Identity document"),
    "hfz_Tracks": N_("Track"),
    "vic_TypeOfExploitation": N_("Type of exploitation"),
    "vic_MethodsOfControl": N_("Means of control"),
    "cas_OutgoingReferralDetails": N_("Details"),
    "hfz_CaseNumber": N_("Case number"),
    "hfz_Stage": N_("Stage"),
    "vic_TraffickingStatus": N_("Trafficking status"),
}
TRACK_LABELS = {"TIP": N_("Trafficking in persons"), "SOM": N_("Smuggling of migrants")}
PRESUMED_CHILD = N_("Presumed a child (age not established)")
YES, NO = N_("Yes"), N_("No")

# The header of every referral form.
EXPORT_ID = N_("Export id")
DATE = N_("Date")
TO = N_("To")
FROM = N_("From")
CONTACT = N_("Contact person")
URGENCY = N_("Urgency")
SERVICES = N_("Services requested")
REASON = N_("Reason for referral")
CONSENT = N_("Consent")
CONSENT_GIVEN = N_("The person consented to this referral to %(org)s on %(date)s "
                   "(explained in %(language)s, text %(version)s).")
CONSENT_OVERRIDDEN = N_("Sent without the person's consent by decision of a manager; the "
                        "reason is on file with the sender.")


def check_sections(sections: list[str] | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(sections or DEFAULT_SECTIONS))
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise ValidationError(N_("--sections: %(value)s is not one of %(codes)s."),
                              value=", ".join(unknown), codes=", ".join(SECTIONS))
    return chosen


def code_label(field: str, code: object) -> str:
    if field == "hfz_Tracks":
        return TRACK_LABELS.get(str(code), str(code))
    spec = htcds.spec(field)
    return spec.label_of(str(code)) if spec else str(code)


def _age_text(person: dict[str, Any], today: dt.date) -> str:
    at = int(dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC).timestamp() * 1000)
    basis = consent.person_age_basis(person, at)
    if basis in (consent.AGE_UNKNOWN, consent.AGE_DISPUTED):
        return PRESUMED_CHILD
    estimated = person.get("hfz_EstimatedAge")
    age = consent.age_on(person.get("prs_Birthdate") or None,
                         estimated if isinstance(estimated, int) else None, today)
    return str(age) if age is not None else ""


def _document_text(doc: dict[str, Any]) -> str:
    kind, number, country = doc.get("type", ""), doc.get("number", ""), doc.get("country", "")
    return f"{kind} {number}" + (f" ({country})" if country else "")


def value_rows(field: str, value: Any, person: dict[str, Any], today: dt.date) -> list[Row]:
    """The rows of one field (an identity document per row); none when it is empty."""
    label = LABELS.get(field, field)
    if field == AGE:
        text = _age_text(person, today)
        return [Row(label, text)] if text else []
    if value in (None, "", []):
        return []
    if field == "hfz_IdentityDocuments" and isinstance(value, list):
        return [Row(label, _document_text(d)) for d in value if isinstance(d, dict)]
    if isinstance(value, bool):
        return [Row(label, YES if value else NO)]
    if isinstance(value, list):
        return [Row(label, ", ".join(code_label(field, v) for v in value))]
    spec = htcds.spec(field)
    if spec is not None and spec.picklist:
        return [Row(label, code_label(field, value))]
    return [Row(label, str(value))]


def section(name: str, doc: dict[str, Any], today: dt.date,
            readable: set[str] | None = None) -> Section:
    """The rows of section ``name`` from a case document (person and case fields together);
    fields the user may not read are left out."""
    title, fields = SECTIONS[name]
    rows: list[Row] = []
    for field in fields:
        if readable is not None and field != AGE and field not in readable:
            continue
        rows += value_rows(field, doc.get(field), doc, today)
    return Section(title, tuple(rows))


def case_file_section(doc: dict[str, Any]) -> Section:
    rows = [Row(LABELS["hfz_CaseNumber"], str(doc.get("hfz_CaseNumber") or ""))]
    stage = doc.get("hfz_Stage")
    if stage:
        rows.append(Row(LABELS["hfz_Stage"], stages.STAGE_LABELS.get(str(stage), str(stage))))
    status = doc.get("vic_TraffickingStatus")
    if status:
        rows.append(Row(LABELS["vic_TraffickingStatus"],
                        code_label("vic_TraffickingStatus", status)))
    return Section(N_("The case"), tuple(r for r in rows if r.value))


def consent_text(referral: dict[str, Any], entry: consent.ConsentEntry | None,
                 org_name: str) -> str | None:
    """What the form says about consent for this recipient; ``None`` when there is none
    (the form is then refused)."""
    if entry is not None and entry.granted:
        day = dt.datetime.fromtimestamp(entry.at / 1000, tz=dt.UTC).date().isoformat()
        return _(CONSENT_GIVEN, org=org_name, date=day, language=entry.language,
                 version=entry.explanation_version)
    if referral.get("hfz_ConsentOverrideReason"):
        return CONSENT_OVERRIDDEN
    return None


def header_rows(*, export_id: str, today: dt.date, recipient: str, sender: str,
                contact: str, referral: dict[str, Any], consent_line: str) -> tuple[Row, ...]:
    services = ", ".join(rules.SERVICE_TYPES.get(s, s)
                         for s in referral.get("hfz_Services") or [])
    urgency = str(referral.get("hfz_Urgency") or rules.ROUTINE)
    rows = [
        Row(EXPORT_ID, export_id), Row(DATE, today.isoformat()), Row(TO, recipient),
        Row(FROM, sender), Row(CONTACT, contact),
        Row(URGENCY, rules.URGENCY_LABELS.get(urgency, urgency)),
        Row(SERVICES, services),
        Row(REASON, code_label("cas_ReasonForOutgoingReferral",
                               referral.get("cas_ReasonForOutgoingReferral") or "")),
        Row(CONSENT, consent_line),
    ]
    return tuple(r for r in rows if r.value)
