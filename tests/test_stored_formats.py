"""What the services store must survive sync: every record body is canonical JSON (the form
that is hashed and signed, which refuses floats), and the numbers a user sees are the same
as before they were stored as integers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE, OpenProfile, Run, consented_case

from caseapp.canonical import canonical_json
from caseapp.domain import consent, screening
from caseapp.domain import reintegration as rss
from caseapp.i18n import set_language
from caseapp.reference import loader
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.reintegration import ReintegrationService
from caseapp.services.screenings import ScreeningService
from caseapp.services.session import Session

RSS_FILE = Path(__file__).resolve().parents[1] / "caseapp" / "reference" / "reintegration" \
    / "rss.json"
# Strong deceptive recruitment + strong exploitation + strong coercion, each with a medium.
INDICATED = {"dr_nature_job_location_employer": "yes", "dr_wages": "yes",
             "ec_excessive_hours": "yes", "ec_low_no_salary": "yes",
             "cd_documents_confiscated": "yes",
             "cd_threat_violence": {"answer": "yes", "note": "threatened at the kiln"}}
# One answer in each dimension, so every stored score (question, dimension, composite, gap)
# is a fraction.
ASSESSMENT = {"eco_income_sources": 1, "eco_satisfaction": "satisfied",
              "soc_housing": "no", "soc_school": "not_applicable", "soc_documents": "yes",
              "psy_distress": "very_often", "psy_safety": "agree"}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    yield
    set_language("en")  # main() sets the process-wide language


@pytest.fixture
def written(caseworker: Session, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every body the services hand to the store from now on."""
    bodies: list[dict[str, Any]] = []
    for method in ("create", "update"):
        real = getattr(caseworker.store, method)

        def spy(first: str, fields: dict[str, Any], *, _real: Any = real,
                **kwargs: Any) -> Any:
            bodies.append(json.loads(json.dumps(fields)))  # as stored, not a live reference
            return _real(first, fields, **kwargs)

        monkeypatch.setattr(caseworker.store, method, spy)
    return bodies


def test_reintegration_bodies_are_canonical_json(caseworker: Session,
                                                 written: list[dict[str, Any]]) -> None:
    case_id = consented_case(caseworker)
    svc = ReintegrationService(caseworker)
    first = svc.record(case_id, "baseline", ASSESSMENT, notes="afraid of the lender").id
    svc.correct(first, {**ASSESSMENT, "eco_income_sources": 2})
    bodies = [b for b in written if "scores" in b]
    assert len(bodies) == 2
    for body in bodies:
        canonical_json(body)  # raises TypeError on a float


def test_a_fractional_number_answer_is_stored_without_a_float(
        caseworker: Session, written: list[dict[str, Any]]) -> None:
    doc = json.loads(RSS_FILE.read_text(encoding="utf-8"))
    doc["answer_types"]["count_0_3"]["integer"] = False  # an administrator's survey
    svc = ReintegrationService(caseworker, rss.survey_from_dict(doc, "admin"))
    case_id = consented_case(caseworker)
    svc.record(case_id, "baseline", {"eco_income_sources": 1.5})
    [body] = [b for b in written if "scores" in b]
    canonical_json(body)
    assert body["answers"] == {"eco_income_sources": "1.5"}  # what was said, exactly
    # (1.5 - 0) / (3 - 0) = 0.5
    scores = svc.rounds(case_id)[0]["scores"]
    assert scores["questions"]["eco_income_sources"]["value"] == 0.5


def test_screening_bodies_are_canonical_json(caseworker: Session,
                                             written: list[dict[str, Any]]) -> None:
    case_id = consented_case(caseworker)
    svc = ScreeningService(caseworker)
    for instrument, answers in (("ilo-ec-adult-labour", INDICATED),
                                ("ilo-forced-labour-11", {}),
                                ("iom-som-vulnerability", {})):
        svc.submit(case_id, instrument, answers, notes="at the kiln")
    bodies = [b for b in written if "result" in b]
    assert len(bodies) == 3
    for body in bodies:
        canonical_json(body)


