"""Shared fixtures: every test gets its own empty CASEAPP_HOME; Qt runs headless."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from caseapp.cli.main import main  # noqa: E402
from caseapp.crypto import kdf  # noqa: E402
from caseapp.domain import consent  # noqa: E402
from caseapp.services import profiles  # noqa: E402
from caseapp.services.cases import CaseService  # noqa: E402
from caseapp.services.consent import ConsentService  # noqa: E402
from caseapp.services.session import Session  # noqa: E402

PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (test fixture)
# run("case", "list", ...) -> (exit code, stdout, stderr) of the command line, in-process.
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def caseapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "caseapp-home"
    home.mkdir()
    monkeypatch.setenv("CASEAPP_HOME", str(home))
    return home


@pytest.fixture
def make_profile() -> Callable[..., tuple[profiles.CreatedProfile, str]]:
    """``make_profile(name="alice", passphrase=PASSPHRASE, **kwargs)`` creates a profile with
    the floor KDF parameters (fast) and returns ``(created, passphrase)``."""

    def _make(name: str = "alice", passphrase: str = PASSPHRASE,
              **kwargs: object) -> tuple[profiles.CreatedProfile, str]:
        kwargs.setdefault("params", kdf.FLOOR)
        return profiles.create_profile(name, passphrase, **kwargs), passphrase  # type: ignore[arg-type]

    return _make


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def open_as(role: str, name: str | None = None) -> Session:
    """Create a profile for a user of ``role`` (floor KDF, fast) and unlock it."""
    profiles.create_profile(name or role, PASSPHRASE, role=role, params=kdf.FLOOR)
    return profiles.unlock(name or role, PASSPHRASE)


@pytest.fixture
def caseworker() -> Iterator[Session]:
    session = open_as("caseworker")
    yield session
    session.close()


@pytest.fixture
def manager() -> Iterator[Session]:
    session = open_as("manager")
    yield session
    session.close()


def consented_case(session: Session) -> str:
    """A new case whose person agreed to the interview (screenings need that)."""
    case_id = CaseService(session).create({"prs_FirstName": "Bilal"}).id
    ConsentService(session).record(case_id, consent.INTERVIEW, True, language="urd",
                                   explanation_version="consent-text-1.0")
    return case_id
