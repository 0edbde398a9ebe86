"""The ``caseapp`` command line end to end, with real passphrase and JSON files: every command,
and bad input answered with one line on stderr (no traceback) and a non-zero exit."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CliProfile, NewProfile, Run

from caseapp.crypto import kdf
from caseapp.i18n import translations_dir
from caseapp.services import profile_paths, profiles

PASSPHRASE = "river lamp seven orchard"
NEW_PASSPHRASE = "copper kettle winter meadow"
RECOVERY_RE = re.compile(r"^\d{5}(-\d{5}){7}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DOCUMENT: dict[str, Any] = {
    "prs_FirstName": "Shabnam", "prs_SecondName": "Sultani", "hfz_NameUrdu": "شبنم سلطانی",
    "prs_Gender": "Feminine", "prs_Birthdate": "2007-05-02", "prs_Citizenship": ["AF"],
    "hfz_Aliases": ["Shabo"], "prs_IdentityNumber": "35202-1234567-2",
    "hfz_Tracks": ["TIP", "SOM"], "vic_TypeOfExploitation": ["ForcedMarriage"],
    "hte_Events": [{"hte_Type": "Recruitment", "hte_City": "Jalalabad", "hte_Country": "AF"}],
}



@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands create profiles with the floor parameters instead of calibrating
    (calibration is tested elsewhere; one subprocess test below runs it for real)."""
    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: kdf.FLOOR)


