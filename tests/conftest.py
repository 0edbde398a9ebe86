"""Shared fixtures: every test gets its own empty CASEAPP_HOME; Qt runs headless.

One way to get a profile in a test: ``open_profile(role, name=None)`` (an unlocked session),
``cli_profile(role, name=None)`` (the profile on disk plus the ``--profile`` and
``--passphrase-file`` arguments for the command line), ``new_profile(role, name=None)`` (only
on disk), or the ``caseworker``, ``border_officer``, ``manager`` and ``administrator``
fixtures. Each copies a template profile made once per test session by ``create_profile``
into the test's own CASEAPP_HOME and, where it opens it, unlocks it with
``profiles.unlock(name, PASSPHRASE)``. Module-scoped fixtures use
``profile_templates.opened(home, role)``. Only the tests about what creating a profile
writes (test_vault_keyslots.py, and the file-mode test) call ``create_profile`` themselves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from caseapp.cli.main import main  # noqa: E402
from caseapp.crypto import kdf  # noqa: E402
from caseapp.domain import consent  # noqa: E402
from caseapp.services import profile_paths, profiles  # noqa: E402
from caseapp.services.cases import CaseService  # noqa: E402
from caseapp.services.consent import ConsentService  # noqa: E402
from caseapp.services.session import Session  # noqa: E402

PASSPHRASE = "river lamp seven orchard"  # noqa: S105 (test fixture)
# run("case", "list", ...) -> (exit code, stdout, stderr) of the command line, in-process.
Run = Callable[..., tuple[int, str, str]]
OpenProfile = Callable[..., Session]
CliProfile = Callable[..., list[str | Path]]
NewProfile = Callable[..., profiles.CreatedProfile]


@pytest.fixture(autouse=True)
def caseapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "caseapp-home"
    home.mkdir()
    monkeypatch.setenv("CASEAPP_HOME", str(home))
    # The command line takes its language from the locale: tests start in English whatever
    # the machine's locale is.
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    return home


@pytest.fixture(autouse=True)
def no_recalibration_at_unlock(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unlock rewraps a slot that derived much faster than the target here
    (``kdf.stronger``). The suite's profiles sit at the floor on purpose, for speed, and an
    Argon2 answer from ``ProfileTemplates`` takes no time at all: either would make most
    unlocks rewrap their slot. So the rewrap is off in this process unless a test turns it
    back on (test_kdf_recalibration.py does); child processes run as shipped."""
    monkeypatch.setattr(kdf, "RECALIBRATE_BELOW", 0.0)