# --- the numbers shown are unchanged ---------------------------------------------------------
# Weights set here so the arithmetic is worked by hand: dimensions economic 0.5, social 0.3,
# psychosocial 0.2; every question 1 except soc_housing 2 and psy_distress 3. Readings (the
# packaged ones): low <= 0.33 < medium < 0.66 <= high.

def survey_file(tmp_path: Path) -> Path:
    doc = json.loads(RSS_FILE.read_text(encoding="utf-8"))
    for dim, weight in (("economic", 0.5), ("social", 0.3), ("psychosocial", 0.2)):
        doc["dimensions"][dim]["weight"] = weight
    special = {"soc_housing": 2, "psy_distress": 3}
    for q in doc["questions"]:
        q["weight"] = special.get(q["id"], 1)
    doc["min_answered_share"]["value"] = 0  # one answer gives a dimension a score here
    path = tmp_path / "rss-admin.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def cli_case(tmp_path: Path, open_profile: OpenProfile) -> tuple[list[str], str]:
    """A caseworker's profile with one consented case, and the arguments that open it."""
    session = open_profile("caseworker", "amina")
    case_id = consented_case(session)
    # Monitoring rounds contact the person again: that is its own consent.
    ConsentService(session).record(case_id, consent.FOLLOW_UP_CONTACT, True, language="urd",
                                   explanation_version="consent-text-1.0")
    session.close()
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return ["--profile", "amina", "--passphrase-file", str(secret)], case_id


def test_cli_shows_the_hand_worked_numbers(tmp_path: Path, run: Run,
                                           open_profile: OpenProfile) -> None:
    me, case_id = cli_case(tmp_path, open_profile)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ASSESSMENT), encoding="utf-8")
    code, out, err = run("reintegration", "record", *me, "--case", case_id, "--round",
                         "baseline", "--answers", answers, "--survey-file", survey_file(tmp_path))
    assert code == 0, err
    baseline = out.strip()
    # economic (1/3 + 0.75) / 2 = 0.5416.. -> 0.542; social (0*2 + 1) / 3 = 0.333;
    # psychosocial (0*3 + 0.75) / 4 = 0.1875 -> 0.188 (half up); composite
    # 0.5*0.54167 + 0.3*0.33333 + 0.2*0.1875 = 0.40833 -> 0.408; gap 0.542 - 0.188 = 0.354
    # is at least 0.33, so the composite has no band: the dimensions are far apart.
    code, out, _ = run("reintegration", "rounds", *me, "--case", case_id)
    assert out == f"baseline\t0.408\tdimensions_far_apart\t{baseline}\t\n"
    code, out, _ = run("reintegration", "rounds", *me, "--case", case_id, "--json")
    scores = json.loads(out)[0]["scores"]
    assert [scores["dimensions"][d]["score"] for d in ("economic", "social", "psychosocial")] \
        == [0.542, 0.333, 0.188]
    assert (scores["composite"], scores["dimension_gap"]) == (0.408, 0.354)
    assert scores["questions"]["eco_income_sources"]["value"] == 0.333  # 1 of 0..3

    # A later round: economic 1 -> 3 sources (1.0) and satisfaction 0.75: (1 + 0.75) / 2 =
    # 0.875; social and psychosocial as before; composite 0.4375 + 0.1 + 0.0375 = 0.575.
    answers.write_text(json.dumps({**ASSESSMENT, "eco_income_sources": 3}), encoding="utf-8")
    code, _, err = run("reintegration", "record", *me, "--case", case_id, "--round",
                       "monitoring_1", "--answers", answers, "--survey-file",
                       survey_file(tmp_path))
    assert code == 0, err
    code, out, _ = run("reintegration", "change", *me, "--case", case_id, "--from",
                       "baseline", "--to", "monitoring_1")
    assert out.splitlines() == ["composite\t0.408\t0.575\t0.167\timproved",
                                "economic\t0.542\t0.875\t0.333\timproved",
                                "social\t0.333\t0.333\t0.0\tunchanged",
                                "psychosocial\t0.188\t0.188\t0.0\tunchanged"]


# --- screening reasons are worded for the reader ---------------------------------------------

