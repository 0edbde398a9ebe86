"""Reintegration assessments (RSS structure): normalisation, scores, readings, change between
rounds, strict reference data, and the service that stores rounds immutably.

Expected scores are worked out by hand in each test from a survey whose weights the test sets
itself, so the shipped placeholder weights ([M]) can change without breaking the arithmetic.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import consented_case
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.domain import consent
from caseapp.domain import reintegration as rss
from caseapp.errors import ValidationError
from caseapp.reference import loader
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.reintegration import (
    ASSESSMENT,
    AlreadySuperseded,
    NothingAnswered,
    ReintegrationService,
    RoundAlreadyRecorded,
    RoundNotRecorded,
)
from caseapp.services.session import Session

PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (test fixture)
RSS_FILE = Path(str(resources.files("caseapp.reference").joinpath("reintegration", "rss.json")))


def packaged() -> dict[str, Any]:
    return json.loads(RSS_FILE.read_text(encoding="utf-8"))


def weighted_doc() -> dict[str, Any]:
    """The packaged survey with weights chosen by the test (unequal on purpose). Any one
    answer gives its dimension a score here, so the arithmetic below needs few answers; the
    packaged least share of answers has tests of its own."""
    doc = packaged()
    doc["min_answered_share"]["value"] = 0
    for dim, weight in (("economic", 0.5), ("social", 0.3), ("psychosocial", 0.2)):
        doc["dimensions"][dim]["weight"] = weight
    special = {"eco_work": 2, "soc_housing": 2, "psy_distress": 3}
    for q in doc["questions"]:
        q["weight"] = special.get(q["id"], 1)
    return doc


@pytest.fixture(scope="module")
def survey() -> rss.Survey:
    return rss.survey_from_dict(weighted_doc(), "test")


# --- packaged data -------------------------------------------------------------------------

def test_packaged_survey_loads_with_marks_and_labels() -> None:
    s = loader.load_survey()
    assert s.id == "iom-rss" and s.version
    assert {q.dimension for q in s.questions} == set(rss.DIMENSIONS)
    assert s.evidence == "[M]"
    # RESEARCH §4.2 confirms none of the numbers: each must still say so.
    assert all(q.evidence == "[M]" for q in s.questions)
    assert all(d.evidence == "[M]" for d in s.dimensions.values())
    assert all(r.evidence == "[M]" for r in s.readings)
    assert "dimension_gap" in s.unconfirmed()
    for q in s.questions:
        assert set(q.label) == {"en", "ur", "ps", "fa_AF"}
    shown = s.to_json("ur")
    assert shown["language"] == "ur"
    assert shown["dimensions"]["economic"]["label"] == "معاشی"
    debt = next(q for q in shown["questions"] if q["id"] == "eco_debt")
    assert debt["evidence"] == "[M]" and debt["answer_type"]["id"] == "debt_3"
    assert debt["answer_type"]["options"][2] == {"value": "none", "score": 1.0,
                                                 "label": "کوئی قرض نہیں"}


# --- normalisation -------------------------------------------------------------------------

# Option scores written out by hand: 1 is the most favourable answer.
HAND_OPTION_SCORES = {
    "yes_no": {"no": 0.0, "yes": 1.0},
    "level_3": {"no": 0.0, "partly": 0.5, "fully": 1.0},
    "debt_3": {"unmanageable": 0.0, "manageable": 0.5, "none": 1.0},
    "frequency_5": {"never": 0.0, "rarely": 0.25, "sometimes": 0.5, "often": 0.75,
                    "very_often": 1.0},
    "agreement_5": {"strongly_disagree": 0.0, "disagree": 0.25, "neutral": 0.5, "agree": 0.75,
                    "strongly_agree": 1.0},
    "satisfaction_5": {"very_dissatisfied": 0.0, "dissatisfied": 0.25, "neutral": 0.5,
                       "satisfied": 0.75, "very_satisfied": 1.0},
}


def test_every_answer_type_is_covered() -> None:
    types = loader.load_survey().answer_types
    assert set(types) == set(HAND_OPTION_SCORES) | {"count_0_3"}


def test_option_normalisation_plain_and_reversed(survey: rss.Survey) -> None:
    for q in survey.questions:
        if q.answer_type.kind != "options":
            continue
        for value, expected in HAND_OPTION_SCORES[q.answer_type.id].items():
            got = rss.normalise(q, value)
            assert got.status == rss.SCORED and got.answer == value
            assert got.value == (1.0 - expected if q.reverse else expected), (q.id, value)


def test_reversed_questions_are_the_negatively_worded_ones(survey: rss.Survey) -> None:
    assert {q.id for q in survey.questions if q.reverse} == {
        "eco_remittances", "eco_food", "psy_discrimination", "psy_distress", "psy_remigrate"}
    # "Never short of food" is the best answer.
    assert rss.normalise(survey.question("eco_food"), "never").value == 1.0  # type: ignore[arg-type]


@pytest.mark.parametrize(("answer", "expected"),
                         [(0, 0.0), (1, 0.333), (2, 0.667), (3, 1.0), (7, 1.0), (2.0, 0.667)])
def test_number_normalisation(survey: rss.Survey, answer: float, expected: float) -> None:
    q = survey.question("eco_income_sources")
    assert q is not None
    got = rss.normalise(q, answer)
    assert got.value == expected  # 1/3 = 0.3333.. -> 0.333; 2/3 -> 0.667; 3 or more -> 1
    assert got.answer == int(answer)


@pytest.mark.parametrize("answer", [-1, 1.5, True, "two", float("nan"), float("inf"), [1]])
def test_bad_number_answers_refused(survey: rss.Survey, answer: object) -> None:
    q = survey.question("eco_income_sources")
    assert q is not None
    with pytest.raises(rss.InvalidAssessmentAnswers, match="eco_income_sources"):
        rss.normalise(q, answer)


def test_unknown_and_not_applicable(survey: rss.Survey) -> None:
    school, work = survey.question("soc_school"), survey.question("eco_work")
    assert school is not None and work is not None
    for missing in (None, "unknown"):
        got = rss.normalise(work, missing)
        assert (got.status, got.value) == (rss.UNANSWERED, None)
    got = rss.normalise(school, "not_applicable")
    assert (got.status, got.value) == (rss.NOT_APPLICABLE, None)
    # Only a question that allows it (no school-age children) may be "not applicable".
    with pytest.raises(rss.InvalidAssessmentAnswers, match="eco_work"):
        rss.normalise(work, "not_applicable")


def test_bad_answers_refused(survey: rss.Survey) -> None:
    with pytest.raises(rss.InvalidAssessmentAnswers, match="eco_work"):
        rss.score({"eco_work": "maybe"}, survey)
    with pytest.raises(rss.InvalidAssessmentAnswers, match="no_such_question"):
        rss.score({"no_such_question": "yes"}, survey)
    with pytest.raises(rss.InvalidAssessmentAnswers):
        rss.score(["eco_work"], survey)  # type: ignore[arg-type]


# --- hand-computed scores ------------------------------------------------------------------
# Weights: dimensions economic 0.5, social 0.3, psychosocial 0.2; questions 1 except
# eco_work 2, soc_housing 2, psy_distress 3. Readings: low <= 0.33 < medium < 0.66 <= high.

def test_scores_all_favourable(survey: rss.Survey) -> None:
    answers: dict[str, object] = {}
    for q in survey.questions:
        if q.answer_type.kind == "number":
            answers[q.id] = 3
        else:
            best = max(q.answer_type.options,
                       key=lambda o, q=q: 1 - o.score if q.reverse else o.score)
            answers[q.id] = best.value
    a = rss.score(answers, survey)
    assert [a.dimensions[d].score for d in rss.DIMENSIONS] == [1.0, 1.0, 1.0]
    assert (a.composite, a.reading, a.gap, a.gap_flag) == (1.0, "high", 0.0, False)
    assert all(d.unanswered == 0 for d in a.dimensions.values())


def test_scores_economic_only(survey: rss.Survey) -> None:
    a = rss.score({"eco_work": "partly", "eco_debt": "manageable", "eco_food": "never"}, survey)
    # (0.5*2 + 0.5*1 + (1-0)*1) / (2+1+1) = 2.5 / 4
    eco = a.dimensions["economic"]
    assert (eco.score, eco.reading, eco.answered, eco.unanswered) == (0.625, "medium", 3, 4)
    assert a.dimensions["social"].score is None and a.dimensions["social"].unanswered == 6
    assert a.dimensions["psychosocial"].reading is None
    # Only one dimension has answers: no composite, rather than that dimension passed off
    # as the whole picture.
    assert (a.composite, a.reading, a.gap, a.gap_flag) == (None, None, None, False)
    assert a.composite_status == rss.DIMENSION_MISSING


def test_scores_three_dimensions_with_not_applicable(survey: rss.Survey) -> None:
    a = rss.score({
        "eco_income_sources": 1, "eco_satisfaction": "satisfied",
        "soc_housing": "no", "soc_school": "not_applicable", "soc_documents": "yes",
        "psy_distress": "very_often", "psy_safety": "agree",
    }, survey)
    eco = (1 / 3 + 0.75) / 2            # 0.541666.. -> 0.542
    soc = (0 * 2 + 1 * 1) / (2 + 1)     # 0.333..    -> 0.333 (not applicable left out)
    psy = (0 * 3 + 0.75 * 1) / (3 + 1)  # 0.1875     -> 0.188 (half up)
    assert a.dimensions["economic"].score == 0.542
    assert a.dimensions["social"].score == 0.333
    assert a.dimensions["social"].not_applicable == 1
    assert a.dimensions["social"].answered == 2
    assert a.dimensions["psychosocial"].score == 0.188
    assert [a.dimensions[d].reading for d in rss.DIMENSIONS] == ["medium", "medium", "low"]
    # The composite uses the unrounded dimension scores: 0.408333.. -> 0.408.
    composite = 0.5 * eco + 0.3 * soc + 0.2 * psy
    assert round(composite, 6) == 0.408333
    # 0.542 - 0.188 = 0.354 >= 0.33: the gap itself is a signal for referral, and the
    # composite gets no reading ("medium" would hide the low psychosocial score).
    assert (a.gap, a.gap_flag) == (0.354, True)
    assert (a.composite, a.reading) == (0.408, None)
    assert a.composite_status == rss.DIMENSIONS_FAR_APART


def test_scores_without_economic(survey: rss.Survey) -> None:
    a = rss.score({
        "soc_networks": "rarely", "soc_services": "fully", "soc_justice": "partly",
        "psy_belonging": "strongly_agree", "psy_discrimination": "sometimes",
        "psy_remigrate": "disagree",
    }, survey)
    # social (0.25 + 1 + 0.5) / 3 = 0.58333..; psychosocial (1 + 0.5 + 0.75) / 3 = 0.75
    assert a.dimensions["social"].score == 0.583
    assert a.dimensions["psychosocial"].score == 0.75
    assert a.dimensions["economic"].score is None
    # No economic answer: no composite (re-weighted over two dimensions it would read 0.65).
    assert (a.composite, a.reading, a.composite_status) == (None, None, rss.DIMENSION_MISSING)
    assert (a.gap, a.gap_flag) == (0.167, False)


def test_scores_low_economic(survey: rss.Survey) -> None:
    a = rss.score({
        "eco_remittances": "yes", "eco_borrow": "yes", "eco_income_sources": 0,
        "eco_debt": "unmanageable", "eco_food": "often",
        "soc_school": "yes",
        "psy_distress": "rarely", "psy_discrimination": "never",
    }, survey)
    # economic (0 + 1 + 0 + 0 + 0.25) / 5 = 0.25; social 1; psychosocial
    # (0.75*3 + 1*1) / 4 = 0.8125 -> 0.813
    assert [a.dimensions[d].score for d in rss.DIMENSIONS] == [0.25, 1.0, 0.813]
    assert [a.dimensions[d].reading for d in rss.DIMENSIONS] == ["low", "high", "high"]
    # 0.5*0.25 + 0.3*1 + 0.2*0.8125 = 0.125 + 0.3 + 0.1625 = 0.5875
    # 0.5875 is an exact half in decimal; half up gives 0.588.
    assert a.composite == 0.588
    # Economic 0.25 against social 1: far apart, so no "medium" reading for the composite.
    assert (a.gap, a.gap_flag) == (0.75, True)
    assert (a.reading, a.composite_status) == (None, rss.DIMENSIONS_FAR_APART)


def test_scores_nothing_answered(survey: rss.Survey) -> None:
    a = rss.score({"eco_work": "unknown"}, survey)
    assert all(d.score is None and d.reading is None for d in a.dimensions.values())
    assert (a.composite, a.reading, a.gap) == (None, None, None)
    assert sum(d.unanswered for d in a.dimensions.values()) == len(survey.questions)


# --- enough answers, and a composite that does not mislead (issue 8) -------------------------
# The packaged survey: every weight 1, half of a dimension's applicable questions needed.

def test_packaged_least_share_is_unconfirmed_reference_data() -> None:
    s = loader.load_survey()
    assert (s.min_answered_share, s.min_answered_share_evidence) == (0.5, "[M]")
    assert "min_answered_share" in s.unconfirmed()
    assert s.to_json()["min_answered_share"] == {"value": 0.5, "evidence": "[M]"}


def test_one_answer_is_not_a_sustainable_reintegration() -> None:
    # Before: "has a CNIC" = yes alone gave social 1.0 and composite 1.0, "high: sustainable".
    a = rss.score({"soc_documents": "yes"}, loader.load_survey())
    social = a.dimensions["social"]
    assert (social.score, social.reading, social.status) == (None, None,
                                                             rss.NOT_ENOUGH_ANSWERS)
    assert (social.answered, social.unanswered) == (1, 5)
    assert all(d.status == rss.NOT_ENOUGH_ANSWERS for d in a.dimensions.values())
    assert (a.composite, a.reading, a.composite_status) == (None, None, rss.DIMENSION_MISSING)
    shown = a.to_json()
    assert shown["dimensions"]["social"]["status"] == "not_enough_answers"
    assert shown["composite_status"] == "dimension_missing"


def test_least_share_counts_whole_applicable_questions() -> None:
    s = loader.load_survey()
    # Economic has 7 questions: half is 3.5, so 3 answers are not enough and 4 are.
    three = {"eco_work": "fully", "eco_debt": "none", "eco_borrow": "yes"}
    assert rss.score(three, s).dimensions["economic"].score is None
    four = {**three, "eco_satisfaction": "satisfied"}
    # (1 + 1 + 1 + 0.75) / 4 = 0.9375 -> 0.938
    assert rss.score(four, s).dimensions["economic"].score == 0.938
    # Social has 6 questions; "no school-age children" leaves 5 that apply: 3 are needed.
    two = {"soc_school": "not_applicable", "soc_housing": "fully", "soc_documents": "no"}
    assert rss.score(two, s).dimensions["social"].status == rss.NOT_ENOUGH_ANSWERS
    three_social = {**two, "soc_services": "partly"}
    # (1 + 0 + 0.5) / 3 = 0.5
    assert rss.score(three_social, s).dimensions["social"].score == 0.5


def _all_answered(values: dict[str, float], s: rss.Survey) -> dict[str, object]:
    """Every question answered with the option that scores ``values[dimension]``."""
    answers: dict[str, object] = {}
    for q in s.questions:
        want = values[q.dimension]
        if q.answer_type.kind == "number":
            answers[q.id] = q.answer_type.maximum if want == 1 else q.answer_type.minimum
            continue
        answers[q.id] = next(o.value for o in q.answer_type.options
                             if (1 - o.score if q.reverse else o.score) == want)
    return answers


def test_dimensions_far_apart_give_no_composite_reading() -> None:
    # Before: economic 1.0 + social 1.0 + psychosocial 0.0 read "high".
    s = loader.load_survey()
    a = rss.score(_all_answered({"economic": 1.0, "social": 1.0, "psychosocial": 0.0}, s), s)
    assert [a.dimensions[d].score for d in rss.DIMENSIONS] == [1.0, 1.0, 0.0]
    # (1 + 1 + 0) / 3 = 0.667, shown, but with no band: the gap of 1 is the finding.
    assert (a.composite, a.gap, a.gap_flag) == (0.667, 1.0, True)
    assert (a.reading, a.composite_status) == (None, rss.DIMENSIONS_FAR_APART)
    # Close dimensions keep their band: 1, 1, 0.75 -> 0.917, gap 0.25 < 0.33, high.
    close = rss.score(_all_answered({"economic": 1.0, "social": 1.0, "psychosocial": 0.75},
                                    s), s)
    assert (close.composite, close.reading, close.composite_status) == (0.917, "high",
                                                                        rss.SCORED)


def test_per_question_composite_weights() -> None:
    # The official RSS weighs each question separately for the composite. Here only eco_work
    # (3) and psy_safety (1) count in the composite; dimension scores keep their own weights.
    doc = weighted_doc()
    for q in doc["questions"]:
        q["composite_weight"] = {"eco_work": 3, "psy_safety": 1}.get(q["id"], 0)
    s = rss.survey_from_dict(doc, "test")
    a = rss.score({"eco_work": "fully", "eco_borrow": "no", "soc_housing": "partly",
                   "psy_safety": "disagree"}, s)
    # economic (1*2 + 0*1) / 3 = 0.667 (dimension weights: eco_work 2, eco_borrow 1)
    assert [a.dimensions[d].score for d in rss.DIMENSIONS] == [0.667, 0.5, 0.25]
    # composite (3*1 + 1*0.25) / 4 = 0.8125 -> 0.813; the dimension weights play no part.
    assert a.composite == 0.813
    assert s.to_json()["questions"][0]["composite_weight"] == 0


def test_zero_weight_question_is_ignored() -> None:
    doc = weighted_doc()
    for q in doc["questions"]:
        if q["id"] == "eco_borrow":
            q["weight"] = 0
    s = rss.survey_from_dict(doc, "test")
    a = rss.score({"eco_borrow": "no", "eco_work": "fully"}, s)
    # (0*0 + 1*2) / (0 + 2) = 1
    assert a.dimensions["economic"].score == 1.0


def test_round_score_is_half_up() -> None:
    assert [rss.round_score(x) for x in (0.0005, 0.0015, 0.1875, 0.3335, 0.9994)] == [
        0.001, 0.002, 0.188, 0.334, 0.999]


# --- readings at their boundaries ----------------------------------------------------------

@pytest.mark.parametrize(("value", "reading"), [
    (0.0, "low"), (0.33, "low"), (0.331, "medium"), (0.5, "medium"), (0.659, "medium"),
    (0.66, "high"), (1.0, "high")])
def test_reading_boundaries(survey: rss.Survey, value: float, reading: str) -> None:
    assert survey.reading_of(value) == reading


@pytest.mark.parametrize(("answer", "score", "reading"), [
    (0, 0.0, "low"), (33, 0.33, "low"), (34, 0.34, "medium"), (65, 0.65, "medium"),
    (66, 0.66, "high"), (100, 1.0, "high")])
def test_reading_boundaries_through_scoring(answer: int, score: float, reading: str) -> None:
    doc = weighted_doc()
    doc["answer_types"]["percent"] = {"kind": "number", "evidence": "[M]", "min": 0,
                                      "max": 100, "integer": True}
    # One question per dimension on the same scale, answered alike: every dimension and the
    # composite have the same score.
    same = ("eco_income_sources", "soc_housing", "psy_safety")
    for q in doc["questions"]:
        if q["id"] in same:
            q["answer_type"] = "percent"
            q["reverse"] = False
    s = rss.survey_from_dict(doc, "test")
    a = rss.score(dict.fromkeys(same, answer), s)
    assert (a.dimensions["economic"].score, a.composite) == (score, score)
    assert (a.dimensions["economic"].reading, a.reading) == (reading, reading)


# --- change between rounds -----------------------------------------------------------------

def test_compare(survey: rss.Survey) -> None:
    baseline = rss.score({"eco_work": "no", "soc_housing": "partly",
                          "psy_safety": "agree"}, survey)
    later = rss.score({"eco_work": "fully", "soc_housing": "partly",
                       "psy_safety": "disagree"}, survey)
    c = rss.compare(baseline, later)
    eco, soc, psy = (c.dimensions[d] for d in rss.DIMENSIONS)
    assert (eco.earlier, eco.later, eco.delta, eco.direction) == (0.0, 1.0, 1.0, rss.IMPROVED)
    assert (eco.earlier_reading, eco.later_reading) == ("low", "high")
    assert (soc.delta, soc.direction) == (0.0, rss.UNCHANGED)
    assert (psy.delta, psy.direction) == (-0.5, rss.WORSENED)
    # composite 0.5*0 + 0.3*0.5 + 0.2*0.75 = 0.3 -> 0.5*1 + 0.3*0.5 + 0.2*0.25 = 0.7
    assert (c.composite.earlier, c.composite.later) == (0.3, 0.7)
    assert (c.composite.delta, c.composite.direction) == (0.4, rss.IMPROVED)
    assert c.same_survey_version


def test_compare_with_missing_dimension(survey: rss.Survey) -> None:
    c = rss.compare(rss.score({"eco_work": "no"}, survey),
                    rss.score({"soc_housing": "fully"}, survey))
    assert c.dimensions["economic"].direction == rss.NOT_COMPARABLE
    assert c.dimensions["social"].direction == rss.NOT_COMPARABLE
    assert c.dimensions["economic"].delta is None
    # Neither round has a composite (a dimension is missing in each): nothing to compare.
    assert (c.composite.delta, c.composite.direction) == (None, rss.NOT_COMPARABLE)


def test_stored_scores_round_trip(survey: rss.Survey) -> None:
    a = rss.score({"eco_work": "partly", "psy_safety": "agree"}, survey)
    again = rss.assessment_from_record(json.loads(json.dumps(a.to_record())))
    assert again.to_json() == a.to_json()


@pytest.mark.parametrize("name", ["baseline", "monitoring_1", "monitoring_12"])
def test_round_names(name: str) -> None:
    assert rss.validate_round(name) == name


@pytest.mark.parametrize("name", ["", "monitoring_0", "monitoring_", "Baseline", "monitoring_1x",
                                  "monitoring_01", 3, None])
def test_bad_round_names(name: object) -> None:
    with pytest.raises(rss.InvalidRound):
        rss.validate_round(name)


def test_round_order() -> None:
    names = ["monitoring_10", "monitoring_2", "baseline", "monitoring_1"]
    assert sorted(names, key=rss.round_key) == ["baseline", "monitoring_1", "monitoring_2",
                                                "monitoring_10"]


# --- bad reference files -------------------------------------------------------------------

def _set(path: list[Any], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path: list[Any]) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _all_question_weights(dim: str, value: float) -> Any:
    def change(doc: dict[str, Any]) -> None:
        for q in doc["questions"]:
            if q["dimension"] == dim:
                q["weight"] = value
    return change


def _all_dimension_weights(value: float) -> Any:
    def change(doc: dict[str, Any]) -> None:
        for d in doc["dimensions"].values():
            d["weight"] = value
    return change


def _drop_dimension_questions(dim: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["questions"] = [q for q in doc["questions"] if q["dimension"] != dim]
    return change


BAD_DOCS = [
    ("negative question weight", _set(["questions", 0, "weight"], -1), "questions[0].weight"),
    ("weight not a number", _set(["questions", 0, "weight"], "1"), "questions[0].weight"),
    ("weight true", _set(["questions", 0, "weight"], True), "questions[0].weight"),
    ("zero question weights", _all_question_weights("social", 0), "dimensions.social"),
    ("zero dimension weights", _all_dimension_weights(0), "dimensions"),
    ("negative dimension weight", _set(["dimensions", "economic", "weight"], -0.5),
     "dimensions.economic.weight"),
    ("option score above 1", _set(["answer_types", "yes_no", "options", 1, "score"], 1.5),
     "answer_types.yes_no.options[1].score"),
    ("reserved option", _set(["answer_types", "yes_no", "options", 0, "value"], "unknown"),
     "answer_types.yes_no.options[0].value"),
    ("missing language", _delete(["questions", 2, "label", "ps"]), "questions[2].label"),
    ("unknown field", _set(["questions", 0, "colour"], "red"), "questions[0].colour"),
    ("bad evidence mark", _set(["questions", 0, "evidence"], "[X]"), "questions[0].evidence"),
    ("missing evidence", _delete(["readings", 1, "evidence"]), "readings[1].evidence"),
    ("unknown answer type", _set(["questions", 0, "answer_type"], "colour"),
     "questions[0].answer_type"),
    ("unknown dimension", _set(["questions", 0, "dimension"], "spiritual"),
     "questions[0].dimension"),
    ("duplicate question", _set(["questions", 1, "id"], "eco_income_sources"),
     "questions[1].id"),
    ("dimension without questions", _drop_dimension_questions("psychosocial"),
     "dimensions.psychosocial"),
    ("readings not ascending", _set(["readings", 2, "min"], 0.2), "readings[2].min"),
    ("first reading above 0", _set(["readings", 0, "min"], 0.1), "readings[0].min"),
    ("threshold above 1", _set(["readings", 2, "min"], 1.2), "readings[2].min"),
    ("number max below min", _set(["answer_types", "count_0_3", "max"], 0),
     "answer_types.count_0_3.max"),
    ("bad version", _set(["version"], "one"), "version"),
    ("missing dimension_gap", _delete(["dimension_gap"]), "dimension_gap"),
    ("missing least share", _delete(["min_answered_share"]), "min_answered_share"),
    ("least share above 1", _set(["min_answered_share", "value"], 1.5),
     "min_answered_share.value"),
    ("least share unmarked", _delete(["min_answered_share", "evidence"]),
     "min_answered_share.evidence"),
    ("composite weight on one question only", _set(["questions", 0, "composite_weight"], 1),
     "questions[1].composite_weight"),
    ("negative composite weight", _set(["questions", 0, "composite_weight"], -1),
     "questions[0].composite_weight"),
    ("composite weights all zero", lambda doc: [q.__setitem__("composite_weight", 0)
                                                for q in doc["questions"]], "questions"),
]


@pytest.mark.parametrize(("mutate", "field"), [(m, f) for _n, m, f in BAD_DOCS],
                         ids=[n for n, _m, _f in BAD_DOCS])
def test_bad_reference_refused(tmp_path: Path, mutate: Any, field: str) -> None:
    doc = copy.deepcopy(packaged())
    mutate(doc)
    path = tmp_path / "rss.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(rss.InvalidReference) as info:
        loader.load_survey_file(path)
    assert isinstance(info.value, ValidationError)
    assert info.value.params["field"] == field
    assert field in info.value.user_message()


def test_unreadable_reference_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b"\xff\xfe{}")
    for path in (broken, latin, tmp_path / "missing.json"):
        with pytest.raises(loader.SurveyFileError):
            loader.load_survey_file(path)


def test_good_reference_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "rss.json"
    doc = weighted_doc()
    doc["version"] = "1.1.0"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    s = loader.load_survey_file(path)
    assert s.version == "1.1.0" and s.dimensions["economic"].weight == 0.5


# --- Hypothesis ----------------------------------------------------------------------------

def _answer(q: rss.Question) -> st.SearchStrategy[object]:
    extra: list[object] = [None, "unknown"] + (["not_applicable"] if q.not_applicable else [])
    if q.answer_type.kind == "number":
        return st.one_of(st.integers(0, 50), st.sampled_from(extra))
    return st.sampled_from([o.value for o in q.answer_type.options] + extra)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_scores_stay_in_range(data: st.DataObject) -> None:
    doc = packaged()
    weight = st.one_of(st.just(0), st.floats(0, 10, allow_nan=False, allow_infinity=False))
    dim_weights = data.draw(st.lists(weight, min_size=3, max_size=3).filter(
        lambda ws: sum(ws) > 0))
    for d, w in zip(rss.DIMENSIONS, dim_weights, strict=True):
        doc["dimensions"][d]["weight"] = w
    for q in doc["questions"]:
        q["weight"] = data.draw(st.floats(0.1, 10, allow_nan=False))
    s = rss.survey_from_dict(doc, "hypothesis")
    answers = {q.id: data.draw(_answer(q)) for q in s.questions}
    a = rss.score({k: v for k, v in answers.items() if v is not None}, s)
    assert all(q.value is None or 0 <= q.value <= 1 for q in a.questions)
    dims = [d.score for d in a.dimensions.values() if d.score is not None]
    assert all(0 <= x <= 1 for x in dims)
    weighted = [a.dimensions[d].score for d, w in zip(rss.DIMENSIONS, dim_weights, strict=True)
                if w > 0 and a.dimensions[d].score is not None]
    if a.composite is None:
        # Only when a dimension has no score (a composite over the rest would mislead).
        assert len(dims) < 3 and a.reading is None
    else:
        assert len(dims) == 3
        assert 0 <= a.composite <= 1
        assert min(dims) <= a.composite <= max(dims)
        assert min(weighted) <= a.composite <= max(weighted)
        # A reading exactly when the dimensions are not far apart.
        assert (a.reading is None) == a.gap_flag


# --- the service ---------------------------------------------------------------------------

@pytest.fixture
def session(caseworker: Session) -> Session:
    return caseworker




# Enough answers in each dimension of the packaged survey (half of each: 4 of 7, 3 of 6,
# 3 of 5).
BASELINE = {"eco_work": "no", "eco_debt": "unmanageable", "eco_food": "often",
            "eco_borrow": "no", "soc_housing": "partly", "soc_documents": "yes",
            "soc_networks": "rarely", "psy_safety": "disagree", "psy_belonging": "disagree",
            "psy_distress": "often"}
MONITORING = {**BASELINE, "eco_work": "fully", "eco_debt": "manageable", "eco_food": "rarely",
              "psy_safety": "agree", "psy_belonging": "agree", "psy_distress": "rarely"}


def with_follow_up(session: Session) -> str:
    """A consented case whose person also agreed to be contacted again (monitoring)."""
    case_id = consented_case(session)
    ConsentService(session).record(case_id, consent.FOLLOW_UP_CONTACT, True, language="urd",
                                   explanation_version="consent-text-1.0")
    return case_id


def test_record_needs_interview_consent(session: Session) -> None:
    case_id = CaseService(session).create({"prs_FirstName": "Bilal"}).id
    with pytest.raises(ConsentRequired):
        ReintegrationService(session).record(case_id, "baseline", BASELINE)
    assert session.store.children(case_id, ASSESSMENT) == []


def test_rounds_are_stored_with_scores_and_version(session: Session) -> None:
    case_id = with_follow_up(session)
    svc = ReintegrationService(session)
    # Recorded out of order on purpose: rounds() sorts baseline first.
    m1 = svc.record(case_id, "monitoring_1", MONITORING, notes="new job at the market").id
    base = svc.record(case_id, "baseline", BASELINE).id
    rounds = svc.rounds(case_id)
    assert [r["id"] for r in rounds] == [base, m1]
    assert [r["round"] for r in rounds] == ["baseline", "monitoring_1"]
    first = rounds[0]
    survey = loader.load_survey()
    assert (first["survey_id"], first["survey_version"]) == (survey.id, survey.version)
    assert first["answers"] == BASELINE
    assert first["scores"] == rss.score(BASELINE, survey).to_json()
    assert rounds[1]["notes"] == "new job at the market"


def test_round_recorded_once_and_corrected_by_supersession(session: Session) -> None:
    case_id = consented_case(session)
    svc = ReintegrationService(session)
    first = svc.record(case_id, "baseline", BASELINE).id
    with pytest.raises(RoundAlreadyRecorded):
        svc.record(case_id, "baseline", MONITORING)
    before = session.store.get(first)
    assert before is not None
    fixed = svc.correct(first, {**BASELINE, "eco_work": "partly"}, notes="misheard").id
    after = session.store.get(first)
    assert after is not None and after.body == before.body  # the old record is untouched
    assert [r["id"] for r in svc.rounds(case_id)] == [fixed]
    assert svc.rounds(case_id)[0]["supersedes"] == first
    assert [h["id"] for h in svc.history(case_id)] == [first, fixed]
    with pytest.raises(AlreadySuperseded):
        svc.correct(first, BASELINE)
    with pytest.raises(RoundAlreadyRecorded):
        svc.record(case_id, "baseline", BASELINE)


def test_change_between_rounds(session: Session) -> None:
    case_id = with_follow_up(session)
    svc = ReintegrationService(session)
    svc.record(case_id, "baseline", BASELINE)
    svc.record(case_id, "monitoring_1", MONITORING)
    change = svc.change(case_id, "baseline", "monitoring_1")
    survey = loader.load_survey()
    expected = rss.compare(rss.score(BASELINE, survey), rss.score(MONITORING, survey)).to_json()
    assert change == {"from_round": "baseline", "to_round": "monitoring_1", **expected}
    assert change["dimensions"]["economic"]["direction"] == rss.IMPROVED
    assert change["dimensions"]["social"]["direction"] == rss.UNCHANGED
    assert change["composite"]["direction"] == rss.IMPROVED
    with pytest.raises(RoundNotRecorded):
        svc.change(case_id, "baseline", "monitoring_2")
    with pytest.raises(rss.InvalidRound):
        svc.change(case_id, "baseline", "final")


def test_stored_scores_survive_a_new_survey_version(session: Session) -> None:
    case_id = with_follow_up(session)
    ReintegrationService(session).record(case_id, "baseline", BASELINE)
    doc = weighted_doc()
    doc["version"] = "2.0.0"
    newer = ReintegrationService(session, rss.survey_from_dict(doc, "admin"))
    newer.record(case_id, "monitoring_1", BASELINE)
    rounds = newer.rounds(case_id)
    assert [r["survey_version"] for r in rounds] == [loader.load_survey().version, "2.0.0"]
    assert rounds[0]["scores"] == rss.score(BASELINE, loader.load_survey()).to_json()
    assert newer.change(case_id, "baseline", "monitoring_1")["same_survey_version"] is False


def test_audit_names_fields_not_answers(session: Session) -> None:
    case_id = consented_case(session)
    svc = ReintegrationService(session)
    first = svc.record(case_id, "baseline", BASELINE, notes="afraid of the lender").id
    svc.correct(first, BASELINE, notes="afraid of the lender, corrected")
    svc.rounds(case_id)
    events = session.audit.events(case_id)
    actions = [e["action"] for e in events]
    assert {"reintegration_assessed", "reintegration_corrected",
            "reintegration_viewed"} <= set(actions)
    assessed = next(e for e in events if e["action"] == "reintegration_assessed")
    assert {"round", "answers", "scores", "notes", "survey_version"} <= set(assessed["fields"])
    corrected = next(e for e in events if e["action"] == "reintegration_corrected")
    assert "supersedes" in corrected["fields"]
    assert "lender" not in repr(events) and "unmanageable" not in repr(events)
    assert session.verify_audit().ok


def test_bad_input_stores_nothing(session: Session) -> None:
    case_id = consented_case(session)
    svc = ReintegrationService(session)
    with pytest.raises(rss.InvalidRound):
        svc.record(case_id, "monitoring_0", BASELINE)
    with pytest.raises(rss.InvalidAssessmentAnswers):
        svc.record(case_id, "baseline", {"eco_work": "sometimes"})
    with pytest.raises(ValidationError):
        svc.record(case_id, "baseline", BASELINE, notes=5)  # type: ignore[arg-type]
    assert session.store.children(case_id, ASSESSMENT) == []


def test_empty_answers_do_not_take_the_baseline(session: Session) -> None:
    # Before: {} was stored as the baseline, and the real baseline could not be recorded.
    case_id = consented_case(session)
    svc = ReintegrationService(session)
    for nothing in ({}, {"eco_work": "unknown", "psy_safety": "unknown"}):
        with pytest.raises(NothingAnswered):
            svc.record(case_id, "baseline", nothing)
    assert session.store.children(case_id, ASSESSMENT) == []
    svc.record(case_id, "baseline", BASELINE)
    assert [r["round"] for r in svc.rounds(case_id)] == ["baseline"]


def test_monitoring_round_needs_follow_up_contact_consent(session: Session) -> None:
    # Before: a monitoring round needed only the interview consent given at intake.
    case_id = consented_case(session)
    svc = ReintegrationService(session)
    svc.record(case_id, "baseline", BASELINE)  # at intake: the interview consent suffices
    with pytest.raises(ConsentRequired, match="follow-up contact"):
        svc.record(case_id, "monitoring_1", MONITORING)
    consents = ConsentService(session)
    consents.record(case_id, consent.FOLLOW_UP_CONTACT, True, language="urd",
                    explanation_version="consent-text-1.0")
    m1 = svc.record(case_id, "monitoring_1", MONITORING).id
    consents.withdraw(case_id, purpose=consent.FOLLOW_UP_CONTACT)
    with pytest.raises(ConsentRequired, match="withdrawn"):
        svc.correct(m1, MONITORING)
    assert [r["round"] for r in svc.rounds(case_id)] == ["baseline", "monitoring_1"]
