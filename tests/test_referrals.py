"""Referrals: lifecycle, consent naming the provider, manager override, incoming, audit."""

from __future__ import annotations

import pytest

from caseapp.domain import consent
from caseapp.domain import referrals as rules
from caseapp.errors import FieldErrors, NotFound, PermissionDenied, ValidationError
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.directory import DirectoryService
from caseapp.services.referrals import (
    REFERRAL_EVENT,
    InvalidReferralTransition,
    ReferralService,
)
from caseapp.services.session import Session

PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (test fixture)


def setup_case(session: Session) -> tuple[str, str, str]:
    """A case and two organisations: (case id, shelter id, legal aid id)."""
    case_id = CaseService(session).create({"prs_FirstName": "Ayesha",
                                           "prs_Birthdate": "1995-02-01"}).id
    directory = DirectoryService(session)
    shelter = directory.add({"org_Name": "Dar-ul-Aman Lahore", "org_Type":
                             "LocalGovernmentOrganisation", "hfz_Services": ["shelter"]}).id
    legal = directory.add({"org_Name": "AGHS Lahore", "org_Type": "NGO",
                           "hfz_Services": ["legal_aid"]}).id
    return case_id, shelter, legal


def grant_referral(session: Session, case_id: str, providers: list[str]) -> None:
    ConsentService(session).record(case_id, consent.REFERRAL, True, language="urd",
                                   explanation_version="consent-text-1.0",
                                   providers=providers)


def test_transition_table() -> None:
    allowed = {(a, b) for a in rules.STATUSES for b in rules.STATUSES if rules.can_move(a, b)}
    assert allowed == {
        ("draft", "sent"), ("draft", "withdrawn"), ("sent", "accepted"),
        ("sent", "declined"), ("sent", "withdrawn"), ("accepted", "completed"),
        ("accepted", "withdrawn")}


def test_full_lifecycle_with_consent(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, [shelter])
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"], rules.URGENT,
                           "AdditionalServicesRequired", "needs a safe place tonight").id
    with pytest.raises(InvalidReferralTransition):
        svc.complete(rid)  # a draft cannot be completed
    svc.send(rid)
    referral = svc.get(rid)
    assert referral["hfz_Status"] == "sent" and referral["cas_OutgoingReferralDate"]
    assert referral["cas_ReferredOrganisation"] == shelter
    with pytest.raises(InvalidReferralTransition):
        svc.send(rid)  # already sent
    svc.record_response(rid, "accepted", note="bed available")
    svc.complete(rid)
    assert svc.get(rid)["hfz_Status"] == "completed"
    with pytest.raises(InvalidReferralTransition):
        svc.withdraw(rid)  # completed is final
    assert [(e["from"], e["to"]) for e in svc.events(rid)] == [
        (None, "draft"), ("draft", "sent"), ("sent", "accepted"), ("accepted", "completed")]
    # Status events are append-only: each one is its own record, written once.
    for event in caseworker.store.children(rid, REFERRAL_EVENT):
        assert len(caseworker.store.history(event.id)) == 1
    assert [r["id"] for r in svc.list_for_case(case_id)] == [rid]


def test_declined_and_withdrawn_are_final(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, [shelter])
    svc = ReferralService(caseworker)
    declined = svc.create_draft(case_id, shelter, ["shelter"]).id
    svc.send(declined)
    svc.record_response(declined, "declined")
    for move in (svc.complete, svc.withdraw):
        with pytest.raises(InvalidReferralTransition):
            move(declined)
    with pytest.raises(InvalidReferralTransition):
        svc.record_response(declined, "accepted")
    withdrawn = svc.create_draft(case_id, shelter, ["shelter"]).id
    svc.withdraw(withdrawn)
    with pytest.raises(InvalidReferralTransition):
        svc.send(withdrawn)
    with pytest.raises(FieldErrors):
        svc.record_response(withdrawn, "maybe")
    assert {r["hfz_Status"] for r in svc.list(status="withdrawn")} == {"withdrawn"}


