"""Duplicate detection across scripts, and the guarded merge (issue 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE, CliProfile, OpenProfile, agree

from caseapp.cli.main import main
from caseapp.domain import consent, matching
from caseapp.errors import NotFound, PermissionDenied, ValidationError
from caseapp.services import demo, duplicates, profiles
from caseapp.services.cases import CaseService
from caseapp.services.protection import Protection

PLAIN = Protection.plain()  # these tests are about the file itself, not its sealing

BORDER: dict[str, Any] = {"prs_FirstName": "Muhammad", "prs_SecondName": "Ali",
                          "prs_Birthdate": "1994-03-10", "prs_Gender": "Masculine",
                          "prs_Citizenship": ["PK"]}
SHELTER: dict[str, Any] = {"hfz_NameUrdu": "محمد علی", "prs_Birthdate": "1995-01-01",
                           "prs_Gender": "Masculine"}
CNIC = {"type": "CNIC", "number": "35202-1234567-1", "country": "PK"}


# -- pure scoring -------------------------------------------------------------------------

def test_latin_and_urdu_script_same_person_is_found_and_explained() -> None:
    match = matching.score(BORDER, SHELTER, this_year=2026)
    assert match.score >= 0.6
    codes = [r.code for r in match.reasons]
    assert codes[0] == "name_sound_cross_script"
    assert "birth_year_close" in codes and "gender_same" in codes
    close = next(r for r in match.reasons if r.code == "birth_year_close")
    assert close.params == {"years": 1}
    assert "Latin and Urdu" in match.reasons[0].text()
    assert all(r.text() for r in match.reasons)


def test_transliteration_variants_score_like_the_same_name() -> None:
    other = {**BORDER, "prs_FirstName": "Mohammed", "prs_SecondName": "Aly"}
    assert matching.score(BORDER, other).score >= 0.9


def test_identical_cnic_is_strong_evidence_not_proof() -> None:
    # Before: the same number scored 1.0 whatever the names, though borrowed and forged
    # documents are common in these cases.
    a = {"prs_FirstName": "Fatima", "prs_Gender": "Feminine", "prs_Birthdate": "2001-01-01",
         "hfz_IdentityDocuments": [CNIC]}
    b = {"prs_FirstName": "Zahid", "prs_Gender": "Masculine", "prs_Birthdate": "1970-01-01",
         "hfz_IdentityDocuments": [{**CNIC, "type": "BForm", "number": "3520212345671"}]}
    match = matching.score(a, b)
    assert match.shares_document and match.score < 0.6
    # The warning comes first; then which signals agree and which differ.
    assert match.reasons[0].code == "same_document_disagrees"
    assert "borrowed or forged" in match.reasons[0].text()
    signals = {r.code: r.signal for r in match.reasons}
    assert signals["same_document"] == matching.AGREES
    assert {signals[c] for c in ("name_differs", "gender_differs", "birth_year_far")} == {
        matching.DIFFERS}
    assert match.reasons[0].to_json()["signal"] == matching.REMARK
    # The same number and the same person otherwise: as strong as evidence gets.
    same = matching.score({**BORDER, "hfz_IdentityDocuments": [CNIC]},
                          {**BORDER, "hfz_IdentityDocuments": [CNIC]})
    assert same.score == 1.0
    assert "same_document_disagrees" not in {r.code for r in same.reasons}


def test_common_names_of_different_people_stay_below_threshold() -> None:
    a = {"prs_FirstName": "Muhammad", "prs_SecondName": "Khan", "prs_Birthdate": "1980-05-01",
         "prs_Gender": "Masculine", "prs_Citizenship": ["PK"]}
    b = {"prs_FirstName": "Muhammad", "prs_SecondName": "Ali", "prs_Birthdate": "2000-05-01",
         "prs_Gender": "Feminine", "prs_Citizenship": ["PK"]}
    match = matching.score(a, b)
    assert match.score < 0.6
    codes = {r.code for r in match.reasons}
    assert {"birth_year_far", "gender_differs"} <= codes


def test_different_cnics_lower_the_score_and_scoring_is_deterministic() -> None:
    a = {**BORDER, "hfz_IdentityDocuments": [CNIC]}
    b = {**BORDER, "hfz_IdentityDocuments": [{**CNIC, "number": "35202-7654321-1"}]}
    first = matching.score(a, b)
    assert first == matching.score(a, b)
    assert "different_document" in {r.code for r in first.reasons}
    assert first.score < matching.score(BORDER, BORDER).score


def test_reasons_hold_no_names_or_numbers() -> None:
    a = {**BORDER, "hfz_IdentityDocuments": [CNIC]}
    for reason in matching.score(a, a).reasons:
        dumped = json.dumps(reason.to_json(), ensure_ascii=False)
        assert "Muhammad" not in dumped and "1234567" not in dumped


# -- candidates from the index ------------------------------------------------------------

def test_border_and_shelter_cases_found_among_demo_cases(
        open_profile: OpenProfile) -> None:
    with open_profile("manager") as session:
        demo.fill(session, 300)
        service = CaseService(session)
        border = service.create(dict(BORDER)).id
        shelter = service.create(dict(SHELTER)).id
        found = duplicates.find_candidates(session, case_id=shelter)
        assert border in [c.candidate_id for c in found]
        hit = next(c for c in found if c.candidate_id == border)
        assert hit.case_id == shelter and hit.reasons
        # At intake, before saving: the unsaved person is checked the same way.
        unsaved = duplicates.find_candidates(session, person={"prs_FirstName": "Mohammed",
                                                              "prs_SecondName": "Aly",
                                                              "prs_Birthdate": "1995-06-01"})
        assert {border, shelter} <= {c.candidate_id for c in unsaved}


def test_identical_cnic_found_with_different_names(open_profile: OpenProfile) -> None:
    with open_profile("manager") as session:
        service = CaseService(session)
        first = service.create({"prs_FirstName": "Rukhsana", "prs_Gender": "Feminine",
                                "hfz_IdentityDocuments": [CNIC]}).id
        demo.fill(session, 50)
        found = duplicates.find_candidates(session, person={
            "hfz_NameUrdu": "کرن", "hfz_IdentityDocuments": [
                {"type": "CNIC", "number": "3520212345671", "country": "PK"}]})
        # Shown, whatever the score: a person has to look at a shared number.
        assert found[0].candidate_id == first and found[0].score < 0.6


def test_all_pairs_lists_each_pair_once(open_profile: OpenProfile) -> None:
    with open_profile("manager") as session:
        service = CaseService(session)
        a = service.create(dict(BORDER)).id
        b = service.create(dict(SHELTER)).id
        pairs = duplicates.all_pairs(session)
        assert [(p.case_id, p.candidate_id) for p in pairs] == [(min(a, b), max(a, b))]


def test_bad_lookups_are_refused(open_profile: OpenProfile) -> None:
    with open_profile("manager") as session:
        with pytest.raises(NotFound):
            duplicates.find_candidates(session, case_id="no-such-case")
        with pytest.raises(ValidationError):
            duplicates.find_candidates(session)
        with pytest.raises(ValidationError):
            duplicates.find_candidates(session, person=BORDER, threshold=1.5)


# -- merge --------------------------------------------------------------------------------

def test_merge_needs_manager_and_reason(open_profile: OpenProfile) -> None:
    with open_profile("caseworker", "worker") as session:
        service = CaseService(session)
        a, b = service.create(dict(BORDER)).id, service.create(dict(SHELTER)).id
        with pytest.raises(PermissionDenied):
            duplicates.merge(session, a, b, "Same person, confirmed by interview.")
    with open_profile("manager", "boss") as session:
        service = CaseService(session)
        a, b = service.create(dict(BORDER)).id, service.create(dict(SHELTER)).id
        with pytest.raises(ValidationError):
            duplicates.merge(session, a, b, "   ")
        with pytest.raises(ValidationError):
            duplicates.merge(session, a, a, "same")
        assert session.store.get(b) is not None
        assert "hfz_MergedInto" not in session.store.get(b).body  # type: ignore[union-attr]


def test_merge_keeps_both_records_and_histories(open_profile: OpenProfile) -> None:
    with open_profile("manager") as session:
        service = CaseService(session)
        keep = service.create(dict(BORDER)).id
        gone = service.create({**SHELTER, "hfz_Aliases": ["Ali Bhai"],
                               "hfz_IdentityDocuments": [CNIC],
                               "hte_Events": [{"hte_Type": "Recruitment", "hte_City": "Kasur",
                                               "hte_Country": "PK"}]}).id
        note = service.add_note(gone, "Met at the shelter.").id
        stage_before = session.store.get(gone).body["hfz_Stage"]  # type: ignore[union-attr]
        changed = duplicates.merge(session, keep, gone, "Same person, confirmed by interview.")
        assert {"hfz_Aliases", "hfz_IdentityDocuments", "hfz_MergedFrom"} <= changed.fields
        assert changed.cases == {keep, gone} and changed.id == keep

        merged_case = session.store.get(gone)
        assert merged_case is not None and not merged_case.deleted
        assert merged_case.body["hfz_MergedInto"] == keep
        assert merged_case.body["hfz_Stage"] == stage_before
        assert session.store.get(note) is not None
        assert merged_case.body["hte_Events"] == [{"hte_Type": "Recruitment",
                                                   "hte_City": "Kasur", "hte_Country": "PK"}]
        kept = service.show(keep)
        assert kept["hfz_MergedFrom"] == [gone]
        assert "محمد علی" in kept["hfz_Aliases"] and "Ali Bhai" in kept["hfz_Aliases"]
        assert kept["hfz_IdentityDocuments"] == [CNIC]
        # The kept case is now found by the merged person's number; the merged one no more.
        found = duplicates.find_candidates(session, person={"hfz_IdentityDocuments": [CNIC]})
        assert [c.candidate_id for c in found] == [keep]

        events = [e for e in session.audit.events() if e["action"] == "cases_merged"]
        assert {e["record"] for e in events} == {keep, gone}
        assert all("Same person" not in json.dumps(e) for e in events)
        assert session.verify_audit().ok
        with pytest.raises(ValidationError):
            duplicates.merge(session, keep, gone, "again")


# -- command line -------------------------------------------------------------------------

def _cli_profile(cli_profile: CliProfile) -> tuple[Path, str, str]:
    """A manager's profile "cli" holding the border and shelter cases; its passphrase file."""
    who = cli_profile("manager", "cli")
    with profiles.unlock("cli", PASSPHRASE) as session:
        service = CaseService(session)
        a, b = service.create(dict(BORDER)).id, service.create(dict(SHELTER)).id
    return Path(who[-1]), a, b


