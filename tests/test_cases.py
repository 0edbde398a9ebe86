"""Cases through CaseService: create, show, update, move, list, notes and attachments; HTCDS
validation (bad input is rejected whole and nothing is stored); identity documents; stage
moves per role; field permissions; audit events that name fields and never values; outbox
entries with per-field hybrid logical clocks."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any

import pytest
from conftest import OpenProfile

from caseapp.errors import (
    FieldErrors,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from caseapp.services import role_grants
from caseapp.services.cases import MAX_ATTACHMENT_BYTES, CaseService
from caseapp.services.session import Session
from caseapp.store import packing
from caseapp.store.audit import stored_fields
from caseapp.store.hlc import Hlc

CANARY = "Qzwcanary Vubbleton"  # a value that must never reach the audit table
CANARY_CNIC = "35202-7777123-4"


@pytest.fixture
def session(administrator: Session) -> Session:
    return administrator


def document(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "prs_FirstName": "Rukhsana", "prs_SecondName": "Bibi", "hfz_NameUrdu": "رخسانہ بی بی",
        "hfz_FatherName": "Tariq Bhatti", "prs_Gender": "Feminine",
        "prs_Birthdate": "2004-03-15", "prs_Citizenship": ["PK"], "prs_PrimaryLanguage": "urd",
        "hfz_IdentityDocuments": [{"type": "CNIC", "number": "35202-1234568-2",
                                   "country": "PK"}],
        "hfz_Tracks": ["TIP"], "hfz_PlaceOfIdentification": "Dar-ul-Aman Lahore",
        "vic_TypeOfExploitation": ["ForcedLabour"], "vic_MethodsOfControl": ["DebtBondage"],
        "hte_Events": [{"hte_Type": "Recruitment", "hte_City": "Kasur", "hte_Country": "PK"},
                       {"hte_Type": "Exploitation", "hte_City": "Sheikhupura",
                        "hte_Country": "PK"}],
    }
    doc.update(extra)
    return doc


def counts(session: Session) -> dict[str, int]:
    conn = session.conn
    assert conn is not None
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("records", "outbox", "audit", "attachment_content", "meta")}


def outbox(session: Session, after: int = 0) -> list[dict[str, Any]]:
    assert session.conn is not None
    rows = session.conn.execute(
        "SELECT device_seq, record_id, record_type, kind, fields, base, hlc FROM outbox "
        "WHERE device_seq > ? ORDER BY device_seq", (after,))
    # The view gives ids and clocks in text; the JSON stays packed (SQL cannot inflate it).
    return [{"seq": r[0], "record": r[1], "type": r[2], "kind": r[3],
             "fields": packing.unpack_json(r[4]), "base": packing.unpack_json(r[5]),
             "hlc": r[6]} for r in rows]


def last_seq(session: Session) -> int:
    assert session.conn is not None
    return int(session.conn.execute("SELECT coalesce(max(device_seq), 0) FROM outbox")
               .fetchone()[0])


def audit_events(session: Session, after: int = 0) -> list[dict[str, Any]]:
    assert session.conn is not None
    rows = session.conn.execute("SELECT seq, actor, action, record_id, fields FROM audit "
                                "WHERE seq > ? ORDER BY seq", (after,))
    return [{"seq": r[0], "actor": r[1], "action": r[2], "record": r[3],
             "fields": stored_fields(r[4])} for r in rows]


def audit_head(session: Session) -> int:
    return session.audit.head()[0]


def set_role(session: Session, role: str, law_enforcement: bool = False) -> None:
    """Change the signed-in user's role: a new grant signed with the organisation key (the
    test profiles found their own office), as an administrator would."""
    role_grants.regrant(session, role, law_enforcement)


# -- create, show, update, list ------------------------------------------------------------

def test_create_then_show_returns_every_submitted_field(session: Session) -> None:
    service = CaseService(session)
    doc = document()
    case_id = service.create(copy.deepcopy(doc)).id

    shown = service.show(case_id)
    events = shown.pop("hte_Events")
    assert events == doc.pop("hte_Events")
    for key, value in doc.items():
        assert shown[key] == value, key
    assert shown["id"] == case_id
    assert shown["hfz_Stage"] == "intake"
    assert shown["cas_Status"] == "Active"
    assert shown["cas_CaseOwner"] == session.user_id
    assert re.fullmatch(r"\d{4}-[0-9A-F]{8}-\d{5}", shown["hfz_CaseNumber"])

    case = session.store.get(case_id)
    person = session.store.get(shown["person_id"])
    assert case is not None and person is not None
    assert (case.type, person.type) == ("case", "person")
    assert case.parent == person.id
    assert case.team == person.team == session.team_id
    # The person record holds identity, the case record the narrative: kept apart.
    assert "prs_FirstName" in person.body and "prs_FirstName" not in case.body
    assert "vic_TypeOfExploitation" in case.body and "vic_TypeOfExploitation" not in person.body
    # Route events are a set field of the case (schema 9), not records of their own.
    assert [e["hte_City"] for e in case.body["hte_Events"]] == ["Kasur", "Sheikhupura"]
    assert session.store.children(case_id, "trafficking_event") == []


def test_case_numbers_are_unique_and_sequential(session: Session) -> None:
    service = CaseService(session)
    numbers = [service.show(service.create(document()).id)["hfz_CaseNumber"] for _ in range(3)]
    assert len(set(numbers)) == 3
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3]


def test_update_changes_only_what_differs(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    changed = service.update(case_id, {"prs_FirstName": "Rukhsana",  # unchanged
                                       "prs_SecondName": "Akhtar",
                                       "hfz_Summary": "Moved to the shelter."})
    assert sorted(changed.fields) == ["hfz_Summary", "prs_SecondName"]
    shown = service.show(case_id)
    assert shown["prs_SecondName"] == "Akhtar"
    assert shown["hfz_Summary"] == "Moved to the shelter."
    # The list label follows the person's name.
    assert service.list().cases[0].name == "Rukhsana Akhtar"
    before = counts(session)
    assert not service.update(case_id, {"prs_SecondName": "Akhtar"})
    assert counts(session) == before


def test_update_can_add_historic_events(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    changed = service.update(case_id, {"hte_Events": [{"hte_Type": "Transit",
                                                       "hte_City": "Quetta",
                                                       "hte_Country": "PK"}]})
    assert "hte_Events" in changed.fields and changed.cases == {case_id}
    assert [e["hte_City"] for e in service.show(case_id)["hte_Events"]] == \
        ["Kasur", "Sheikhupura", "Quetta"]
    # The same event again adds nothing: each event is kept once.
    again = service.update(case_id, {"hte_Events": [{"hte_Type": "Transit", "hte_City": "Quetta",
                                                     "hte_Country": "PK"}]})
    assert not again.fields
    assert len(service.show(case_id)["hte_Events"]) == 3


def test_stage_is_not_edited_directly(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    before = counts(session)
    with pytest.raises(ValidationError):
        service.update(case_id, {"hfz_Stage": "closed"})
    assert counts(session) == before
    assert service.show(case_id)["hfz_Stage"] == "intake"


def test_unknown_case_is_not_found(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    person_id = service.show(case_id)["person_id"]
    for missing in ("01900000-0000-7000-8000-000000000000", person_id):
        with pytest.raises(NotFound):
            service.show(missing)
        with pytest.raises(NotFound):
            service.update(missing, {"hfz_Summary": "x"})
        with pytest.raises(NotFound):
            service.move(missing, "screening")
        with pytest.raises(NotFound):
            service.add_note(missing, "A note.")
        with pytest.raises(NotFound):
            service.add_attachment(missing, "scan.jpg", b"\xff\xd8data", "image/jpeg")


def test_list_pages_newest_first(session: Session) -> None:
    service = CaseService(session)
    ids = [service.create(document(prs_FirstName=f"Person{i}")).id for i in range(5)]
    page = service.list()
    listed = page.cases
    assert page.total == 5 and page.next is None
    assert [c.id for c in listed] == ids[::-1]
    assert [c.name for c in listed][:2] == ["Person4 Bibi", "Person3 Bibi"]
    assert all(c.stage == "intake" and c.name_urdu == "رخسانہ بی بی" for c in listed)
    first = service.list(limit=2)
    assert [c.id for c in first.cases] == [ids[4], ids[3]]
    second = service.list(limit=2, after=first.next)
    assert [c.id for c in second.cases] == [ids[2], ids[1]]
    last = service.list(limit=2, after=second.next)
    assert [c.id for c in last.cases] == [ids[0]] and last.next is None
    service.update(ids[0], {"hfz_Summary": "edited"})
    assert service.list(limit=1).cases[0].id == ids[0]  # the edited case comes first


def test_paging_by_key_shows_every_case_once(session: Session,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Cases changed in the same millisecond (an import, a sync) share ``updated_at``; the
    key pages by (updated_at, id), so none is skipped or shown twice."""
    monkeypatch.setattr("caseapp.store.records._now_ms", lambda: 1_790_000_000_000)
    service = CaseService(session)
    ids = [service.create({"prs_FirstName": f"Person{i}"}).id for i in range(11)]
    seen: list[str] = []
    page = service.list(limit=3)
    while True:
        assert page.total == 11
        seen += [c.id for c in page.cases]
        if page.next is None:
            break
        page = service.list(limit=3, after=page.next)
    assert seen == sorted(ids, reverse=True)
    # One listing, one audit event: the later pages continue it.
    listed = [e for e in session.audit.events() if e["action"] == "cases_listed"]
    assert len(listed) == 1


