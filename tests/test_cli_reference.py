"""Reference lists a user can discover from the command line (issue 8): ``caseapp fields``
and ``caseapp reintegration questions``. Expected values come from the standard's file and
the packaged survey file, read here directly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Run

from caseapp.i18n import set_language

ROOT = Path(__file__).resolve().parents[1]
TSV = ROOT / "caseapp" / "reference" / "htcds" / "htcds-field-standards-2.0.tsv"
RSS = ROOT / "caseapp" / "reference" / "reintegration" / "rss.json"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    yield
    set_language("en")


def _standard_row(name: str) -> list[str]:
    for row in csv.reader(io.StringIO(TSV.read_text(encoding="utf-8")), delimiter="\t"):
        if len(row) > 6 and row[6] == name:
            return row
    raise AssertionError(name)


def test_fields_lists_the_standards_fields_and_our_extensions(run: Run) -> None:
    # Before: no way to find the field names but reading the standard.
    code, out, err = run("fields")
    assert (code, err) == (0, "")
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert {"prs_FirstName", "prs_Gender", "vic_TypeOfExploitation", "hte_City",
            "hfz_NameUrdu", "hfz_IdentityDocuments"} <= set(names)
    assert "vic_AgreementToManagePersonalData" not in names  # deprecated
    assert "prs_Gender\tPicklist\tcore" in out.splitlines()


def test_a_picklist_shows_the_standards_codes_and_translated_labels(run: Run) -> None:
    row = _standard_row("prs_Gender")
    codes = [c.strip() for c in row[9].split(" / ")]
    code, out, _err = run("fields", "--picklist", "prs_Gender", "--json")
    assert code == 0 and [v["code"] for v in json.loads(out)] == codes
    code, out, _err = run("--lang", "ur", "fields", "--picklist", "prs_Gender")
    assert code == 0 and "Feminine\tمؤنث" in out.splitlines()
    code, out, _err = run("fields", "--picklist", "document_type")
    assert [line.split("\t")[0] for line in out.splitlines()][:3] == ["CNIC", "NICOP", "BForm"]


def test_an_unknown_list_names_the_option_and_the_lists(run: Run) -> None:
    code, out, err = run("fields", "--picklist", "gender")
    assert code != 0 and out == ""
    assert err.startswith("caseapp: --picklist: gender is not a list of codes")
    assert "prs_Gender" in err and "document_type" in err and err.count("\n") == 1


def test_reintegration_questions_lists_every_question_and_its_answers(run: Run) -> None:
    survey = json.loads(RSS.read_text(encoding="utf-8"))
    code, out, err = run("reintegration", "questions")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [q["id"] for q in survey["questions"]]
    debt = next(line.split("\t") for line in lines if line.startswith("eco_debt\t"))
    options = [o["value"] for o in survey["answer_types"]["debt_3"]["options"]]
    assert debt[3] == " | ".join([*options, "unknown"]) and debt[4] == "[M]"
    school = next(line for line in lines if line.startswith("soc_school\t"))
    assert "not_applicable" in school
    code, out, _err = run("--lang", "ur", "reintegration", "questions", "--json")
    shown = json.loads(out)
    assert shown["language"] == "ur"
    assert shown["min_answered_share"] == {"value": 0.5, "evidence": "[M]"}


# -- the language of the command line (issue 8) ---------------------------------------------

@pytest.mark.parametrize(("environ", "lang"), [
    ({"LANG": "ur_PK.UTF-8"}, "ur"), ({"LANG": "ps_AF.UTF-8"}, "ps"),
    ({"LANG": "fa_AF.UTF-8"}, "fa_AF"), ({"LANG": "prs_AF"}, "fa_AF"),
    ({"LANG": "en_GB.UTF-8"}, "en"), ({"LANG": "C.UTF-8"}, None), ({}, None),
    ({"LANGUAGE": "ps:en", "LANG": "ur_PK.UTF-8"}, "ps"),
    ({"LC_ALL": "ur_PK.UTF-8", "LANG": "en_US.UTF-8"}, "ur"),
    ({"LC_ALL": "de_DE.UTF-8", "LANG": "ur_PK.UTF-8"}, None),
])
def test_the_locale_names_the_language(environ: dict[str, str], lang: str | None) -> None:
    from caseapp.i18n import language_from_environment
    assert language_from_environment(environ) == lang


def test_lang_from_the_locale_and_after_the_command(run: Run,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: LANG=ur_PK.UTF-8 was ignored, and --lang after the command was refused.
    urdu_required = "یہ دلائل لازمی ہیں: --profile"
    monkeypatch.setenv("LANG", "ur_PK.UTF-8")
    code, _out, err = run("case", "list")
    assert code == 2 and urdu_required in err
    monkeypatch.setenv("LANG", "C.UTF-8")
    code, _out, err = run("case", "list", "--lang", "ur")
    assert code == 2 and urdu_required in err and "error:" not in err
    code, _out, err = run("fields", "--picklist", "nope", "--lang=ps")
    assert code != 0 and "د کوډونو لېست نه دی" in err
    # An explicit --lang wins over the locale; an unknown one is still refused.
    monkeypatch.setenv("LANG", "ur_PK.UTF-8")
    code, out, _err = run("fields", "--picklist", "prs_Gender", "--lang", "en")
    assert "Feminine\tFeminine" in out.splitlines()
    code, _out, err = run("--lang", "xx", "fields")
    assert code == 2 and "xx" in err


def test_a_command_with_its_own_lang_keeps_it() -> None:
    # export rights-sheet / report write a document in --lang: after their name the option
    # is theirs, not the messages' (which are chosen before the command).
    from caseapp.cli.main import OWN_LANG, build_parser, split_language

    assert split_language(["export", "rights-sheet", "--lang", "ur", "--out", "f"]) == \
        (None, ["export", "rights-sheet", "--lang", "ur", "--out", "f"])
    assert split_language(["--lang", "ps", "export", "report", "--lang=fa_AF"]) == \
        ("ps", ["export", "report", "--lang=fa_AF"])
    assert split_language(["export", "htcds", "--lang", "ur"]) == ("ur", ["export", "htcds"])
    # OWN_LANG names exactly the commands whose parser has a --lang.
    owning = set()
    top = build_parser()
    for group in top._subparsers._group_actions:  # type: ignore[union-attr]
        for name, parser in group.choices.items():  # type: ignore[union-attr]
            for action in parser._actions:
                for sub_name, sub in (getattr(action, "choices", None) or {}).items():
                    if hasattr(sub, "_option_string_actions") and \
                            "--lang" in sub._option_string_actions:
                        owning.add((name, sub_name))
    assert owning == OWN_LANG


# -- the passphrase asked for on a terminal (issue 8) ---------------------------------------

def test_the_passphrase_is_asked_for_without_echo_on_a_terminal(
        run: Run, cli_profile: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: --passphrase-file was required even at a terminal.
    from conftest import PASSPHRASE
    profile = cli_profile("caseworker", "amina")[:2]   # --profile amina, no file
    asked: list[str] = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return PASSPHRASE

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    code, out, err = run("case", "list", *profile)
    assert (code, err) == (0, "") and asked == ["Passphrase for amina: "]


def test_without_a_terminal_the_file_is_required(run: Run, cli_profile: Any) -> None:
    profile = cli_profile("caseworker", "amina")[:2]
    code, out, err = run("case", "list", *profile)
    assert code != 0 and out == ""
    assert "--passphrase-file is required when no terminal is attached" in err


# -- personal data kept out of the process list (issue 8) ------------------------------------

def test_names_and_notes_can_come_from_files(run: Run, cli_profile: Any,
                                             tmp_path: Path) -> None:
    # Before: --guardian-name, --interpreter and --notes took only the text itself, which
    # every user of the machine sees in the process list.
    me = cli_profile("caseworker", "amina")
    person = tmp_path / "child.json"
    person.write_text(json.dumps({"prs_FirstName": "Kiran", "prs_Birthdate": "2014-05-01"}),
                      encoding="utf-8")
    code, out, err = run("case", "create", *me, "--json", person)
    case_id = out.strip()
    files = {}
    for name, text in (("guardian", "Shamim Akhtar"), ("relation", "mother"),
                       ("interpreter", "Rahim Khan")):
        files[name] = tmp_path / f"{name}.txt"
        files[name].write_text(text + "\n", encoding="utf-8")
    code, _out, err = run("consent", "record", *me, "--case", case_id, "--purpose",
                          "interview", "--granted", "--explanation-version", "v1", "--assent",
                          "--guardian-name", f"@{files['guardian']}",
                          "--guardian-relationship", f"@{files['relation']}",
                          "--interpreter", f"@{files['interpreter']}")
    assert code == 0, err
    code, out, _err = run("consent", "show", *me, "--case", case_id, "--json")
    [entry] = json.loads(out)["entries"]
    assert (entry["guardian_name"], entry["guardian_relationship"], entry["interpreter"]) == (
        "Shamim Akhtar", "mother", "Rahim Khan")
    code, _out, err = run("consent", "record", *me, "--case", case_id, "--purpose",
                          "interview", "--granted", "--explanation-version", "v1",
                          "--interpreter", f"@{tmp_path / 'missing.txt'}")
    assert code == 2 and "the file cannot be read" in err and err.count("\n") == 1


def test_latin_runs_in_urdu_lines_are_direction_isolated(run: Run) -> None:
    # Before: "--picklist: nope ..." filled into an Urdu sentence could be reordered by a
    # right-to-left terminal; now each filled-in value sits between FSI and PDI.
    code, _out, err = run("--lang", "ur", "fields", "--picklist", "nope")
    assert "\u2068nope\u2069" in err
    code, _out, err = run("fields", "--picklist", "nope")  # English needs none
    assert "\u2068" not in err
    from caseapp.i18n import _, set_language
    set_language("ur")
    assert "\u2068" not in _("%(path)s already exists; choose another name, or add --force "
                             "to replace it.", path="x.csv")  # only the command line


def test_help_is_in_the_users_language(run: Run) -> None:
    # Before: help text and argparse's headings were English whatever --lang said.
    code, out, _err = run("--lang", "ur", "--help")
    assert code == 0
    assert "استعمال: caseapp" in out and "اختیارات:" in out
    assert "کیس بنائیں، دکھائیں اور ان کی فہرست دیکھیں" in out  # case
    code, out, _err = run("case", "list", "--help", "--lang", "ps")
    assert code == 0 and "د پروفایل نوم" in out  # --profile
    code, out, _err = run("--help")
    assert "create, show and list cases" in out


def test_a_failed_unlock_says_how_many_tries_remain_before_an_erase(
        run: Run, cli_profile: Any, tmp_path: Path) -> None:
    # Before: "The passphrase or recovery code is wrong." and nothing about the erase near.
    me = cli_profile("administrator", "alice")
    assert run("profile", "erase-policy", *me, "--after", "6")[0] == 0
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n", encoding="utf-8")
    code, _out, err = run("case", "list", "--profile", "alice", "--passphrase-file", wrong)
    assert code != 0
    assert "After 5 more wrong attempts this profile is erased" in err


def test_plan_add_names_the_missing_option(run: Run, cli_profile: Any) -> None:
    # Before: the README's `plan add --case ID --type Health` failed with
    # "spl_Objectives: is required", a name the user never typed.
    me = cli_profile("caseworker", "amina")
    code, _out, err = run("plan", "add", *me, "--case", "x", "--type", "Health")
    assert code == 2 and "--objectives" in err and "spl_Objectives" not in err


def test_explanation_version_messages_name_the_option(run: Run, cli_profile: Any,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    # Before: "caseapp: explanation_version: is required", a field name the user never
    # typed, saying nothing of what to give; and a recorded consent printed only an id.
    me = cli_profile("caseworker", "amina")
    person = tmp_path / "adult.json"
    person.write_text(json.dumps({"prs_FirstName": "Nasreen", "prs_Birthdate": "1990-05-01"}),
                      encoding="utf-8")
    code, case_id, err = run("case", "create", *me, "--json", person)
    assert code == 0, err
    case_id = case_id.strip()
    record = ("consent", "record", *me, "--case", case_id, "--purpose", "interview",
              "--granted")
    code, out, err = run(*record)
    assert code != 0 and out == "" and err.count("\n") == 1
    assert err.startswith("caseapp: --explanation-version: is required")
    assert "rights sheet" in err and "explanation_version" not in err
    code, _out, err = run("--lang", "ur", *record, "--explanation-version", " ")
    assert code != 0 and "--explanation-version" in err
    assert "is required" not in err and any("\u0600" <= c <= "\u06ff" for c in err)
    # A person at the terminal is told what was recorded; a script gets the id alone.
    code, out, err = run(*record, "--explanation-version", "rights-2026-1")
    assert (code, err) == (0, "") and out.strip()
    monkeypatch.setattr("caseapp.cli.common.person_at_terminal", lambda: True)
    monkeypatch.setattr("caseapp.cli.consent.person_at_terminal", lambda: True)
    code, out, err = run(*record[:-1], "--refused", "--explanation-version", "rights-2026-1")
    assert code == 0 and len(out.split()) == 1
    assert err == ("Recorded: the person refused consent for interview and screening. "
                   "Explanation version rights-2026-1, language urd.\n")
