"""End-to-end sync over real HTTPS on loopback with a real server process (issue 10):
an administrator and enrolled devices in two teams, offline edits, a guarded-field conflict
resolved by a manager, a delete, a device enrolling late, another team's device that never
receives the first team's cases, and canaries that never reach the server readable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseapp.services import profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session
from tests.conftest import PASSPHRASE, CliProfile, Run
from tests.sync_helpers import Server, running_server

pytestmark = pytest.mark.slow

URDU_NAME = "ثمینہ بی بی"
LATIN_NAME = "Sameena Qurratulain"
CNIC = "35202-8765432-1"
TESTIMONY = "brick kiln near Sheikhupura owner kept our papers"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as srv:
        yield srv


def _ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err
    return out


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _session(name: str) -> Session:
    return profiles.unlock(name, PASSPHRASE)


class Org:
    """An organisation on ``server`` with its administrator profile ``admin``."""

    def __init__(self, run: Run, cli_profile: CliProfile, server: Server, tmp_path: Path
                 ) -> None:
        self.run, self.cli_profile, self.server, self.tmp = run, cli_profile, server, tmp_path
        self.admin = cli_profile("administrator", "admin")
        out = _ok(run("org", "create", *self.admin, "--server", server.url, "--pin",
                      server.pin, "--setup-code", _file(tmp_path, "setup", server.setup_code),
                      "--name", "Test Org", "--recovery-kit", tmp_path / "kit.txt", "--json"))
        self.fingerprint = json.loads(out)["fingerprint"]

    def enrol(self, role: str, name: str, team: str) -> list[str | Path]:
        profile = self.cli_profile(role, name)
        code = json.loads(_ok(self.run("sync", "invite", *self.admin, "--team", team,
                                       "--role", role, "--json")))["code"]
        enrolled = json.loads(_ok(self.run("sync", "enrol", *profile, "--code",
                                           _file(self.tmp, f"{name}.code", code), "--json")))
        pending = json.loads(_ok(self.run("sync", "pending", *self.admin, "--json")))
        device = next(d for d in pending if d["fingerprint"] == enrolled["fingerprint"])
        _ok(self.run("sync", "approve", *self.admin, device["device"], "--fingerprint",
                     enrolled["fingerprint"], "--json"))
        return profile

    def sync(self, profile: list[str | Path]) -> dict[str, int]:
        return dict(json.loads(_ok(self.run("sync", "run", *profile, "--json"))))


def _case_names(name: str) -> set[str]:
    with _session(name) as session:
        return {str(r.body.get("prs_FirstName")) for r in session.store.list("person")}


def test_two_teams_conflict_delete_late_device_and_canaries(
        run: Run, cli_profile: CliProfile, server: Server, tmp_path: Path) -> None:
    org = Org(run, cli_profile, server, tmp_path)
    _ok(run("team", "create", *org.admin, "--name", "Shelter"))
    teams = json.loads(_ok(run("team", "list", *org.admin, "--json")))
    assert {t["name"] for t in teams} == {"Office", "Shelter"}

    worker = org.enrol("caseworker", "worker", "Office")
    shelter = org.enrol("caseworker", "shelter", "Shelter")

    # Offline: the administrator and the caseworker each record a case.
    with _session("admin") as session:
        case_id = CaseService(session).create({
            "prs_FirstName": LATIN_NAME, "hfz_NameUrdu": URDU_NAME,
            "prs_IdentityNumber": CNIC, "prs_Birthdate": "1991-02-03"}).id
        assert case_id is not None
        CaseService(session).add_note(case_id, TESTIMONY)
    with _session("worker") as session:
        CaseService(session).create({"prs_FirstName": "Worker Case",
                                     "prs_Birthdate": "1980-01-01"})

    assert org.sync(org.admin)["pushed"] > 0
    report = org.sync(worker)
    assert report["pushed"] > 0 and report["pulled"] > 0 and report["quarantined"] == 0
    org.sync(org.admin)
    assert {LATIN_NAME, "Worker Case"} <= _case_names("worker")
    assert {LATIN_NAME, "Worker Case"} <= _case_names("admin")

    # The shelter's device is in another team: it never receives the office's cases.
    org.sync(shelter)
    assert _case_names("shelter") & {LATIN_NAME, "Worker Case"} == set()

    # A guarded field edited on both sides while offline: a conflict, resolved by a manager.
    with _session("admin") as session:
        person = next(r for r in session.store.list("person")
                      if r.body.get("prs_FirstName") == LATIN_NAME)
        person_id = person.id
        CaseService(session).update(case_id, {"prs_Birthdate": "1991-02-04"})
    with _session("worker") as session:
        CaseService(session).update(case_id, {"prs_Birthdate": "1990-12-31"})
    org.sync(org.admin)
    org.sync(worker)
    org.sync(org.admin)
    for name in ("admin", "worker"):
        with _session(name) as session:
            open_ = [c for c in session.store.conflicts(person_id) if not c["resolved_by"]]
            assert [c["field"] for c in open_] == ["prs_Birthdate"], name
    conflict_id = json.loads(_ok(run("conflicts", "list", *worker, "--json")))[0]["id"]
    code, _out, _err = run("conflicts", "resolve", *worker, conflict_id, "--keep", "mine")
    assert code != 0  # a caseworker may not resolve conflicts
    _ok(run("conflicts", "resolve", *org.admin, conflict_id, "--keep", "1991-02-03"))
    org.sync(org.admin)
    org.sync(worker)
    for name in ("admin", "worker"):
        with _session(name) as session:
            assert session.store.get(person_id).body["prs_Birthdate"] == "1991-02-03"
            assert all(c["resolved_by"] for c in session.store.conflicts(person_id)), name

    # A delete by the administrator reaches the caseworker; the record stays deleted.
    with _session("admin") as session, session.write():
        session.store.delete(case_id)
    org.sync(org.admin)
    org.sync(worker)
    with _session("worker") as session:
        assert session.store.get(case_id) is None
        assert session.store.get(case_id, include_deleted=True).deleted

    # A device enrolling late catches up with everything its team has.
    late = org.enrol("manager", "late", "Office")
    report = org.sync(late)
    assert report["quarantined"] == 0
    assert "Worker Case" in _case_names("late")
    with _session("late") as session:
        assert session.store.get(case_id) is None
        assert session.store.get(person_id).body["prs_Birthdate"] == "1991-02-03"

    # Nothing readable on the server: its database and whole data folder hold no canary.
    _assert_no_canaries(server.data)


def _assert_no_canaries(folder: Path) -> None:
    canaries = [URDU_NAME, LATIN_NAME, CNIC, TESTIMONY, "Sameena", "8765432", "Sheikhupura",
                "Worker Case"]
    forms = []
    for text in canaries:
        forms += [text.encode("utf-8"), text.encode("utf-16-le"),
                  json.dumps(text).encode()]
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for form in forms:
                assert form not in data, f"canary in {path.name}"
