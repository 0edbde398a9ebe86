"""Schema migrations (ARCHITECTURE §3): a failing migration rolls back whole; a database newer
than the program is refused. Vaults written by earlier versions, upgraded with their data
intact, are tests/test_vault_upgrade.py (committed fixtures, not old schemas rebuilt here)."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.crypto import kdf
from caseapp.errors import ProfileError, StorageError
from caseapp.services import profiles
from caseapp.services.cases import CaseService
from caseapp.store import audit, database, migrations
from caseapp.store.database import Connection
from caseapp.store.hlc import HybridClock
from caseapp.store.records import RecordStore

DEVICE = "01900000-0000-7000-8000-00000000d001"
ORIGINAL = list(migrations.MIGRATIONS)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def open_db(path: Path, key: bytes) -> Connection:
    return database.open_database(path, key)


def schema(conn: Connection) -> list[tuple[str, str, str, str]]:
    """Every schema object with its SQL, whitespace normalised, in a stable order."""
    rows = conn.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
                        "ORDER BY type, name").fetchall()
    return [(t, n, tbl, re.sub(r"\s+", " ", sql).strip()) for t, n, tbl, sql in rows]


def dump(conn: Connection, tables: list[str]) -> dict[str, list[tuple[object, ...]]]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def fresh_schema(tmp_path: Path,
                 target: int = migrations.CURRENT_VERSION) -> list[tuple[str, str, str, str]]:
    conn = open_db(tmp_path / f"fresh-{secrets.token_hex(4)}.db", secrets.token_bytes(32))
    try:
        migrations.migrate(conn, target=target)
        return schema(conn)
    finally:
        conn.close()


def seed(conn: Connection, version: int) -> list[str]:
    """Representative rows valid at ``version``; returns the tables that hold data."""
    if version < 1:
        return []
    clock = HybridClock(DEVICE)
    store = RecordStore(conn, clock, DEVICE)
    log = audit.AuditLog(conn, DEVICE, KEY)
    with database.transaction(conn):
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("device_id", DEVICE), ("user_id", "u1"), ("team_id", "t1"),
            ("profile_name", "old"), ("case_counter", "1")])
        person = store.create("person", {"prs_FirstName": "Zainab", "hfz_NameUrdu": "زینب",
                                      "hfz_Aliases": ["Zaini"]}, team="t1")
        assert person is not None
        case = store.create("case", {"hfz_CaseNumber": "2024-D001-00001", "hfz_Stage": "intake",
                                  "vic_TypeOfExploitation": ["ForcedLabour"]},
                         team="t1", parent=person.record.id)
        assert case is not None
        store.update(person.record.id, {"prs_SecondName": "Bibi"})
        store.create("note", {"cco_CaseComment": "Met at the shelter."}, team="t1",
                  parent=case.record.id)
        log.append("u1", "profile_created")
        log.append("u1", "case_created", case.record.id, ["prs_FirstName", "hfz_Stage"])
        log.append("u1", "case_viewed", case.record.id, ["prs_FirstName"])
        tables = ["meta", "records", "changes", "conflicts", "audit"]
        if version >= 2:
            conn.execute("INSERT INTO attachment_content (record_id, sha256, data) "
                         "VALUES (?, ?, ?)", (case.record.id, "00" * 32, b"\x89PNG"))
            tables.append("attachment_content")
    return tables


def test_migrations_are_numbered_from_one(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "steps.db", secrets.token_bytes(32))
    try:
        assert migrations.schema_version(conn) == 0
        for version in range(1, migrations.CURRENT_VERSION + 1):
            assert migrations.migrate(conn, target=version) == version - 1
            assert migrations.schema_version(conn) == version
        assert schema(conn) == fresh_schema(tmp_path)
    finally:
        conn.close()


BAD = """
    CREATE TABLE half_done (x INTEGER);
    INSERT INTO half_done VALUES (1);
    ALTER TABLE records ADD COLUMN half_column TEXT;
    INSERT INTO no_such_table VALUES (1);
"""


def test_a_failing_new_migration_rolls_back_entirely(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    key = secrets.token_bytes(32)
    path = tmp_path / "vault.db"
    conn = open_db(path, key)
    migrations.migrate(conn)
    tables = seed(conn, migrations.CURRENT_VERSION)
    before_rows = dump(conn, tables)
    before_schema = schema(conn)

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, BAD])
    with pytest.raises(StorageError):
        migrations.migrate(conn, target=migrations.CURRENT_VERSION + 1)
    assert not conn.in_transaction
    assert migrations.schema_version(conn) == migrations.CURRENT_VERSION
    assert schema(conn) == before_schema
    assert dump(conn, tables) == before_rows
    conn.close()

    conn = open_db(path, key)  # and nothing half-done reached the disk
    try:
        assert migrations.schema_version(conn) == migrations.CURRENT_VERSION
        assert schema(conn) == before_schema
        assert database.check_integrity(conn) == []
    finally:
        conn.close()


def test_a_failing_step_keeps_the_steps_before_it(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each migration is its own transaction: when step 2 fails on a new database, step 1
    stays and the version says 1, so the next start resumes at step 2."""
    broken = [ORIGINAL[0], ORIGINAL[1] + BAD]
    monkeypatch.setattr(migrations, "MIGRATIONS", broken)
    conn = open_db(tmp_path / "vault.db", secrets.token_bytes(32))
    try:
        with pytest.raises(StorageError):
            migrations.migrate(conn, target=2)
        assert migrations.schema_version(conn) == 1
        names = {row[1] for row in schema(conn)}
        assert "records" in names
        assert not names & {"search", "attachment_content", "half_done"}
        monkeypatch.setattr(migrations, "MIGRATIONS", ORIGINAL)  # the fixed program
        assert migrations.migrate(conn, target=2) == 1
        assert migrations.schema_version(conn) == 2
        assert schema(conn) == fresh_schema(tmp_path, target=2)  # later migrations may follow
    finally:
        conn.close()


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "future.db", secrets.token_bytes(32))
    try:
        migrations.migrate(conn)
        conn.execute(f"PRAGMA user_version = {migrations.CURRENT_VERSION + 1}")
        before = schema(conn)
        with pytest.raises(migrations.SchemaTooNew) as info:
            migrations.migrate(conn)
        assert "newer version" in info.value.user_message()
        assert migrations.schema_version(conn) == migrations.CURRENT_VERSION + 1
        assert schema(conn) == before
    finally:
        conn.close()


def test_unlocking_a_profile_from_a_newer_program_is_refused() -> None:
    created = profiles.create_profile("future", "river lamp seven orchard", params=kdf.FLOOR)
    with profiles.unlock("future", "river lamp seven orchard") as session:
        CaseService(session).create({"prs_FirstName": "Ayesha"})
        key = session.db_key
    conn = open_db(created.folder / "vault.db", key)
    conn.execute(f"PRAGMA user_version = {migrations.CURRENT_VERSION + 5}")
    conn.close()
    with pytest.raises(migrations.SchemaTooNew) as info:
        profiles.unlock("future", "river lamp seven orchard")
    assert isinstance(info.value, ProfileError)
    conn = open_db(created.folder / "vault.db", key)
    try:  # refused, not damaged
        assert migrations.schema_version(conn) == migrations.CURRENT_VERSION + 5
        assert json.loads(conn.execute(
            "SELECT body FROM records WHERE type = 'person'").fetchone()[0]) == \
            {"prs_FirstName": "Ayesha"}
    finally:
        conn.close()
