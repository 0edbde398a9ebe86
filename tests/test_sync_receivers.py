"""What receiving devices refuse (SECURITY.md item 7, issue 10 "roles come from
certificates"), the clock that refuses edits, and a restored older vault that the server's
audit receipts expose. Real server process, real HTTPS."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseapp.errors import CaseAppError
from caseapp.services import audit_trail, profile_paths, sync
from caseapp.services.cases import CaseService
from caseapp.services.session import ClockBehind
from caseapp.store import sync_state
from caseapp.sync.keys import b64d, b64e
from tests.conftest import CliProfile, Run
from tests.sync_helpers import Org, Server, ok_, running_server, session_of

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as srv:
        yield srv


@pytest.fixture
def org(run: Run, cli_profile: CliProfile, server: Server, tmp_path: Path) -> Org:
    return Org(run, cli_profile, server, tmp_path)


def _quarantine_audited(name: str) -> tuple[list[dict[str, object]], int]:
    with session_of(name) as session:
        events = [e for e in session.audit.events(limit=1000)
                  if e["action"] == sync.QUARANTINED]
        return sync_state.quarantined(session.store.conn), len(events)


def test_a_role_edited_in_the_vault_is_not_the_certified_role(org: Org) -> None:
    worker = org.enrol("caseworker", "worker", "Office")
    with session_of("admin") as session:
        case_id = CaseService(session).create({"prs_FirstName": "Amna",
                                               "prs_Birthdate": "1990-01-01"}).id
        assert case_id is not None
    org.sync(org.admin)
    org.sync(worker)
    # The worker's first sync sent its seeded directory; the administrator takes it now, so
    # the pull below holds only what the edited vault sends.
    org.sync(org.admin)
    with session_of("worker") as session, session.write():
        # Someone edits the caseworker's vault to say "manager", then decides a status.
        session.store.update(session.user_id, {"role": "manager"})
        session.store.update(case_id, {"vic_TraffickingStatus": "confirmed"})
    report = org.sync(worker)
    assert report["pushed"] == 1  # the server cannot read the field; receivers can
    received = org.sync(org.admin)
    assert received["quarantined"] == 1 and received["pulled"] == 0
    with session_of("admin") as session:
        assert "vic_TraffickingStatus" not in session.store.get(case_id).body
    quarantined, audited = _quarantine_audited("admin")
    assert [q["reason"] for q in quarantined] == ["not_permitted:trafficking_status.decide"]
    assert audited == 1


def test_tampered_ciphertext_on_the_server_is_quarantined_not_applied(org: Org,
                                                                     server: Server) -> None:
    worker = org.enrol("caseworker", "worker", "Office")
    with session_of("admin") as session:
        CaseService(session).create({"prs_FirstName": "Amna", "prs_Birthdate": "1990-01-01"})
    org.sync(org.admin)
    db = sqlite3.connect(server.data / "server.db")
    rows = db.execute("SELECT id, envelope FROM changes ORDER BY seq").fetchall()
    person = next((pk, json.loads(t)) for pk, t in rows
                  if json.loads(t)["header"]["record_type"] == "person")
    case = next((pk, json.loads(t)) for pk, t in rows
                if json.loads(t)["header"]["record_type"] == "case")
    # A flipped bit in the body (covered by the signature) and in a key seal (not covered,
    # but bound to its record and team: it no longer opens).
    person[1]["body"]["ct"] = _flip(person[1]["body"]["ct"])
    seal = case[1]["key_seals"][0]["sealed"]
    seal["ct"] = _flip(seal["ct"])
    for pk, env in (person, case):
        db.execute("UPDATE changes SET envelope = ? WHERE id = ?", (json.dumps(env), pk))
    db.commit()
    db.close()
    report = org.sync(worker)
    assert report["quarantined"] == 2
    with session_of("worker") as session:
        for _pk, env in (person, case):
            assert session.store.get(env["header"]["record_id"], include_deleted=True) is None
    quarantined, audited = _quarantine_audited("worker")
    assert sorted(q["reason"] for q in quarantined) == ["bad_seal", "bad_signature"]
    assert audited == 2


def _flip(text: str) -> str:
    raw = bytearray(b64d(text))
    raw[len(raw) // 2] ^= 0x80
    return b64e(bytes(raw))


def test_clock_far_behind_the_server_refuses_edits(org: Org) -> None:
    org.sync(org.admin)
    with session_of("admin") as session:
        assert session.server_time_ms > 0
        session.now_ms = lambda: session.server_time_ms - 25 * 3600 * 1000
        with pytest.raises(ClockBehind):
            CaseService(session).create({"prs_FirstName": "Amna",
                                         "prs_Birthdate": "1990-01-01"})
        session.now_ms = lambda: session.server_time_ms - 23 * 3600 * 1000
        CaseService(session).create({"prs_FirstName": "Amna", "prs_Birthdate": "1990-01-01"})


def test_a_restored_older_copy_is_detected(org: Org, run: Run, tmp_path: Path) -> None:
    folder = profile_paths.paths("admin").folder
    org.sync(org.admin)
    backup = tmp_path / "admin-backup"
    shutil.copytree(folder, backup)
    with session_of("admin") as session:
        CaseService(session).create({"prs_FirstName": "Amna", "prs_Birthdate": "1990-01-01"})
    org.sync(org.admin)
    shutil.rmtree(folder)
    shutil.copytree(backup, folder)  # the whole profile folder, head file included
    assert ok_(run("audit", "verify", *org.admin))  # the copy alone looks intact
    report = org.sync(org.admin)
    assert report["rollback"] is True
    code, out, _err = run("audit", "verify", *org.admin)
    assert code == 1 and "restored from an older one" in out
    with session_of("admin") as session:
        assert audit_trail.verify_chain(session).ok is False


def test_sync_status_names_the_last_error(org: Org, run: Run, server: Server) -> None:
    org.sync(org.admin)
    server.stop()
    code, _out, err = run("sync", "run", *org.admin)
    assert code != 0 and "cannot be reached" in err
    status = ok_(run("sync", "status", *org.admin))
    assert "cannot be reached" in status
    with pytest.raises(CaseAppError), session_of("admin") as session:
        sync.run(session)


def test_a_pending_device_pushes_and_its_cases_reach_its_team_after_approval(
        org: Org, run: Run, cli_profile: CliProfile, tmp_path: Path) -> None:
    newcomer = cli_profile("caseworker", "newcomer")
    with session_of("newcomer") as session:  # made before the profile enrolled
        CaseService(session).create({"prs_FirstName": "Before Enrolment",
                                     "prs_Birthdate": "1990-01-01"})
    code = json.loads(ok_(run("sync", "invite", *org.admin, "--team", "Office", "--role",
                              "caseworker", "--json")))["code"]
    code_file = tmp_path / "newcomer.code"
    code_file.write_text(code + "\n")
    fingerprint = json.loads(ok_(run("sync", "enrol", *newcomer, "--code", code_file,
                                     "--json")))["fingerprint"]
    report = org.sync(newcomer)
    assert report["pushed"] > 0  # held by the server until approval
    status = json.loads(ok_(run("sync", "status", *newcomer, "--json")))
    assert status["device_status"] == "pending" and status["pending_changes"] == 0
    org.sync(org.admin)
    with session_of("admin") as session:
        names = {r.body.get("prs_FirstName") for r in session.store.list("person")}
        assert "Before Enrolment" not in names
    device = json.loads(ok_(run("sync", "pending", *org.admin, "--json")))[0]["device"]
    code, _out, _err = run("sync", "approve", *org.admin, device, "--fingerprint", "0000-0000")
    assert code != 0  # a fingerprint that was not read from the device approves nothing
    ok_(run("sync", "approve", *org.admin, device, "--fingerprint", fingerprint))
    org.sync(org.admin)
    with session_of("admin") as session:
        names = {r.body.get("prs_FirstName") for r in session.store.list("person")}
        assert "Before Enrolment" in names
    assert org.sync(newcomer)["quarantined"] == 0
    # Its role is now the one the organisation signed (issue 7's grant), not its own office's.
    with session_of("admin") as session:
        org_public = session.store.meta("org_public_key")
    with session_of("newcomer") as session:
        assert session.store.meta("org_public_key") == org_public
        assert session.role == "caseworker" and session.grant is not None


def test_applied_remote_changes_are_published_on_the_app_event_bus(org: Org) -> None:
    from caseapp.services.app import CaseApp
    from caseapp.store.changes import Changes
    from tests.conftest import PASSPHRASE
    worker = org.enrol("caseworker", "worker", "Office")
    org.sync(worker)
    with session_of("admin") as session:
        case_id = CaseService(session).create({"prs_FirstName": "Amna",
                                               "prs_Birthdate": "1990-01-01"}).id
    org.sync(org.admin)
    app = CaseApp(threaded=False)
    seen: list[Changes] = []
    app.events.subscribe(seen.append)
    app.unlock("worker", PASSPHRASE)
    report = app.run(lambda services: sync.run(services.session))
    app.close()
    assert report.pulled > 0
    remote = [c for c in seen if c.remote]
    assert remote and case_id in set().union(*(c.cases for c in remote))


def test_org_create_refuses_a_wrong_pin_or_setup_code(run: Run, cli_profile: CliProfile,
                                                     server: Server, tmp_path: Path) -> None:
    admin = cli_profile("administrator", "admin")
    good = tmp_path / "setup"
    good.write_text(server.setup_code + "\n")
    bad = tmp_path / "bad-setup"
    bad.write_text("not-the-code\n")
    kit = tmp_path / "kit.txt"
    for pin, code_file, message in (("ab" * 32, good, "does not match the pin"),
                                    (server.pin, bad, "bad_setup_code")):
        code, _out, err = run("org", "create", *admin, "--server", server.url, "--pin", pin,
                              "--setup-code", code_file, "--name", "Org", "--recovery-kit", kit)
        assert code != 0 and message in err
        assert not kit.exists()  # no kit of an organisation that does not exist
    status = json.loads(ok_(run("sync", "status", *admin, "--json")))
    assert status["enrolled"] is False
    ok_(run("org", "create", *admin, "--server", server.url, "--pin", server.pin,
            "--setup-code", good, "--name", "Org", "--recovery-kit", kit))
    text = kit.read_text()
    assert "Escrow key" in text and oct(kit.stat().st_mode & 0o777) == "0o600"
