"""The screening engine: the ILO/EC combination rule (RESEARCH §1.2), the person-level rule for
adults and children, the checklist and vulnerability kinds, and the shipped instrument files.

Expected results in the scenario table are worked out by hand from RESEARCH §1.2, not taken
from the code under test.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.domain import screening
from caseapp.domain.screening import (
    DIMENSIONS,
    INDICATED,
    INSUFFICIENT,
    NEGATIVE,
    NOT_INDICATED,
    POSITIVE,
)
from caseapp.errors import ValidationError
from caseapp.i18n import set_language
from caseapp.reference import loader

LANGS = ("en", "ur", "ps", "fa_AF")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
SHIPPED_DIR = Path(str(resources.files("caseapp.reference").joinpath("screening")))
SHIPPED_FILES = sorted(SHIPPED_DIR.glob("*.json"))
EXPECTED_IDS = {"ilo-ec-adult-labour", "ilo-ec-child-labour", "ilo-ec-adult-sexual",
                "ilo-ec-child-sexual", "ilo-forced-labour-11", "iom-som-vulnerability"}
ILO_EC_IDS = sorted(i for i in EXPECTED_IDS if i.startswith("ilo-ec-"))


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def raw(instrument_id: str) -> dict[str, Any]:
    return json.loads((SHIPPED_DIR / f"{instrument_id}.json").read_text(encoding="utf-8"))


# --- a synthetic instrument that makes scenarios readable ----------------------------------

PREFIX = {"deceptive_recruitment": "dr", "coercive_recruitment": "cr",
          "recruitment_abuse_of_vulnerability": "rv", "exploitative_conditions": "ec",
          "coercion_at_destination": "cd", "destination_abuse_of_vulnerability": "dv"}
LETTER = {"s": "strong", "m": "medium", "w": "weak"}


def _labels(text: str) -> dict[str, str]:
    return {lang: f"{text} ({lang})" for lang in LANGS}


def synthetic(age: str) -> dict[str, Any]:
    """Three strong, three medium and three weak indicators in every dimension:
    ``dr_s1``..``dr_s3``, ``dr_m1``.. and so on."""
    indicators = [
        {"id": f"{PREFIX[d]}_{letter}{n}", "dimension": d, "strength": strength,
         "label": _labels(f"{d} {strength} {n}"), "source": "test", "evidence": "[V]"}
        for d in DIMENSIONS for letter, strength in LETTER.items() for n in (1, 2, 3)
    ]
    data: dict[str, Any] = {
        "id": f"test-{age}", "version": "1.0", "title": _labels("Test"), "source": "test",
        "evidence": "[V]", "kind": "ilo_ec", "profile": {"age": age, "exploitation": "labour"},
        "dimensions": {d: _labels(d) for d in DIMENSIONS}, "indicators": indicators,
    }
    if age == "child":
        data["act_question"] = {"id": "act", "label": _labels("act"), "source": "test",
                                "evidence": "[V]"}
    return data


ADULT = screening.instrument_from_dict(synthetic("adult"), "test-adult")
CHILD = screening.instrument_from_dict(synthetic("child"), "test-child")


def answers_for(patterns: dict[str, str], act: str | None = None) -> dict[str, str]:
    """Patterns per dimension prefix: an upper-case S/M/W is one indicator of that strength
    answered yes, a lower-case one is left unknown, '*' leaves the whole dimension unknown.
    Everything not named is answered no."""
    answers: dict[str, str] = {}
    for prefix in PREFIX.values():
        pattern = patterns.get(prefix, "")
        if pattern == "*":
            continue
        used = dict.fromkeys("smw", 0)
        for ch in pattern:
            letter = ch.lower()
            used[letter] += 1
            answers[f"{prefix}_{letter}{used[letter]}"] = "yes" if ch.isupper() else "unknown"
        for letter in "smw":
            for n in range(1, 4):
                answers.setdefault(f"{prefix}_{letter}{n}", "no")
    if act is not None:
        answers["act"] = act
    return answers


def _dims(code: str) -> dict[str, str]:
    status = {"P": POSITIVE, "N": NEGATIVE, "I": INSUFFICIENT}
    return dict(zip(DIMENSIONS, (status[c] for c in code), strict=True))


# (name, age, patterns, act answer (child only), expected dimensions dr cr rv ec cd dv,
#  expected indication). Derived by hand from RESEARCH §1.2.
SCENARIOS = [
    # Step A, each combination and each near miss (in the deceptive dimension)
    ("2 strong", "adult", {"dr": "SS"}, None, "PNNNNN", NOT_INDICATED),
    ("1 strong + 1 medium", "adult", {"dr": "SM"}, None, "PNNNNN", NOT_INDICATED),
    ("1 strong + 1 weak", "adult", {"dr": "SW"}, None, "PNNNNN", NOT_INDICATED),
    ("3 medium", "adult", {"dr": "MMM"}, None, "PNNNNN", NOT_INDICATED),
    ("2 medium + 1 weak", "adult", {"dr": "MMW"}, None, "PNNNNN", NOT_INDICATED),
    ("1 strong alone is not enough", "adult", {"dr": "S"}, None, "NNNNNN", NOT_INDICATED),
    ("1 medium + 2 weak is not enough", "adult", {"dr": "MWW"}, None, "NNNNNN", NOT_INDICATED),
    ("weak only is never enough", "adult", {"dr": "WWW"}, None, "NNNNNN", NOT_INDICATED),
    ("2 medium is not enough", "adult", {"dr": "MM"}, None, "NNNNNN", NOT_INDICATED),
    ("1 strong + unknown medium", "adult", {"dr": "Sm"}, None, "INNNNN", NOT_INDICATED),
    ("2 medium + unknown weak", "adult", {"dr": "MMw"}, None, "INNNNN", NOT_INDICATED),
    ("unknowns that cannot reach", "adult", {"dr": "Mm"}, None, "NNNNNN", NOT_INDICATED),
    ("weak + unknown weaks cannot reach", "adult", {"dr": "Www"}, None, "NNNNNN",
     NOT_INDICATED),
    ("1 unknown strong alone cannot reach", "adult", {"dr": "s"}, None, "NNNNNN",
     NOT_INDICATED),
    ("whole dimension unknown", "adult", {"dr": "*"}, None, "INNNNN", NOT_INDICATED),
    # Step B, adults
    ("adult: deceptive + exploitation + coercion at destination", "adult",
     {"dr": "SM", "ec": "SM", "cd": "SS"}, None, "PNNPPN", INDICATED),
    ("adult: vulnerability at recruitment and at destination", "adult",
     {"rv": "MMM", "ec": "MMW", "dv": "MMM"}, None, "NNPPNP", INDICATED),
    ("adult: every dimension positive", "adult",
     {"dr": "SS", "cr": "SW", "rv": "MMM", "ec": "SS", "cd": "SS", "dv": "MMW"}, None,
     "PPPPPP", INDICATED),
    ("adult: no destination dimension", "adult", {"dr": "SS", "ec": "SS"}, None, "PNNPNN",
     NOT_INDICATED),
    ("adult: no recruitment dimension", "adult", {"ec": "SS", "cd": "SS"}, None, "NNNPPN",
     NOT_INDICATED),
    ("adult: no exploitation", "adult", {"dr": "SS", "cd": "SS", "dv": "MMM"}, None, "PNNNPP",
     NOT_INDICATED),
    ("adult: destination undecided", "adult", {"dr": "SS", "ec": "SS", "cd": "Ss"}, None,
     "PNNPIN", INSUFFICIENT),
    ("adult: exploitation undecided", "adult", {"dr": "SS", "ec": "MMm", "cd": "SS"}, None,
     "PNNIPN", INSUFFICIENT),
    ("adult: recruitment undecided", "adult", {"cr": "Mmm", "ec": "SS", "dv": "MMW"}, None,
     "NINPNP", INSUFFICIENT),
    ("adult: nothing answered", "adult", dict.fromkeys(PREFIX.values(), "*"), None, "IIIIII",
     INSUFFICIENT),
    ("adult: everything no", "adult", {}, None, "NNNNNN", NOT_INDICATED),
    ("adult: undecided recruitment cannot help without exploitation", "adult",
     {"dr": "Sm", "cd": "SS"}, None, "INNNPN", NOT_INDICATED),
    # Step B, children: no means needed; destination dimensions are not required
    ("child: recruitment + exploitation, no destination", "child", {"cr": "SS", "ec": "SS"},
     "no", "NPNPNN", INDICATED),
    ("child: exploitation + the act, no recruitment dimension", "child", {"ec": "SS"}, "yes",
     "NNNPNN", INDICATED),
    ("child: exploitation, act answered no", "child", {"ec": "SS"}, "no", "NNNPNN",
     NOT_INDICATED),
    ("child: exploitation, act unknown", "child", {"ec": "SS"}, None, "NNNPNN", INSUFFICIENT),
    ("child: destination dimensions do not replace exploitation", "child",
     {"dr": "SS", "cd": "SS", "dv": "MMM"}, "yes", "PNNNPP", NOT_INDICATED),
    ("child: exploitation undecided", "child", {"dr": "SS", "ec": "Sm"}, "no", "PNNINN",
     INSUFFICIENT),
    ("child: recruitment undecided, act no", "child", {"dr": "Ms", "ec": "SS"}, "no",
     "INNPNN", INSUFFICIENT),
    ("child: everything no", "child", {}, "no", "NNNNNN", NOT_INDICATED),
    ("child: a child's medium pair in exploitation is not enough", "child",
     {"dr": "SS", "ec": "MM"}, "yes", "PNNNNN", NOT_INDICATED),
]


@pytest.mark.parametrize(("name", "age", "patterns", "act", "dims", "indication"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_scenario(name: str, age: str, patterns: dict[str, str], act: str | None, dims: str,
                  indication: str) -> None:
    instrument = ADULT if age == "adult" else CHILD
    result = screening.evaluate(instrument, answers_for(patterns, act))
    assert dict(result.dimensions) == _dims(dims), name
    assert result.indication == indication, name


def test_scenarios_cover_every_branch() -> None:
    dims = {c for s in SCENARIOS for c in s[4]}
    outcomes = {(s[1], s[5]) for s in SCENARIOS}
    assert dims == {"P", "N", "I"}
    assert outcomes == {(age, o) for age in ("adult", "child")
                        for o in (INDICATED, NOT_INDICATED, INSUFFICIENT)}
    assert len(SCENARIOS) >= 20


def test_trafficking_types_follow_positive_recruitment_dimensions() -> None:
    everything = screening.evaluate(ADULT, answers_for(
        {"dr": "SS", "cr": "SW", "rv": "MMM", "ec": "SS", "cd": "SS", "dv": "MMW"}))
    assert everything.trafficking_types == ("deceptive", "coercive", "abuse_of_vulnerability")
    vulnerability = screening.evaluate(ADULT, answers_for({"rv": "MMM", "ec": "SS", "dv": "MMM"}))
    assert vulnerability.trafficking_types == ("abuse_of_vulnerability",)
    not_indicated = screening.evaluate(ADULT, answers_for({"dr": "SS", "ec": "SS"}))
    assert not_indicated.trafficking_types == ()


# --- reasons -------------------------------------------------------------------------------

def _reason(result: screening.ScreeningResult, code: str,
            dimension: str | None = None) -> screening.Reason:
    matches = [r for r in result.reasons
               if r.code == code and (dimension is None or dimension in r.dimensions)]
    assert len(matches) == 1, [r.code for r in result.reasons]
    return matches[0]


def test_reasons_name_the_indicators_that_made_a_dimension_positive() -> None:
    result = screening.evaluate(ADULT, answers_for({"dr": "SM", "ec": "SS", "cd": "SS"}))
    reason = _reason(result, "dimension_positive", "deceptive_recruitment")
    assert reason.indicators == ("dr_s1", "dr_m1")
    text = screening.reason_text(reason, ADULT)
    assert "deceptive_recruitment strong 1 (en)" in text
    assert "deceptive_recruitment medium 1 (en)" in text
    assert text.startswith("deceptive_recruitment (en) is positive")


def test_reasons_say_which_part_of_the_rule_is_missing() -> None:
    result = screening.evaluate(ADULT, answers_for({"dr": "SS", "ec": "SS"}))
    missing = _reason(result, "missing_destination")
    assert set(missing.dimensions) == set(DIMENSIONS[4:])
    codes = [r.code for r in result.reasons]
    assert "missing_recruitment" not in codes
    assert "missing_exploitation" not in codes


def test_reasons_name_unknown_answers_that_could_change_the_result() -> None:
    result = screening.evaluate(ADULT, answers_for({"dr": "SS", "ec": "SS", "cd": "Sm"}))
    undecided = _reason(result, "dimension_insufficient", "coercion_at_destination")
    assert undecided.indicators == ("cd_m1",)
    could_change = _reason(result, "insufficient_information")
    assert could_change.dimensions == ("coercion_at_destination",)


def test_child_reasons_explain_destination_weight_and_unknown_act() -> None:
    result = screening.evaluate(CHILD, answers_for({"ec": "SS", "cd": "SS"}))
    assert result.indication == INSUFFICIENT
    assert _reason(result, "missing_act").indicators == ("act",)
    assert _reason(result, "child_destination_weight").dimensions == ("coercion_at_destination",)


def test_every_result_says_it_is_not_a_legal_status() -> None:
    for patterns in ({}, {"dr": "SS", "ec": "SS", "cd": "SS"}):
        result = screening.evaluate(ADULT, answers_for(patterns))
        _reason(result, "not_a_legal_status")
        assert "legal_status" not in result.to_json()
        assert "vic_TraffickingStatus" not in json.dumps(result.to_json())


def test_unconfirmed_instrument_is_flagged_in_the_reasons() -> None:
    result = screening.evaluate(loader.load_instrument("ilo-ec-adult-sexual"), {})
    _reason(result, "unconfirmed_instrument")
    confirmed = screening.evaluate(loader.load_instrument("ilo-ec-adult-labour"), {})
    assert "unconfirmed_instrument" not in [r.code for r in confirmed.reasons]


def test_reasons_use_indicator_labels_in_the_current_language() -> None:
    set_language("ur")
    instrument = loader.load_instrument("ilo-ec-adult-labour")
    data = raw("ilo-ec-adult-labour")
    labels = {i["id"]: i["label"]["ur"] for i in data["indicators"]}
    result = screening.evaluate(instrument, {"dr_nature_job_location_employer": "yes",
                                             "dr_wages": "yes"})
    reason = _reason(result, "dimension_positive", "deceptive_recruitment")
    text = screening.reason_text(reason, instrument)
    assert labels["dr_nature_job_location_employer"] in text
    assert labels["dr_wages"] in text
    assert data["dimensions"]["deceptive_recruitment"]["ur"] in text
    assert result.to_json()["language"] == "ur"


def test_to_json_shape() -> None:
    out = screening.evaluate(ADULT, answers_for({"dr": "SS"})).to_json()
    assert list(out["dimensions"]) == list(DIMENSIONS)
    assert out["indication"] == NOT_INDICATED
    assert all(isinstance(text, str) and text for text in out["reasons"])
    assert len(out["reason_data"]) == len(out["reasons"])
    assert {"code", "dimensions", "indicators"} <= set(out["reason_data"][0])
    json.dumps(out)  # serialisable as is


# --- answers validation --------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "fragment"), [
    ({"no_such_indicator": "yes"}, "no_such_indicator"),
    ({"dr_s1": "maybe"}, "dr_s1"),
    ({"dr_s1": "Yes"}, "dr_s1"),
    ({"dr_s1": True}, "dr_s1"),
    ({"dr_s1": {"answer": "yes", "extra": 1}}, "dr_s1"),
    ({"dr_s1": {"note": "only a note"}}, "dr_s1"),
    ({"dr_s1": {"answer": "yes", "note": 5}}, "dr_s1"),
    ({"act": "yes"}, "act"),  # the act question exists in child sets only
])
def test_bad_answers_raise_a_validation_error_naming_the_indicator(
        answers: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        screening.evaluate(ADULT, answers)
    assert fragment in str(excinfo.value)


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(ValidationError):
        screening.evaluate(ADULT, ["dr_s1"])  # type: ignore[arg-type]


def test_answer_objects_with_notes_are_accepted() -> None:
    answers: dict[str, object] = {"dr_s1": {"answer": "yes", "note": "promised a factory job"},
                                  "dr_s2": "yes"}
    assert screening.evaluate(ADULT, answers).dimensions["deceptive_recruitment"] == POSITIVE


def test_parse_answers_rejects_non_objects_and_bad_json() -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        screening.parse_answers("{", "a.json")
    with pytest.raises(ValidationError, match="one JSON object"):
        screening.parse_answers("[]", "a.json")
    assert screening.parse_answers('{"x": "yes"}', "a.json") == {"x": "yes"}


def test_evaluate_refuses_other_kinds() -> None:
    with pytest.raises(ValidationError):
        screening.evaluate(loader.load_instrument("ilo-forced-labour-11"), {})


# --- property tests ------------------------------------------------------------------------

ALL_ILO_EC = [ADULT, CHILD] + [loader.load_instrument(i) for i in ILO_EC_IDS]
ORDER = {NEGATIVE: 0, INSUFFICIENT: 1, POSITIVE: 2}


@st.composite
def instrument_and_answers(draw: st.DrawFn) -> tuple[screening.Instrument, dict[str, str]]:
    instrument = draw(st.sampled_from(ALL_ILO_EC))
    answers: dict[str, str] = {}
    for item in instrument.items():
        value = draw(st.sampled_from(("yes", "no", "unknown", "missing")))
        if value != "missing":
            answers[item.id] = value
    return instrument, answers


def _unknown_ids(instrument: screening.Instrument, answers: dict[str, str]) -> list[str]:
    return [i.id for i in instrument.items() if answers.get(i.id, "unknown") == "unknown"]


@settings(max_examples=150, deadline=None)
@given(instrument_and_answers(), st.data())
def test_turning_an_unknown_into_yes_never_lowers_a_result(
        case: tuple[screening.Instrument, dict[str, str]], data: st.DataObject) -> None:
    instrument, answers = case
    unknown = _unknown_ids(instrument, answers)
    if not unknown:
        return
    flipped = {**answers, data.draw(st.sampled_from(unknown)): "yes"}
    before = screening.evaluate(instrument, answers)
    after = screening.evaluate(instrument, flipped)
    for d in DIMENSIONS:
        assert ORDER[after.dimensions[d]] >= ORDER[before.dimensions[d]]
        if before.dimensions[d] == NEGATIVE:  # yes-or-unknown set unchanged: still negative
            assert after.dimensions[d] == NEGATIVE
    if before.indication == INDICATED:
        assert after.indication == INDICATED
    if before.indication == NOT_INDICATED:
        assert after.indication == NOT_INDICATED


@settings(max_examples=150, deadline=None)
@given(instrument_and_answers())
def test_insufficient_means_all_unknowns_yes_would_make_it_positive(
        case: tuple[screening.Instrument, dict[str, str]]) -> None:
    instrument, answers = case
    unknown = _unknown_ids(instrument, answers)
    result = screening.evaluate(instrument, answers)
    hopeful = screening.evaluate(instrument, {**answers, **dict.fromkeys(unknown, "yes")})
    doubtful = screening.evaluate(instrument, {**answers, **dict.fromkeys(unknown, "no")})
    for d in DIMENSIONS:
        if result.dimensions[d] == INSUFFICIENT:
            assert hopeful.dimensions[d] == POSITIVE
            assert doubtful.dimensions[d] == NEGATIVE
        else:
            assert hopeful.dimensions[d] == result.dimensions[d]
    if result.indication == INSUFFICIENT:
        assert hopeful.indication == INDICATED
        assert doubtful.indication == NOT_INDICATED
    else:
        assert hopeful.indication == result.indication
    # Nothing is left unknown, so nothing can be undecided.
    assert INSUFFICIENT not in hopeful.dimensions.values()
    assert hopeful.indication != INSUFFICIENT


@settings(max_examples=100, deadline=None)
@given(instrument_and_answers())
def test_answers_without_any_yes_are_never_indicated(
        case: tuple[screening.Instrument, dict[str, str]]) -> None:
    instrument, answers = case
    no_yes = {k: ("no" if v == "yes" else v) for k, v in answers.items()}
    assert screening.evaluate(instrument, no_yes).indication != INDICATED
    all_no = dict.fromkeys((i.id for i in instrument.items()), "no")
    result = screening.evaluate(instrument, all_no)
    assert result.indication == NOT_INDICATED
    assert set(result.dimensions.values()) == {NEGATIVE}


@settings(max_examples=100, deadline=None)
@given(instrument_and_answers())
def test_a_missing_answer_is_the_same_as_unknown(
        case: tuple[screening.Instrument, dict[str, str]]) -> None:
    instrument, answers = case
    explicit = {i.id: answers.get(i.id, "unknown") for i in instrument.items()}
    dropped = {k: v for k, v in answers.items() if v != "unknown"}
    a, b, c = (screening.evaluate(instrument, x) for x in (answers, explicit, dropped))
    assert a.to_json() == b.to_json() == c.to_json()


def research_rule(s: int, m: int, w: int) -> bool:
    # Copied from RESEARCH §1.2, the reference for the engine's default combinations.
    return (s >= 2) or (s >= 1 and (m + w) >= 1) or (m >= 3) or (m >= 2 and w >= 1)


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6))
def test_dimension_rule_matches_research_formula(s: int, m: int, w: int) -> None:
    counts = {"strong": s, "medium": m, "weak": w}
    assert screening.dimension_positive(counts) == research_rule(s, m, w)


@pytest.mark.parametrize("instrument_id", ILO_EC_IDS)
def test_all_yes_indicates_and_all_unknown_is_insufficient(instrument_id: str) -> None:
    instrument = loader.load_instrument(instrument_id)
    everything = dict.fromkeys((i.id for i in instrument.items()), "yes")
    result = screening.evaluate(instrument, everything)
    assert set(result.dimensions.values()) == {POSITIVE}
    assert result.indication == INDICATED
    assert screening.evaluate(instrument, {}).indication == INSUFFICIENT


# --- checklist and vulnerability kinds -----------------------------------------------------

def test_forced_labour_checklist_lists_evidence_without_a_score() -> None:
    instrument = loader.load_instrument("ilo-forced-labour-11")
    ids = [i.id for i in instrument.indicators]
    all_no = dict.fromkeys(ids, "no")
    assert screening.evaluate_checklist(instrument, all_no).summary == "no_indicator_present"
    assert screening.evaluate_checklist(instrument, {}).summary == INSUFFICIENT
    answers: dict[str, object] = {**all_no, ids[1]: {"answer": "yes", "note": "false job offer"}}
    result = screening.evaluate_checklist(instrument, answers)
    out = result.to_json()
    assert out["summary"] == "indicators_present"
    assert out["present"] == [ids[1]]
    assert out["evidence"] == {ids[1]: "false job offer"}
    assert not {"score", "total"} & set(out)
    assert [r.code for r in result.reasons] == ["present", "guidance"]


def test_vulnerability_screening_lists_factors_per_level() -> None:
    instrument = loader.load_instrument("iom-som-vulnerability")
    data = raw("iom-som-vulnerability")
    first = {}
    for item in data["indicators"]:
        first.setdefault((item["level"], item["effect"]), item["id"])
    answers = {first[("individual", "risk")]: "yes", first[("individual", "protective")]: "yes",
               first[("structural", "risk")]: "yes", first[("household", "risk")]: "no"}
    out = screening.evaluate_any(instrument, answers).to_json()
    assert list(out["levels"]) == ["individual", "household", "community", "structural"]
    assert out["levels"]["individual"]["risk_factors"] == [first[("individual", "risk")]]
    assert out["levels"]["individual"]["protective_factors"] == [
        first[("individual", "protective")]]
    assert out["levels"]["structural"]["risk_factors"] == [first[("structural", "risk")]]
    assert out["levels"]["household"]["risk_factors"] == []
    assert first[("household", "risk")] not in out["levels"]["household"]["unknown"]
    level_keys = {key for level in out["levels"].values() for key in level}
    assert not any("score" in key for key in set(out) | level_keys)


# --- instrument files ----------------------------------------------------------------------

def test_the_expected_instruments_are_shipped() -> None:
    assert {p.stem for p in SHIPPED_FILES} == EXPECTED_IDS
    assert [i.id for i in loader.list_instruments()] == sorted(EXPECTED_IDS)


def _check_labels(labels: object, where: str) -> None:
    assert isinstance(labels, dict) and set(labels) == set(LANGS), where
    for lang in LANGS:
        assert isinstance(labels[lang], str) and labels[lang].strip(), (where, lang)
    for lang in ("ur", "ps", "fa_AF"):
        assert ARABIC_SCRIPT.search(labels[lang]), (where, lang)
        assert labels[lang] != labels["en"], (where, lang)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=[p.stem for p in SHIPPED_FILES])
def test_shipped_file_is_well_formed(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["id"] == path.stem
    assert data["kind"] in ("ilo_ec", "checklist", "vulnerability")
    assert data["evidence"] in ("[V]", "[V2]", "[M]")
    assert data["source"].strip()
    _check_labels(data["title"], "title")
    ids = [i["id"] for i in data["indicators"]]
    assert len(ids) == len(set(ids)), "indicator ids must be unique"
    for item in data["indicators"]:
        assert item["evidence"] in ("[V]", "[V2]", "[M]"), item["id"]
        assert item["source"].strip(), item["id"]
        _check_labels(item["label"], item["id"])
        if data["kind"] == "ilo_ec":
            assert item["dimension"] in DIMENSIONS, item["id"]
            assert item["strength"] in ("strong", "medium", "weak"), item["id"]
        elif data["kind"] == "vulnerability":
            assert item["level"] in ("individual", "household", "community", "structural")
            assert item["effect"] in ("risk", "protective")
        else:
            assert not {"dimension", "strength", "level", "effect"} & set(item)
    if data["kind"] == "ilo_ec":
        assert set(data["dimensions"]) == set(DIMENSIONS)
        for d in DIMENSIONS:
            _check_labels(data["dimensions"][d], d)
        assert data["profile"]["age"] in ("adult", "child")
        assert data["profile"]["exploitation"] in ("labour", "sexual")
    for key in ("guidance", "levels"):
        for label in ([data[key]] if key == "guidance" and key in data
                      else data.get(key, {}).values() if key == "levels" else []):
            _check_labels(label, key)
    # The strict loader accepts it as well.
    assert loader.load_instrument_file(path).id == path.stem


def _strengths(instrument_id: str) -> dict[str, tuple[str, str]]:
    return {i["id"]: (i["dimension"], i["strength"]) for i in raw(instrument_id)["indicators"]}


def test_adult_labour_set_matches_research_counts_and_ratings() -> None:
    items = _strengths("ilo-ec-adult-labour")
    per_dim = [sum(1 for d, _ in items.values() if d == dim) for dim in DIMENSIONS]
    assert per_dim == [10, 10, 16, 9, 15, 7]  # RESEARCH §1.1 table
    # RESEARCH §1.3: D3 for adult labour has no strong indicator.
    assert all(s != "strong" for d, s in items.values()
               if d == "recruitment_abuse_of_vulnerability")
    assert items["dr_nature_job_location_employer"][1] == "strong"
    assert items["dr_education"][1] == "weak"
    assert items["cr_debt_bondage"][1] == "medium"
    assert items["cd_debt_bondage"][1] == "strong"
    assert items["cd_threat_inform_family"][1] == "weak"
    assert items["ec_no_education"][1] == "weak"
    assert items["rv_general_context"][1] == "weak"


def test_child_labour_set_matches_research() -> None:
    items = _strengths("ilo-ec-child-labour")
    assert all(s != "weak" for _, s in items.values())  # no weak ratings for children
    assert "rv_false_info_law" not in items and "ec_no_social_protection" not in items
    assert len(items) == 65
    assert items["dr_education"][1] == "strong"
    assert items["cr_debt_bondage"][1] == "strong"
    assert items["cd_forced_tasks_clients"][1] == "strong"
    assert items["dv_personal_characteristics"][1] == "medium"
    assert "act_question" in raw("ilo-ec-child-labour")


def test_disputed_adult_ratings_carry_a_note() -> None:
    notes = {i["id"]: i.get("note", "") for i in raw("ilo-ec-adult-labour")["indicators"]}
    assert "[M]" in notes["rv_past_difficulties"] and "[M]" in notes["rv_travel_difficulty"]


@pytest.mark.parametrize("instrument_id", ["ilo-ec-adult-sexual", "ilo-ec-child-sexual"])
def test_sexual_sets_are_marked_unconfirmed(instrument_id: str) -> None:
    data = raw(instrument_id)
    assert data["evidence"] == "[M]"
    by_id = {i["id"]: i for i in data["indicators"]}
    assert by_id["cd_forced_tasks_clients"]["strength"] == "strong"
    assert by_id["cd_forced_tasks_clients"]["evidence"] == "[V2]"
    # The one item added from the law (child set only) is marked by its own sources.
    from_law = {"cd_forced_tasks_clients", "ec_sx_child_sexual_services"}
    others = [i for i in data["indicators"] if i["id"] not in from_law]
    assert all(i["evidence"] == "[M]" for i in others)


def test_forced_labour_checklist_has_the_eleven_ilo_indicators() -> None:
    data = raw("ilo-forced-labour-11")
    assert data["kind"] == "checklist"
    assert [i["label"]["en"] for i in data["indicators"]] == [
        "Abuse of vulnerability", "Deception", "Restriction of movement", "Isolation",
        "Physical and sexual violence", "Intimidation and threats",
        "Retention of identity documents", "Withholding of wages", "Debt bondage",
        "Abusive working and living conditions", "Excessive overtime"]


def test_vulnerability_screening_has_risk_and_protective_factors_on_every_level() -> None:
    items = raw("iom-som-vulnerability")["indicators"]
    for level in ("individual", "household", "community", "structural"):
        effects = {i["effect"] for i in items if i["level"] == level}
        assert effects == {"risk", "protective"}, level


# --- strict validation of administrator files ----------------------------------------------

def _drop_dimension(data: dict[str, Any]) -> None:
    data["indicators"] = [i for i in data["indicators"]
                          if i["dimension"] != "destination_abuse_of_vulnerability"]


def _duplicate(data: dict[str, Any]) -> None:
    data["indicators"].append(copy.deepcopy(data["indicators"][0]))


BAD_EDITS = [
    ("unknown strength", lambda d: d["indicators"][0].update(strength="very strong"),
     "strength"),
    ("unknown dimension", lambda d: d["indicators"][0].update(dimension="transport"),
     "dimension"),
    ("duplicate id", _duplicate, "repeats"),
    ("missing language", lambda d: d["indicators"][0]["label"].pop("ps"), "languages"),
    ("empty label", lambda d: d["indicators"][0]["label"].update(ur="  "), "languages"),
    ("bad evidence mark", lambda d: d["indicators"][0].update(evidence="[X]"), "evidence"),
    ("missing evidence mark", lambda d: d["indicators"][0].pop("evidence"), "evidence"),
    ("unknown top-level field", lambda d: d.update(score=1), "score"),
    ("unknown indicator field", lambda d: d["indicators"][0].update(weight=2), "weight"),
    ("dimension without indicators", _drop_dimension, "has no indicator"),
    ("act question on an adult set", lambda d: d.update(act_question={
        "id": "act", "label": _labels("x"), "source": "s", "evidence": "[V]"}), "child"),
    ("counting one strength twice", lambda d: d.update(
        positive_combinations=[{"strong+strong": 2}]), "positive_combinations"),
    ("zero needed", lambda d: d.update(positive_combinations=[{"strong": 0}]), "at least 1"),
    ("bad version", lambda d: d.update(version="v1"), "version"),
    ("unknown kind", lambda d: d.update(kind="score"), "kind"),
    ("bad id", lambda d: d.update(id="../etc"), "id"),
    ("no indicators", lambda d: d.update(indicators=[]), "indicators"),
    ("missing profile", lambda d: d.pop("profile"), "profile"),
    ("missing dimension labels", lambda d: d["dimensions"].pop("coercive_recruitment"),
     "dimensions"),
    ("field of another kind", lambda d: d.update(levels={}), "levels"),
]


@pytest.mark.parametrize(("name", "edit", "fragment"), BAD_EDITS, ids=[b[0] for b in BAD_EDITS])
def test_bad_instrument_file_is_rejected_clearly(tmp_path: Path, name: str, edit: Any,
                                                 fragment: str) -> None:
    data = raw("ilo-ec-adult-labour")
    edit(data)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        loader.load_instrument_file(path)
    message = str(excinfo.value)
    assert fragment in message, (name, message)
    assert "edited.json" in message


def test_checklist_items_may_not_carry_strengths(tmp_path: Path) -> None:
    data = raw("ilo-forced-labour-11")
    data["indicators"][0]["strength"] = "strong"
    path = tmp_path / "fl.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError, match="strength"):
        loader.load_instrument_file(path)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b"\xff\xfe\x00", "UTF-8"),
])
def test_unreadable_instrument_files(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=fragment):
        loader.load_instrument_file(path)


def test_missing_instrument_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot be read"):
        loader.load_instrument_file(tmp_path / "absent.json")


def test_administrator_can_change_the_combination_rule(tmp_path: Path) -> None:
    data = raw("ilo-ec-adult-labour")
    data["positive_combinations"] = [{"strong": 1}]
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    instrument = loader.load_instrument_file(path)
    result = screening.evaluate(instrument, {"dr_nature_job_location_employer": "yes"})
    assert result.dimensions["deceptive_recruitment"] == POSITIVE


@pytest.mark.parametrize("bad_id", ["no-such-instrument", "../ilo-ec-adult-labour", "",
                                    "ILO-EC-ADULT-LABOUR"])
def test_unknown_packaged_instrument(bad_id: str) -> None:
    with pytest.raises(loader.InstrumentNotFound):
        loader.load_instrument(bad_id)


# --- sexual-exploitation sets: a child in commercial sex (issue 8) -------------------------

CHILD_SEXUAL = "ilo-ec-child-sexual"
CHILD_SEX_ITEM = "ec_sx_child_sexual_services"
# The report: the act, no or low payment and forced clients answered yes ("no choice of
# clients" was a second item asking the same as "forced tasks or clients").
REPORTED = {"act_child_moved_or_received": "yes", "ec_sx_no_low_payment": "yes",
            "cd_forced_tasks_clients": "yes"}


def _all_no(instrument_id: str, **yes: str) -> dict[str, str]:
    instrument = loader.load_instrument(instrument_id)
    return {**dict.fromkeys((i.id for i in instrument.items()), "no"), **yes}


@pytest.mark.parametrize("instrument_id", ["ilo-ec-adult-sexual", CHILD_SEXUAL])
def test_sexual_sets_ask_about_the_choice_of_clients_once(instrument_id: str) -> None:
    labels = [i["label"]["en"].lower() for i in raw(instrument_id)["indicators"]]
    assert [text for text in labels if "clients" in text] == ["forced tasks or clients"]
    assert "ec_sx_no_choice_clients" not in {i["id"] for i in raw(instrument_id)["indicators"]}


def test_a_child_used_in_commercial_sex_is_exploited() -> None:
    """Palermo art. 3(a), 3(c) and ILO C182 art. 3(b): for a child, being used in
    prostitution, pornography or other sexual services is exploitation in itself."""
    instrument = loader.load_instrument(CHILD_SEXUAL)
    item = next(i for i in instrument.indicators if i.id == CHILD_SEX_ITEM)
    assert item.sufficient and item.dimension == "exploitative_conditions"
    assert "prostitution, pornography or other sexual services" in item.label_in("en")
    # The report with the new item still unknown: it could decide, so more is needed.
    assert screening.evaluate(instrument, REPORTED).indication == INSUFFICIENT
    # Answered yes, it alone makes exploitation positive, and with the act, an indication.
    alone = screening.evaluate(instrument, _all_no(CHILD_SEXUAL, **{
        CHILD_SEX_ITEM: "yes", "act_child_moved_or_received": "yes"}))
    assert alone.dimensions["exploitative_conditions"] == POSITIVE
    assert alone.indication == INDICATED
    reason = _reason(alone, "dimension_positive", "exploitative_conditions")
    assert reason.indicators == (CHILD_SEX_ITEM,)
    assert screening.reason_text(reason, instrument).endswith("enough on its own.")
    reported = screening.evaluate(instrument, _all_no(CHILD_SEXUAL, **REPORTED,
                                                      **{CHILD_SEX_ITEM: "yes"}))
    assert reported.indication == INDICATED


def test_no_adult_sexual_item_is_enough_on_its_own() -> None:
    assert not any(i.sufficient for i in loader.load_instrument("ilo-ec-adult-sexual").indicators)


def test_a_sufficient_indicator_decides_its_dimension() -> None:
    data = synthetic("child")
    data["indicators"][0] = {**data["indicators"][0], "sufficient": True}  # dr_s1
    instrument = screening.instrument_from_dict(data, "test-sufficient")
    assert instrument.to_json()["indicators"][0]["sufficient"] is True
    for value, status in (("yes", POSITIVE), ("unknown", INSUFFICIENT), ("no", NEGATIVE)):
        result = screening.evaluate(instrument, answers_for({}) | {"dr_s1": value})
        assert result.dimensions["deceptive_recruitment"] == status, value
    data["indicators"][0]["sufficient"] = "yes"
    with pytest.raises(ValidationError, match="sufficient"):
        screening.instrument_from_dict(data, "test-sufficient")


# --- evidence marks in the reasons (issue 8) -----------------------------------------------

def _codes(result: screening.ScreeningResult) -> list[str]:
    return [r.message for r in result.reasons]


def test_a_result_names_the_v2_indicators_it_rests_on() -> None:
    instrument = loader.load_instrument("ilo-ec-adult-labour")  # every rating is [V2]
    # The six yes answers make D1, D4 and D5 positive; D6 economic reasons (1 M) does not
    # count towards the indication, so the indication does not rest on it.
    answers = {"dr_nature_job_location_employer": "yes", "dr_wages": "yes",
               "ec_excessive_hours": "yes", "ec_low_no_salary": "yes",
               "cd_documents_confiscated": "yes", "cd_threat_violence": "yes",
               "dv_economic_reasons": "yes"}
    result = screening.evaluate(instrument, answers)
    assert result.indication == INDICATED
    reason = next(r for r in result.reasons if r.message == "rests_on_secondary")
    assert reason.indicators == ("dr_nature_job_location_employer", "dr_wages",
                                 "ec_excessive_hours", "ec_low_no_salary",
                                 "cd_documents_confiscated", "cd_threat_violence")
    assert "rests_on_unconfirmed" not in _codes(result)
    text = screening.reason_text(reason, instrument, "en")
    assert "[V2]" in text and "Deceived about wages/earnings" in text
    # A negative rests on every rating answered yes.
    negative = screening.evaluate(instrument, _all_no("ilo-ec-adult-labour",
                                                      dv_economic_reasons="yes"))
    assert negative.indication == NOT_INDICATED
    assert next(r for r in negative.reasons
                if r.message == "rests_on_secondary").indicators == ("dv_economic_reasons",)
    # A [V] instrument carries no such reason.
    verified = screening.evaluate(ADULT, answers_for({"dr": "SS", "ec": "SS", "cd": "SS"}))
    assert not {"rests_on_secondary", "rests_on_unconfirmed"} & set(_codes(verified))


def test_a_result_names_the_unconfirmed_indicators_it_rests_on() -> None:
    instrument = loader.load_instrument(CHILD_SEXUAL)
    result = screening.evaluate(instrument, {**REPORTED, CHILD_SEX_ITEM: "yes"})
    assert result.indication == INDICATED
    by_message = {r.message: r.indicators for r in result.reasons}
    # Payment [M] sits in the positive exploitation dimension; forced clients [V2] in
    # coercion at destination, which is not positive (one strong alone) and not needed.
    assert by_message["rests_on_unconfirmed"] == ("ec_sx_no_low_payment",)
    assert by_message["rests_on_secondary"] == (CHILD_SEX_ITEM, "act_child_moved_or_received")
    text = screening.reason_text(next(r for r in result.reasons
                                      if r.message == "rests_on_unconfirmed"), instrument, "en")
    assert "[M]" in text and "No or low payment" in text


def test_a_negative_from_an_unconfirmed_set_does_not_rule_trafficking_out() -> None:
    negative = screening.evaluate(loader.load_instrument(CHILD_SEXUAL),
                                  _all_no(CHILD_SEXUAL, **REPORTED))
    assert negative.indication == NOT_INDICATED
    reason = _reason(negative, "unconfirmed_negative")
    assert "does not rule trafficking out" in screening.reason_text(reason, None, "en")
    indicated = screening.evaluate(loader.load_instrument(CHILD_SEXUAL),
                                   {**REPORTED, CHILD_SEX_ITEM: "yes"})
    assert "unconfirmed_negative" not in _codes(indicated)
    confirmed = screening.evaluate(loader.load_instrument("ilo-ec-adult-labour"),
                                   _all_no("ilo-ec-adult-labour"))
    assert confirmed.indication == NOT_INDICATED
    assert "unconfirmed_negative" not in _codes(confirmed)
