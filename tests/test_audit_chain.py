"""SECURITY.md item 15, the audit chain: after real activity, delete, edit, reorder or truncate
events directly in SQL, or restore an older copy of the whole database, and both
``Session.verify_audit`` and ``caseapp audit verify`` report the first broken link; an intact
chain passes; a forged ``audit-head.json`` is detected."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PASSPHRASE, ProfileTemplates
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.canonical import canonical_json
from caseapp.cli.main import main
from caseapp.services import profile_paths, profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session, open_session
from caseapp.store import audit, database

AUDIT_COLUMNS = ("at", "actor", "device", "action", "record_id", "fields", "prev", "hash", "sig")


@dataclass
class Profile:
    name: str
    passphrase: str
    passphrase_file: Path
    paths: profile_paths.ProfilePaths
    key: bytes

    def unlock(self) -> Session:
        return profiles.unlock(self.name, self.passphrase)

    def open_quietly(self) -> Session:
        """The vault opened with its key, without the unlock event ``unlock`` appends: the
        chain is verified exactly as it lies on disk."""
        conn = database.open_database(self.paths.database, self.key)
        return open_session(conn, self.paths, db_key=self.key)

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> None:
        """Tamper with the closed vault directly, as someone holding the key could."""
        conn = database.open_database(self.paths.database, self.key)
        try:
            with database.transaction(conn):
                conn.execute(statement, params)
        finally:
            conn.close()

    def head(self) -> int:
        with self.open_quietly() as session:
            return session.audit.head()[0]


def work(session: Session, cases: int = 3) -> None:
    """Real activity: create, view, edit, note."""
    service = CaseService(session)
    for i in range(cases):
        case_id = service.create({"prs_FirstName": f"Person{i}", "hfz_NameUrdu": "زینب",
                                  "prs_Gender": "Feminine"}).id
        service.show(case_id)
        service.update(case_id, {"prs_SecondName": "Bibi", "hfz_Summary": "Seen at Torkham."})
        service.add_note(case_id, "Referred to the Dar-ul-Aman.")
        service.show(case_id)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory,
             profile_templates: ProfileTemplates) -> tuple[Path, bytes]:
    """A manager's profile after real activity, made once per module; tests get copies."""
    with profile_templates.opened(tmp_path_factory.mktemp("audit-template"),
                                  "manager") as session:
        work(session)
        return session.paths.folder, session.db_key


