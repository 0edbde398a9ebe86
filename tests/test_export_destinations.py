"""Where an export may be written (issue 7, item 1). ``--out …/profiles/NAME/keyslots.json``
once left a CSV where the wrapped key was: every case lost for good. These tests perform
that attack, and the careless variants of it, from the command line."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PASSPHRASE, CliProfile, Run

from caseapp.services import profile_paths, profiles

Exporter = Callable[[Path, tuple[str, ...]], tuple[int, str, str]]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def admin(cli_profile: CliProfile, run: Run) -> list[str | Path]:
    args = cli_profile("administrator", "amina")
    code, _out, err = run("case", "create", *args, "--json", write_case(args))
    assert code == 0, err
    return args


def write_case(args: list[str | Path]) -> Path:
    path = Path(str(args[-1])).parent / "case.json"
    path.write_text('{"prs_FirstName": "Rukhsana", "hfz_NameUrdu": "رخسانہ"}',
                    encoding="utf-8")
    return path


EXPORTS: dict[str, Callable[[list[str | Path], Path], list[str | Path]]] = {
    "htcds csv": lambda a, out: ["export", "htcds", "--unencrypted", *a, "--format", "csv",
                                 "--out", out,
                                 "--purpose", "transfer to the shelter"],
    "htcds xlsx": lambda a, out: ["export", "htcds", "--unencrypted", *a, "--format", "xlsx",
                                  "--out", out,
                                  "--purpose", "transfer to the shelter"],
    "statistics": lambda a, out: ["export", "statistics", *a, "--out", out,
                                  "--purpose", "quarterly report"],
    "directory": lambda a, out: ["directory", "export", *a, "--csv", out],
}


@pytest.mark.parametrize("kind", EXPORTS)
@pytest.mark.parametrize("target", ["keyslots.json", "vault.db", "audit-head.json",
                                    "new-file.csv"])
def test_no_export_lands_inside_a_profile(run: Run, admin: list[str | Path], kind: str,
                                          target: str) -> None:
    folder = profile_paths.paths("amina").folder
    before = digest(folder)
    code, out, err = run(*EXPORTS[kind](admin, folder / target), "--force")
    assert code != 0 and out == ""
    assert "profiles folder" in err and "Traceback" not in err
    assert digest(folder) == before
    with profiles.unlock("amina", PASSPHRASE) as session:   # the vault still opens
        assert session.store.count("case") == 1


@pytest.mark.parametrize("kind", EXPORTS)
def test_a_link_into_a_profile_is_refused_too(run: Run, admin: list[str | Path],
                                             tmp_path: Path, kind: str) -> None:
    folder = profile_paths.paths("amina").folder
    link = tmp_path / "report.csv"
    os.symlink(folder / "keyslots.json", link)
    before = digest(folder)
    code, _out, err = run(*EXPORTS[kind](admin, link), "--force")
    assert code != 0 and "profiles folder" in err
    assert digest(folder) == before


@pytest.mark.parametrize("kind", EXPORTS)
def test_an_existing_file_is_replaced_only_with_force(run: Run, admin: list[str | Path],
                                                     tmp_path: Path, kind: str) -> None:
    out = tmp_path / "report.out"
    out.write_bytes(b"last month's report")
    code, _out, err = run(*EXPORTS[kind](admin, out))
    assert code != 0 and "--force" in err and str(out) in err
    assert out.read_bytes() == b"last month's report"
    code, _out, err = run(*EXPORTS[kind](admin, out), "--force")
    assert code == 0, err
    assert out.read_bytes() != b"last month's report"


def test_a_refused_export_leaves_no_audit_event(run: Run, admin: list[str | Path],
                                               tmp_path: Path) -> None:
    out = tmp_path / "exists.csv"
    out.write_text("x", encoding="utf-8")
    with profiles.unlock("amina", PASSPHRASE) as session:
        before = session.audit.head()[0]
    assert run(*EXPORTS["htcds csv"](admin, out))[0] != 0
    with profiles.unlock("amina", PASSPHRASE) as session:
        actions = [e["action"] for e in session.audit.events(limit=10)
                   if int(str(e["seq"])) > before]
    assert "htcds_exported" not in actions
