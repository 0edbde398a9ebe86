"""``caseapp screening list | show | evaluate``, in-process (``main``) and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from caseapp.cli.main import main
from caseapp.i18n import set_language

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DIR = Path(str(resources.files("caseapp.reference").joinpath("screening")))
DIMENSIONS = ("deceptive_recruitment", "coercive_recruitment",
              "recruitment_abuse_of_vulnerability", "exploitative_conditions",
              "coercion_at_destination", "destination_abuse_of_vulnerability")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # main() sets the process-wide language; put it back for the next test.
    yield
    set_language("en")


def raw(instrument_id: str) -> dict[str, Any]:
    return json.loads((SHIPPED_DIR / f"{instrument_id}.json").read_text(encoding="utf-8"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else out), err


def run_process(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "caseapp.cli.main", *argv], cwd=REPO,
                          env=env, input=stdin, capture_output=True, text=True, timeout=120,
                          check=False)


def write_answers(tmp_path: Path, answers: object) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return str(path)


def adult_labour_answers(yes: set[str]) -> dict[str, str]:
    ids = [i["id"] for i in raw("ilo-ec-adult-labour")["indicators"]]
    return {i: ("yes" if i in yes else "no") for i in ids}


# --- list and show -------------------------------------------------------------------------

def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "screening", "list")
    assert code == 0
    assert {entry["id"] for entry in out} == {p.stem for p in SHIPPED_DIR.glob("*.json")}
    for entry in out:
        data = raw(entry["id"])
        assert entry == {"id": data["id"], "version": data["version"],
                         "title": data["title"]["en"], "kind": data["kind"],
                         "evidence": data["evidence"]}


def test_show_lists_indicators_with_english_labels(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "screening", "show", "--instrument", "ilo-ec-adult-labour")
    assert code == 0
    data = raw("ilo-ec-adult-labour")
    assert (out["id"], out["version"]) == (data["id"], data["version"])
    assert [(i["id"], i["dimension"], i["strength"], i["label"]) for i in out["indicators"]] == [
        (i["id"], i["dimension"], i["strength"], i["label"]["en"]) for i in data["indicators"]]


@pytest.mark.parametrize("lang", ["ur", "ps", "fa_AF"])
def test_show_uses_the_language_option(capsys: pytest.CaptureFixture[str], lang: str) -> None:
    code, out, _ = run(capsys, "--lang", lang, "screening", "show", "--instrument",
                       "ilo-ec-child-labour")
    assert code == 0
    data = raw("ilo-ec-child-labour")
    expected = {i["id"]: i["label"][lang] for i in data["indicators"]}
    assert {i["id"]: i["label"] for i in out["indicators"]} == expected
    assert out["title"] == data["title"][lang]
    assert out["act_question"]["label"] == data["act_question"]["label"][lang]


def test_show_checklist_and_vulnerability(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "screening", "show", "--instrument", "ilo-forced-labour-11")
    assert code == 0 and out["kind"] == "checklist" and len(out["indicators"]) == 11
    assert all("strength" not in i for i in out["indicators"])
    code, out, _ = run(capsys, "screening", "show", "--instrument", "iom-som-vulnerability")
    assert code == 0
    assert set(out["levels"]) == {"individual", "household", "community", "structural"}
    assert {i["effect"] for i in out["indicators"]} == {"risk", "protective"}


# --- evaluate ------------------------------------------------------------------------------

def test_evaluate_indicated_adult(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # D1: strong + medium; D4: strong + medium; D5: two strong -> indicated (RESEARCH §1.2).
    answers = adult_labour_answers({"dr_nature_job_location_employer", "dr_wages",
                                    "ec_excessive_hours", "ec_bad_living", "cd_violence",
                                    "cd_debt_bondage"})
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument", "ilo-ec-adult-labour",
                       "--answers", write_answers(tmp_path, answers))
    assert code == 0
    assert out["dimensions"] == {
        "deceptive_recruitment": "positive", "coercive_recruitment": "negative",
        "recruitment_abuse_of_vulnerability": "negative", "exploitative_conditions": "positive",
        "coercion_at_destination": "positive", "destination_abuse_of_vulnerability": "negative"}
    assert out["indication"] == "trafficking_indicated"
    assert out["reasons"] and all(isinstance(r, str) and r for r in out["reasons"])


def test_evaluate_missing_answers_are_unknown(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    # Only D1 and D4 answered; the destination dimensions are open -> insufficient.
    answers = {"dr_nature_job_location_employer": "yes", "dr_wages": "yes",
               "ec_excessive_hours": "yes", "ec_bad_living": "yes"}
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument", "ilo-ec-adult-labour",
                       "--answers", write_answers(tmp_path, answers))
    assert code == 0
    assert out["dimensions"]["coercion_at_destination"] == "insufficient_information"
    assert out["indication"] == "insufficient_information"


def test_evaluate_all_no(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument", "ilo-ec-adult-labour",
                       "--answers", write_answers(tmp_path, adult_labour_answers(set())))
    assert code == 0
    assert set(out["dimensions"].values()) == {"negative"}
    assert out["indication"] == "not_indicated"


def test_evaluate_child_without_destination(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    # A child: coercive recruitment (two strong) + exploitation (two strong) is enough.
    ids = [i["id"] for i in raw("ilo-ec-child-labour")["indicators"]]
    answers = dict.fromkeys(ids, "no")
    answers.update({"cr_violence": "yes", "cr_debt_bondage": "yes", "ec_excessive_hours": "yes",
                    "ec_hazardous_work": "yes", "act_child_moved_or_received": "yes"})
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument", "ilo-ec-child-labour",
                       "--answers", write_answers(tmp_path, answers))
    assert code == 0
    assert out["dimensions"]["coercion_at_destination"] == "negative"
    assert out["indication"] == "trafficking_indicated"


def test_evaluate_reasons_carry_urdu_labels(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    answers = {"dr_nature_job_location_employer": "yes", "dr_wages": "yes"}
    code, out, _ = run(capsys, "--lang", "ur", "screening", "evaluate", "--instrument",
                       "ilo-ec-adult-labour", "--answers", write_answers(tmp_path, answers))
    assert code == 0
    labels = {i["id"]: i["label"]["ur"] for i in raw("ilo-ec-adult-labour")["indicators"]}
    assert any(labels["dr_wages"] in r and labels["dr_nature_job_location_employer"] in r
               for r in out["reasons"])


def test_evaluate_checklist(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = {"fl_debt_bondage": {"answer": "yes", "note": "advance of 50,000 rupees"},
               "fl_isolation": "no"}
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument", "ilo-forced-labour-11",
                       "--answers", write_answers(tmp_path, answers))
    assert code == 0
    assert out["summary"] == "indicators_present"
    assert out["present"] == ["fl_debt_bondage"]
    assert out["absent"] == ["fl_isolation"]
    assert out["evidence"] == {"fl_debt_bondage": "advance of 50,000 rupees"}
    assert len(out["unknown"]) == 9


def test_evaluate_vulnerability(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = {"vi_child": "yes", "vi_literate": "yes", "vs_corruption": "yes"}
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument", "iom-som-vulnerability",
                       "--answers", write_answers(tmp_path, answers))
    assert code == 0
    assert out["levels"]["individual"]["risk_factors"] == ["vi_child"]
    assert out["levels"]["individual"]["protective_factors"] == ["vi_literate"]
    assert out["levels"]["structural"]["risk_factors"] == ["vs_corruption"]


def test_evaluate_with_an_administrator_file(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    instrument = tmp_path / "updated.json"
    data = raw("ilo-ec-adult-labour")
    data["version"] = "1.1.0"
    instrument.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "screening", "evaluate", "--instrument-file", str(instrument),
                       "--answers", write_answers(tmp_path, {}))
    assert code == 0
    assert out["instrument"] == {"id": "ilo-ec-adult-labour", "version": "1.1.0"}


# --- bad input -----------------------------------------------------------------------------

def _assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("caseapp: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_instrument(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "screening", "show", "--instrument", "no-such-thing")
    _assert_one_line_error(code, err, "no-such-thing")
    assert out == ""


@pytest.mark.parametrize(("content", "fragments"), [
    ("{not json", ("not valid JSON", "line 1")),
    ('["yes"]', ("one JSON object",)),
    ('{"dr_wages": "maybe"}', ("dr_wages",)),
    ('{"made_up_indicator": "yes"}', ("made_up_indicator", "ilo-ec-adult-labour")),
    ('{"dr_wages": {"answer": "perhaps"}}', ("dr_wages",)),
])
def test_bad_answers_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str,
                          fragments: tuple[str, ...]) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "screening", "evaluate", "--instrument", "ilo-ec-adult-labour",
                       "--answers", str(path))
    _assert_one_line_error(code, err, *fragments)


def test_missing_answers_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    code, _, err = run(capsys, "screening", "evaluate", "--instrument", "ilo-ec-adult-labour",
                       "--answers", str(missing))
    _assert_one_line_error(code, err, "nowhere.json", "cannot be read")


def test_bad_instrument_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = raw("ilo-ec-adult-labour")
    data["indicators"][2]["strength"] = "huge"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "screening", "show", "--instrument-file", str(path))
    _assert_one_line_error(code, err, "bad.json", "indicators[2].strength")


def test_instrument_option_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["screening", "show"])
    assert excinfo.value.code == 2
    assert "--instrument" in capsys.readouterr().err


# --- as a separate process -----------------------------------------------------------------

def test_process_list_and_show_in_urdu() -> None:
    listing = run_process("screening", "list")
    assert listing.returncode == 0, listing.stderr
    assert {e["id"] for e in json.loads(listing.stdout)} == {
        p.stem for p in SHIPPED_DIR.glob("*.json")}
    shown = run_process("--lang", "ur", "screening", "show", "--instrument",
                        "ilo-ec-adult-labour")
    assert shown.returncode == 0, shown.stderr
    labels = {i["id"]: i["label"]["ur"] for i in raw("ilo-ec-adult-labour")["indicators"]}
    out = json.loads(shown.stdout)
    assert {i["id"]: i["label"] for i in out["indicators"]} == labels
    assert "\\u06" not in shown.stdout  # printed as Urdu text, not escaped


def test_process_evaluate_from_standard_input() -> None:
    answers = adult_labour_answers({"dr_nature_job_location_employer", "dr_wages",
                                    "ec_excessive_hours", "ec_bad_living",
                                    "dv_dependency_exploiters", "dv_unknown_area",
                                    "dv_economic_reasons"})
    done = run_process("screening", "evaluate", "--instrument", "ilo-ec-adult-labour",
                       "--answers", "-", stdin=json.dumps(answers))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # D6 reaches three medium; with D1 and D4 that is an indication for an adult.
    assert out["dimensions"]["destination_abuse_of_vulnerability"] == "positive"
    assert out["indication"] == "trafficking_indicated"


@pytest.mark.parametrize("argv", [
    ("screening", "show", "--instrument", "missing-instrument"),
    ("screening", "evaluate", "--instrument", "ilo-ec-adult-labour", "--answers",
     "/nonexistent/answers.json"),
])
def test_process_bad_input_exits_non_zero_with_one_line(argv: tuple[str, ...]) -> None:
    done = run_process(*argv)
    assert done.returncode != 0
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("caseapp: ")


def test_process_bad_answer_value_from_stdin() -> None:
    done = run_process("screening", "evaluate", "--instrument", "ilo-ec-child-labour",
                       "--answers", "-", stdin='{"cr_violence": "sometimes"}')
    assert done.returncode != 0
    assert "cr_violence" in done.stderr