@pytest.fixture
def profile(template: tuple[Path, bytes], profile_templates: ProfileTemplates,
            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Profile:
    profile_templates.answer_argon2(monkeypatch)  # the copy's keyslots are the template's
    folder, key = template
    paths = profile_paths.paths("auditor")
    shutil.copytree(folder, paths.folder)
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return Profile("auditor", PASSPHRASE, secret, paths, key)


def cli_verify(profile: Profile, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["audit", "verify", "--profile", profile.name,
                 "--passphrase-file", str(profile.passphrase_file)])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


def cli_broken_at(profile: Profile, capsys: pytest.CaptureFixture[str]) -> int:
    code, out = cli_verify(profile, capsys)
    assert code == 1, out
    match = re.search(r"broken at event (\d+)", out)
    assert match, out
    return int(match.group(1))


def verify_quietly(profile: Profile) -> audit.VerifyReport:
    with profile.open_quietly() as session:
        return session.verify_audit()


# -- an intact chain -----------------------------------------------------------------------

def test_intact_chain_verifies(profile: Profile, capsys: pytest.CaptureFixture[str]) -> None:
    head = profile.head()
    # profile_created, directory_imported (the directory is seeded with the profile),
    # unlock, then five events per case
    assert head == 3 + 3 * 5
    report = verify_quietly(profile)
    assert (report.ok, report.events, report.broken_at) == (True, head, None)
    code, out = cli_verify(profile, capsys)
    assert code == 0
    assert f"{head} events" in out  # checked before the command's own events join the chain
    with profile.unlock() as session:
        work(session, 1)
        assert session.verify_audit().ok
    assert cli_verify(profile, capsys)[0] == 0


def test_the_head_file_is_signed_and_current(profile: Profile) -> None:
    data = json.loads(profile.paths.audit_head.read_text())
    with profile.open_quietly() as session:
        assert (data["seq"], data["hash"]) == session.audit.head()
        public = session.sign_key.public_key()
    assert audit.read_anchor(profile.paths.audit_head, public) == (data["seq"], data["hash"])


def test_events_name_fields_and_every_action(profile: Profile) -> None:
    with profile.open_quietly() as session:
        actions = [e["action"] for e in session.audit.events(limit=1000)][::-1]
    assert actions[:3] == ["profile_created", "directory_imported", "unlock"]
    assert actions[3:8] == ["case_created", "case_viewed", "case_edited", "note_added",
                            "case_viewed"]


# -- tampering in the middle of the chain --------------------------------------------------

MIDDLE = 10  # the second case's case_viewed


def test_deleted_event_is_found(profile: Profile, capsys: pytest.CaptureFixture[str]) -> None:
    with profile.unlock() as session:
        assert session.conn is not None
        session.conn.execute("DELETE FROM audit WHERE seq = ?", (MIDDLE,))
        report = session.verify_audit()
        assert (report.ok, report.broken_at, report.events) == (False, MIDDLE, MIDDLE - 1)
        assert "missing" in report.reason
    assert cli_broken_at(profile, capsys) == MIDDLE
    assert cli_broken_at(profile, capsys) == MIDDLE  # closing never "heals" the chain


@pytest.mark.parametrize("column, value", [
    ("action", "case_created"),
    ("fields", '["prs_Gender"]'),
    ("fields", b"\x01not deflate"),
    ("fields", b"\x07"),
    ("record_id", "01900000-0000-7000-8000-000000000000"),
    ("at", 0),
    ("actor", "someone-else"),
    ("device", "another-device"),
    ("hash", "ab" * 32),
    ("prev", "cd" * 32),
    ("sig", "00" * 64),
])
def test_edited_event_is_found(profile: Profile, capsys: pytest.CaptureFixture[str],
                               column: str, value: object) -> None:
    profile.sql(f"UPDATE audit SET {column} = ? WHERE seq = ?", (value, MIDDLE))
    report = verify_quietly(profile)
    assert (report.ok, report.broken_at) == (False, MIDDLE), report
    assert cli_broken_at(profile, capsys) == MIDDLE


def test_edit_with_a_recomputed_hash_fails_the_signature(
        profile: Profile, capsys: pytest.CaptureFixture[str]) -> None:
    """Someone who knows the algorithm but not the device key rewrites an event and its hash,
    and even relinks the next event: the signature still gives it away."""
    with profile.open_quietly() as session:
        assert session.conn is not None
        row = session.conn.execute(
            "SELECT seq, at, actor, device, action, record_id, fields, prev FROM audit "
            "WHERE seq = ?", (MIDDLE,)).fetchone()
    seq, at, actor, device, _action, record_id, fields, prev = row
    entry = {"seq": seq, "at": at, "actor": actor, "device": device, "action": "case_created",
             "record": record_id, "fields": audit.stored_fields(fields)}
    digest = hashlib.sha256(prev + canonical_json(entry)).digest()
    profile.sql("UPDATE audit SET action = 'case_created', hash = ? WHERE seq = ?",
                (digest, MIDDLE))
    profile.sql("UPDATE audit SET prev = ? WHERE seq = ?", (digest, MIDDLE + 1))
    report = verify_quietly(profile)
    assert (report.ok, report.broken_at) == (False, MIDDLE)
    assert "signature" in report.reason
    assert cli_broken_at(profile, capsys) == MIDDLE


def test_reordered_events_are_found(profile: Profile,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    columns = ", ".join(AUDIT_COLUMNS)
    with profile.open_quietly() as session:
        assert session.conn is not None
        first, second = (session.conn.execute(f"SELECT {columns} FROM audit WHERE seq = ?",
                                              (s,)).fetchone() for s in (MIDDLE, MIDDLE + 1))
    assignments = ", ".join(f"{c} = ?" for c in AUDIT_COLUMNS)
    conn = database.open_database(profile.paths.database, profile.key)
    try:
        with database.transaction(conn):
            conn.execute(f"UPDATE audit SET {assignments} WHERE seq = ?", (*second, MIDDLE))
            conn.execute(f"UPDATE audit SET {assignments} WHERE seq = ?", (*first, MIDDLE + 1))
    finally:
        conn.close()
    report = verify_quietly(profile)
    assert (report.ok, report.broken_at) == (False, MIDDLE)
    assert cli_broken_at(profile, capsys) == MIDDLE


def test_renumbered_events_are_found(profile: Profile,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Moving an event to the end under a new number breaks the chain where it was."""
    head = profile.head()
    profile.sql("UPDATE audit SET seq = ? WHERE seq = ?", (head + 1, MIDDLE))
    report = verify_quietly(profile)
    assert (report.ok, report.broken_at) == (False, MIDDLE)
    assert cli_broken_at(profile, capsys) == MIDDLE


# -- truncation and rollback (caught by the signed head written on close) -----------------

@pytest.mark.parametrize("removed", [1, 2, 5])
def test_truncated_tail_is_found(profile: Profile, capsys: pytest.CaptureFixture[str],
                                 removed: int) -> None:
    head = profile.head()
    profile.sql("DELETE FROM audit WHERE seq > ?", (head - removed,))
    # The chain left behind is internally valid; only the recorded head exposes the cut.
    with profile.open_quietly() as session:
        assert session.conn is not None
        assert audit.verify(session.conn, session.sign_key.public_key()).ok
        report = session.verify_audit()
    assert (report.ok, report.broken_at) == (False, head - removed + 1)
    assert "removed" in report.reason or "differs" in report.reason
    # The command line verifies before its own unlock event joins the chain, so it names
    # exactly the first removed event.
    assert cli_broken_at(profile, capsys) == head - removed + 1
    assert not verify_quietly(profile).ok  # the head was not moved past the cut


def test_restored_older_copy_is_found(profile: Profile,
                                      capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    side = tmp_path / "side"
    side.mkdir()
    old_head = profile.head()
    copied = []
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{profile.paths.database}{suffix}")
        if source.exists():
            shutil.copy2(source, side / source.name)
            copied.append(source.name)
    assert "vault.db" in copied

    with profile.unlock() as session:  # more work after the copy was taken
        work(session, 1)
    new_head = profile.head()
    assert new_head > old_head + 1

    for suffix in ("", "-wal", "-shm"):
        Path(f"{profile.paths.database}{suffix}").unlink(missing_ok=True)
    for name in copied:
        shutil.copy2(side / name, profile.paths.folder / name)

    assert profile.head() == old_head  # the old copy itself is a valid chain
    report = verify_quietly(profile)
    assert (report.ok, report.broken_at) == (False, old_head + 1)
    assert "older copy" in report.reason
    assert old_head < cli_broken_at(profile, capsys) <= new_head


# -- the head file itself ------------------------------------------------------------------

def test_forged_head_file_is_found(profile: Profile, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(profile.paths.audit_head.read_text())
    data["seq"] -= 3  # hide three events, keeping the old signature
    profile.paths.audit_head.write_text(json.dumps(data))
    report = verify_quietly(profile)
    assert (report.ok, report.broken_at) == (False, 1)
    assert "altered" in report.reason
    code, out = cli_verify(profile, capsys)
    assert code == 1 and "altered" in out


def test_head_signed_by_another_key_is_found(profile: Profile) -> None:
    with profile.open_quietly() as session:
        head = session.audit.head()
    audit.write_anchor(profile.paths.audit_head, (head[0] - 2, "00" * 32),
                       Ed25519PrivateKey.generate())
    assert not verify_quietly(profile).ok


@pytest.mark.parametrize("content", [b"", b"not json", b"{}", b'{"seq": "x", "hash": 1}'])
def test_garbled_head_file_is_found(profile: Profile, content: bytes) -> None:
    profile.paths.audit_head.write_bytes(content)
    report = verify_quietly(profile)
    assert not report.ok and report.broken_at == 1


def test_truncating_events_written_in_one_session_and_the_head_together_is_found(
        profile: Profile) -> None:
    """Deleting the newest events and rewriting the head to match needs the device key."""
    head = profile.head()
    profile.sql("DELETE FROM audit WHERE seq > ?", (head - 3,))
    with profile.open_quietly() as session:
        forged_head = session.audit.head()
    data = json.loads(profile.paths.audit_head.read_text())
    data.update(seq=forged_head[0], hash=forged_head[1])
    profile.paths.audit_head.write_text(json.dumps(data))
    assert not verify_quietly(profile).ok


# -- a rollback hidden by removing the head, or by a crash (issue 7, item 4) ---------------

def test_a_removed_head_file_is_found(profile: Profile,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Restoring an older vault.db and deleting the head used to verify as intact."""
    older = profile.paths.database.read_bytes()
    with profile.open_quietly() as session:
        work(session, cases=1)
    profile.paths.database.write_bytes(older)
    profile.paths.audit_head.unlink()
    report = verify_quietly(profile)
    assert not report.ok and "missing" in report.reason
    code, out = cli_verify(profile, capsys)
    assert code == 1 and "missing" in out


def test_a_session_killed_after_an_edit_still_exposes_a_rollback(profile: Profile) -> None:
    """The head was written only at a clean close: kill the session after an edit, restore
    the copy from before it, and the chain looked intact."""
    older = profile.paths.database.read_bytes()
    session = profile.open_quietly()
    CaseService(session).create({"prs_FirstName": "Edited", "hfz_NameUrdu": "زینب"})
    head = json.loads(profile.paths.audit_head.read_text())["seq"]
    assert head == session.audit.head()[0]   # the head moved with the commit
    assert session.conn is not None
    session.conn.close()  # the process dies here: no lock, so no head written at a close
    profile.paths.database.write_bytes(older)
    for suffix in ("-wal", "-shm"):
        Path(f"{profile.paths.database}{suffix}").unlink(missing_ok=True)
    report = verify_quietly(profile)
    assert not report.ok and "older copy" in report.reason


# -- the head after a commit: the session's own events, and someone else's ------------------

def test_events_slipped_in_between_two_commits_stop_the_head(profile: Profile) -> None:
    """A session trusts, without checking them again, only the events it hashed and signed
    itself in the transaction it just committed. An event another writer holding the key
    slips in between two commits (here a copy of the newest with a forged signature) is
    under the next commit's own events: the head must not move past it."""
    with profile.unlock() as session:
        service = CaseService(session)
        service.create({"prs_FirstName": "Before", "prs_Gender": "Feminine"})
        public = session.sign_key.public_key()
        anchored = audit.read_anchor(profile.paths.audit_head, public)
        assert anchored == session.audit.head()
        seq, digest = anchored
        forged_hash = hashlib.sha256(b"forged" + bytes.fromhex(digest)).digest()
        other = database.open_database(profile.paths.database, profile.key)
        try:
            with database.transaction(other):
                other.execute(
                    "INSERT INTO audit (seq, at, actor, device, action, record_id, fields, "
                    "prev, hash, sig) SELECT seq + 1, at, actor, device, action, record_id, "
                    "fields, ?, ?, ? FROM audit WHERE seq = ?",
                    (bytes.fromhex(digest), forged_hash, bytes(64), seq))
        finally:
            other.close()
        service.create({"prs_FirstName": "After", "prs_Gender": "Feminine"})
        assert session.audit.head()[0] > seq + 1  # the commit chained onto the forged event
        assert audit.read_anchor(profile.paths.audit_head, public) == anchored
        assert not session.verify_audit().ok


def test_a_batch_of_the_sessions_own_edits_moves_the_head_to_its_last_event(
        profile: Profile) -> None:
    with profile.unlock() as session:
        service = CaseService(session)
        with session.write():
            for i in range(20):
                service.create({"prs_FirstName": f"Batch{i}", "prs_Gender": "Masculine"})
        public = session.sign_key.public_key()
        assert audit.read_anchor(profile.paths.audit_head, public) == session.audit.head()
        assert session.verify_audit().ok


def test_a_rolled_back_part_of_a_batch_is_not_taken_for_the_sessions_own_events(
        profile: Profile) -> None:
    """A savepoint undone inside a batch takes its events with it; the events after it
    follow the head it left, and the head beside the vault still ends at the batch's last."""
    with profile.unlock() as session:
        service = CaseService(session)
        with session.write():
            service.create({"prs_FirstName": "Kept", "prs_Gender": "Feminine"})
            with pytest.raises(RuntimeError), session.savepoint("undone"):
                service.create({"prs_FirstName": "Undone", "prs_Gender": "Feminine"})
                raise RuntimeError("cut")
            service.create({"prs_FirstName": "Also kept", "prs_Gender": "Feminine"})
        public = session.sign_key.public_key()
        assert audit.read_anchor(profile.paths.audit_head, public) == session.audit.head()
        assert session.verify_audit().ok
