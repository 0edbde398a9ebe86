"""An export is audited before its file exists, and what a killed export leaves is found at
the next unlock (issue 7, item 2). The export was once renamed into place before the audit
event's commit, so a kill at that moment left every name on disk with no ``exported`` event
and no purpose; a kill mid-write left a hidden ``.tmp`` file with every name, and the user
was never told. Caseworkers exported every name in bulk. tests/test_export_kills.py kills
real exporting processes; these tests pin each step and plant what a kill leaves."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from conftest import PASSPHRASE, CliProfile, OpenProfile, Run, agree

from caseapp import fsutil
from caseapp.domain import consent
from caseapp.errors import PermissionDenied, StorageError
from caseapp.i18n import set_language
from caseapp.services import exchange, exports, profile_paths, profiles, statistics
from caseapp.services.app import CaseApp
from caseapp.services.cases import CaseService
from caseapp.services.protection import Protection
from caseapp.services.session import Session
from caseapp.store import database, queries

PLAIN = Protection.plain()  # these tests are about the file itself, not its sealing

ROWS = b"prs_FirstName,prs_IdentityNumber\r\nRukhsana,35202-1234567-2\r\n"


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """``--lang ur`` sets the language of the whole process: back to English after."""
    yield
    set_language("en")


def actions(session: Session, since: int = 0) -> list[str]:
    return [str(e["action"]) for e in reversed(session.audit.events(limit=1000))
            if int(str(e["seq"])) > since]


def export_of(session: Session, kind: str, path: Path) -> None:
    if kind == "htcds":
        exchange.export_htcds(session, path, "csv", "transfer to the shelter", protection=PLAIN)
    else:
        statistics.export_statistics(session, path, "quarterly report")


# -- the order: started (with its purpose) is committed before the file appears -------------

@pytest.mark.parametrize("kind", ["htcds", "statistics"])
def test_the_started_event_is_committed_before_the_file_appears(
        manager: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    CaseService(manager).create({"prs_FirstName": "Rukhsana", "hfz_Tracks": ["TIP"]})
    out = tmp_path / "export.csv"
    seen: dict[str, Any] = {}
    real_replace = os.replace

    def rename(src: Any, dst: Any) -> None:
        if Path(dst) != out:  # the audit head, moved with every commit
            real_replace(src, dst)
            return
        # What a kill at this moment would leave: read by another connection, so only
        # what was committed counts.
        conn = database.open_database(manager.paths.database, manager.db_key)
        try:
            seen["actions"] = [r[0] for r in conn.execute("SELECT action FROM audit")]
            record = conn.execute(
                "SELECT json_extract(r.body, '$.purpose') FROM audit a JOIN records r "
                "ON r.id = a.record_id WHERE a.action = ?", (f"{kind}_export_started",)
            ).fetchone()
            seen["purpose"] = record[0] if record else None
        finally:
            conn.close()
        real_replace(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", rename)
    export_of(manager, kind, out)
    assert f"{kind}_export_started" in seen["actions"]
    assert f"{kind}_exported" not in seen["actions"]  # completion comes after the file
    assert seen["purpose"] in ("transfer to the shelter", "quarterly report")
    assert actions(manager)[-2:] == [f"{kind}_export_started", f"{kind}_exported"]
    started, done = manager.audit.events(limit=2)[::-1]
    assert started["record"] == done["record"] and started["fields"] == done["fields"]


def test_a_failed_write_is_audited_with_its_kind_never_a_value(
        manager: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    CaseService(manager).create({"prs_FirstName": "Rukhsana"})
    folder = tmp_path / "usb"
    folder.mkdir()
    out = folder / "transfer.csv"

    def full_disk(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "write", full_disk)
    with pytest.raises(StorageError, match="disk is full"):
        exchange.export_htcds(manager, out, "csv", "transfer to the shelter", protection=PLAIN)
    monkeypatch.undo()
    assert actions(manager)[-2:] == ["htcds_export_started", "htcds_export_failed"]
    failed = manager.audit.events(limit=1)[0]
    assert "reason:disk_full" in failed["fields"]  # type: ignore[operator]
    record = manager.store.get(str(failed["record"]))
    assert record is not None
    assert (record.body["state"], record.body["reason"]) == ("failed", "disk_full")
    dump = json.dumps(manager.audit.events(), ensure_ascii=False)
    for value in (str(folder), "transfer.csv", "shelter", "Rukhsana", "No space"):
        assert value not in dump
    assert list(folder.iterdir()) == []  # neither the file nor its temp file
    assert exports.finish_interrupted(manager) == []  # ended: nothing to report later


def test_an_export_refuses_to_join_an_open_transaction(manager: Session,
                                                       tmp_path: Path) -> None:
    # Joined, the started event would commit only after the file was written.
    with manager.write(), pytest.raises(RuntimeError):
        exports.run_export(manager, tmp_path / "o.csv", ROWS, kind="htcds",
                           purpose="transfer", fields=[])
    assert not (tmp_path / "o.csv").exists()


def test_the_destination_is_kept_encrypted_not_in_the_audit_chain(manager: Session,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "for-iom.csv"
    exchange.export_htcds(manager, out, "csv", "transfer", protection=PLAIN)
    event = manager.audit.events(limit=1)[0]
    record = manager.store.get(str(event["record"]))
    assert record is not None and record.body["destination"] == str(out)
    assert record.body["state"] == "completed"
    assert "for-iom" not in json.dumps(manager.audit.events())


# -- what a kill leaves, found at the next unlock --------------------------------------------

def plant_killed_export(session: Session, out: Path, data: bytes = ROWS, *,
                        temp: bool = True, renamed: bool = False,
                        device: str | None = None) -> Path:
    """What a kill leaves (tests/test_export_kills.py makes it for real): the export record
    and its started event committed, then either the hidden temp file, complete or not
    (``temp``), or the file already renamed into place (``renamed``)."""
    tmp = fsutil.temp_path(out)
    with session.write():
        export_id = exports.record_export(
            session, "htcds", "transfer to the shelter", state=exports.STARTED,
            device=device or session.device_id, destination=str(out), temp=str(tmp),
            size=len(data), sha256=hashlib.sha256(data).hexdigest())
        session.audit.append(session.user_id, "htcds_export_started", export_id,
                             ["prs_FirstName"])
    if temp:
        tmp.write_bytes(data[: len(data) // 2] if not renamed else data)
    if renamed:
        tmp.replace(out)
    return tmp


def test_the_next_unlock_removes_a_killed_exports_temp_file_and_says_so(
        cli_profile: CliProfile, run: Run, tmp_path: Path) -> None:
    args = cli_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    with profiles.unlock("amina", PASSPHRASE) as session:
        tmp = plant_killed_export(session, out)
    assert tmp.exists()
    code, stdout, err = run("case", "list", *args)
    assert code == 0, err
    assert not tmp.exists() and not out.exists()
    assert list(tmp_path.glob(".*.tmp")) == []
    assert "interrupted" in err and str(out) in err and "removed" in err
    assert "Rukhsana" not in err + stdout
    # Recorded once, then never reported again.
    code, _out, err = run("case", "list", *args)
    assert code == 0 and err == ""
    with profiles.unlock("amina", PASSPHRASE) as session:
        assert session.notices == []
        event = next(e for e in session.audit.events() if e["action"] == "export_interrupted")
        assert set(event["fields"]) == {"kind:htcds", "outcome:temp_removed"}  # type: ignore
        assert str(tmp_path) not in json.dumps(session.audit.events())
        record = session.store.get(str(event["record"]))
        assert record is not None and record.body["state"] == "interrupted"


def test_the_notice_is_in_the_users_language(cli_profile: CliProfile, run: Run,
                                             tmp_path: Path) -> None:
    args = cli_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    with profiles.unlock("amina", PASSPHRASE) as session:
        plant_killed_export(session, out)
    code, _out, err = run("--lang", "ur", "case", "list", *args)
    assert code == 0, err
    assert str(out) in err and "interrupted" not in err
    assert any("\u0600" <= ch <= "\u06ff" for ch in err)  # Urdu script


def test_the_desktop_gets_the_notice(new_profile: Any, tmp_path: Path) -> None:
    new_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    with profiles.unlock("amina", PASSPHRASE) as session:
        tmp = plant_killed_export(session, out)
    app = CaseApp(threaded=False)
    try:
        app.unlock("amina", PASSPHRASE)
        [notice] = app.notices
        assert notice.msgid == exports.INTERRUPTED_MESSAGES[exports.TEMP_REMOVED]
        assert str(out) in notice.user_message()
        assert not tmp.exists()
    finally:
        app.close()


def test_a_link_planted_at_the_temp_name_is_never_written_through(
        open_profile: OpenProfile, tmp_path: Path) -> None:
    """The temp name is visible in the folder after a kill: someone who swaps it for a link
    to the vault must not get the vault overwritten with random bytes."""
    session = open_profile("manager", "amina")
    vault = profile_paths.paths("amina").database
    before = vault.read_bytes()
    out = tmp_path / "transfer.csv"
    tmp = plant_killed_export(session, out, b"x" * (len(before) + 10), temp=False)
    session.close()
    os.symlink(vault, tmp)
    with profiles.unlock("amina", PASSPHRASE) as session:
        [notice] = session.notices
        assert notice.msgid == exports.INTERRUPTED_MESSAGES[exports.TEMP_REMOVED]
    assert not os.path.lexists(tmp)
    assert vault.read_bytes()[:4096] == before[:4096]


def test_a_file_renamed_into_place_before_the_kill_is_reported_and_kept(
        open_profile: OpenProfile, tmp_path: Path) -> None:
    session = open_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    plant_killed_export(session, out, renamed=True)
    session.close()
    with profiles.unlock("amina", PASSPHRASE) as session:
        [notice] = session.notices
        assert notice.msgid == exports.INTERRUPTED_MESSAGES[exports.FILE_WRITTEN]
        assert "complete" in notice.user_message() and str(out) in notice.user_message()
    assert out.read_bytes() == ROWS


def test_a_kill_before_the_temp_file_was_made_is_reported(open_profile: OpenProfile,
                                                          tmp_path: Path) -> None:
    session = open_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    out.write_bytes(b"last month's report")  # replaced with --force, never reached
    plant_killed_export(session, out, temp=False)
    session.close()
    with profiles.unlock("amina", PASSPHRASE) as session:
        [notice] = session.notices
        assert notice.msgid == exports.INTERRUPTED_MESSAGES[exports.NOTHING_WRITTEN]
    assert out.read_bytes() == b"last month's report"


def test_a_temp_file_that_cannot_be_removed_is_named(open_profile: OpenProfile,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    session = open_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    tmp = plant_killed_export(session, out)
    session.close()
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == tmp:
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with profiles.unlock("amina", PASSPHRASE) as session:
        [notice] = session.notices
        assert notice.msgid == exports.INTERRUPTED_MESSAGES[exports.TEMP_LEFT]
        assert str(tmp) in notice.user_message()
    monkeypatch.undo()
    assert ROWS not in tmp.read_bytes()  # overwritten, at least


def test_another_devices_export_is_left_alone(open_profile: OpenProfile,
                                              tmp_path: Path) -> None:
    session = open_profile("manager", "amina")
    tmp = plant_killed_export(session, tmp_path / "transfer.csv", device="other-device")
    session.close()
    with profiles.unlock("amina", PASSPHRASE) as session:
        assert session.notices == []
        assert session.conn is not None
        assert queries.unfinished_export_ids(session.conn, "other-device") != []
    assert tmp.exists()


# -- who may export identified data in bulk --------------------------------------------------

def test_a_caseworker_may_not_export_every_name(caseworker: Session, tmp_path: Path) -> None:
    CaseService(caseworker).create({"prs_FirstName": "Rukhsana"})
    before = caseworker.audit.head()[0]
    with pytest.raises(PermissionDenied) as refused:
        exchange.export_htcds(caseworker, tmp_path / "all.csv", "csv", "transfer", protection=PLAIN)
    message = refused.value.user_message()
    assert "caseworker" in message and "manager" in message
    assert [p for p in tmp_path.iterdir() if "all.csv" in p.name] == []
    assert actions(caseworker, before) == []


def test_a_caseworker_may_still_publish_statistics(caseworker: Session,
                                                   tmp_path: Path) -> None:
    report = statistics.export_statistics(caseworker, tmp_path / "stats.csv", "report")
    assert report.path is not None and report.path.exists()


@pytest.mark.parametrize("role", ["manager", "administrator"])
def test_managers_and_administrators_may(open_profile: OpenProfile, tmp_path: Path,
                                         role: str) -> None:
    session = open_profile(role)
    agree(session, CaseService(session).create({"prs_FirstName": "Rukhsana"}).id,
          consent.ASSISTANCE_PROCESSING)
    assert exchange.export_htcds(session, tmp_path / "all.csv", "csv", "transfer",
                                 protection=PLAIN).rows == 1


def test_the_cli_names_the_role_in_the_users_language(cli_profile: CliProfile, run: Run,
                                                      tmp_path: Path) -> None:
    args = cli_profile("caseworker", "bushra")
    out = tmp_path / "all.csv"
    export = ["export", "htcds", "--unencrypted", *args, "--format", "csv", "--out", out,
              "--purpose", "transfer"]
    code, stdout, err = run(*export)
    assert code != 0 and stdout == "" and not out.exists()
    assert "(caseworker)" in err and "Traceback" not in err
    code, _stdout, err = run("--lang", "ur", *export)
    assert code != 0 and "caseworker" not in err
    assert any("\u0600" <= ch <= "\u06ff" for ch in err)


def test_a_pipe_planted_at_the_destination_does_not_hang_the_unlock(
        open_profile: OpenProfile, tmp_path: Path) -> None:
    session = open_profile("manager", "amina")
    out = tmp_path / "transfer.csv"
    plant_killed_export(session, out, temp=False)
    session.close()
    os.mkfifo(out)  # opened for reading, it would wait for a writer for ever
    with profiles.unlock("amina", PASSPHRASE) as session:
        [notice] = session.notices
        assert notice.msgid == exports.INTERRUPTED_MESSAGES[exports.NOTHING_WRITTEN]


# -- SECURITY.md item 3: the file is written, then the commit fails -------------------------

def test_a_commit_that_fails_after_the_file_is_written(open_profile: OpenProfile,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The vault fills up (a real SQLite "database or disk is full", by max_page_count)
    between the file's rename and the "exported" commit: the user gets a clear storage
    error, the file stays where it was written, nothing is corrupted, and the next unlock
    says the export is complete but unconfirmed, once. (A statistics export's completion
    rewrites its record in place, which needs no new page: only an HTCDS one fails here.)"""
    kind = "htcds"
    session = open_profile("manager", "amina")
    CaseService(session).create({"prs_FirstName": "Rukhsana"})
    out = tmp_path / "out.csv"
    real_write = exports.write_file

    def write_then_fill(*args: Any, **kwargs: Any) -> None:
        real_write(*args, **kwargs)
        conn = session.conn
        assert conn is not None
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        # The room left in the audit's last page used up by real, signed events (a packed
        # event is small enough to fit there), so the "exported" event needs a page there is
        # none of.
        while True:
            try:
                with session.write():
                    session.audit.append(session.user_id, "case_viewed", None, [])
            except (StorageError, sqlcipher3.DatabaseError):
                break

    monkeypatch.setattr(exports, "write_file", write_then_fill)
    with pytest.raises(StorageError) as info:
        export_of(session, kind, out)
    assert "full" in info.value.user_message()
    assert out.exists()
    assert session.conn is not None
    assert database.check_integrity(session.conn) == []
    assert f"{kind}_exported" not in actions(session)
    session.close()
    with profiles.unlock("amina", PASSPHRASE) as session:
        written = [n for n in session.notices
                   if n.msgid == exports.INTERRUPTED_MESSAGES[exports.FILE_WRITTEN]]
        assert len(written) == 1 and str(out) in written[0].user_message()
        assert session.verify_audit().ok
    with profiles.unlock("amina", PASSPHRASE) as session:
        assert session.notices == []
