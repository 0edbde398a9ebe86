"""End-to-end sync over real HTTPS on loopback with a real server process (issue 10):
an administrator and enrolled devices in two teams, offline edits, a guarded-field conflict
resolved by a manager, a delete, a device enrolling late, another team's device that never
receives the first team's cases, and canaries that never reach the server readable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseapp.services.cases import CaseService
from tests import pg_cluster
from tests.conftest import CliProfile, Run
from tests.pg_cluster import postgres  # noqa: F401 (the fixture, by name)
from tests.sync_helpers import Org, Server, ok_, running_server, session_of

pytestmark = pytest.mark.slow

URDU_NAME = "ثمینہ بی بی"
LATIN_NAME = "Sameena Qurratulain"
CNIC = "35202-8765432-1"
TESTIMONY = "brick kiln near Sheikhupura owner kept our papers"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    database = None
    if request.param == "postgresql":
        database = pg_cluster.database_url(request.getfixturevalue("postgres"))
    with running_server(tmp_path, database=database) as srv:
        yield srv


def _case_names(name: str) -> set[str]:
    with session_of(name) as session:
        return {str(r.body.get("prs_FirstName")) for r in session.store.list("person")}


def test_two_teams_conflict_delete_late_device_and_canaries(
        run: Run, cli_profile: CliProfile, server: Server, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    org = Org(run, cli_profile, server, tmp_path)
    ok_(run("team", "create", *org.admin, "--name", "Shelter"))
    teams = json.loads(ok_(run("team", "list", *org.admin, "--json")))
    assert {t["name"] for t in teams} == {"Office", "Shelter"}

    worker = org.enrol("caseworker", "worker", "Office")
    shelter = org.enrol("caseworker", "shelter", "Shelter")

    # Offline: the administrator and the caseworker each record a case.
    with session_of("admin") as session:
        case_id = CaseService(session).create({
            "prs_FirstName": LATIN_NAME, "hfz_NameUrdu": URDU_NAME,
            "prs_IdentityNumber": CNIC, "prs_Birthdate": "1991-02-03"}).id
        assert case_id is not None
        CaseService(session).add_note(case_id, TESTIMONY)
    with session_of("worker") as session:
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
    with session_of("admin") as session:
        person = next(r for r in session.store.list("person")
                      if r.body.get("prs_FirstName") == LATIN_NAME)
        person_id = person.id
        CaseService(session).update(case_id, {"prs_Birthdate": "1991-02-04"})
    with session_of("worker") as session:
        CaseService(session).update(case_id, {"prs_Birthdate": "1990-12-31"})
    org.sync(org.admin)
    org.sync(worker)
    org.sync(org.admin)
    for name in ("admin", "worker"):
        with session_of(name) as session:
            open_ = [c for c in session.store.conflicts(person_id) if not c["resolved_by"]]
            assert [c["field"] for c in open_] == ["prs_Birthdate"], name
    conflict_id = json.loads(ok_(run("conflicts", "list", *worker, "--json")))[0]["id"]
    code, _out, _err = run("conflicts", "resolve", *worker, conflict_id, "--keep", "mine")
    assert code != 0  # a caseworker may not resolve conflicts
    ok_(run("conflicts", "resolve", *org.admin, conflict_id, "--keep", "1991-02-03"))
    org.sync(org.admin)
    org.sync(worker)
    for name in ("admin", "worker"):
        with session_of(name) as session:
            assert session.store.get(person_id).body["prs_Birthdate"] == "1991-02-03"
            assert all(c["resolved_by"] for c in session.store.conflicts(person_id)), name

    # A delete by the administrator reaches the caseworker; the record stays deleted.
    with session_of("admin") as session, session.write():
        session.store.delete(case_id)
    org.sync(org.admin)
    org.sync(worker)
    with session_of("worker") as session:
        assert session.store.get(case_id) is None
        assert session.store.get(case_id, include_deleted=True).deleted

    # A device enrolling late catches up with everything its team has.
    late = org.enrol("manager", "late", "Office")
    report = org.sync(late)
    assert report["quarantined"] == 0
    assert "Worker Case" in _case_names("late")
    with session_of("late") as session:
        assert session.store.get(case_id) is None
        assert session.store.get(person_id).body["prs_Birthdate"] == "1991-02-03"

    # Nothing readable on the server: its database and whole data folder hold no canary.
    dumps = [path.read_bytes() for path in server.data.rglob("*") if path.is_file()]
    if server.database:
        dumps.append(request.getfixturevalue("postgres").dump(server.database))
    assert any(case_id.encode() in d for d in dumps)  # the dump does hold the rows
    _assert_no_canaries(dumps)


def _assert_no_canaries(dumps: list[bytes]) -> None:
    canaries = [URDU_NAME, LATIN_NAME, CNIC, TESTIMONY, "Sameena", "8765432", "Sheikhupura",
                "Worker Case"]
    forms = []
    for text in canaries:
        forms += [text.encode("utf-8"), text.encode("utf-16-le"),
                  json.dumps(text).encode()]
    assert dumps
    for data in dumps:
        for form in forms:
            assert form not in data, f"canary {form[:12]!r} on the server"