def test_send_blocked_without_consent(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"]).id
    with pytest.raises(ConsentRequired) as err:
        svc.send(rid)
    assert "No consent" in err.value.user_message()
    assert svc.get(rid)["hfz_Status"] == "draft"


def test_consent_naming_another_provider_does_not_count(caseworker: Session) -> None:
    case_id, shelter, legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, [legal])
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"]).id
    with pytest.raises(ConsentRequired) as err:
        svc.send(rid)
    # The message names the provider as people know it, not by its id.
    assert "Dar-ul-Aman Lahore" in err.value.user_message()
    assert svc.get(rid)["hfz_Status"] == "draft"
    legal_referral = svc.create_draft(case_id, legal, ["legal_aid"]).id
    svc.send(legal_referral)
    assert svc.get(legal_referral)["hfz_Status"] == "sent"


def test_consent_naming_the_provider_by_name_counts(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, ["Dar-ul-Aman Lahore"])
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"]).id
    svc.send(rid)
    assert svc.get(rid)["hfz_Status"] == "sent"


def test_withdrawn_consent_blocks_sending(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, [shelter])
    ConsentService(caseworker).withdraw(case_id, purpose=consent.REFERRAL)
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"]).id
    with pytest.raises(ConsentRequired):
        svc.send(rid)


