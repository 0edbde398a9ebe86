"""Validation of case documents keyed by HTCDS field names (plus our ``hfz_`` extensions),
and the split of one document into the person record and the case record."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from caseapp.domain import consent, htcds, identity, legal_status, merge_rules, stages, text_rules
from caseapp.errors import FieldErrors
from caseapp.i18n import N_

# Our extensions, where the mission needs more than the standard (ARCHITECTURE §3).
PERSON_EXTENSIONS = {
    "hfz_NameUrdu": "text",            # full name in Urdu (Perso-Arabic) script
    "hfz_FatherName": "text",          # s/o, d/o: how Pakistani records identify a person
    "hfz_FatherNameUrdu": "text",
    "hfz_Aliases": "text_list",
    "hfz_IdentityDocuments": "documents",
    "hfz_EstimatedAge": "int",
    "hfz_BirthYearEstimated": "bool",
    # The age on record is in doubt: the person is presumed a child (consent.age_basis).
    "hfz_AgeDisputed": "bool",
    # The result of an age assessment: {"outcome": adult|child, "date", "method", "authority"}.
    "hfz_AgeAssessment": "age_assessment",
}
AGE_ASSESSMENT_METHODS = ("documents", "interview", "medical_board", "ossification", "other")
CASE_EXTENSIONS = {
    "hfz_Tracks": "tracks",            # TIP and/or SOM
    "hfz_Stage": "stage",
    "hfz_RiskFlags": "text_list",
    "hfz_PlaceOfIdentification": "text",
    "hfz_Summary": "text",
    # Date, legal basis and FIR of the trafficking-status decision (legal_status).
    legal_status.DECISION_FIELD: "status_decision",
}
EVENTS_KEY = merge_rules.EVENTS_FIELD
TRACKS = ("TIP", "SOM")
# Only the case-level parts of the standard are stored on the case; referral and comment
# fields have their own records.
CASE_PREFIXES = ("vic_", "per_", "cas_")
PERSON_PREFIX = "prs_"
SKIP_FIELDS = {"cas_Status"}  # derived from the stage

PROBLEMS = {
    "unknown": N_("is not an HTCDS field or a Hifazat extension"),
    "deprecated": N_("is deprecated in HTCDS 2.0 and cannot be recorded"),
    "code": N_("is not one of the standard's codes (%(codes)s)"),
    "list": N_("must be a list of codes"),
    "date": N_("must be a date written YYYY-MM-DD"),
    "no_such_day": N_("does not exist: that month has no day %(day)s"),
    "birth_future": N_("cannot be in the future"),
    "birth_before_1900": N_("cannot be before 1900"),
    "bool": N_("must be true or false"),
    "number": N_("must be a number"),
    "phone": N_("must be a phone number in international form, such as +923001234567"),
    "country": N_("must be a two-letter ISO 3166 country code, such as PK"),
    "language": N_("must be an ISO 639 language code, such as urd"),
    "text": N_("must be text"),
    "text_list": N_("must be a list of texts"),
    "int": N_("must be a whole number"),
    "tracks": N_("must list TIP, SOM or both"),
    "stage": N_("is not a case stage"),
    "name": N_("A person needs a name in Latin or Urdu script."),
    text_rules.TOO_LONG: N_("is longer than %(limit)s characters"),
    text_rules.CHARACTER: N_("contains a control character or a broken character that cannot "
                             "be stored; remove it"),
    "status_decision": N_("must be an object with \"date\", \"act\" and \"section\" (and "
                          "\"fir\" where there is one); record it with caseapp case status"),
    "age_assessment": N_("must be an object with \"outcome\" (adult or child) and \"date\" "
                         "(YYYY-MM-DD), and optionally \"method\" (documents, interview, "
                         "medical_board, ossification or other) and \"authority\" (text)"),
}


def _valid_age_assessment(value: Any) -> bool:
    if not isinstance(value, dict) or not {"outcome", "date"} <= set(value) \
            or not set(value) <= {"outcome", "date", "method", "authority"}:
        return False
    if value["outcome"] not in consent.ASSESSMENT_OUTCOMES:
        return False
    if htcds.check_value("prs_Birthdate", value["date"]) is not None \
            or not isinstance(value["date"], str):
        return False
    if "method" in value and value["method"] not in AGE_ASSESSMENT_METHODS:
        return False
    authority = value.get("authority", "x")
    return isinstance(authority, str) and bool(authority.strip())


_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _date_problem(name: str, value: str) -> tuple[str | None, dict[str, object]]:
    """Say what is wrong with a date: its form, a day the month does not have ("30 February
    does not exist"), and for a birth date one in the future or before 1900."""
    match = _DATE_RE.fullmatch(value)
    if match is None:
        return "date", {}
    year, month, day = (int(g) for g in match.groups())
    try:
        when = date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            return "date", {}
        return "no_such_day", {"day": day}
    if name == "prs_Birthdate":
        if when > date.today():
            return "birth_future", {}
        if when.year < 1900:
            return "birth_before_1900", {}
    return None, {}


def _check_extension(kind: str, value: Any) -> str | None:
    if value is None:
        # An edit may clear a field, but a case always has its track(s) and a stage.
        return kind if kind in ("tracks", "stage") else None
    if kind == "text":
        return None if isinstance(value, str) else "text"
    if kind == "text_list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "text_list"
    if kind == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "int"
    if kind == "bool":
        return None if isinstance(value, bool) else "bool"
    if kind == "tracks":
        ok = isinstance(value, list) and bool(value) and all(v in TRACKS for v in value)
        return None if ok else "tracks"
    if kind == "stage":
        return None if value in stages.STAGES else "stage"
    if kind == "age_assessment":
        return None if _valid_age_assessment(value) else "age_assessment"
    if kind == "status_decision":
        return None if legal_status.valid_decision(value) else "status_decision"
    return None


class DocumentChecker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str, dict[str, object]]] = []

    def add(self, field: str, code: str, **params: object) -> None:
        self.problems.append((field, PROBLEMS[code], params))

    def raise_if_any(self) -> None:
        if self.problems:
            raise FieldErrors(self.problems)