LEGAL_EN = ("This is a screening indication, not a legal decision: the trafficking status is "
            "decided and recorded separately by an authorised officer.")
LEGAL_UR = ("یہ اسکریننگ کی نشاندہی ہے، قانونی فیصلہ نہیں: ٹریفکنگ کی حیثیت کا فیصلہ اور اندراج "
            "ایک مجاز افسر الگ سے کرتا ہے۔")
# The instrument file's labels of the two deceptive-recruitment indicators answered yes.
DECEPTIVE_EN = ("Deceptive recruitment is positive: these indicators were answered yes: "
                "Deceived about the nature of the job, location or employer; "
                "Deceived about wages/earnings.")
DECEPTIVE_UR = ("دھوکے سے بھرتی مثبت ہے: ان اشاریوں کا جواب 'ہاں' دیا گیا: "
                "کام کی نوعیت، جگہ یا آجر کے بارے میں دھوکا دیا گیا؛ "
                "اجرت یا آمدنی کے بارے میں دھوکا دیا گیا۔")


@pytest.mark.parametrize(("writer", "reader", "legal", "deceptive"), [
    ("ur", "en", LEGAL_EN, DECEPTIVE_EN), ("en", "ur", LEGAL_UR, DECEPTIVE_UR)])
def test_screening_reasons_read_in_the_readers_language(
        tmp_path: Path, run: Run, open_profile: OpenProfile, writer: str, reader: str,
        legal: str, deceptive: str) -> None:
    me, case_id = cli_case(tmp_path, open_profile)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(INDICATED), encoding="utf-8")
    code, _, err = run("--lang", writer, "screening", "submit", *me, "--case", case_id,
                       "--instrument", "ilo-ec-adult-labour", "--answers", answers)
    assert code == 0, err
    code, out, err = run("--lang", reader, "screening", "history", *me, "--case", case_id,
                         "--json")
    assert code == 0, err
    [shown] = json.loads(out)
    assert shown["result"]["language"] == reader
    assert legal in shown["result"]["reasons"]
    assert deceptive in shown["result"]["reasons"]
    assert shown["result"]["indication"] == "trafficking_indicated"


def test_stored_screening_result_holds_no_sentence(caseworker: Session) -> None:
    case_id = consented_case(caseworker)
    set_language("ur")
    sid = ScreeningService(caseworker).submit(case_id, "ilo-ec-adult-labour", INDICATED).id
    record = caseworker.store.get(sid)
    assert record is not None
    stored = json.dumps(record.body["result"], ensure_ascii=False)
    assert "مثبت" not in stored and "positive:" not in stored  # neither language
    set_language("en")
    [shown] = ScreeningService(caseworker).history(case_id)
    assert DECEPTIVE_EN in shown["result"]["reasons"]


def test_reasons_of_an_instrument_no_longer_shipped_name_ids() -> None:
    result = screening.evaluate(loader.load_instrument("ilo-ec-adult-labour"), INDICATED)
    shown = screening.show_result(result.to_record(), None, "en")
    assert ("deceptive_recruitment is positive: these indicators were answered yes: "
            "dr_nature_job_location_employer; dr_wages.") in shown["reasons"]
    assert shown["indication"] == "trafficking_indicated"


def test_case_numbers_with_fractions_are_stored_without_a_float(caseworker: Session) -> None:
    """HTCDS Number and Geolocation fields take any number; a record body keeps whole
    numbers as integers and fractions as their decimal text."""
    service = CaseService(caseworker)
    case_id = service.create({"prs_FirstName": "Gul", "prs_MailingLatitude": 31.5204,
                              "prs_MailingLongitude": 74.3587,
                              "vic_AgeWhenTrafficked": 16.0}).id
    for change in caseworker.store.unpushed(limit=1000):   # what a sync would send
        canonical_json(change.to_json())
    shown = service.show(case_id)
    assert (shown["prs_MailingLatitude"], shown["prs_MailingLongitude"]) == ("31.5204",
                                                                              "74.3587")
    assert shown["vic_AgeWhenTrafficked"] == 16
    # What was shown can be saved back as it is.
    assert not service.update(case_id, {"prs_MailingLatitude": "31.5204"})