def test_caseworker_cannot_override(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"]).id
    with pytest.raises(PermissionDenied):
        svc.send(rid, override_reason="urgent danger")
    assert svc.get(rid)["hfz_Status"] == "draft"


def test_manager_override_is_recorded_and_audited(manager: Session) -> None:
    case_id, shelter, _legal = setup_case(manager)
    svc = ReferralService(manager)
    rid = svc.create_draft(case_id, shelter, ["shelter"], rules.EMERGENCY).id
    with pytest.raises(ValidationError):
        svc.send(rid, override_reason="   ")
    svc.send(rid, override_reason="life at risk tonight; person unconscious")
    referral = svc.get(rid)
    assert referral["hfz_Status"] == "sent"
    assert referral["hfz_ConsentOverrideReason"] == "life at risk tonight; person unconscious"
    assert referral["hfz_ConsentOverrideBy"] == manager.user_id
    assert svc.events(rid)[-1]["override_reason"].startswith("life at risk")
    conn = manager.conn
    assert conn is not None
    rows = conn.execute("SELECT * FROM audit").fetchall()
    assert "referral_consent_overridden" in repr(rows)
    # Audit events name fields, never values.
    assert "life at risk" not in repr(rows)
    assert "Dar-ul-Aman Lahore" not in repr(rows)


def test_create_draft_validates(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    svc = ReferralService(caseworker)
    with pytest.raises(FieldErrors) as err:
        svc.create_draft(case_id, shelter, ["massage"], "whenever", "Boredom")
    assert sorted(p[0] for p in err.value.problems) == [
        "cas_ReasonForOutgoingReferral", "hfz_Services", "hfz_Urgency"]
    with pytest.raises(NotFound):
        svc.create_draft(case_id, case_id, ["shelter"])  # a case is not an organisation


def test_incoming_referral(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    svc = ReferralService(caseworker)
    known = svc.receive(case_id, shelter, ["psychosocial"],
                        reason="MigrationOrChangeOfLocation", received_on="2026-03-01",
                        details="moved to Karachi", referring_caseworker="Ms Rubina").id
    unknown = svc.receive(case_id, "Police station Saddar", ["legal_aid"]).id
    first = svc.get(known)
    assert first["hfz_Direction"] == "incoming" and first["hfz_Status"] == "sent"
    assert first["cas_ReferringOrganisation"] == shelter
    assert first["cas_IncomingReferralDate"] == "2026-03-01"
    assert first["cas_ReasonForIncomingReferral"] == "MigrationOrChangeOfLocation"
    second = svc.get(unknown)
    assert "cas_ReferringOrganisation" not in second
    assert second["hfz_OrganisationName"] == "Police station Saddar"
    with pytest.raises(ValidationError):
        svc.send(known)  # only outgoing referrals are sent
    svc.record_response(known, "accepted")
    svc.complete(known)
    assert [r["id"] for r in svc.list(direction="incoming", status="completed")] == [known]
    assert {r["id"] for r in svc.list(direction="incoming")} == {known, unknown}
    assert svc.list(direction="outgoing") == []
    with pytest.raises(FieldErrors):
        svc.receive(case_id, "", ["legal_aid"], received_on="yesterday")
    conn = caseworker.conn
    assert conn is not None
    audit = repr(conn.execute("SELECT * FROM audit").fetchall())
    assert "referral_received" in audit
    assert "moved to Karachi" not in audit and "Rubina" not in audit


def test_sent_referral_is_recorded_on_the_case_for_htcds(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, [shelter])
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, shelter, ["shelter"], rules.ROUTINE,
                           "MigrationOrChangeOfLocation", "moving to Lahore").id
    before = CaseService(caseworker).show(case_id)
    assert "cas_ReferredOrganisation" not in before  # a draft is not a referral yet
    svc.send(rid)
    case = CaseService(caseworker).show(case_id)
    assert case["cas_ReferredOrganisation"] == "Dar-ul-Aman Lahore"
    assert case["cas_ReasonForOutgoingReferral"] == "MigrationOrChangeOfLocation"
    assert case["cas_OutgoingReferralDate"] == svc.get(rid)["cas_OutgoingReferralDate"]
    assert case["cas_OutgoingReferralDetails"] == "moving to Lahore"


def test_closed_case_cannot_be_referred(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    CaseService(caseworker).move(case_id, "closed", "Returned to family")
    with pytest.raises(ValidationError):
        ReferralService(caseworker).create_draft(case_id, shelter, ["shelter"])
    assert ReferralService(caseworker).list_for_case(case_id) == []


# -- a law-enforcement recipient needs the law-enforcement sharing consent (issue 8) ---------

def _fia(session: Session) -> str:
    return DirectoryService(session).add({
        "org_Name": "FIA Anti-Trafficking Circle Lahore", "org_Type": "LawEnforcement",
        "hfz_Services": ["law_enforcement"]}).id


def test_referral_to_law_enforcement_needs_the_sharing_consent(caseworker: Session) -> None:
    # Before: consent to a referral naming the FIA circle was enough to send it the case.
    case_id, _shelter, _legal = setup_case(caseworker)
    fia = _fia(caseworker)
    grant_referral(caseworker, case_id, [fia])
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, fia, ["law_enforcement"]).id
    with pytest.raises(ConsentRequired) as err:
        svc.send(rid)
    assert err.value.user_message() == ("No consent for sharing with law enforcement has "
                                        "been recorded.")
    assert svc.get(rid)["hfz_Status"] == "draft"
    ConsentService(caseworker).record(case_id, consent.LAW_ENFORCEMENT_SHARING, True,
                                      language="urd", explanation_version="consent-text-1.0")
    svc.send(rid)
    assert svc.get(rid)["hfz_Status"] == "sent"


def test_sharing_consent_alone_is_not_a_referral_consent(caseworker: Session) -> None:
    case_id, _shelter, _legal = setup_case(caseworker)
    fia = _fia(caseworker)
    ConsentService(caseworker).record(case_id, consent.LAW_ENFORCEMENT_SHARING, True,
                                      language="urd", explanation_version="consent-text-1.0")
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, fia, ["law_enforcement"]).id
    with pytest.raises(ConsentRequired, match="No consent for referral to named service "
                                              "providers"):
        svc.send(rid)


@pytest.mark.parametrize(("org_type", "services", "asked"), [
    ("LawEnforcement", ["shelter"], ["shelter"]),          # police station's women's desk
    ("ImmigrationService", ["consular"], ["consular"]),   # FIA immigration
    ("NGO", ["law_enforcement"], ["legal_aid"]),           # an entry that also investigates
    ("NGO", ["legal_aid"], ["law_enforcement"]),           # asked to investigate
])
def test_every_kind_of_law_enforcement_recipient(caseworker: Session, org_type: str,
                                                 services: list[str], asked: list[str]) -> None:
    case_id, _shelter, _legal = setup_case(caseworker)
    org = DirectoryService(caseworker).add({"org_Name": "Recipient", "org_Type": org_type,
                                            "hfz_Services": services}).id
    grant_referral(caseworker, case_id, [org])
    svc = ReferralService(caseworker)
    rid = svc.create_draft(case_id, org, asked).id
    with pytest.raises(ConsentRequired, match="law enforcement"):
        svc.send(rid)


def test_withdrawn_sharing_consent_blocks_and_a_shelter_needs_none(caseworker: Session) -> None:
    case_id, shelter, _legal = setup_case(caseworker)
    fia = _fia(caseworker)
    grant_referral(caseworker, case_id, [fia, shelter])
    consents = ConsentService(caseworker)
    consents.record(case_id, consent.LAW_ENFORCEMENT_SHARING, True, language="urd",
                    explanation_version="consent-text-1.0")
    consents.withdraw(case_id, purpose=consent.LAW_ENFORCEMENT_SHARING)
    svc = ReferralService(caseworker)
    with pytest.raises(ConsentRequired, match="withdrawn"):
        svc.send(svc.create_draft(case_id, fia, ["law_enforcement"]).id)
    # A shelter is not law enforcement: the referral consent is enough.
    to_shelter = svc.create_draft(case_id, shelter, ["shelter"]).id
    svc.send(to_shelter)
    assert svc.get(to_shelter)["hfz_Status"] == "sent"


def test_manager_override_names_the_sharing_it_stands_in_for(manager: Session) -> None:
    case_id, _shelter, _legal = setup_case(manager)
    fia = _fia(manager)
    grant_referral(manager, case_id, [fia])
    svc = ReferralService(manager)
    rid = svc.create_draft(case_id, fia, ["law_enforcement"], rules.EMERGENCY).id
    svc.send(rid, override_reason="court order 12/2026 of the Sessions Court Lahore")
    referral = svc.get(rid)
    assert referral["hfz_Status"] == "sent"
    assert referral["hfz_ConsentOverridePurposes"] == [consent.LAW_ENFORCEMENT_SHARING]
    assert referral["hfz_ConsentOverrideBy"] == manager.user_id


def test_a_case_closed_while_another_organisation_has_it_is_closed_referred(
        caseworker: Session) -> None:
    # Before: cas_Status was never ClosedReferred (HTCDS: Active, FollowUp, Closed,
    # ClosedReferred).
    case_id, shelter, legal = setup_case(caseworker)
    grant_referral(caseworker, case_id, [shelter, legal])
    svc = ReferralService(caseworker)
    cases = CaseService(caseworker)
    taken = svc.create_draft(case_id, shelter, ["shelter"]).id
    svc.send(taken)
    svc.record_response(taken, "accepted")
    cases.move(case_id, "closed", "Handed over to the shelter.")
    assert cases.show(case_id)["cas_Status"] == "ClosedReferred"
    # A referral whose service was delivered (completed) hands nothing over.
    other = cases.create({"prs_FirstName": "Nadia", "prs_Birthdate": "1990-01-01"}).id
    grant_referral(caseworker, other, [legal])
    done = svc.create_draft(other, legal, ["legal_aid"]).id
    svc.send(done)
    svc.record_response(done, "accepted")
    svc.complete(done)
    cases.move(other, "closed", "Objectives met.")
    assert cases.show(other)["cas_Status"] == "Closed"