def _check_field(checker: DocumentChecker, name: str, value: Any) -> Any:
    """Validate one field and return its stored form."""
    ext = PERSON_EXTENSIONS.get(name) or CASE_EXTENSIONS.get(name)
    bad_text = text_rules.problem(value)
    if bad_text:
        checker.add(name, bad_text, limit=text_rules.MAX_FIELD_CHARS)
        # The document is refused as a whole; the caller still gets the shape it expects.
        return [] if ext == "documents" else value
    if ext == "documents":
        docs = []
        for item in value if isinstance(value, list) else [value]:
            doc, problem = identity.parse_document(item)
            if doc is None:
                checker.problems.append((name, problem or "", {}))
            else:
                docs.append(doc.to_json())
        return docs
    if ext is not None:
        problem = _check_extension(ext, value)
        if problem:
            checker.add(name, problem, value=value)
        return value
    spec = htcds.spec(name)
    if spec is None:
        checker.add(name, "unknown")
        return value
    if spec.type == "Date" and isinstance(value, str):
        value = identity.ascii_digits(value.strip())  # ۱۹۹۴-۰۳-۰۱, as CNICs are accepted
        problem_code, params = _date_problem(name, value)
        if problem_code:
            checker.add(name, problem_code, **params)
            return value
    problem = htcds.check_value(name, value)
    if problem == "code":
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in spec.codes]
        checker.add(name, "code", value=", ".join(map(str, bad)), codes=", ".join(spec.codes))
    elif problem:
        checker.add(name, problem)
    return htcds.stored_number(value) if problem is None else value


def split_document(doc: dict[str, Any], *, partial: bool = False
                   ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Validate a whole document; return (person fields, case fields, historic events).

    ``partial`` documents are edits: a name is then not required."""
    if not isinstance(doc, dict):
        raise FieldErrors([("document", N_("must be a JSON object keyed by field names"), {})])
    checker = DocumentChecker()
    person: dict[str, Any] = {}
    case: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for name, value in doc.items():
        if name == EVENTS_KEY:
            events = _check_events(checker, value)
        elif name == "prs_IdentityNumber":
            # The standard's single number field: kept, and also added as a document when
            # it is a NADRA number, so searching by CNIC always works.
            person[name] = _check_field(checker, name, value)
            cnic = identity.normalise_cnic(value) if isinstance(value, str) else None
            if cnic:
                person.setdefault("hfz_IdentityDocuments", [])
                person["hfz_IdentityDocuments"].append(
                    {"type": "CNIC", "number": cnic, "country": "PK"})
        elif name.startswith(PERSON_PREFIX) or name in PERSON_EXTENSIONS:
            checked = _check_field(checker, name, value)
            if name == "hfz_IdentityDocuments":
                person[name] = person.get(name, []) + checked
            else:
                person[name] = checked
        elif name.startswith(CASE_PREFIXES) or name in CASE_EXTENSIONS:
            if name in SKIP_FIELDS:
                continue
            case[name] = _check_field(checker, name, value)
        else:
            checker.add(name, "unknown")
    if "hfz_IdentityDocuments" in person:
        person["hfz_IdentityDocuments"] = _unique_docs(person["hfz_IdentityDocuments"])
    if not partial and not any(person.get(k) for k in ("prs_FirstName", "prs_SecondName",
                                                        "hfz_NameUrdu")):
        checker.problems.append(("prs_FirstName", PROBLEMS["name"], {}))
    checker.raise_if_any()
    return person, case, events


def _unique_docs(docs: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for d in docs:
        seen.setdefault((d["type"], d["number"]), d)
    return list(seen.values())


def case_events(case: dict[str, Any], legacy: Sequence[dict[str, Any]] = ()
                ) -> list[dict[str, Any]]:
    """The case's route events: its ``hte_Events``, then any event a device before schema 9
    sent as a record of its own (``legacy``, oldest first), each event once."""
    events = list(case.get(EVENTS_KEY) or [])
    have = {merge_rules.event_key(e) for e in events}
    for event in legacy:
        if merge_rules.event_key(event) not in have:
            have.add(merge_rules.event_key(event))
            events.append(event)
    return events


def _check_events(checker: DocumentChecker, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        checker.add(EVENTS_KEY, "list")
        return []
    events = []
    for item in value:
        if not isinstance(item, dict):
            checker.add(EVENTS_KEY, "list")
            continue
        event = {}
        for name, field_value in item.items():
            if not name.startswith("hte_"):
                checker.add(f"{EVENTS_KEY}.{name}", "unknown")
                continue
            event[name] = _check_field(checker, name, field_value)
        events.append(event)
    return events


NAME_FIELDS = ("prs_FirstName", "prs_SecondName", "hfz_NameUrdu")


def require_name(person: dict[str, Any]) -> None:
    """A person keeps at least one name in Latin or Urdu script, also after an edit."""
    if not any(person.get(k) for k in NAME_FIELDS):
        raise FieldErrors([("prs_FirstName", PROBLEMS["name"], {})])