def test_cli_json_lists_pairs_with_scores_and_reasons(
        cli_profile: CliProfile,
        capsys: pytest.CaptureFixture[str]) -> None:
    secret, a, b = _cli_profile(cli_profile)
    assert main(["duplicates", "--profile", "cli", "--passphrase-file", str(secret),
                 "--json"]) == 0
    pairs = json.loads(capsys.readouterr().out)
    assert len(pairs) == 1
    assert set(pairs[0]) == {"case_id", "case_number", "case_name", "candidate_id",
                             "candidate_number", "candidate_name", "score", "reasons"}
    assert {pairs[0]["case_id"], pairs[0]["candidate_id"]} == {a, b}
    # Names and case numbers, not only ids (issue 8).
    assert {pairs[0]["case_name"], pairs[0]["candidate_name"]} == {"Muhammad Ali", "محمد علی"}
    assert all(pairs[0][k].startswith("20") for k in ("case_number", "candidate_number"))
    assert pairs[0]["reasons"][0]["code"] == "name_sound_cross_script"
    assert pairs[0]["reasons"][0]["signal"] == "agrees"

    assert main(["duplicates", "--profile", "cli", "--passphrase-file", str(secret),
                 "--case", b, "--json"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert [(p["case_id"], p["candidate_id"]) for p in single] == [(b, a)]


@pytest.mark.parametrize("extra", [["--threshold", "2"], ["--threshold", "high"],
                                   ["--case", "missing"]])
def test_cli_bad_input_is_one_clear_line(cli_profile: CliProfile,
                                         capsys: pytest.CaptureFixture[str],
                                         extra: list[str]) -> None:
    secret, _a, _b = _cli_profile(cli_profile)
    code = main(["duplicates", "--profile", "cli", "--passphrase-file", str(secret), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("caseapp: ") and err.count("\n") == 1


def test_cli_wrong_passphrase_fails(cli_profile: CliProfile, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    _cli_profile(cli_profile)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n", encoding="utf-8")
    assert main(["duplicates", "--profile", "cli", "--passphrase-file", str(wrong)]) != 0
    assert capsys.readouterr().err.startswith("caseapp: ")


def test_cli_plain_output_is_one_line_per_pair(cli_profile: CliProfile,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    secret, a, b = _cli_profile(cli_profile)
    assert main(["duplicates", "--profile", "cli", "--passphrase-file", str(secret),
                 "--threshold", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    left, left_name, right, right_name, score, why = lines[0].split("\t")
    with profiles.unlock("cli", PASSPHRASE) as session:
        numbers = {CaseService(session).show(i)["hfz_CaseNumber"] for i in (a, b)}
    assert {left, right} == numbers and {left_name, right_name} == {"Muhammad Ali",
                                                                     "محمد علی"}
    assert float(score) >= 0.5 and why.startswith("Agrees: ") and "Latin and Urdu" in why


def test_caseload_review_finds_the_pair_among_demo_cases(
        open_profile: OpenProfile) -> None:
    with open_profile("manager") as session:
        demo.fill(session, 300, seed=11)
        service = CaseService(session)
        a = service.create(dict(BORDER)).id
        b = service.create(dict(SHELTER)).id
        seen: list[tuple[int, int]] = []
        pairs = duplicates.all_pairs(session, progress=lambda d, t: seen.append((d, t)))
        keys = {(p.case_id, p.candidate_id) for p in pairs}
        assert (min(a, b), max(a, b)) in keys
        assert len(keys) == len(pairs)  # each pair once
        assert seen and seen[-1][0] == seen[-1][1]  # progress reached the end
        # Every pair the review reports is one a per-case lookup also reports.
        for p in pairs[:40]:
            ids = {c.candidate_id for c in duplicates.find_candidates(
                session, case_id=p.case_id, limit=1000)}
            assert p.candidate_id in ids


def test_a_merged_case_is_counted_once_in_exports(open_profile: OpenProfile,
                                                  tmp_path: Any) -> None:
    from caseapp.services import exchange, statistics

    with open_profile("manager") as session:
        service = CaseService(session)
        trafficking = {"vic_TypeOfExploitation": ["ForcedLabour"]}
        keep = service.create({**BORDER, **trafficking}).id
        gone = service.create({**SHELTER, **trafficking}).id
        agree(session, [keep, gone], consent.ASSISTANCE_PROCESSING,
              consent.ANONYMISED_RESEARCH)
        before = len(statistics.collect_rows(session)[0])
        duplicates.merge(session, keep, gone, "Same person, confirmed by interview.")
        assert len(statistics.collect_rows(session)[0]) == before - 1
        report = exchange.export_htcds(session, tmp_path / "o.csv", "csv", "transfer",
                                       protection=PLAIN)
        assert report.rows == 1


# -- short keys, and warnings when a case is created or imported (issue 8) -----------------

def test_short_name_keys_do_not_make_everyone_a_candidate() -> None:
    # Before: Ayesha, Asia and Isa all have the key "s" and scored 0.9 against each other.
    ayesha = {"prs_FirstName": "Ayesha", "prs_Birthdate": "2000-01-01",
              "prs_Gender": "Feminine", "prs_Citizenship": ["PK"]}
    for other in ("Asia", "Isa", "Aasia", "عائشہ"):
        assert matching.score(ayesha, {**ayesha, "prs_FirstName": other}).score < 0.6, other
    # Spelled the same, the name still counts in full.
    assert matching.score(ayesha, dict(ayesha)).score >= 0.9


def _write_json(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def test_case_create_warns_at_once_of_an_existing_person(
        cli_profile: CliProfile, run: Any, tmp_path: Path) -> None:
    # Before: the second case was created without a word.
    me = cli_profile("caseworker", "amina")
    first = _write_json(tmp_path, "a.json", {**BORDER, "hfz_IdentityDocuments": [CNIC]})
    code, out, err = run("case", "create", *me, "--json", first)
    assert (code, err) == (0, "")
    with profiles.unlock("amina", PASSPHRASE) as session:
        number = CaseService(session).show(out.strip())["hfz_CaseNumber"]
    # Same CNIC, another name: a borrowed document, or the same person.
    again = _write_json(tmp_path, "b.json", {"prs_FirstName": "Zahid",
                                             "hfz_IdentityDocuments": [CNIC]})
    code, out, err = run("case", "create", *me, "--json", again)
    assert code == 0 and out.strip()
    assert f"may be the same person as case {number}" in err
    assert "Zahid" not in err and "Muhammad" not in err and "35202" not in err
    # Name and birth year of an existing person, in the other script.
    code, _out, err = run("case", "create", *me, "--json",
                          _write_json(tmp_path, "c.json", SHELTER))
    assert code == 0 and f"case {number}" in err


def test_importing_the_same_file_twice_warns(cli_profile: CliProfile, run: Any,
                                             tmp_path: Path) -> None:
    me = cli_profile("manager", "maryam")
    with profiles.unlock("maryam", PASSPHRASE) as session:
        ids = [CaseService(session).create(dict(doc)).id
               for doc in (BORDER, {"prs_FirstName": "Kiran", "prs_SecondName": "Bibi",
                                    "prs_Birthdate": "1999-02-02"})]
        agree(session, ids, consent.ASSISTANCE_PROCESSING)
    out = tmp_path / "cases.csv"
    code, _o, err = run("export", "htcds", *me, "--format", "csv", "--out", out,
                        "--purpose", "backup", "--unencrypted")
    assert code == 0, err
    code, stdout, err = run("import", "htcds", *me, "--file", out)
    assert code == 0 and "Imported 2" in stdout
    # Before: silently two more cases. Now each imported case is named with its double.
    assert err.count("may be the same person as case") == 2
