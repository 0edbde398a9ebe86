"""The casework commands end to end through ``main``: consent, screening on a case, the status
decision, referrals, the assistance plan, reintegration rounds, stage moves, notes and merges,
with real profiles and files. Bad input is answered with one line on stderr, a non-zero exit
and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE, CliProfile, Run

from caseapp.i18n import set_language
from caseapp.services import profiles
from caseapp.services.directory import DirectoryService

INSTRUMENT = "ilo-ec-adult-labour"
# Strong deceptive recruitment + strong exploitation + strong coercion, each with a medium.
INDICATED = {"dr_nature_job_location_employer": "yes", "dr_wages": "yes",
             "ec_excessive_hours": "yes", "ec_low_no_salary": "yes",
             "cd_documents_confiscated": "yes",
             "cd_threat_violence": {"answer": "yes", "note": "threatened at the kiln"}}
# Half of each dimension's questions answered: enough for a score in each.
BASELINE = {"eco_work": "no", "eco_debt": "unmanageable", "eco_food": "often",
            "eco_borrow": "no", "soc_housing": "partly", "soc_documents": "yes",
            "soc_networks": "rarely", "psy_safety": "disagree", "psy_belonging": "disagree",
            "psy_distress": "often"}
MONITORING = {**BASELINE, "eco_work": "fully", "eco_debt": "manageable", "eco_food": "rarely",
              "psy_safety": "agree", "psy_belonging": "agree", "psy_distress": "rarely"}

Write = Callable[[str, Any], Path]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # main() sets the process-wide language; put it back for the next test.
    yield
    set_language("en")


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def _write(name: str, content: Any) -> Path:
        path = tmp_path / "inputs" / name
        path.parent.mkdir(exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content,
                                                                   ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def add_org(profile: str, name: str, service: str) -> str:
    with profiles.unlock(profile, PASSPHRASE) as session:
        return DirectoryService(session).add({"org_Name": name, "org_Type": "NGO",
                                              "hfz_Services": [service]}).id


def ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert (code, err) == (0, ""), err
    return out


def ok_json(result: tuple[int, str, str]) -> Any:
    return json.loads(ok(result))


def one_line_error(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code != 0
    assert out == ""
    assert err.startswith("caseapp") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def new_case(run: Run, write: Write, who: list[str | Path], first_name: str = "Ayesha") -> str:
    path = write(f"{first_name}.json", {"prs_FirstName": first_name, "prs_Gender": "Feminine",
                                        "prs_Birthdate": "1998-04-01"})
    code, out, err = run("case", "create", *who, "--json", path)
    # The only thing said on stderr may be a possible-duplicate warning.
    assert code == 0 and all("may be the same person as case" in line
                             for line in err.splitlines()), err
    return out.strip()


def test_full_journey(run: Run, write: Write, cli_profile: CliProfile) -> None:
    me = cli_profile("manager", "maryam")
    shelter = add_org("maryam", "Dar-ul-Aman Lahore", "shelter")
    case_id = new_case(run, write, me)

    # Consent to the interview, explained in Urdu through an interpreter.
    interview = ok(run("consent", "record", *me, "--case", case_id, "--purpose", "interview",
                       "--granted", "--language", "urd", "--interpreter", "Rahim",
                       "--explanation-version", "consent-text-1.0")).strip()
    shown = ok_json(run("consent", "show", *me, "--case", case_id, "--json"))
    assert shown["current"]["interview"]["permitted"] is True
    assert shown["current"]["referral"]["permitted"] is False
    [entry] = shown["entries"]
    assert entry["id"] == interview and entry["interpreter"] == "Rahim"
    assert entry["language"] == "urd" and entry["withdrawn_at"] is None
    text = ok(run("consent", "show", *me, "--case", case_id))
    assert "Consent for interview and screening is in force." in text

    # Screening on the case: indicated, and stored.
    answers = write("screening.json", INDICATED)
    submitted = ok_json(run("screening", "submit", *me, "--case", case_id, "--instrument",
                            INSTRUMENT, "--answers", answers, "--notes", "at the kiln"))
    assert submitted["result"]["indication"] == "trafficking_indicated"
    [stored] = ok_json(run("screening", "history", *me, "--case", case_id, "--json"))
    assert stored["id"] == submitted["id"] and stored["notes"] == "at the kiln"
    assert stored["result"]["indication"] == "trafficking_indicated"
    assert "trafficking_indicated" in ok(run("screening", "history", *me, "--case", case_id))

    # The manager decides the legal status, separately from the indication.
    basis = ["--decided-on", "2026-03-01", "--act", "PTPA2018", "--section", "3"]
    err = one_line_error(run("case", "status", case_id, *me, "--status", "Victim",
                             "--decided-by", "Neighbour", *basis))
    # The field is named, the value typed is not repeated (issue 7, item 8).
    assert "--status: is not one of the standard's codes" in err
    assert "Victim is" not in err and "Neighbour" not in err
    # An NGO manager records an NGO's decision, not a police one (issue 8).
    err = one_line_error(run("case", "status", case_id, *me, "--status",
                             "ActualVictimOfTrafficking", "--decided-by", "Police", *basis))
    assert "--decided-by: your organisation can record only decisions made by NGO" in err
    err = one_line_error(run("case", "status", case_id, *me, "--status",
                             "PossibleVictimOfTrafficking", "--decided-on", "2026-02-30",
                             "--act", "PTPA", "--section", "3"))
    assert "--decided-on:" in err and "--act: is not one of PTPA2018, PSMA2018" in err
    assert "PTPA is" not in err
    ok(run("case", "status", case_id, *me, "--status", "PossibleVictimOfTrafficking",
           *basis, "--fir", "12/2026 PS Kot Lakhpat"))
    doc = ok_json(run("case", "show", case_id, *me, "--json"))
    assert doc["vic_TraffickingStatus"] == "PossibleVictimOfTrafficking"
    assert doc["vic_TraffickingStatusDecisionMakingOrg"] == "NGO"
    assert doc["hfz_TraffickingStatusDecision"]["fir"] == "12/2026 PS Kot Lakhpat"

    # A referral cannot be sent without referral consent naming the provider.
    referral = ok(run("referral", "create", *me, "--case", case_id, "--org", shelter,
                      "--service", "shelter", "--urgency", "urgent",
                      "--details", "needs a safe place tonight")).strip()
    err = one_line_error(run("referral", "send", referral, *me))
    assert "No consent for referral to named service providers has been recorded." in err
    assert ok_json(run("referral", "show", referral, *me, "--json"))["hfz_Status"] == "draft"

    ok(run("consent", "record", *me, "--case", case_id, "--purpose", "referral", "--granted",
           "--explanation-version", "consent-text-1.0", "--provider", shelter))
    current = ok_json(run("consent", "show", *me, "--case", case_id, "--json"))["current"]
    assert current["referral"] == {"permitted": True, "reason": "granted",
                                   "providers": [shelter]}
    assert "Sent" in ok(run("referral", "send", referral, *me))
    ok(run("referral", "respond", referral, "accepted", *me, "--note", "bed available"))
    ok(run("referral", "complete", referral, *me))
    shown = ok_json(run("referral", "show", referral, *me, "--json"))
    assert shown["hfz_Status"] == "completed" and shown["hfz_Urgency"] == "urgent"
    assert [(e["from"], e["to"]) for e in shown["events"]] == [
        (None, "draft"), ("draft", "sent"), ("sent", "accepted"), ("accepted", "completed")]
    listed = ok_json(run("referral", "list", *me, "--case", case_id, "--json"))
    assert [r["id"] for r in listed] == [referral]
    assert ok_json(run("referral", "list", *me, "--status", "draft", "--json")) == []
    assert referral in ok(run("referral", "list", *me))

    # An incoming referral, from an organisation not in the directory.
    incoming = ok(run("referral", "receive", *me, "--case", case_id, "--from", "FIA Lahore",
                      "--service", "legal_aid", "--received-on", "2026-02-01")).strip()
    received = ok_json(run("referral", "show", incoming, *me, "--json"))
    assert received["hfz_Direction"] == "incoming"
    assert received["hfz_OrganisationName"] == "FIA Lahore"

    # Assistance plan, a service delivered, a follow-up; both due items are listed.
    item = ok(run("plan", "add", *me, "--case", case_id, "--type", "Legal", "--objectives",
                  "Get a lawyer", "--start", "2026-01-10", "--due", "2026-02-01")).strip()
    ok(run("plan", "deliver", *me, "--case", case_id, "--service", "medical", "--on",
           "2026-02-03", "--provider", "DHQ hospital"))
    # A follow-up contacts the person again: that is its own consent.
    ok(run("consent", "record", *me, "--case", case_id, "--purpose", "follow_up_contact",
           "--granted", "--language", "urd", "--explanation-version", "consent-text-1.0"))
    follow_up = ok(run("plan", "follow-up", *me, "--case", case_id, "--due", "2026-03-10",
                       "--purpose", "RSS visit")).strip()
    due = ok_json(run("plan", "due", *me, "--before", "2026-12-31", "--json"))
    assert [(d["kind"], d["id"], d["case_id"]) for d in due] == [
        ("plan_item", item, case_id), ("follow_up", follow_up, case_id)]
    assert ok_json(run("plan", "due", *me, "--before", "2026-01-31", "--json")) == []
    assert "RSS visit" in ok(run("plan", "due", *me, "--before", "2026-12-31"))
    plan = ok_json(run("plan", "show", *me, "--case", case_id, "--json"))
    assert [s["hfz_ServiceType"] for s in plan["services"]] == ["medical"]
    # Done items leave the due list, one kind after the other.
    ok(run("plan", "done", item, *me, "--on", "2026-02-05"))
    due = ok_json(run("plan", "due", *me, "--before", "2026-12-31", "--json"))
    assert [d["id"] for d in due] == [follow_up]
    ok(run("plan", "done", follow_up, *me))
    assert ok_json(run("plan", "due", *me, "--before", "2026-12-31", "--json")) == []

    # Reintegration: baseline and the first monitoring round, and the change between them.
    baseline = ok(run("reintegration", "record", *me, "--case", case_id, "--round",
                      "baseline", "--answers", write("baseline.json", BASELINE))).strip()
    ok(run("reintegration", "record", *me, "--case", case_id, "--round", "monitoring_1",
           "--answers", write("m1.json", MONITORING), "--notes", "new job at the market"))
    rounds = ok_json(run("reintegration", "rounds", *me, "--case", case_id, "--json"))
    assert [r["round"] for r in rounds] == ["baseline", "monitoring_1"]
    assert rounds[0]["id"] == baseline
    change = ok_json(run("reintegration", "change", *me, "--case", case_id, "--from",
                         "baseline", "--to", "monitoring_1", "--json"))
    assert change["from_round"] == "baseline" and change["to_round"] == "monitoring_1"
    assert change["composite"]["direction"] == "improved"
    assert ok(run("reintegration", "change", *me, "--case", case_id, "--from", "baseline",
                  "--to", "monitoring_1")).startswith("composite\t")

    # A note, then the stage moves, ending closed with a reason.
    note = write("note.txt", "Met her at the shelter; she is safe.\n")
    assert ok(run("case", "note", case_id, *me, "--text-file", note)).strip()
    ok(run("case", "move", case_id, *me, "--to", "screening"))
    assert "Closed" in ok(run("case", "move", case_id, *me, "--to", "closed", "--reason",
                              "Returned home safely"))
    doc = ok_json(run("case", "show", case_id, *me, "--json"))
    assert doc["hfz_Stage"] == "closed" and doc["cas_Status"] == "Closed"
    assert doc["cas_ReasonForCaseClosure"] == "Returned home safely"


def test_consent_withdraw(run: Run, write: Write, cli_profile: CliProfile) -> None:
    me = cli_profile("caseworker", "alice")
    case_id = new_case(run, write, me)
    first = ok(run("consent", "record", *me, "--case", case_id, "--purpose",
                   "follow_up_contact", "--granted", "--explanation-version", "v1")).strip()
    ok(run("consent", "withdraw", *me, "--case", case_id, "--consent", first))
    shown = ok_json(run("consent", "show", *me, "--case", case_id, "--json"))
    assert shown["entries"][0]["withdrawn_at"] is not None
    assert shown["current"]["follow_up_contact"]["reason"] == "withdrawn"
    ok(run("consent", "record", *me, "--case", case_id, "--purpose", "interview",
           "--refused", "--explanation-version", "v1"))
    # Nothing left to withdraw for the refused purpose's neighbour: one line, nothing stored.
    err = one_line_error(run("consent", "withdraw", *me, "--case", case_id, "--purpose",
                             "law_enforcement_sharing"))
    assert "no consent for sharing with law enforcement to withdraw" in err
    assert len(ok_json(run("consent", "show", *me, "--case", case_id,
                           "--json"))["entries"]) == 2


def test_child_consent_needs_assent_and_guardian(run: Run, write: Write,
                                                 cli_profile: CliProfile) -> None:
    me = cli_profile("caseworker", "alice")
    path = write("child.json", {"prs_FirstName": "Zainab", "prs_Birthdate": "2016-03-01"})
    case_id = ok(run("case", "create", *me, "--json", path)).strip()
    base = ["consent", "record", *me, "--case", case_id, "--purpose", "interview", "--granted",
            "--explanation-version", "child-text-1.0"]
    err = one_line_error(run(*base))
    assert "a child must give assent" in err
    ok(run(*base, "--assent", "--guardian-name", "Fatima", "--guardian-relationship",
           "mother"))
    [entry] = ok_json(run("consent", "show", *me, "--case", case_id, "--json"))["entries"]
    assert entry["child"] is True and entry["assent"] is True
    assert entry["guardian_relationship"] == "mother"


def test_bad_input_is_one_line_and_stores_nothing(run: Run, write: Write,
                                                  cli_profile: CliProfile) -> None:
    me = cli_profile("caseworker", "alice")
    shelter = add_org("alice", "Dar-ul-Aman Lahore", "shelter")
    case_id = new_case(run, write, me)

    def entries() -> list[Any]:
        return ok_json(run("consent", "show", *me, "--case", case_id, "--json"))["entries"]

    # Unknown purpose.
    err = one_line_error(run("consent", "record", *me, "--case", case_id, "--purpose",
                             "marketing", "--granted", "--explanation-version", "v1"))
    assert "purpose: is not a consent purpose" in err and "marketing" not in err
    # No explanation version given, and a bad language code: both named on one line.
    err = one_line_error(run("consent", "record", *me, "--case", case_id, "--purpose",
                             "interview", "--granted", "--language", "Urdu!"))
    # Named as the options the user typed (issue 8), not as the service's fields.
    assert "--explanation-version: is required" in err and "--language:" in err
    assert "explanation_version" not in err
    assert entries() == []

    # Missing consent: no screening, no reintegration round.
    answers = write("screening.json", INDICATED)
    err = one_line_error(run("screening", "submit", *me, "--case", case_id, "--instrument",
                             INSTRUMENT, "--answers", answers))
    assert "No consent for interview and screening has been recorded." in err
    err = one_line_error(run("reintegration", "record", *me, "--case", case_id, "--round",
                             "baseline", "--answers", write("b.json", BASELINE)))
    assert "interview and screening" in err
    assert ok_json(run("screening", "history", *me, "--case", case_id, "--json")) == []

    ok(run("consent", "record", *me, "--case", case_id, "--purpose", "interview", "--granted",
           "--explanation-version", "v1"))
    # Bad answers files: not JSON, not an object, an unknown answer, a bad round.
    broken = write("broken.json", "{not json")
    err = one_line_error(run("reintegration", "record", *me, "--case", case_id, "--round",
                             "baseline", "--answers", broken))
    assert "not valid JSON" in err
    one_line_error(run("reintegration", "record", *me, "--case", case_id, "--round",
                       "baseline", "--answers", write("list.json", ["no"])))
    err = one_line_error(run("reintegration", "record", *me, "--case", case_id, "--round",
                             "baseline", "--answers", broken.with_name("absent.json")))
    assert "cannot be read" in err
    err = one_line_error(run("reintegration", "record", *me, "--case", case_id, "--round",
                             "week_3", "--answers", write("b.json", BASELINE)))
    assert "week_3 is not an assessment round" in err
    err = one_line_error(run("screening", "submit", *me, "--case", case_id, "--instrument",
                             INSTRUMENT, "--answers", broken))
    assert "not valid JSON" in err
    one_line_error(run("screening", "submit", *me, "--case", case_id, "--instrument",
                       INSTRUMENT, "--answers", write("maybe.json", {"dr_wages": "maybe"})))
    assert ok_json(run("reintegration", "rounds", *me, "--case", case_id, "--json")) == []
    assert ok_json(run("screening", "history", *me, "--case", case_id, "--json")) == []
    err = one_line_error(run("reintegration", "change", *me, "--case", case_id, "--from",
                             "baseline", "--to", "monitoring_1"))
    assert "has not been recorded" in err

    # Bad stage, closing without a reason, an unknown status code, and a caseworker deciding.
    err = one_line_error(run("case", "move", case_id, *me, "--to", "nowhere"))
    assert "cannot move from stage intake to stage nowhere" in err
    err = one_line_error(run("case", "move", case_id, *me, "--to", "closed"))
    assert "Closing a case needs a reason." in err
    err = one_line_error(run("case", "status", case_id, *me, "--status",
                             "PossibleVictimOfTrafficking", "--decided-on", "2026-03-01",
                             "--act", "PTPA2018", "--section", "3"))
    assert "Your role does not allow this action." in err
    one_line_error(run("case", "note", case_id, *me, "--text-file", write("empty.txt", " \n")))
    doc = ok_json(run("case", "show", case_id, *me, "--json"))
    assert doc["hfz_Stage"] == "intake" and "vic_TraffickingStatus" not in doc

    # Referrals: a caseworker's override is refused; bad codes are named; a bad date.
    referral = ok(run("referral", "create", *me, "--case", case_id, "--org", shelter,
                      "--service", "shelter")).strip()
    err = one_line_error(run("referral", "send", referral, *me, "--override-reason",
                             "she is in danger tonight"))
    assert "Only a manager may send a referral without the person's consent." in err
    assert ok_json(run("referral", "show", referral, *me, "--json"))["hfz_Status"] == "draft"
    err = one_line_error(run("referral", "create", *me, "--case", case_id, "--org", shelter,
                             "--service", "spa", "--urgency", "whenever"))
    assert "hfz_Services" in err and "hfz_Urgency: is not one of" in err
    assert "whenever" not in err
    one_line_error(run("referral", "create", *me, "--case", case_id, "--org", shelter))
    one_line_error(run("referral", "respond", referral, "maybe", *me))
    err = one_line_error(run("referral", "complete", referral, *me))
    assert "cannot move from Draft to Completed" in err
    one_line_error(run("referral", "receive", *me, "--case", case_id, "--from", "FIA",
                       "--service", "legal_aid", "--received-on", "1 Feb"))
    assert [r["id"] for r in ok_json(run("referral", "list", *me, "--json"))] == [referral]

    # Plan: bad dates and codes.
    err = one_line_error(run("plan", "due", *me, "--before", "next week"))
    assert "write it as YYYY-MM-DD" in err and "next week" not in err
    one_line_error(run("plan", "add", *me, "--case", case_id, "--type", "Shopping",
                       "--objectives", "x"))
    one_line_error(run("plan", "deliver", *me, "--case", case_id, "--service", "medical"))
    one_line_error(run("plan", "follow-up", *me, "--case", case_id, "--due", "soon",
                       "--purpose", "visit"))
    assert ok_json(run("plan", "show", *me, "--case", case_id, "--json")) == {
        "plan": [], "services": [], "follow_ups": []}


def test_manager_override_is_recorded(run: Run, write: Write, cli_profile: CliProfile) -> None:
    me = cli_profile("manager", "maryam")
    shelter = add_org("maryam", "Dar-ul-Aman Lahore", "shelter")
    case_id = new_case(run, write, me)
    referral = ok(run("referral", "create", *me, "--case", case_id, "--org", shelter,
                      "--service", "shelter")).strip()
    err = one_line_error(run("referral", "send", referral, *me, "--override-reason", "  "))
    assert "needs a reason" in err
    ok(run("referral", "send", referral, *me, "--override-reason", "danger to life"))
    shown = ok_json(run("referral", "show", referral, *me, "--json"))
    assert shown["hfz_Status"] == "sent"
    assert shown["hfz_ConsentOverrideReason"] == "danger to life"
    ok(run("referral", "withdraw", referral, *me, "--note", "placed elsewhere"))
    assert ok_json(run("referral", "show", referral, *me,
                       "--json"))["hfz_Status"] == "withdrawn"


def test_merge(run: Run, write: Write, cli_profile: CliProfile) -> None:
    me = cli_profile("manager", "maryam")
    keep = new_case(run, write, me, "Shabnam")
    path = write("Shabnum.json", {"prs_FirstName": "Shabnum", "prs_Gender": "Feminine",
                                  "prs_Birthdate": "1998-04-01"})
    code, out, err = run("case", "create", *me, "--json", path)
    dup = out.strip()
    keep_number = ok_json(run("case", "show", keep, *me, "--json"))["hfz_CaseNumber"]
    # Warned at once: the same birth date, and a name spelled almost alike.
    assert code == 0 and f"may be the same person as case {keep_number}" in err
    err = one_line_error(run("merge", keep, dup, *me))
    assert "Merging two cases needs a reason." in err
    one_line_error(run("merge", keep, keep, *me, "--reason", "same"))
    assert dup in ok(run("merge", keep, dup, *me, "--reason", "same identity card"))
    assert ok_json(run("case", "show", dup, *me, "--json"))["hfz_MergedInto"] == keep
    assert ok_json(run("case", "show", keep, *me, "--json"))["hfz_MergedFrom"] == [dup]

    worker = cli_profile("caseworker", "alice")
    a = new_case(run, write, worker, "Bilal")
    b = new_case(run, write, worker, "Bilaal")
    err = one_line_error(run("merge", a, b, *worker, "--reason", "same"))
    assert "Only a manager or an administrator may merge cases." in err


def test_messages_are_translated(run: Run, write: Write, cli_profile: CliProfile) -> None:
    me = cli_profile("caseworker", "alice")
    case_id = new_case(run, write, me)
    code, out, err = run("--lang", "ur", "case", "move", case_id, *me, "--to", "screening")
    assert (code, err) == (0, "")
    assert out.strip() and out.isascii() is False
    err = one_line_error(run("--lang", "ur", "plan", "due", *me, "--before", "soon"))
    assert "soon" not in err and not err.isascii()  # translated; the value not repeated