# -- notes and attachments -----------------------------------------------------------------

def test_notes(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    note_id = service.add_note(case_id, "First interview done with an interpreter.").id
    note = session.store.get(note_id)
    assert note is not None
    assert (note.type, note.parent, note.team) == ("note", case_id, session.team_id)
    assert note.body == {"cco_CaseComment": "First interview done with an interpreter."}
    assert [n.id for n in session.store.children(case_id, "note")] == [note_id]

    before = counts(session)
    for empty in ("", "   \n"):
        with pytest.raises(ValidationError):
            service.add_note(case_id, empty)
    assert counts(session) == before


def test_attachments_are_stored_inside_the_vault(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    attachment_id = service.add_attachment(case_id, "passport-scan.png", data, "image/png").id
    record = session.store.get(attachment_id)
    assert record is not None
    assert (record.type, record.parent) == ("attachment", case_id)
    assert record.body == {"filename": "passport-scan.png", "mime": "image/png",
                           "size": len(data)}
    assert session.conn is not None
    sha, stored = session.conn.execute(
        "SELECT sha256, data FROM attachment_content WHERE record_id = ?",
        (attachment_id,)).fetchone()
    assert stored == data
    assert sha == hashlib.sha256(data).hexdigest()


def test_oversized_attachment_is_refused_whole(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    before = counts(session)
    with pytest.raises(ValidationError):
        service.add_attachment(case_id, "huge.bin", bytes(MAX_ATTACHMENT_BYTES + 1),
                               "application/octet-stream")
    assert counts(session) == before


# -- HTCDS validation ----------------------------------------------------------------------

BAD_FIELDS: dict[str, Any] = {
    "prs_Gender": "Female",                      # not a picklist code (Feminine)
    "prs_Birthdate": "1999-02-30",               # no such day
    "prs_ShoeSize": 42,                          # not a field
    "hfz_IdentityDocuments": [{"type": "CNIC", "number": "12345-123-1"}],
    "vic_Vulnerabilities": ["Poverty"],          # deprecated in HTCDS 2.0
}


@pytest.mark.parametrize("field", sorted(BAD_FIELDS))
def test_one_bad_field_is_named_and_nothing_is_stored(session: Session, field: str) -> None:
    service = CaseService(session)
    before = counts(session)
    outbox_before = outbox(session)
    with pytest.raises(FieldErrors) as info:
        service.create(document(**{field: BAD_FIELDS[field]}))
    assert [name for name, _problem, _params in info.value.problems] == [field]
    assert field in info.value.user_message()
    assert counts(session) == before
    assert outbox(session) == outbox_before


def test_all_bad_fields_are_reported_at_once(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    before = counts(session)
    with pytest.raises(FieldErrors) as info:
        service.create(document(**BAD_FIELDS))
    assert {name for name, _p, _params in info.value.problems} == set(BAD_FIELDS)
    message = info.value.user_message()
    assert all(name in message for name in BAD_FIELDS)
    # Says what the codes are, never what was typed (issue 7, item 8).
    assert "Female" not in message and "Feminine" in message
    assert "\n" not in message
    with pytest.raises(FieldErrors) as info:
        service.update(case_id, dict(BAD_FIELDS))
    assert {name for name, _p, _params in info.value.problems} == set(BAD_FIELDS)
    assert counts(session) == before


def test_a_partly_valid_edit_changes_nothing(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    before = counts(session)
    with pytest.raises(FieldErrors):
        service.update(case_id, {"prs_SecondName": "Akhtar", "prs_Birthdate": "15/03/2004"})
    assert counts(session) == before
    assert service.show(case_id)["prs_SecondName"] == "Bibi"


@pytest.mark.parametrize("doc, field", [
    ({"prs_Gender": "Feminine"}, "prs_FirstName"),                     # no name at all
    ({"prs_FirstName": "Ayesha", "hfz_Tracks": ["TOP"]}, "hfz_Tracks"),
    ({"prs_FirstName": "Ayesha", "hfz_Stage": "limbo"}, "hfz_Stage"),
    ({"prs_FirstName": "Ayesha", "vic_TypeOfExploitation": "ForcedLabour"},
     "vic_TypeOfExploitation"),                                          # must be a list
    ({"prs_FirstName": "Ayesha", "prs_Citizenship": ["Pakistan"]}, "prs_Citizenship"),
    ({"prs_FirstName": "Ayesha", "hte_Events": [{"hte_Type": "Holiday"}]}, "hte_Type"),
    ({"prs_FirstName": "Ayesha", "hte_Events": [{"city": "Kasur"}]}, "hte_Events.city"),
])
def test_more_invalid_documents(session: Session, doc: dict[str, Any], field: str) -> None:
    before = counts(session)
    with pytest.raises(FieldErrors) as info:
        CaseService(session).create(doc)
    assert field in [name for name, _p, _params in info.value.problems]
    assert counts(session) == before


def test_a_document_must_be_an_object(session: Session) -> None:
    with pytest.raises(FieldErrors):
        CaseService(session).create(["prs_FirstName", "Ayesha"])  # type: ignore[arg-type]


# -- identity documents --------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["12345-1234567-1", "1234512345671", "۱۲۳۴۵-۱۲۳۴۵۶۷-۱",
                                   " 12345 1234567 1 "])
def test_cnic_is_validated_by_format_only(session: Session, typed: str) -> None:
    service = CaseService(session)
    case_id = service.create({"prs_FirstName": "Ayesha",
                              "hfz_IdentityDocuments": [{"type": "CNIC", "number": typed}]}).id
    assert service.show(case_id)["hfz_IdentityDocuments"] == [
        {"type": "CNIC", "number": "12345-1234567-1", "country": "PK"}]


@pytest.mark.parametrize("bad", ["12345-123-1", "12345-12345678-1", "1234512345671x",
                                 "ABCDE-1234567-1", ""])
def test_bad_cnic_format_is_refused(session: Session, bad: str) -> None:
    before = counts(session)
    with pytest.raises(FieldErrors) as info:
        CaseService(session).create({"prs_FirstName": "Ayesha", "hfz_IdentityDocuments": [
            {"type": "CNIC", "number": bad}]})
    assert [name for name, _p, _params in info.value.problems] == ["hfz_IdentityDocuments"]
    assert counts(session) == before


@pytest.mark.parametrize("cnic, gender", [("35202-1234567-2", None),   # "female" parity
                                          ("35202-1234567-2", "Masculine"),
                                          ("35202-1234567-1", "TransgenderFeminine"),
                                          ("35202-1234567-1", None)])
def test_gender_is_never_inferred_from_the_cnic(session: Session, cnic: str,
                                                gender: str | None) -> None:
    service = CaseService(session)
    doc: dict[str, Any] = {"prs_FirstName": "Kiran", "prs_IdentityNumber": cnic}
    if gender:
        doc["prs_Gender"] = gender
    case_id = service.create(doc).id
    shown = service.show(case_id)
    assert shown.get("prs_Gender") == gender
    service.update(case_id, {"prs_IdentityNumber": cnic.replace("-", "")})
    assert service.show(case_id).get("prs_Gender") == gender


def test_identity_documents_list(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create({"prs_FirstName": "Gul Agha", "hfz_IdentityDocuments": [
        {"type": "PoR", "number": "por123456789", "country": "PK"},
        {"type": "Passport", "number": "p01234567", "country": "AF"},
        {"type": "Passport", "number": "P01234567", "country": "AF"},  # the same one again
    ]}).id
    expected = [{"type": "PoR", "number": "POR123456789", "country": "PK"},
                {"type": "Passport", "number": "P01234567", "country": "AF"}]
    assert service.show(case_id)["hfz_IdentityDocuments"] == expected
    # The standard's single number field adds a NADRA number to the list; it must not
    # replace the documents already recorded.
    service.update(case_id, {"prs_IdentityNumber": "35202-1234567-1"})
    assert service.show(case_id)["hfz_IdentityDocuments"] == [
        *expected, {"type": "CNIC", "number": "35202-1234567-1", "country": "PK"}]
    # Searchable by every document.
    for query in ("POR123456789", "P01234567", "3520212345671"):
        assert [c.id for c in service.search(query)] == [case_id], query


@pytest.mark.parametrize("bad_document", [
    {"type": "DrivingLicence", "number": "123", "country": "PK"},
    {"type": "Passport", "number": "P01234567"},                   # no issuing country
    {"type": "Passport", "number": "P01234567", "country": "Afghanistan"},
    {"type": "PoR", "number": "  ", "country": "PK"},
    "35202-1234567-1",                                              # not an object
])
def test_bad_identity_documents_are_refused(session: Session, bad_document: Any) -> None:
    before = counts(session)
    with pytest.raises(FieldErrors) as info:
        CaseService(session).create({"prs_FirstName": "Mariam",
                                     "hfz_IdentityDocuments": [bad_document]})
    assert [name for name, _p, _params in info.value.problems] == ["hfz_IdentityDocuments"]
    assert counts(session) == before


# -- stages --------------------------------------------------------------------------------

LIFECYCLE = ["screening", "identification", "assistance_plan", "referral",
             "protection_return", "reintegration", "follow_up"]


@pytest.mark.parametrize("role", ["caseworker", "manager", "administrator"])
def test_the_whole_lifecycle(open_profile: OpenProfile, role: str) -> None:
    session = open_profile(role)
    service = CaseService(session)
    case_id = service.create(document()).id
    for stage in LIFECYCLE:
        seq = last_seq(session)
        service.move(case_id, stage)
        case = session.store.get(case_id)
        assert case is not None
        assert (case.body["hfz_Stage"], case.status) == (stage, stage)
        assert case.body["cas_Status"] == ("FollowUp" if stage == "follow_up" else "Active")
        [entry] = outbox(session, seq)  # one change, carrying only what changed
        assert entry["record"] == case_id
        assert entry["fields"] == {k: v for k, v in (("hfz_Stage", stage),
                                                      ("cas_Status", "FollowUp"))
                                   if k == "hfz_Stage" or stage == "follow_up"}
        event = audit_events(session)[-1]
        assert (event["action"], event["record"]) == ("case_stage_changed", case_id)
        assert event["fields"] == ["cas_Status", "hfz_Stage"]
    service.move(case_id, "closed", "  Returned to family; follow-up completed.  ")
    shown = service.show(case_id)
    assert (shown["hfz_Stage"], shown["cas_Status"]) == ("closed", "Closed")
    assert shown["cas_ReasonForCaseClosure"] == "Returned to family; follow-up completed."


def test_rescreening_is_possible_from_any_open_stage(session: Session) -> None:
    service = CaseService(session)
    for stage_path in (["screening", "referral"], ["screening", "identification",
                                                   "assistance_plan", "reintegration"]):
        case_id = service.create(document()).id
        for stage in stage_path:
            service.move(case_id, stage)
        service.move(case_id, "screening")
        assert service.show(case_id)["hfz_Stage"] == "screening"


def _at_stage(service: CaseService, path: list[str]) -> str:
    case_id = service.create(document()).id
    for stage in path:
        service.move(case_id, stage, "Referred on to the provincial shelter."
                     if stage == "closed" else None)
    return case_id


@pytest.mark.parametrize("role, path, target", [
    ("caseworker", [], "reintegration"),                      # skipping stages
    ("caseworker", [], "follow_up"),
    ("caseworker", [], "intake"),                              # not a move
    ("caseworker", [], "limbo"),                               # not a stage
    ("caseworker", ["screening"], "protection_return"),
    ("border_officer", ["screening", "identification"], "assistance_plan"),
    ("border_officer", ["referral"], "assistance_plan"),
    ("border_officer", ["referral"], "reintegration"),
    ("caseworker", ["closed"], "intake"),                     # only managers re-open
    ("border_officer", ["closed"], "intake"),
    ("manager", ["closed"], "screening"),                     # re-open goes to intake
])
def test_refused_transitions(open_profile: OpenProfile, role: str, path: list[str],
                             target: str) -> None:
    session = open_profile(role)
    service = CaseService(session)
    case_id = _at_stage(service, path)
    before = counts(session)
    with pytest.raises(InvalidTransition):
        service.move(case_id, target, "A reason.")
    assert counts(session) == before
    case = session.store.get(case_id)
    assert case is not None
    assert case.body["hfz_Stage"] == (path[-1] if path else "intake")


def test_border_officer_moves(open_profile: OpenProfile) -> None:
    session = open_profile("border_officer")
    service = CaseService(session)
    case_id = _at_stage(service, ["screening", "identification", "referral"])
    service.move(case_id, "closed", "Handed over to FIA AHTC Lahore.")
    assert service.show(case_id)["hfz_Stage"] == "closed"


def test_closing_needs_a_reason(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    before = counts(session)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError):
            service.move(case_id, "closed", reason)
    assert counts(session) == before
    assert service.show(case_id)["hfz_Stage"] == "intake"


def test_creating_a_closed_case_needs_a_reason(session: Session) -> None:
    service = CaseService(session)
    before = counts(session)
    with pytest.raises(ValidationError):
        service.create(document(hfz_Stage="closed"))
    assert counts(session) == before
    case_id = service.create(document(hfz_Stage="closed",
                                      cas_ReasonForCaseClosure="Duplicate of another case.")).id
    assert service.show(case_id)["cas_Status"] == "Closed"


def test_border_officer_cannot_create_a_case_at_a_stage_they_may_not_enter(
        open_profile: OpenProfile) -> None:
    session = open_profile("border_officer")
    service = CaseService(session)
    before = counts(session)
    with pytest.raises(InvalidTransition):
        service.create(document(hfz_Stage="assistance_plan"))
    assert counts(session) == before
    case_id = service.create(document(hfz_Stage="screening")).id
    assert service.show(case_id)["hfz_Stage"] == "screening"


@pytest.mark.parametrize("role", ["manager", "administrator"])
def test_reopening_is_audited(open_profile: OpenProfile, role: str) -> None:
    session = open_profile(role)
    service = CaseService(session)
    case_id = _at_stage(service, ["screening", "closed"])
    head = audit_head(session)
    service.move(case_id, "intake")
    [event] = audit_events(session, head)
    assert (event["action"], event["record"], event["actor"]) == \
        ("case_reopened", case_id, session.user_id)
    shown = service.show(case_id)
    assert (shown["hfz_Stage"], shown["cas_Status"]) == ("intake", "Active")


# -- permissions ---------------------------------------------------------------------------

def test_caseworker_cannot_record_trafficking_status(open_profile: OpenProfile) -> None:
    session = open_profile("caseworker")
    service = CaseService(session)
    before = counts(session)
    for field, value in (("vic_TraffickingStatus", "ActualVictimOfTrafficking"),
                         ("vic_TraffickingStatusDecisionMakingOrg", "Police")):
        with pytest.raises(PermissionDenied) as info:
            service.create(document(**{field: value}))
        assert field in info.value.user_message()
    assert counts(session) == before
    case_id = service.create(document()).id
    before = counts(session)
    with pytest.raises(PermissionDenied):
        service.update(case_id, {"vic_TraffickingStatus": "ActualVictimOfTrafficking"})
    assert counts(session) == before
    # A caseworker still sees the status someone authorised recorded.
    set_role(session, "manager")
    CaseService(session).update(case_id, {"vic_TraffickingStatus": "PossibleVictimOfTrafficking"})
    set_role(session, "caseworker")
    assert CaseService(session).show(case_id)["vic_TraffickingStatus"] == \
        "PossibleVictimOfTrafficking"


@pytest.mark.parametrize("role", ["manager", "administrator"])
def test_manager_records_trafficking_status(open_profile: OpenProfile, role: str) -> None:
    session = open_profile(role)
    service = CaseService(session)
    case_id = service.create(document(vic_TraffickingStatus="PossibleVictimOfTrafficking")).id
    assert service.update(case_id, {"vic_TraffickingStatus": "ActualVictimOfTrafficking",
                                    "vic_TraffickingStatusDecisionMakingOrg": "Police"}
                          ).fields == {"vic_TraffickingStatus",
                                       "vic_TraffickingStatusDecisionMakingOrg"}
    assert service.show(case_id)["vic_TraffickingStatus"] == "ActualVictimOfTrafficking"


PERPETRATOR = {"per_RoleInProcess": ["RecruiterOrIntermediary"],
               "per_RoleDetails": "Agent in Gujranwala who kept the passports."}


@pytest.mark.parametrize("role", ["caseworker", "administrator", "manager"])
def test_perpetrator_fields_refused_outside_law_enforcement(open_profile: OpenProfile,
                                                            role: str) -> None:
    session = open_profile(role)
    service = CaseService(session)
    before = counts(session)
    with pytest.raises(PermissionDenied):
        service.create(document(**PERPETRATOR))
    assert counts(session) == before
    case_id = service.create(document()).id
    before = counts(session)
    with pytest.raises(PermissionDenied):
        service.update(case_id, {"per_RoleDetails": "x"})
    assert counts(session) == before


def test_border_officer_records_and_sees_perpetrator_context(open_profile: OpenProfile) -> None:
    session = open_profile("border_officer")
    service = CaseService(session)
    case_id = service.create(document(**PERPETRATOR)).id
    shown = service.show(case_id)
    assert {k: shown[k] for k in PERPETRATOR} == PERPETRATOR
    assert service.update(case_id, {"per_RoleDetails": "Also the sub-agent in Quetta."}
                          ).fields == {"per_RoleDetails"}

    # The same case seen by a caseworker: the fields are present but never shown or named.
    set_role(session, "caseworker")
    head = audit_head(session)
    shown = CaseService(session).show(case_id)
    assert not [k for k in shown if k.startswith("per_")]
    assert "Also the sub-agent" not in json.dumps(shown, ensure_ascii=False)
    [event] = audit_events(session, head)
    assert event["action"] == "case_viewed"
    assert not [f for f in event["fields"] if f.startswith("per_")]

    # A manager flagged as law enforcement (an FIA manager) sees them.
    set_role(session, "manager", law_enforcement=True)
    assert CaseService(session).show(case_id)["per_RoleDetails"] == \
        "Also the sub-agent in Quetta."


# -- audit ---------------------------------------------------------------------------------

def test_create_view_edit_are_audited_by_field_name(session: Session) -> None:
    service = CaseService(session)
    head = audit_head(session)
    doc = document(hfz_Aliases=["Rukhi"])
    case_id = service.create(copy.deepcopy(doc)).id
    [created] = audit_events(session, head)
    assert (created["action"], created["record"], created["actor"]) == \
        ("case_created", case_id, session.user_id)
    assert set(doc) - {"hte_Events"} <= set(created["fields"])

    head = audit_head(session)
    shown = service.show(case_id)
    [viewed] = audit_events(session, head)
    assert (viewed["action"], viewed["record"]) == ("case_viewed", case_id)
    assert set(viewed["fields"]) == set(shown) - {"id", "person_id", "clocks"}

    head = audit_head(session)
    service.update(case_id, {"prs_SecondName": "Akhtar", "hfz_Summary": "Shelter."})
    service.add_note(case_id, "Asked for her mother to be told.")
    service.add_attachment(case_id, "cnic.jpg", b"\xff\xd8\xff", "image/jpeg")
    service.move(case_id, "screening")
    assert [(e["action"], e["record"], e["fields"]) for e in audit_events(session, head)] == [
        ("case_edited", case_id, ["hfz_Summary", "prs_SecondName"]),
        ("note_added", case_id, ["cco_CaseComment"]),
        ("attachment_added", case_id, ["attachment"]),
        ("case_stage_changed", case_id, ["cas_Status", "hfz_Stage"]),
    ]
    assert session.verify_audit().ok


def test_audit_never_holds_values(session: Session) -> None:
    service = CaseService(session)
    first, last = CANARY.split()
    case_id = service.create(document(prs_FirstName=first, prs_SecondName=last,
                                      hfz_Aliases=[CANARY], prs_IdentityNumber=CANARY_CNIC,
                                      hfz_Summary=f"{CANARY} testimony")).id
    service.show(case_id)
    service.update(case_id, {"hfz_FatherName": CANARY, "prs_MobilePhone": "+923001234567"})
    service.add_note(case_id, f"{CANARY} said the agent took her CNIC.")
    service.add_attachment(case_id, f"{CANARY}.jpg", CANARY.encode(), "image/jpeg")
    service.search(CANARY)
    service.move(case_id, "closed", f"{CANARY} returned home")
    assert session.conn is not None
    # Every column but the hashes and signature, the field names unpacked (deflated, a value
    # could hide in them unseen).
    rows = [(*row[:-1], stored_fields(row[-1])) for row in session.conn.execute(
        "SELECT seq, at, actor, device, action, record_id, fields FROM audit")]
    assert len(rows) >= 7
    dump = json.dumps(rows, ensure_ascii=False).lower()
    needles = [first, last, CANARY_CNIC, CANARY_CNIC.replace("-", ""), "+923001234567",
               "testimony", "agent took", "returned home"]
    assert [n for n in needles if n.lower() in dump] == []
    # The record itself holds them (so the scan above could have found them).
    assert first in json.dumps(service.show(case_id), ensure_ascii=False)


# -- outbox and clocks ---------------------------------------------------------------------

def test_create_writes_one_outbox_entry_per_record(session: Session) -> None:
    service = CaseService(session)
    seq = last_seq(session)
    case_id = service.create(document()).id
    entries = outbox(session, seq)
    case = session.store.get(case_id)
    assert case is not None and case.parent is not None
    person = session.store.get(case.parent)
    assert person is not None
    assert [(e["type"], e["record"]) for e in entries] == \
        [("person", person.id), ("case", case_id)]
    by_record = {e["record"]: e for e in entries}
    for record in (person, case):
        entry = by_record[record.id]
        assert entry["kind"] == "upsert"
        # A new record: every field changed. Lists of identity documents and aliases go
        # element by element ([key, element] pairs), so offline edits of them merge.
        plain = {k: v for k, v in entry["fields"].items() if not isinstance(v, dict)}
        elements = {k: [e for _key, e in v["+"]] for k, v in entry["fields"].items()
                    if isinstance(v, dict)}
        assert {**plain, **elements} == record.body
        assert entry["base"] == {}  # the editor saw no earlier value
        assert {k for k in record.clocks if "/" not in k} == set(plain)
        assert {c.split(" ")[0] for c in record.clocks.values()} == {entry["hlc"]} \
            == {record.hlc}
    clocks = [Hlc.parse(e["hlc"]) for e in entries]
    assert clocks == sorted(clocks) and len(set(clocks)) == len(clocks)


def test_edits_advance_per_field_clocks(session: Session) -> None:
    service = CaseService(session)
    case_id = service.create(document()).id
    case = session.store.get(case_id)
    assert case is not None and case.parent is not None
    person_before = session.store.get(case.parent)
    assert person_before is not None

    seq = last_seq(session)
    service.show(case_id)
    assert outbox(session, seq) == []  # viewing is not a change

    service.update(case_id, {"prs_MiddleName": "Kausar", "prs_Gender": "Feminine"})
    [entry] = [e for e in outbox(session, seq) if e["record"] == person_before.id]
    assert entry["fields"] == {"prs_MiddleName": "Kausar"}  # the unchanged field is not sent
    assert entry["base"] == {"prs_MiddleName": None}
    person = session.store.get(person_before.id)
    assert person is not None
    assert person.clocks["prs_MiddleName"] == entry["hlc"] == person.hlc
    assert Hlc.parse(person.hlc) > Hlc.parse(person_before.hlc)
    for key, clock in person_before.clocks.items():
        assert person.clocks[key] == clock, key  # untouched fields keep their clocks

    seq = last_seq(session)
    service.update(case_id, {"prs_MiddleName": "Nasreen"})
    [entry] = [e for e in outbox(session, seq) if e["record"] == person.id]
    assert entry["fields"] == {"prs_MiddleName": "Nasreen"}
    assert entry["base"] == {"prs_MiddleName": person.clocks["prs_MiddleName"]}
    assert Hlc.parse(entry["hlc"]) > Hlc.parse(person.clocks["prs_MiddleName"])

    seq = last_seq(session)
    service.update(case_id, {"hfz_Summary": "Needs legal aid."})
    [entry] = outbox(session, seq)
    assert (entry["record"], entry["fields"]) == (case_id, {"hfz_Summary": "Needs legal aid."})

    seq = last_seq(session)
    note_id = service.add_note(case_id, "Called the shelter.").id
    attachment_id = service.add_attachment(case_id, "a.jpg", b"\xff\xd8", "image/jpeg").id
    assert [(e["record"], e["type"]) for e in outbox(session, seq)] == \
        [(note_id, "note"), (attachment_id, "attachment")]

    every = [Hlc.parse(e["hlc"]) for e in outbox(session)]
    assert every == sorted(every) and len(set(every)) == len(every)
    assert session.conn is not None
    stored_hlc = session.conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()[0]
    assert stored_hlc == str(every[-1])  # the clock survives a restart


def test_reopened_case_drops_the_closure_reason_but_history_keeps_it(manager: Session) -> None:
    session = manager
    svc = CaseService(session)
    case_id = svc.create({"prs_FirstName": "Nasreen"}).id
    svc.move(case_id, "closed", "Returned to family")
    svc.move(case_id, "intake")
    assert svc.show(case_id).get("cas_ReasonForCaseClosure") is None
    reasons = [h["fields"].get("cas_ReasonForCaseClosure")
               for h in session.store.history(case_id)]
    assert "Returned to family" in reasons


def test_vault_file_is_readable_by_its_owner_only() -> None:
    import stat

    from caseapp.crypto import kdf
    from caseapp.services import profiles as prof

    created = prof.create_profile("modes", "river lamp seven orchard", params=kdf.FLOOR)
    for name in ("vault.db", "keyslots.json"):
        mode = stat.S_IMODE((created.folder / name).stat().st_mode)
        assert mode & 0o077 == 0, (name, oct(mode))


def test_an_edit_cannot_leave_a_person_without_a_name_or_a_case_without_tracks(
        session: Session) -> None:
    svc = CaseService(session)
    case_id = svc.create({"prs_FirstName": "Shazia", "hfz_NameUrdu": "شازیہ"}).id
    outbox = session.store.pending_changes()
    with pytest.raises(FieldErrors):
        svc.update(case_id, {"prs_FirstName": None, "hfz_NameUrdu": None})
    with pytest.raises(FieldErrors):
        svc.update(case_id, {"hfz_Tracks": None})
    with pytest.raises(FieldErrors):
        svc.create({"prs_FirstName": "Kiran", "hfz_Tracks": None})
    assert session.store.pending_changes() == outbox
    assert svc.update(case_id, {"prs_FirstName": None}).fields == {"prs_FirstName"}  # Urdu stays


def test_a_locked_session_holds_no_keys(session: Session) -> None:
    from caseapp.errors import ProfileError

    session.close()
    assert session.db_key == b"" and session.sign_key is None and session.audit.key is None
    with pytest.raises(ProfileError):
        session.verify_audit()