@pytest.fixture
def files(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / "inputs" / name
        path.parent.mkdir(exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def secret(files: Callable[[str, str | bytes], Path]) -> Path:
    return files("passphrase.txt", PASSPHRASE + "\n")


@pytest.fixture
def alice(cli_profile: CliProfile) -> list[str | Path]:
    """An administrator's profile named alice; returns its profile arguments."""
    return cli_profile("administrator", "alice")


def create_case(run: Run, files: Callable[[str, str | bytes], Path], who: list[str | Path],
                doc: dict[str, Any] | None = None) -> str:
    path = files("case.json", json.dumps(doc or DOCUMENT, ensure_ascii=False))
    code, out, err = run("case", "create", *who, "--json", path)
    assert (code, err) == (0, ""), err
    return out.strip()


def one_line_error(code: int, out: str, err: str) -> str:
    assert code != 0
    assert out == ""
    assert err.startswith("caseapp") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# -- profiles ------------------------------------------------------------------------------

def test_profile_create_prints_a_recovery_code(run: Run, secret: Path,
                                                files: Callable[[str, str | bytes], Path]
                                                ) -> None:
    code, out, err = run("profile", "create", "--name", "bob", "--passphrase-file", secret,
                         "--user", "Bushra Akhtar")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Profile bob created."
    codes = [line for line in lines if RECOVERY_RE.match(line)]
    assert len(codes) == 1
    assert len(re.sub(r"\D", "", codes[0])) == 40
    # The recovery code opens the profile in place of the passphrase.
    recovery = files("recovery.txt", codes[0] + "\n")
    code, out, err = run("case", "list", "--profile", "bob", "--passphrase-file", recovery)
    assert (code, out, err) == (0, "", "")
    with profiles.unlock("bob", PASSPHRASE) as session:
        # A new profile is a new office: its user is the administrator (issue 7, item 5).
        assert (session.role, session.user["name"]) == ("administrator", "Bushra Akhtar")


def test_profile_list(run: Run, new_profile: NewProfile) -> None:
    assert run("profile", "list") == (0, "", "")
    for name, role in (("zara", "caseworker"), ("amir", "manager"), ("m.khan", "border_officer")):
        new_profile(role, name)
    assert run("profile", "list") == (0, "amir\nm.khan\nzara\n", "")


def test_change_passphrase_then_the_old_one_fails(run: Run, alice: list[str | Path],
                                                  secret: Path,
                                                  files: Callable[[str, str | bytes], Path]
                                                  ) -> None:
    new = files("new.txt", NEW_PASSPHRASE + "\n")
    code, out, err = run("profile", "change-passphrase", *alice, "--new-passphrase-file", new)
    assert (code, err) == (0, "")
    assert "Passphrase changed." in out
    one_line_error(*run("case", "list", *alice))
    assert run("case", "list", "--profile", "alice", "--passphrase-file", new) == (0, "", "")
    # A weak new passphrase is refused and the current one keeps working.
    weak = files("weak.txt", "password123\n")
    one_line_error(*run("profile", "change-passphrase", "--profile", "alice",
                        "--passphrase-file", new, "--new-passphrase-file", weak))
    assert run("case", "list", "--profile", "alice", "--passphrase-file", new)[0] == 0


def test_rotate_key_replaces_the_recovery_code(run: Run, secret: Path,
                                               files: Callable[[str, str | bytes], Path]
                                               ) -> None:
    code, out, _err = run("profile", "create", "--name", "rot", "--passphrase-file", secret)
    old_code = next(line for line in out.splitlines() if RECOVERY_RE.match(line))
    who: list[str | Path] = ["--profile", "rot", "--passphrase-file", secret]
    case_id = create_case(run, files, who)
    code, out, err = run("profile", "rotate-key", *who)
    assert (code, err) == (0, "")
    new_code = next(line for line in out.splitlines() if RECOVERY_RE.match(line))
    assert new_code != old_code
    old_file = files("old-code.txt", old_code)
    new_file = files("new-code.txt", new_code)
    one_line_error(*run("case", "show", case_id, "--profile", "rot",
                        "--passphrase-file", old_file))
    code, out, err = run("case", "show", case_id, "--json", "--profile", "rot",
                         "--passphrase-file", new_file)
    assert code == 0 and json.loads(out)["prs_FirstName"] == "Shabnam"
    assert run("case", "show", case_id, *who)[0] == 0


def signed_erase_policy() -> object:
    state = json.loads(profile_paths.paths("alice").unlock_state.read_bytes())
    return state["checkpoint"]["erase_after"]


def test_erase_policy(run: Run, alice: list[str | Path]) -> None:
    # Issue 8: the command confirms what it set (before: it printed nothing).
    assert run("profile", "erase-policy", *alice, "--after", "10") == (
        0, "Profile alice will be erased after 10 wrong passphrases in a row.\n", "")
    assert signed_erase_policy() == 10
    one_line_error(*run("profile", "erase-policy", *alice, "--after", "2"))
    assert run("profile", "erase-policy", *alice, "--off") == (
        0, "Erasing after wrong passphrases is off for profile alice.\n", "")
    assert signed_erase_policy() is None


# -- cases and search ----------------------------------------------------------------------

def test_case_create_then_show_returns_the_same_fields(run: Run, alice: list[str | Path],
                                                       files: Callable[[str, str | bytes],
                                                                       Path]) -> None:
    case_id = create_case(run, files, alice)
    assert UUID_RE.match(case_id)
    code, out, err = run("case", "show", case_id, *alice, "--json")
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert shown["id"] == case_id
    for key, value in DOCUMENT.items():
        assert shown[key] == value, key
    assert shown["hfz_IdentityDocuments"] == [
        {"type": "CNIC", "number": "35202-1234567-2", "country": "PK"}]
    assert "شبنم سلطانی" in out  # Urdu written as text, not \u escapes
    # Without --json: one "field: value" line per field.
    code, out, _err = run("case", "show", case_id, *alice)
    assert code == 0
    assert "prs_FirstName: Shabnam" in out.splitlines()
    assert f"id: {case_id}" in out.splitlines()


def test_case_list(run: Run, alice: list[str | Path],
                   files: Callable[[str, str | bytes], Path]) -> None:
    first = create_case(run, files, alice)
    second = create_case(run, files, alice, {"prs_FirstName": "Kiran", "hfz_NameUrdu": "کرن"})
    code, out, _err = run("case", "list", *alice, "--json")
    assert code == 0
    page = json.loads(out)
    listed = page["cases"]
    assert (page["total"], page["next"]) == (2, None)
    assert [c["id"] for c in listed] == [second, first]
    assert listed[0]["name"] == "Kiran" and listed[0]["stage"] == "intake"
    assert set(listed[0]) == {"id", "case_number", "name", "name_urdu", "stage", "updated_at"}
    # The first page of one says where the next starts; --after continues from there.
    code, out, err = run("case", "list", *alice, "--limit", "1")
    assert code == 0 and out.split("\t")[-1].strip() == second
    key = err.rsplit("--after ", 1)[1].strip()
    code, out, err = run("case", "list", *alice, "--limit", "1", "--after", key)
    [line] = out.splitlines()
    number, stage, name, urdu, case_id = line.split("\t")
    assert (stage, name, urdu, case_id) == ("intake", "Shabnam Sultani", "شبنم سلطانی", first)
    assert err == ""  # the last page
    assert "--after" in one_line_error(*run("case", "list", *alice, "--after", "page-two"))


def test_search(run: Run, alice: list[str | Path],
                files: Callable[[str, str | bytes], Path]) -> None:
    case_id = create_case(run, files, alice)
    create_case(run, files, alice, {"prs_FirstName": "Kiran", "prs_SecondName": "Baloch"})
    for query in ("Shabnam", "Shabnum Sultany", "شبنم", "Shabo", "35202-1234567-2",
                  "3520212345672"):
        code, out, err = run("search", query, *alice, "--json")
        assert (code, err) == (0, "")
        assert [hit["id"] for hit in json.loads(out)] == [case_id], query
    code, out, _err = run("search", "Zulfiqar", *alice, "--json")
    assert json.loads(out) == []
    code, out, _err = run("search", "Kiran", *alice)
    assert code == 0 and out.count("\n") == 1 and "\tKiran Baloch\t" in out



def test_demo_cases_only_writes_cases_without_their_stage_records(
        run: Run, alice: list[str | Path]) -> None:
    code, out, _err = run("demo", *alice, "--cases", "12", "--cases-only")
    assert code == 0 and "12 synthetic cases added." in out
    with profiles.unlock("alice", PASSPHRASE) as session:
        assert session.store.count("case") == 12
        assert session.store.count("person") == 12
        assert session.store.count("consent") == 0  # nothing of the stage's casework
    code, _out, _err = run("demo", *alice, "--cases", "12")
    with profiles.unlock("alice", PASSPHRASE) as session:
        assert session.store.count("case") == 24
        assert session.store.count("consent") > 0


def test_demo_leaves_its_case_file_compact(run: Run, alice: list[str | Path]) -> None:
    """Issue 12's budget: at most 4 KB a case at rest, the change log and audit included.
    Written case by case the indexes' pages are part empty (4.1 KB a case); the command
    compacts the file when it is done."""
    vault = profile_paths.existing("alice").database
    code, _out, _err = run("demo", *alice, "--cases", "1", "--cases-only")
    empty = vault.stat().st_size
    code, out, err = run("demo", *alice, "--cases", "2000", "--cases-only")
    assert code == 0 and "2,000 synthetic cases added." in out
    assert "Compacting the case file" in err and "The case file went from" in err
    assert (vault.stat().st_size - empty) / 2000 <= 4000
    with profiles.unlock("alice", PASSPHRASE) as session:
        assert session.store.count("case") == 2001
        actions = [row[0] for row in session.conn.execute("SELECT action FROM audit")]
        assert actions.count("database_compacted") == 2


@pytest.mark.parametrize("count", ["0", "-5"])
def test_demo_refuses_a_count_below_one(run: Run, alice: list[str | Path], count: str) -> None:
    code, out, err = run("demo", *alice, "--cases", count)
    assert code != 0 and out == ""
    assert "--cases must be a whole number of at least 1." in err
    assert "Traceback" not in err


def test_demo_progress_is_said_at_most_every_percent_with_the_time_left(
        capsys: pytest.CaptureFixture[str]) -> None:
    from caseapp.cli.demo import FillReport

    now = [0.0]
    report = FillReport(clock=lambda: now[0])
    for done in range(500, 1_000_001, 500):  # a batch of 500 every 0.6 s: 20 minutes in all
        now[0] += 0.6
        report(done, 1_000_000)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 101  # the first batch, then 1 % … 100 %: not 2,000 lines
    assert lines[0] == "500 of 1,000,000 cases written; about 20 minutes left."
    # After the first percent, 12 s spent: 99 times as long left, about 20 minutes.
    assert lines[1] == "10,000 of 1,000,000 cases written; about 20 minutes left."
    assert lines[-1] == "1,000,000 of 1,000,000 cases written."


def test_search_query_from_standard_input(run: Run, alice: list[str | Path],
                                          files: Callable[[str, str | bytes], Path],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A name need not appear in the process list: '-' reads it from standard input."""
    import io

    case_id = create_case(run, files, alice)
    monkeypatch.setattr("sys.stdin", io.StringIO("شبنم\n"))
    code, out, _err = run("search", "-", *alice, "--json")
    assert code == 0 and [hit["id"] for hit in json.loads(out)] == [case_id]


def test_demo(run: Run, alice: list[str | Path], secret: Path) -> None:
    code, out, err = run("demo", *alice, "--cases", "30")
    assert code == 0
    assert "30 synthetic cases added." in out
    assert "30 of 30 cases written." in err  # progress goes to stderr
    code, out, _err = run("case", "list", *alice, "--json", "--limit", "100")
    listed = json.loads(out)["cases"]
    assert len(listed) == 30
    assert {c["stage"] for c in listed} > {"intake"}
    # On a new profile the command creates it first and shows its recovery code once.
    code, out, _err = run("demo", "--profile", "fresh", "--passphrase-file", secret,
                          "--cases", "5")
    assert code == 0
    assert "Profile fresh created." in out
    assert [line for line in out.splitlines() if RECOVERY_RE.match(line)]
    assert "fresh" in profile_paths.list_profiles()


def test_audit_verify(run: Run, alice: list[str | Path],
                      files: Callable[[str, str | bytes], Path]) -> None:
    case_id = create_case(run, files, alice)
    run("case", "show", case_id, *alice)
    code, out, err = run("audit", "verify", *alice)
    assert (code, err) == (0, "")
    assert re.match(r"Audit chain intact: \d+ events\.", out)


def test_audit_verify_needs_the_permission(run: Run, cli_profile: CliProfile) -> None:
    err = one_line_error(*run("audit", "verify", *cli_profile("caseworker", "cw")))
    assert "role" in err


# -- bad input: one line on stderr, non-zero exit, nothing stored --------------------------

def test_missing_passphrase_file(run: Run, alice: list[str | Path], tmp_path: Path) -> None:
    err = one_line_error(*run("case", "list", "--profile", "alice", "--passphrase-file",
                              tmp_path / "nowhere.txt"))
    assert "cannot be read" in err
    one_line_error(*run("case", "list", "--profile", "alice", "--passphrase-file", tmp_path))


@pytest.mark.parametrize("content", ["", "\n", "\n" + PASSPHRASE])
def test_empty_passphrase_file(run: Run, alice: list[str | Path],
                               files: Callable[[str, str | bytes], Path], content: str) -> None:
    empty = files("empty.txt", content)
    err = one_line_error(*run("case", "list", "--profile", "alice", "--passphrase-file", empty))
    assert "empty" in err
    err = one_line_error(*run("profile", "create", "--name", "nobody", "--passphrase-file",
                              empty))
    assert "nobody" not in profile_paths.list_profiles()


def test_wrong_passphrase(run: Run, alice: list[str | Path],
                          files: Callable[[str, str | bytes], Path]) -> None:
    wrong = files("wrong.txt", "river lamp seven orchards\n")
    err = one_line_error(*run("case", "list", "--profile", "alice", "--passphrase-file", wrong))
    assert "wrong" in err


def test_passphrase_file_with_windows_line_ending(run: Run, alice: list[str | Path],
                                                  files: Callable[[str, str | bytes], Path]
                                                  ) -> None:
    crlf = files("crlf.txt", (PASSPHRASE + "\r\n").encode())
    assert run("case", "list", "--profile", "alice", "--passphrase-file", crlf)[0] == 0


@pytest.mark.parametrize("content", [b"{not json", b'{"prs_FirstName": "A",}', b"",
                                     b"\xff\xfe\x00garbage", b"[" * 100_000])
def test_invalid_json(run: Run, alice: list[str | Path],
                      files: Callable[[str, str | bytes], Path], content: bytes) -> None:
    path = files("bad.json", content)
    err = one_line_error(*run("case", "create", *alice, "--json", path))
    assert "JSON" in err
    assert run("case", "list", *alice) == (0, "", "")


def test_missing_json_file(run: Run, alice: list[str | Path], tmp_path: Path) -> None:
    err = one_line_error(*run("case", "create", *alice, "--json", tmp_path / "none.json"))
    assert "cannot be read" in err


@pytest.mark.parametrize("doc, fields", [
    ({"prs_FirstName": "A", "prs_Gender": "Female", "prs_Birthdate": "2001-13-01",
      "prs_ShoeSize": 9, "vic_Vulnerabilities": ["Poverty"],
      "hfz_IdentityDocuments": [{"type": "CNIC", "number": "12345-123-1"}]},
     ["prs_Gender", "prs_Birthdate", "prs_ShoeSize", "vic_Vulnerabilities",
      "hfz_IdentityDocuments"]),
    (["prs_FirstName", "A"], ["document"]),
    ({"prs_Gender": "Feminine"}, ["prs_FirstName"]),
    ({"prs_FirstName": "A", "prs_NumberOfChildren": float("nan")}, ["prs_NumberOfChildren"]),
])
def test_document_with_errors(run: Run, alice: list[str | Path],
                              files: Callable[[str, str | bytes], Path], doc: Any,
                              fields: list[str]) -> None:
    path = files("errors.json", json.dumps(doc))
    err = one_line_error(*run("case", "create", *alice, "--json", path))
    assert all(field in err for field in fields), err
    assert run("case", "list", *alice) == (0, "", "")


def test_unknown_case_id(run: Run, alice: list[str | Path],
                         files: Callable[[str, str | bytes], Path]) -> None:
    create_case(run, files, alice)
    for case_id in ("01900000-0000-7000-8000-000000000000", "../../etc/passwd", "' OR 1=1 --"):
        err = one_line_error(*run("case", "show", case_id, *alice))
        assert "not found" in err


def test_unknown_profile(run: Run, secret: Path) -> None:
    err = one_line_error(*run("case", "list", "--profile", "ghost", "--passphrase-file",
                              secret))
    assert "No profile" in err
    one_line_error(*run("audit", "verify", "--profile", "ghost", "--passphrase-file", secret))
    assert profile_paths.list_profiles() == []


@pytest.mark.parametrize("weak", ["password", "short", "password123!", "aaaa aaaa aaaa",
                                  "1234567890123"])
def test_weak_passphrase_at_create(run: Run, files: Callable[[str, str | bytes], Path],
                                   weak: str) -> None:
    err = one_line_error(*run("profile", "create", "--name", "weak", "--passphrase-file",
                              files("weak.txt", weak)))
    assert "passphrase" in err
    assert profile_paths.list_profiles() == []
    assert not (profile_paths.home() / "weak").exists()


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "/tmp/x", ".hidden", "", "x" * 41,
                                  "name with space", "نام"])
def test_bad_profile_name(run: Run, secret: Path, caseapp_home: Path, name: str) -> None:
    before = sorted(p for p in caseapp_home.parent.rglob("*"))
    one_line_error(*run("profile", "create", "--name", name, "--passphrase-file", secret))
    one_line_error(*run("case", "list", "--profile", name, "--passphrase-file", secret))
    assert sorted(p for p in caseapp_home.parent.rglob("*")) == before
    assert not Path("/tmp/x/keyslots.json").exists()


def test_existing_profile_is_not_overwritten(run: Run, alice: list[str | Path],
                                             secret: Path,
                                             files: Callable[[str, str | bytes], Path]
                                             ) -> None:
    case_id = create_case(run, files, alice)
    err = one_line_error(*run("profile", "create", "--name", "alice", "--passphrase-file",
                              files("other.txt", NEW_PASSPHRASE)))
    assert "exists" in err
    assert run("case", "show", case_id, *alice)[0] == 0


@pytest.mark.parametrize("args", [
    [], ["case"], ["case", "create", "--profile", "alice"], ["nonsense"],
    ["--lang", "xx", "profile", "list"], ["case", "list", "--profile", "a",
                                          "--passphrase-file", "p", "--limit", "many"],
])
def test_usage_errors_are_one_line(run: Run, args: list[str]) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "usage:" not in err, err


# -- the installed entry point, in a real child process ------------------------------------

def caseapp(*args: str | Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "caseapp.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_real_process_end_to_end(secret: Path, files: Callable[[str, str | bytes], Path],
                                 tmp_path: Path) -> None:
    created = caseapp("profile", "create", "--name", "proc", "--passphrase-file", secret)
    assert created.returncode == 0, created.stderr
    assert [line for line in created.stdout.splitlines() if RECOVERY_RE.match(line)]
    who = ["--profile", "proc", "--passphrase-file", str(secret)]
    path = files("case.json", json.dumps(DOCUMENT, ensure_ascii=False))
    made = caseapp("case", "create", *who, "--json", path)
    assert made.returncode == 0, made.stderr
    case_id = made.stdout.strip()
    shown = caseapp("case", "show", case_id, *who, "--json")
    assert json.loads(shown.stdout)["hfz_NameUrdu"] == "شبنم سلطانی"
    assert caseapp("audit", "verify", *who).returncode == 0
    for bad in (caseapp("case", "show", case_id, "--profile", "proc", "--passphrase-file",
                        files("wrong.txt", "not the right words at all")),
                caseapp("case", "create", *who, "--json", files("x.json", "[" * 100_000)),
                caseapp("case", "list", "--profile", "../x", "--passphrase-file", secret)):
        assert bad.returncode != 0
        assert bad.stdout == ""
        assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr, bad.stderr


def test_version(run: Run) -> None:
    code, out, _err = run("--version")
    assert code == 0 and re.match(r"caseapp \d+\.\d+", out)


# -- Urdu messages, once the catalog exists ------------------------------------------------

URDU_CATALOG = translations_dir() / "ur" / "LC_MESSAGES" / "caseapp.po"


@pytest.mark.skipif(not URDU_CATALOG.exists(), reason="the Urdu catalog is not written yet")
def test_urdu_messages(run: Run, alice: list[str | Path],
                       files: Callable[[str, str | bytes], Path]) -> None:
    try:
        code, out, err = run("--lang", "ur", "case", "show", "01900000-0000-7000-8000-"
                             "000000000000", *alice)
        one_line_error(code, out, err)
        assert re.search("[\u0600-\u06ff]", err), err  # said in Urdu
        assert "The record was not found" not in err
        code, out, _err = run("--lang", "ur", "audit", "verify", *alice)
        assert code == 0 and re.search("[\u0600-\u06ff]", out)
        path = files("unknown-field.json", json.dumps({"prs_FirstName": "A", "prs_ShoeSize": 9}))
        err = one_line_error(*run("--lang", "ur", "case", "create", *alice, "--json", path))
        assert "prs_ShoeSize" in err and "is not an HTCDS field" not in err
        assert re.search("[\u0600-\u06ff]", err), err
    finally:
        run("--lang", "en", "profile", "list")  # leave later tests in English


# -- edit, notes, history, case numbers (issue 8, the command line as users meet it) -------

def test_a_case_number_works_wherever_a_case_id_does(run: Run, alice: list[str | Path],
                                                      files: Callable[[str, str | bytes],
                                                                      Path]) -> None:
    case_id = create_case(run, files, alice)
    code, out, _err = run("case", "show", case_id, *alice, "--json")
    number = json.loads(out)["hfz_CaseNumber"]
    year, code_part, serial = number.split("-")
    for typed in (number, number.lower(), f"{year}{code_part}{serial}",
                  f"{year}-{code_part}-{int(serial)}"):
        code, out, err = run("case", "show", typed, *alice, "--json")
        assert code == 0 and json.loads(out)["id"] == case_id, (typed, err)
    note = files("note.txt", "Called the brother in Kasur.")
    assert run("case", "note", number, *alice, "--text-file", note)[0] == 0
    assert run("consent", "show", "--case", number, *alice)[0] == 0
    # A number no case has is a clear error, not a crash.
    err = one_line_error(*run("case", "show", f"{year}-{code_part}-99999", *alice))
    assert "not found" in err


def test_case_edit_notes_and_history(run: Run, alice: list[str | Path],
                                     files: Callable[[str, str | bytes], Path]) -> None:
    case_id = create_case(run, files, alice)
    edit = files("edit.json", json.dumps({"prs_SecondName": "Rahimi",
                                          "hfz_Aliases": ["Shabo", "Shabi"]}))
    code, out, err = run("case", "edit", case_id, *alice, "--json", edit)
    assert code == 0, err
    assert out.strip() == "Changed: hfz_Aliases, prs_SecondName"
    assert run("case", "edit", case_id, *alice, "--json", edit)[1].startswith("Nothing")
    bad = files("bad.json", json.dumps({"prs_Birthdate": "1994-02-30"}))
    err = one_line_error(*run("case", "edit", case_id, *alice, "--json", bad))
    assert "prs_Birthdate" in err
    for text in ("First call: she is safe.", "Second call: needs a lawyer."):
        note = files("note.txt", text)
        assert run("case", "note", case_id, *alice, "--text-file", note)[0] == 0
    code, out, _err = run("case", "notes", case_id, *alice)
    assert [line.split("\t")[1] for line in out.splitlines()] == [
        "First call: she is safe.", "Second call: needs a lawyer."]
    code, out, _err = run("case", "history", case_id, *alice, "--json")
    entries = json.loads(out)
    kinds = [(e["record_type"], e["fields"]) for e in entries]
    assert ("person", ["hfz_Aliases", "prs_SecondName"]) in kinds
    assert [k for k in kinds if k[0] == "note"] == [("note", ["cco_CaseComment"])] * 2
    assert all(e["origin"] == "local" for e in entries)
    code, out, _err = run("case", "history", case_id, *alice)
    assert code == 0 and "this device" in out and "Rahimi" not in out  # names, not values


def test_case_show_reads_as_text(run: Run, alice: list[str | Path],
                                 files: Callable[[str, str | bytes], Path]) -> None:
    case_id = create_case(run, files, alice, {**DOCUMENT, "hfz_Aliases": ["Shabo", "Shabi"]})
    code, out, _err = run("case", "show", case_id, *alice)
    assert "hfz_Aliases: Shabo, Shabi" in out
    assert "['" not in out and "{'" not in out and "clocks" not in out


def test_a_listing_piped_into_head_ends_quietly(run: Run, alice: list[str | Path],
                                                files: Callable[[str, str | bytes], Path],
                                                caseapp_home: Path) -> None:
    create_case(run, files, alice)
    # `true` reads nothing and is gone before the listing writes: the pipe is closed for sure.
    script = (f"{sys.executable} -m caseapp.cli.main case list "
              f"{' '.join(str(a) for a in alice)} | true")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          env={**os.environ, "CASEAPP_HOME": str(caseapp_home)})
    assert done.returncode == 0
    assert done.stderr == ""  # no BrokenPipeError, no "Exception ignored"


# -- input that used to break exports or the command line (issue 7, items 7 and 8) ---------

@pytest.mark.parametrize("text", ["Shab\x00nam", "Shab\x07nam", "Shab\udc80nam"])
def test_control_and_broken_characters_are_refused_naming_the_field(
        run: Run, alice: list[str | Path], tmp_path: Path, text: str) -> None:
    doc = tmp_path / "case.json"
    doc.write_text(json.dumps({"prs_FirstName": "Ok", "hfz_FatherName": text}),
                   encoding="utf-8")
    err = one_line_error(*run("case", "create", *alice, "--json", doc))
    assert "hfz_FatherName" in err and "control character" in err
    assert text not in err
    with profiles.unlock("alice", PASSPHRASE) as session:
        assert session.store.count("case") == 0


def test_a_field_given_twice_is_refused(run: Run, alice: list[str | Path],
                                        tmp_path: Path) -> None:
    doc = tmp_path / "case.json"
    doc.write_text('{"prs_FirstName": "Amina", "prs_FirstName": "Bilal"}', encoding="utf-8")
    err = one_line_error(*run("case", "create", *alice, "--json", doc))
    assert "prs_FirstName twice" in err


def test_too_large_a_document_is_refused_before_it_is_read(run: Run, alice: list[str | Path],
                                                           tmp_path: Path) -> None:
    doc = tmp_path / "case.json"
    doc.write_text(json.dumps({"prs_FirstName": "A", "hfz_Summary": "x" * 3_000_000}),
                   encoding="utf-8")
    err = one_line_error(*run("case", "create", *alice, "--json", doc))
    assert "larger than 2 MB" in err
    doc.write_text(json.dumps({"prs_FirstName": "A", "hfz_Summary": "x" * 20_000}),
                   encoding="utf-8")
    err = one_line_error(*run("case", "create", *alice, "--json", doc))
    assert "hfz_Summary" in err and "longer than 10000 characters" in err


def test_a_note_with_a_control_character_is_refused(run: Run, alice: list[str | Path],
                                                    files: Callable[[str, str | bytes], Path]
                                                    ) -> None:
    case_id = create_case(run, files, alice)
    note = files("note.txt", "Called\x00 her brother.")
    err = one_line_error(*run("case", "note", case_id, *alice, "--text-file", note))
    assert "control character" in err


def test_free_text_options_read_standard_input(run: Run, alice: list[str | Path],
                                               files: Callable[[str, str | bytes], Path],
                                               monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """A reason or purpose typed as an option is in the process list (issue 7, item 13)."""
    case_id = create_case(run, files, alice)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Went home to her mother in Mardan.\n"))
    code, _out, err = run("case", "move", case_id, *alice, "--to", "closed", "--reason", "-")
    assert code == 0, err
    code, out, _err = run("case", "show", case_id, *alice, "--json")
    assert json.loads(out)["cas_ReasonForCaseClosure"] == "Went home to her mother in Mardan."
    monkeypatch.setattr(sys, "stdin", io.StringIO("Transfer to the Lahore shelter."))
    out_file = tmp_path / "cases.csv"
    code, _out, err = run("export", "htcds", "--unencrypted", *alice, "--format", "csv", "--out",
                          out_file,
                          "--purpose", "-")
    assert code == 0, err
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _out, err = run("export", "htcds", "--unencrypted", *alice, "--format", "csv", "--out",
                          out_file,
                          "--force", "--purpose", "-")
    assert code == 2 and "standard input" in err
