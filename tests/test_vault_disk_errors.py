"""SECURITY.md item 3: a full disk or an I/O error during a write gives a clear, typed error;
everything is rolled back; nothing is corrupted; nothing falls back to plaintext.

The database is "filled" with ``PRAGMA max_page_count`` (SQLite then reports "database or disk
is full", exactly as on a full drive); file writes fail through an injected ``OSError``.
"""

from __future__ import annotations

import errno
import os
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE as SECRET
from conftest import NewProfile
from unlock_clock import HourlyClock

from caseapp import fsutil
from caseapp.crypto import kdf
from caseapp.crypto.kdf import FLOOR
from caseapp.crypto.keyslots import PASSPHRASE, KeyslotFile
from caseapp.errors import StorageError, WrongPassphrase
from caseapp.services import profiles
from caseapp.services.session import Session
from caseapp.store import database

CANARY = "CANARY-diskfull-ظفر-5b9d"
OTHER = "copper kettle winter meadow"


def enospc(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


CLOCK = HourlyClock()


def opens(name: str, secret: str) -> bool:
    try:
        session = profiles.unlock(name, secret, clocks=CLOCK.clocks)
    except WrongPassphrase:
        return False
    session.close()
    return True


def snapshot(session: Session) -> dict[str, Any]:
    conn = session.conn
    assert conn is not None
    return {table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("records", "changes", "audit", "meta")}


def assert_no_canary(folder: Path) -> None:
    needles = [CANARY.encode(), CANARY.encode("utf-16-le"), CANARY.split("-")[2].encode()]
    for path in folder.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"plaintext found in {path.name}"


def assert_sound(session: Session) -> None:
    assert session.conn is not None
    assert database.check_integrity(session.conn) == []
    assert session.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert session.verify_audit().ok


@pytest.fixture
def session(administrator: Session) -> Session:
    with administrator.write():
        administrator.store.create("case", {"summary": "existing case"},
                                   team=administrator.team_id)
    return administrator


def fill_disk(session: Session, spare_pages: int = 0) -> None:
    assert session.conn is not None
    pages = session.conn.execute("PRAGMA page_count").fetchone()[0]
    session.conn.execute(f"PRAGMA max_page_count = {pages + spare_pages}")


def free_disk(session: Session) -> None:
    assert session.conn is not None
    session.conn.execute("PRAGMA max_page_count = 1073741823")


# -- the database is full ------------------------------------------------------------------

def test_disk_full_rolls_back_the_whole_transaction(session: Session) -> None:
    keyslot_bytes = session.paths.keyslots.read_bytes()
    before = snapshot(session)
    fill_disk(session, spare_pages=1)
    reached: list[str] = []
    with pytest.raises(StorageError) as info, session.write():
        # A small record fits; the large one, its outbox entry and audit event do not.
        small = session.store.create("case", {"summary": f"{CANARY} small"}, team=session.team_id)
        assert small is not None
        reached.append(small.record.id)
        session.audit.append(session.user_id, "case_created", small.record.id, ["summary"])
        session.store.create("note", {"text": f"{CANARY} " + "x" * 300_000},
                          parent=small.record.id, team=session.team_id)
        reached.append("unreachable")
    assert reached == [reached[0]]  # the first write went through inside the transaction
    message = info.value.user_message()
    assert "disk" in message and "Nothing was changed" in message
    assert "database or disk is full" not in message  # the user sees our words, not SQLite's

    assert snapshot(session) == before  # records, change log, audit and clock all unchanged
    assert session.store.get(reached[0]) is None
    assert session.store.count("case") == 1
    assert_sound(session)
    assert session.paths.keyslots.read_bytes() == keyslot_bytes
    assert_no_canary(session.paths.folder)  # neither the WAL nor any other file holds it

    free_disk(session)
    with session.write():
        session.store.create("case", {"summary": "after space was freed"}, team=session.team_id)
    assert session.store.count("case") == 2
    assert_sound(session)


def test_disk_full_during_an_update_keeps_the_old_version(session: Session) -> None:
    existing = session.store.list("case")[0]
    before = snapshot(session)
    fill_disk(session)
    with pytest.raises(StorageError), session.write():
        session.store.update(existing.id, {"summary": f"{CANARY} " + "y" * 300_000})
    assert snapshot(session) == before
    record = session.store.get(existing.id)
    assert record is not None and record.body == {"summary": "existing case"}
    assert [h["kind"] for h in session.store.history(existing.id)] == ["upsert"]
    assert_sound(session)
    assert_no_canary(session.paths.folder)


def test_disk_full_when_a_transaction_starts(session: Session) -> None:
    before = snapshot(session)
    fill_disk(session)
    for _ in range(3):  # repeated failures leave no stuck transaction behind
        with pytest.raises(StorageError), session.write():
            session.store.create("note", {"text": f"{CANARY} " + "z" * 100_000},
                              team=session.team_id)
    assert session.conn is not None and not session.conn.in_transaction
    assert snapshot(session) == before
    assert_sound(session)


def test_os_error_inside_a_transaction_becomes_storage_error(session: Session) -> None:
    before = snapshot(session)
    with pytest.raises(StorageError) as info, session.write():
        session.store.create("case", {"summary": CANARY}, team=session.team_id)
        enospc()  # e.g. a file written as part of the same save
    assert "disk" in info.value.user_message()
    assert snapshot(session) == before
    assert_sound(session)


def test_data_survives_a_reopen_after_disk_full(new_profile: NewProfile) -> None:
    created, passphrase = new_profile(), SECRET
    with profiles.unlock(created.name, passphrase) as session:
        before = snapshot(session)
        fill_disk(session)
        with pytest.raises(StorageError), session.write():
            session.store.create("note", {"text": f"{CANARY} " + "w" * 200_000},
                              team=session.team_id)
    with profiles.unlock(created.name, passphrase) as session:
        after = snapshot(session)
        assert after["records"] == before["records"]
        assert after["changes"] == before["changes"]
        assert_sound(session)
    assert_no_canary(created.folder)


# -- keyslot writes fail -------------------------------------------------------------------

def _change(created: profiles.CreatedProfile, passphrase: str) -> None:
    profiles.change_passphrase(created.name, passphrase, OTHER, params=kdf.FLOOR)


def _add(created: profiles.CreatedProfile, passphrase: str) -> None:
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        profiles.add_passphrase(session, OTHER, params=FLOOR)


def _rotate(created: profiles.CreatedProfile, passphrase: str) -> None:
    profiles.rotate_database_key(created.name, passphrase, params=FLOOR)


KEYSLOT_OPERATIONS: dict[str, Callable[[profiles.CreatedProfile, str], None]] = {
    "change-passphrase": _change, "add-passphrase": _add, "rotate-key": _rotate}


def _check_untouched(created: profiles.CreatedProfile, passphrase: str,
                     keyslot_bytes: bytes) -> None:
    assert (created.folder / "keyslots.json").read_bytes() == keyslot_bytes
    assert not list(created.folder.glob(".*.tmp")), "a temp file was left behind"
    KeyslotFile.load(created.folder / "keyslots.json")  # still a valid file
    assert opens(created.name, passphrase)
    assert opens(created.name, created.recovery_code)
    assert not opens(created.name, OTHER)
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        assert_sound(session)
        assert [r.body for r in session.store.list("case")] == [{"summary": CANARY}]


@pytest.fixture
def profile_with_case(new_profile: NewProfile) -> tuple[profiles.CreatedProfile, str]:
    created, passphrase = new_profile(), SECRET
    with profiles.unlock(created.name, passphrase) as session, session.write():
        session.store.create("case", {"summary": CANARY}, team=session.team_id)
    return created, passphrase


def _failing_os(call: str, fail_errno: int) -> types.ModuleType:
    """A stand-in for ``os`` inside fsutil whose ``call`` fails (``write`` after writing a
    few bytes, as a filling disk does). Every atomic file write fails alike, as on a real
    full or failing drive."""

    class FailingOs(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

    proxy = FailingOs("os")

    def fail(*args: Any) -> Any:
        if call == "write":
            os.write(args[0], bytes(args[1][:7]))
        raise OSError(fail_errno, os.strerror(fail_errno))

    setattr(proxy, call, fail)
    return proxy


@pytest.mark.parametrize(("call", "fail_errno", "reason"), [
    ("open", errno.ENOSPC, "disk is full"),
    ("write", errno.ENOSPC, "disk is full"),
    ("fsync", errno.EIO, "drive reported an error"),
    ("replace", errno.EIO, "drive reported an error"),
])
@pytest.mark.parametrize("operation", list(KEYSLOT_OPERATIONS))
def test_io_error_during_the_keyslot_write(
        profile_with_case: tuple[profiles.CreatedProfile, str], monkeypatch: pytest.MonkeyPatch,
        operation: str, call: str, fail_errno: int, reason: str) -> None:
    created, passphrase = profile_with_case
    keyslot_bytes = (created.folder / "keyslots.json").read_bytes()
    with monkeypatch.context() as patch:
        patch.setattr(fsutil, "os", _failing_os(call, fail_errno))
        with pytest.raises(StorageError) as info:
            KEYSLOT_OPERATIONS[operation](created, passphrase)
    message = info.value.user_message()
    assert reason in message and "Nothing was changed" in message
    assert os.strerror(fail_errno) not in message  # our words, not the system's
    _check_untouched(created, passphrase, keyslot_bytes)
    assert_no_canary(created.folder)


def test_remove_slot_on_a_full_disk(profile_with_case: tuple[profiles.CreatedProfile, str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    created, passphrase = profile_with_case
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        added = profiles.add_passphrase(session, OTHER, params=FLOOR)
    keyslot_bytes = (created.folder / "keyslots.json").read_bytes()
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        before = snapshot(session)
        with monkeypatch.context() as patch:
            patch.setattr(fsutil, "os", _failing_os("write", errno.ENOSPC))
            with pytest.raises(StorageError):
                profiles.remove_slot(session, added)
        assert snapshot(session) == before  # no "keyslot_removed" event for a failed removal
    assert (created.folder / "keyslots.json").read_bytes() == keyslot_bytes
    assert opens(created.name, OTHER)
    slots = KeyslotFile.load(created.folder / "keyslots.json")
    assert added in [s.slot_id for s in slots.of_kind(PASSPHRASE)]


def test_lock_drops_the_keys_even_when_the_audit_head_cannot_be_written(
        new_profile: NewProfile, monkeypatch: pytest.MonkeyPatch) -> None:
    created, passphrase = new_profile(), SECRET
    session = profiles.unlock(created.name, passphrase)
    with monkeypatch.context() as patch:
        patch.setattr(fsutil, "os", _failing_os("write", errno.ENOSPC))
        with pytest.raises(StorageError):
            session.close()
    assert session.conn is None and session.db_key == b""
    with profiles.unlock(created.name, passphrase) as reopened:
        assert_sound(reopened)


def test_a_wal_checkpoint_that_cannot_finish_during_a_key_rotation(
        profile_with_case: tuple[profiles.CreatedProfile, str]) -> None:
    """A real failing checkpoint: another connection holds a read transaction, so the
    checkpoint after PRAGMA rekey cannot copy the re-encrypted pages into vault.db. The user
    gets a clear storage error; the vault still opens with the passphrase, intact, and says
    the rotation must be run again, which then succeeds."""
    created, passphrase = profile_with_case
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        key = session.db_key
    paths = profiles.existing(created.name)
    reader = database.open_database(paths.database, key)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM records").fetchone()
        with pytest.raises(StorageError) as info:
            profiles.rotate_database_key(created.name, passphrase, params=FLOOR,
                                         clocks=CLOCK.clocks)
        assert "in use by another program" in info.value.user_message()
        reader.execute("COMMIT")
    finally:
        reader.close()
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        assert session.rotation_interrupted
        assert database.check_integrity(session.conn) == []  # type: ignore[arg-type]
        assert session.store.count("case") == 1 and session.verify_audit().ok
    code = profiles.rotate_database_key(created.name, passphrase, params=FLOOR,
                                        clocks=CLOCK.clocks)
    assert opens(created.name, code)
    with profiles.unlock(created.name, passphrase, clocks=CLOCK.clocks) as session:
        assert not session.rotation_interrupted
        assert database.check_integrity(session.conn) == []  # type: ignore[arg-type]
