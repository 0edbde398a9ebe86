"""The vault's page format (issue 12): every page signed with HMAC-SHA256, where SQLCipher's
default is HMAC-SHA512 (the SHA-256 MAC costs less CPU on every page read or written: the
encrypted store's time against plain SQLite's is the budget); a vault of the earlier format
carried over to it at its unlock, compacted on the way, never left half done by a cut or a
full disk; and the case list's index written full, not half empty (migration 13).

Which format a file is in is told only by which HMAC opens it: a bare SQLCipher connection
with the key tries each."""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from pathlib import Path

import pytest
import sqlcipher3
from test_vault_upgrade import EXPECTED, PASSPHRASE, PROFILE, cases_by_number, install

from caseapp.crypto import passphrase_policy
from caseapp.crypto.keyslots import PASSPHRASE as PASSPHRASE_SLOT
from caseapp.crypto.keyslots import KeyslotFile
from caseapp.errors import StorageError, WrongPassphrase
from caseapp.services import compaction, profile_paths, profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session
from caseapp.store import database, migrations
from caseapp.store.hlc import HybridClock
from caseapp.store.records import RecordStore

LEGACY = 12  # the last fixture written with HMAC-SHA512 pages


def readable_with(path: Path, key: bytes, hmac: str) -> bool:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.execute("PRAGMA cipher_log_level = WARN")
        conn.close()


def format_of(path: Path, key: bytes) -> list[str]:
    return [h for h in ("HMAC_SHA256", "HMAC_SHA512") if readable_with(path, key, h)]


def fixture_key(folder: Path) -> bytes:
    _slot, [key] = KeyslotFile.load(folder / "keyslots.json").unlock(
        PASSPHRASE_SLOT, passphrase_policy.normalise(PASSPHRASE).encode())
    return key


def legacy(caseapp_home: Path) -> tuple[Path, bytes]:
    """The v12 fixture installed as this test's profile: its vault file and key."""
    folder = install(LEGACY, caseapp_home)
    return folder / "vault.db", fixture_key(folder)


def test_the_committed_fixture_is_of_the_earlier_format(caseapp_home: Path) -> None:
    vault, key = legacy(caseapp_home)
    assert format_of(vault, key) == ["HMAC_SHA512"]


def test_a_new_profile_signs_its_pages_with_hmac_sha256(open_profile: object) -> None:
    session = open_profile()  # type: ignore[operator]
    assert isinstance(session, Session)
    vault, key = session.paths.database, session.db_key
    assert database.hmac_of(session.conn) == "HMAC_SHA256"
    session.close()
    assert format_of(vault, key) == ["HMAC_SHA256"]