class ProfileTemplates:
    """Profiles made with ``profiles.create_profile`` (floor KDF) once per test session, one
    per role and per how many of that role a single test needs, so that two profiles in one
    test never share a device id. Tests get copies: a copy shares the template's device id,
    keys and recovery code, which is harmless as every test has its own folder."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.made: dict[tuple[str, int], profiles.CreatedProfile] = {}
        # Argon2 outputs for the templates' keyslots, (secret, salt, params) -> key. Argon2 is
        # a pure function, so answering a copy's unlock from here runs every other step of
        # the unlock (back-off, AES-GCM unwrap, audit) while skipping its 0.3 s.
        self.derived: dict[tuple[bytes, bytes, kdf.Argon2Params], bytes] = {}

    def template(self, role: str, index: int) -> profiles.CreatedProfile:
        if (role, index) not in self.made:
            real = kdf.derive

            def recording(secret: bytes, salt: bytes, params: kdf.Argon2Params) -> bytes:
                key = real(secret, salt, params)
                self.derived[(secret, salt, params)] = key
                return key

            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("CASEAPP_HOME", str(self.base / f"{role}-{index}"))
                mp.setattr(kdf, "derive", recording)
                self.made[(role, index)] = profiles.create_profile(
                    role, PASSPHRASE, role=role, params=kdf.FLOOR)
        return self.made[(role, index)]

    def answer_argon2(self, mp: pytest.MonkeyPatch) -> None:
        """Until ``mp`` is undone, unlocking a copy with PASSPHRASE skips recomputing Argon2;
        any other secret, and every new or rotated keyslot, runs the real KDF. (An answer
        takes no time, which would read as a machine fast enough to rewrap the slot at every
        unlock: the rewrap stays off too, as in ``no_recalibration_at_unlock``.)"""
        real = kdf.derive
        mp.setattr(kdf, "RECALIBRATE_BELOW", 0.0)

        def derive(secret: bytes, salt: bytes, params: kdf.Argon2Params) -> bytes:
            known = self.derived.get((secret, salt, params))
            return known if known is not None else real(secret, salt, params)

        mp.setattr(kdf, "derive", derive)

    def copy(self, role: str, name: str | None = None, index: int = 0
             ) -> profiles.CreatedProfile:
        """A copy of template ``(role, index)`` in $CASEAPP_HOME, named ``name`` (default:
        the role); its recovery code, user and device are the template's."""
        template = self.template(role, index)
        paths = profile_paths.paths(name or role)
        shutil.copytree(template.folder, paths.folder)
        return dataclasses.replace(template, name=paths.name, folder=paths.folder)

    @contextlib.contextmanager
    def opened(self, home: Path, role: str = "administrator") -> Iterator[Session]:
        """For module-scoped fixtures: a copy in ``home``, unlocked while the block runs."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CASEAPP_HOME", str(home))
            self.answer_argon2(mp)
            created = self.copy(role)
            with profiles.unlock(created.name, PASSPHRASE) as session:
                yield session


@pytest.fixture(scope="session")
def profile_templates(tmp_path_factory: pytest.TempPathFactory) -> ProfileTemplates:
    return ProfileTemplates(tmp_path_factory.mktemp("profile-templates"))


@pytest.fixture
def new_profile(profile_templates: ProfileTemplates, monkeypatch: pytest.MonkeyPatch
                ) -> NewProfile:
    """``new_profile(role="administrator", name=None)`` puts a copy of the role's template
    into this test's CASEAPP_HOME under ``name`` (default: the role) and returns it as
    ``create_profile`` would (name, folder, recovery code, user and device ids).
    A second profile of the same role in one test is copied from a second template, so it
    has its own device id and keys."""
    profile_templates.answer_argon2(monkeypatch)
    used: dict[str, int] = {}

    def _new(role: str = "administrator", name: str | None = None) -> profiles.CreatedProfile:
        index = used.get(role, 0)
        used[role] = index + 1
        return profile_templates.copy(role, name, index)

    return _new


@pytest.fixture
def open_profile(new_profile: NewProfile) -> Iterator[OpenProfile]:
    """``open_profile(role="administrator", name=None)``: a new profile of that role,
    unlocked with ``profiles.unlock`` (so it holds an unlock audit event); locked at the end."""
    sessions: list[Session] = []

    def _open(role: str = "administrator", name: str | None = None) -> Session:
        created = new_profile(role, name)
        session = profiles.unlock(created.name, PASSPHRASE)
        sessions.append(session)
        return session

    yield _open
    for session in sessions:
        session.close()


@pytest.fixture
def cli_profile(new_profile: NewProfile, tmp_path: Path) -> CliProfile:
    """``cli_profile(role="administrator", name=None)``: a new profile on disk and the
    arguments that open it from the command line (the passphrase in a file in tmp_path)."""

    def _cli(role: str = "administrator", name: str | None = None) -> list[str | Path]:
        created = new_profile(role, name)
        secret = tmp_path / f"{created.name}.pass"
        secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
        return ["--profile", created.name, "--passphrase-file", secret]

    return _cli


@pytest.fixture
def caseworker(open_profile: OpenProfile) -> Session:
    return open_profile("caseworker")


@pytest.fixture
def border_officer(open_profile: OpenProfile) -> Session:
    return open_profile("border_officer")


@pytest.fixture
def manager(open_profile: OpenProfile) -> Session:
    return open_profile("manager")


@pytest.fixture
def administrator(open_profile: OpenProfile) -> Session:
    return open_profile("administrator")


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


def consented_case(session: Session) -> str:
    """A new case of an adult who agreed to the interview (screenings need that)."""
    case_id = CaseService(session).create({"prs_FirstName": "Bilal",
                                           "prs_Birthdate": "1990-05-01"}).id
    ConsentService(session).record(case_id, consent.INTERVIEW, True, language="urd",
                                   explanation_version="consent-text-1.0")
    return case_id


def agree(session: Session, case_ids: str | list[str], *purposes: str) -> None:
    """Record each case's person's consent to each purpose (exports and statistics need
    theirs); a child's with assent and a guardian's consent, as the rules ask."""
    consents = ConsentService(session)
    for case_id in [case_ids] if isinstance(case_ids, str) else case_ids:
        case = session.store.get(case_id)
        person = session.store.get(case.parent or "") if case else None
        child = consent.person_is_child(person.body if person else {},
                                        time.time_ns() // 1_000_000)
        backing = ({"assent": True, "guardian_name": "Guardian", "guardian_relationship":
                    "mother"} if child else {})
        for purpose in purposes:
            consents.record(case_id, purpose, True, language="urd",
                            explanation_version="consent-text-1.0", **backing)  # type: ignore[arg-type]


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """After the summary is printed, leave without tearing the interpreter down: PySide6 can
    crash destroying Qt objects in arbitrary order at interpreter exit (a CI run whose 1,881
    tests had all finished died there with a segmentation fault), which would turn a
    finished run's result into exit 139. The desktop's own exit path (ui.launcher) closes
    its windows and the application in order and is not affected."""
    if _exit_status and "PySide6.QtWidgets" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])