def test_an_earlier_vault_is_rewritten_in_the_new_format_at_its_unlock(
        caseapp_home: Path) -> None:
    vault, key = legacy(caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert database.hmac_of(session.conn) == "HMAC_SHA256"
        assert migrations.schema_version(session.conn) == migrations.CURRENT_VERSION
        assert database.check_integrity(session.conn) == []
        assert session.verify_audit().ok
        assert cases_by_number(CaseService(session)) == EXPECTED[LEGACY]
    assert format_of(vault, key) == ["HMAC_SHA256"]
    assert compaction.temp_files(profile_paths.existing(PROFILE)) == []
    with profiles.unlock(PROFILE, PASSPHRASE) as session:  # and it stays so
        assert cases_by_number(CaseService(session)) == EXPECTED[LEGACY]
    assert format_of(vault, key) == ["HMAC_SHA256"]


def test_the_earlier_format_is_tried_without_a_word_on_stderr(
        caseapp_home: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The first guess (the current format) fails on an older file; SQLCipher would log
    'hmac check failed' on stderr, where a user of the command line reads it as damage."""
    vault, key = legacy(caseapp_home)
    conn = database.open_database(vault, key)
    try:
        assert database.hmac_of(conn) == "HMAC_SHA512"
    finally:
        conn.close()
    assert capfd.readouterr().err == ""
    # The process's log level is back where it was: real damage is still logged.
    probe = sqlcipher3.connect(":memory:")
    assert probe.execute("PRAGMA cipher_log_level").fetchone()[0] == "WARN"
    probe.close()


def test_a_wrong_key_opens_neither_format(caseapp_home: Path, open_profile: object) -> None:
    vault, _key = legacy(caseapp_home)
    with pytest.raises(WrongPassphrase):
        database.open_database(vault, secrets.token_bytes(32))
    session = open_profile()  # type: ignore[operator]
    assert isinstance(session, Session)
    current = session.paths.database
    session.close()
    with pytest.raises(WrongPassphrase):
        database.open_database(current, secrets.token_bytes(32))


def test_without_room_for_the_copy_the_vault_opens_as_it_was(
        caseapp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault, key = legacy(caseapp_home)
    real = compaction.shutil.disk_usage
    monkeypatch.setattr(compaction.shutil, "disk_usage",
                        lambda path: real(path)._replace(free=vault.stat().st_size // 2))
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert database.hmac_of(session.conn) == "HMAC_SHA512"
        assert cases_by_number(CaseService(session)) == EXPECTED[LEGACY]
    assert format_of(vault, key) == ["HMAC_SHA512"]
    monkeypatch.setattr(compaction.shutil, "disk_usage", real)
    profiles.unlock(PROFILE, PASSPHRASE).close()  # room again: the next unlock rewrites it
    assert format_of(vault, key) == ["HMAC_SHA256"]


def test_while_another_program_has_the_vault_open_it_opens_as_it_was(
        caseapp_home: Path) -> None:
    vault, key = legacy(caseapp_home)
    other = database.open_database(vault, key)
    try:
        with profiles.unlock(PROFILE, PASSPHRASE) as session:
            assert database.hmac_of(session.conn) == "HMAC_SHA512"
            CaseService(session).create({"prs_FirstName": "Farzana"})
        assert other.execute("SELECT count(*) FROM records").fetchone()[0] > 0
    finally:
        other.close()
    assert format_of(vault, key) == ["HMAC_SHA512"]


class Cut(Exception):
    """A kill of the process at one step of the rewrite, as far as the files can tell."""


@pytest.mark.parametrize("step", compaction.STEPS[:compaction.STEPS.index("reopened") + 1])
def test_a_rewrite_cut_at_any_step_leaves_a_vault_that_opens(
        step: str, caseapp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut after each step: the next unlock opens the vault with every case, in the old
    format up to the rename and in the new one after it, and finishes the work."""
    vault, key = legacy(caseapp_home)
    rewrite = compaction.rewrite

    def cut_rewrite(*args: object, **kwargs: object) -> tuple[int, int]:
        def after_step(done: str) -> None:
            if done == step:
                raise Cut(done)
        return rewrite(*args, **{**kwargs, "after_step": after_step})  # type: ignore[arg-type]

    monkeypatch.setattr(compaction, "rewrite", cut_rewrite)
    with pytest.raises(Cut):
        profiles.unlock(PROFILE, PASSPHRASE)
    replaced = compaction.STEPS.index(step) >= compaction.STEPS.index("replaced")
    assert format_of(vault, key) == ["HMAC_SHA256" if replaced else "HMAC_SHA512"]
    monkeypatch.setattr(compaction, "rewrite", rewrite)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert cases_by_number(CaseService(session)) == EXPECTED[LEGACY]
        assert session.verify_audit().ok
    assert format_of(vault, key) == ["HMAC_SHA256"]
    assert compaction.temp_files(profile_paths.existing(PROFILE)) == []


def test_a_disk_that_fills_during_the_copy_leaves_the_old_vault(
        caseapp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault, key = legacy(caseapp_home)

    def full(*args: object, **kwargs: object) -> None:
        raise StorageError(reason="the disk is full")

    monkeypatch.setattr(database, "export_into", full)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        assert cases_by_number(CaseService(session)) == EXPECTED[LEGACY]
    assert format_of(vault, key) == ["HMAC_SHA512"]
    assert compaction.temp_files(profile_paths.existing(PROFILE)) == []


def test_compaction_and_a_key_rotation_keep_the_new_format(caseapp_home: Path) -> None:
    """SQLite's own VACUUM INTO writes SQLCipher's default format whatever its source's:
    the compaction must not carry a vault back to HMAC-SHA512."""
    vault, _key = legacy(caseapp_home)
    with profiles.unlock(PROFILE, PASSPHRASE) as session:
        compaction.compact(session)
        key = session.db_key
        assert database.hmac_of(session.conn) == "HMAC_SHA256"
    assert format_of(vault, key) == ["HMAC_SHA256"]
    profiles.rotate_database_key(PROFILE, PASSPHRASE)
    new_key = fixture_key(profile_paths.existing(PROFILE).folder)
    assert new_key != key
    assert format_of(vault, new_key) == ["HMAC_SHA256"]


# -- the case list's index -------------------------------------------------------------------

DEVICE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def list_index_fill(tmp_path: Path, schema: int) -> float:
    """How full the leaf pages of ``records_by_type`` are after 3,000 cases are written one
    by one, as a user or the demo writes them (in a plain file: dbstat reads it)."""
    path = tmp_path / f"plain-{schema}.db"
    conn = sqlcipher3.connect(str(path), isolation_level=None, factory=database.Connection)
    migrations.migrate(conn, schema)
    store = RecordStore(conn, HybridClock(DEVICE), DEVICE)
    for start in range(0, 3000, 500):
        with database.transaction(conn):
            for n in range(start, start + 500):
                store.create("case", {"hfz_Stage": "intake", "hfz_CaseNumber": f"C-{n:05d}"})
    conn.close()
    plain = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    used, size = plain.execute(
        "SELECT sum(pgsize - unused), sum(pgsize) FROM dbstat "
        "WHERE name = 'records_by_type' AND pagetype = 'leaf'").fetchone()
    plain.close()
    os.unlink(path)
    return float(used / size)


def test_a_list_index_written_case_by_case_has_its_pages_full(tmp_path: Path) -> None:
    """Schema 12 kept the index in descending time, so each new case went to the front of its
    type's range and split pages there, leaving them half full; at a million cases that was
    240 bytes a case against 118 compacted."""
    assert list_index_fill(tmp_path, 12) < 0.6
    assert list_index_fill(tmp_path, migrations.CURRENT_VERSION) > 0.85


def test_the_list_is_newest_first_from_the_index(tmp_path: Path) -> None:
    """The ascending index is read backwards for 'newest first': no sort in memory."""
    conn = sqlcipher3.connect(":memory:", isolation_level=None, factory=database.Connection)
    migrations.migrate(conn)
    store = RecordStore(conn, HybridClock(DEVICE), DEVICE)
    made = []
    for n in range(5):
        time.sleep(0.002)  # one case a millisecond: within one, the order is the ids'
        change = store.create("case", {"hfz_CaseNumber": f"C-{n}"})
        made.append(change.record.id)  # type: ignore[union-attr]
    assert [r.id for r in store.list("case", limit=10)] == made[::-1]
    first = store.list("case", limit=2)
    after = (first[-1].updated_at, first[-1].id)
    assert [r.id for r in store.list("case", limit=10, after=after)] == made[2::-1]
    plan = " | ".join(str(row[-1]) for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM records WHERE type = 'case' AND deleted = 0 "
        "AND (updated_at, id) < (?, ?) ORDER BY updated_at DESC, id DESC LIMIT 50", after))
    assert "records_by_type" in plan and "TEMP B-TREE" not in plan, plan
    conn.close()
