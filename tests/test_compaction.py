"""Compaction (issue 12): ``caseapp profile compact`` rewrites the vault with every page full.

A vault fragmented by edits is copied with ``sqlcipher_export`` into a temp file of the profile
folder, encrypted with the vault's own key, checked, and renamed over ``vault.db``. These
tests: the file shrinks and every case reads back the same; the copy is encrypted and no
canary reaches the profile folder or the temporary folder, at any step; the session goes
on working; a cut at every step (an exception, and a SIGKILL in a child process) leaves a
profile that unlocks with every case, its temp file removed at the next unlock; a -wal file
of the old database never lands beside the new file; too little free space is refused with
nothing changed; the compaction is audited and the chain verifies."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from conftest import PASSPHRASE, ProfileTemplates, Run
from forkserver import Zygote
from test_no_plaintext import CANARIES

from caseapp.errors import StorageError, WrongPassphrase
from caseapp.services import audit_trail, compaction, demo, profile_paths, profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session, open_session
from caseapp.store import database

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
NAME = "administrator"  # the template's own name (its vault records it)
CASES = 300


@dataclass(frozen=True)
class Fragmented:
    folder: Path  # the template profile, never changed: each test copies it
    key: bytes
    canary_id: str
    cases: dict[str, dict[str, Any]]  # every case as ``CaseService.show`` returns it


def every_case(session: Session) -> dict[str, dict[str, Any]]:
    service = CaseService(session)
    found: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        page = service.list(limit=200, after=after)
        for summary in page.cases:
            found[summary.id] = service.show(summary.id)
        if page.next is None:
            return found
        after = page.next


@pytest.fixture(scope="module")
def fragmented(profile_templates: ProfileTemplates,
               tmp_path_factory: pytest.TempPathFactory) -> Fragmented:
    """Demo cases written case by case, half of them edited long then short again (their
    pages left part-empty), and a case full of canaries."""
    home = tmp_path_factory.mktemp("fragmented")
    with profile_templates.opened(home) as session:
        ids = demo.fill(session, CASES, records=False)
        service = CaseService(session)
        first, last = CANARIES["latin name"].split()
        canary_id = service.create({
            "prs_FirstName": first, "prs_SecondName": last,
            "hfz_NameUrdu": CANARIES["urdu name"], "prs_IdentityNumber": CANARIES["cnic"],
            "hfz_Summary": CANARIES["testimony"]}).id
        assert canary_id is not None
        service.add_note(canary_id, f"{CANARIES['testimony']}, said {CANARIES['latin name']}.")
        for i, case_id in enumerate(ids[::2]):
            service.update(case_id, {"hfz_Summary": f"{'long account ' * 250}{i}"})
        for case_id in ids[::2]:
            service.update(case_id, {"hfz_Summary": "short"})
        return Fragmented(session.paths.folder, session.db_key, canary_id,
                          every_case(session))


@pytest.fixture
def vault(fragmented: Fragmented, profile_templates: ProfileTemplates,
          monkeypatch: pytest.MonkeyPatch, caseapp_home: Path) -> Fragmented:
    """A copy of the fragmented profile in this test's CASEAPP_HOME."""
    profile_templates.answer_argon2(monkeypatch)
    shutil.copytree(fragmented.folder, profile_paths.paths(NAME).folder)
    return fragmented


@pytest.fixture
def unlocked(vault: Fragmented) -> Iterator[Session]:
    session = profiles.unlock(NAME, PASSPHRASE)
    yield session
    session.close()


def paths() -> profile_paths.ProfilePaths:
    return profile_paths.paths(NAME)


def beside(suffix: str) -> Path:
    return Path(f"{paths().database}{suffix}")


def assert_whole(vault: Fragmented, added: int = 0) -> None:
    """The profile unlocks with the passphrase, sound, with every case as it was (and
    ``added`` cases more); the unlock removed any temp file a cut compaction left."""
    with profiles.unlock(NAME, PASSPHRASE) as session:
        assert compaction.temp_files(paths()) == []
        assert session.conn is not None
        assert database.check_integrity(session.conn) == []
        found = every_case(session)
        assert {k: v for k, v in found.items() if k in vault.cases} == vault.cases
        assert len(found) == len(vault.cases) + added
        assert audit_trail.verify_chain(session).ok


def actions(session: Session) -> list[str]:
    return [e["action"] for e in session.audit.events(limit=1_000_000)]


# -- what it does -----------------------------------------------------------------------

def test_compaction_shrinks_a_fragmented_vault_and_keeps_every_case(
        vault: Fragmented, unlocked: Session) -> None:
    size = paths().database.stat().st_size
    report = compaction.compact(unlocked)
    assert report.after < report.before * 0.9, report
    assert report.before >= size and report.after == paths().database.stat().st_size
    assert report.seconds > 0
    assert every_case(unlocked) == vault.cases
    assert CaseService(unlocked).notes(vault.canary_id)[0]["text"].startswith(
        CANARIES["testimony"])
    assert compaction.temp_files(paths()) == []


def test_the_session_goes_on_after_compaction_and_the_event_is_audited(
        vault: Fragmented, unlocked: Session) -> None:
    shares: list[float] = []
    compaction.compact(unlocked, progress=shares.append)
    assert shares[-1] == 1.0 and shares == sorted(shares)
    service = CaseService(unlocked)
    assert vault.canary_id in [hit.id for hit in service.search(CANARIES["cnic"])]
    service.update(vault.canary_id, {"prs_MiddleName": "Saved"})
    assert "database_compacted" in actions(unlocked)
    assert audit_trail.verify_chain(unlocked).ok
    unlocked.close()
    with profiles.unlock(NAME, PASSPHRASE) as session:
        assert CaseService(session).show(vault.canary_id)["prs_MiddleName"] == "Saved"
        assert actions(session).count("database_compacted") == 1
        assert audit_trail.verify_chain(session).ok


def test_the_copy_is_encrypted_with_the_vaults_key(vault: Fragmented, unlocked: Session,
                                                   tmp_path: Path) -> None:
    assert unlocked.conn is not None
    copy = tmp_path / "copy.db"
    database.export_into(unlocked.conn, copy, vault.key)
    data = copy.read_bytes()
    assert not data.startswith(b"SQLite format 3\0")
    assert database.check_copy(copy, vault.key, database.row_counts(unlocked.conn)) == []
    assert database.check_copy(copy, bytes(32), database.row_counts(unlocked.conn)) != []
    plain = sqlite3.connect(copy)
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    plain.close()
    bare = sqlcipher3.connect(str(copy))
    with pytest.raises(sqlcipher3.DatabaseError):
        bare.execute("SELECT count(*) FROM sqlite_master").fetchone()
    bare.close()
    # And the vault that replaces the old one.
    compaction.compact(unlocked)
    assert not paths().database.read_bytes().startswith(b"SQLite format 3\0")
    assert (paths().database.stat().st_mode & 0o777) == 0o600


# What a child writes: the canaries looked for in the profile folder and in its own
# TMPDIR (read by SQLite once per process, hence a fresh process) after every step.
SCANNER = r"""
import json, os, sys, tempfile
from pathlib import Path
from test_no_plaintext import CANARIES, files_under, needles, scan_files
from caseapp.services import compaction, profile_paths
from caseapp.services.session import open_session
from caseapp.store import database

name, key = sys.argv[1], bytes.fromhex(sys.argv[2])
paths = profile_paths.existing(name)
tmp = Path(os.environ["TMPDIR"])
patterns = needles(CANARIES)
hits, seen = [], set()

def scan(step):
    files = files_under(paths.folder) + files_under(tmp)
    seen.update(path.name for path in files)
    hits.extend(f"{step}: {hit}" for hit in scan_files(files, patterns))

session = open_session(database.open_database(paths.database, key), paths, db_key=key)
compaction.compact(session, after_step=scan)
session.close()
scan("locked")
# The control: a canary written in plain text to the temporary folder is found.
with tempfile.NamedTemporaryFile(prefix="leak-", delete=False) as f:
    f.write(CANARIES["place"].encode())
control = scan_files(files_under(tmp), patterns)
print(json.dumps({"hits": hits, "seen": sorted(seen), "control": control}))
"""


def test_no_canary_in_the_profile_folder_or_the_temporary_folder_at_any_step(
        vault: Fragmented, tmp_path: Path, caseapp_home: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "SQLITE_TMPDIR": str(tmp),
           "CASEAPP_HOME": str(caseapp_home),
           "PYTHONPATH": os.pathsep.join([str(REPO), str(TESTS)])}
    done = subprocess.run([sys.executable, "-c", SCANNER, NAME, vault.key.hex()], env=env,
                          capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    result = json.loads(done.stdout)
    assert result["hits"] == []
    assert any(name.endswith(compaction.TEMP_SUFFIX) for name in result["seen"])
    assert [hit.split(": ", 1)[1] for hit in result["control"]] == ["place / utf-8"]


# -- cuts -------------------------------------------------------------------------------

class Cut(BaseException):
    pass


@pytest.mark.parametrize("step", compaction.STEPS)
def test_a_cut_at_every_step_keeps_the_profile_whole(vault: Fragmented, unlocked: Session,
                                                     step: str) -> None:
    old = paths().database.stat().st_ino

    def cut(at: str) -> None:
        if at == step:
            raise Cut(at)

    with pytest.raises(Cut):
        compaction.compact(unlocked, after_step=cut)
    replaced = compaction.STEPS.index(step) >= compaction.STEPS.index("replaced")
    assert (paths().database.stat().st_ino != old) == replaced
    assert compaction.temp_files(paths()) == []
    # The session goes on, on whichever file is in place.
    service = CaseService(unlocked)
    assert vault.canary_id in [hit.id for hit in service.search(CANARIES["cnic"])]
    service.create({"prs_FirstName": "Aftercutq"})
    unlocked.close()
    assert_whole(vault, added=1)


KILLER = r"""
import os, signal, sys
from caseapp.services import compaction, profile_paths
from caseapp.services.session import open_session
from caseapp.store import database

name, key, kill_at = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]
paths = profile_paths.existing(name)

def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)

if kill_at == "mid-copy":  # halfway through the export
    export_into = database.export_into
    def killed_export(conn, target, key, tick=None):
        calls = [0]
        def handler():
            calls[0] += 1
            if calls[0] == 10:
                die()
            return 0
        conn.set_progress_handler(handler, 100)
        export_into(conn, target, key)
    database.export_into = killed_export

def after_step(step):
    print(step, flush=True)
    if step == kill_at:
        die()

session = open_session(database.open_database(paths.database, key), paths, db_key=key)
compaction.compact(session, after_step=after_step)
session.close()
print("done", flush=True)
"""
KILL_POINTS = ["mid-copy", *compaction.STEPS, "none"]
# Killed here, the temp file is left behind (the old vault in place); from the rename on,
# the new file is in place.
LEAVE_TEMP = ("mid-copy", "copied", "synced", "verified", "closed")


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    forks = Zygote(["caseapp.services.compaction", "caseapp.services.session"], env=env,
                   cwd=REPO)
    yield forks
    forks.close()


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_kill_at_every_step_keeps_the_profile_whole(vault: Fragmented, zygote: Zygote,
                                                      tmp_path: Path, caseapp_home: Path,
                                                      kill_at: str) -> None:
    old = paths().database.stat().st_ino
    with (tmp_path / "child.stderr").open("w+b") as stderr:
        child = zygote.spawn(KILLER, [NAME, vault.key.hex(), kill_at], stderr,
                             env={"CASEAPP_HOME": str(caseapp_home)})
        code, out = child.communicate(timeout=120)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    steps = out.decode().split()
    if kill_at == "none":
        assert (code, steps[-1]) == (0, "done"), err
    else:
        assert code == -signal.SIGKILL, err
        assert "done" not in steps and (kill_at == "mid-copy" or steps[-1] == kill_at)
    renamed = kill_at in ("replaced", "reopened", "audited", "none")
    assert (paths().database.stat().st_ino != old) == renamed
    assert bool(compaction.temp_files(paths())) == (kill_at in LEAVE_TEMP)
    if kill_at in ("closed", "replaced"):
        # Killed with no connection open: no -wal file of either database is there.
        assert not beside("-wal").exists()
    assert_whole(vault)
    if renamed:
        with profiles.unlock(NAME, PASSPHRASE) as session:
            assert ("database_compacted" in actions(session)) == (kill_at in ("audited",
                                                                              "none"))


def test_a_leftover_temp_file_goes_at_the_next_unlock_and_the_next_compaction(
        vault: Fragmented) -> None:
    for suffix in ("", "-journal"):
        leftover = paths().folder / f".vault.db.0123456789ab{compaction.TEMP_SUFFIX}{suffix}"
        leftover.write_bytes(os.urandom(4096))
    with profiles.unlock(NAME, PASSPHRASE) as session:
        assert compaction.temp_files(paths()) == []
        leftover.write_bytes(os.urandom(4096))
        compaction.compact(session)
        assert compaction.temp_files(paths()) == []


# -- the -wal file of the old database ----------------------------------------------------

def test_another_connection_keeps_the_vault_from_being_compacted(
        vault: Fragmented, unlocked: Session) -> None:
    other = database.open_database(paths().database, vault.key)
    try:
        old = paths().database.stat().st_ino
        with pytest.raises(StorageError) as refused:
            compaction.compact(unlocked)
        assert "in use by another program" in refused.value.user_message()
        assert paths().database.stat().st_ino == old
        assert compaction.temp_files(paths()) == []
        assert "database_compacted" not in actions(unlocked)
        CaseService(unlocked).update(vault.canary_id, {"prs_MiddleName": "Still"})
    finally:
        other.close()


def test_no_connection_can_open_the_vault_while_it_is_copied(
        vault: Fragmented, unlocked: Session) -> None:
    refused: list[str] = []

    def try_to_open(step: str) -> None:
        if step in ("checkpointed", "copied", "verified"):
            other = sqlcipher3.connect(str(paths().database), timeout=0.1)
            try:
                other.execute(f"PRAGMA key = \"x'{vault.key.hex()}'\"")
                other.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlcipher3.OperationalError as exc:
                refused.append(str(exc))
            finally:
                other.close()

    compaction.compact(unlocked, after_step=try_to_open)
    assert refused == ["database is locked"] * 3


def test_a_wal_written_after_the_close_is_never_put_beside_the_new_file(
        vault: Fragmented, unlocked: Session) -> None:
    """Another connection that opens the vault between the close and the rename: its -wal
    file holds a case the copy lacks. The copy must not replace the old file (SQLite would
    replay that -wal file into the new one): refused, and the case kept."""
    others: list[Session] = []

    def write_late(step: str) -> None:
        if step == "closed":
            conn = database.open_database(paths().database, vault.key)
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            other = open_session(conn, paths(), db_key=vault.key)
            others.append(other)
            CaseService(other).create({"prs_FirstName": "Latecomerq"})

    old = paths().database.stat().st_ino
    try:
        with pytest.raises(StorageError):
            compaction.compact(unlocked, after_step=write_late)
    finally:
        for other in others:
            other.close()
    assert paths().database.stat().st_ino == old
    assert compaction.temp_files(paths()) == []
    assert len(CaseService(unlocked).search("Latecomerq")) == 1
    unlocked.close()
    with profiles.unlock(NAME, PASSPHRASE) as session:
        assert session.conn is not None
        assert database.check_integrity(session.conn) == []
        assert len(CaseService(session).search("Latecomerq")) == 1
        assert CaseService(session).count() == len(vault.cases) + 1


def test_a_stale_wal_beside_the_new_file_would_break_it(vault: Fragmented,
                                                        unlocked: Session,
                                                        tmp_path: Path) -> None:
    """Why the rule above: the old database's -wal file beside its compact copy is
    replayed into the copy, whose pages it does not fit."""
    assert unlocked.conn is not None
    database.checkpoint(unlocked.conn)
    unlocked.conn.execute("PRAGMA wal_autocheckpoint = 0")
    copy = tmp_path / "copy.db"
    database.export_into(unlocked.conn, copy, vault.key)
    service = CaseService(unlocked)
    for case_id in list(vault.cases)[:30]:
        service.update(case_id, {"hfz_Summary": "a late edit " * 200})
    shutil.copyfile(beside("-wal"), Path(f"{copy}-wal"))
    try:
        conn = database.open_database(copy, vault.key)
    except WrongPassphrase:
        return  # page 1 replayed from the old file: the copy no longer opens at all
    try:
        problems = database.check_integrity(conn)
    except sqlcipher3.DatabaseError as exc:  # a replayed page that does not decrypt
        problems = [str(exc)]
    finally:
        conn.close()
    assert problems != []


def test_a_stale_shm_file_is_removed(vault: Fragmented, unlocked: Session) -> None:
    def plant(step: str) -> None:
        if step == "closed":
            beside("-shm").write_bytes(os.urandom(32768))

    compaction.compact(unlocked, after_step=plant)
    assert unlocked.conn is not None
    assert database.check_integrity(unlocked.conn) == []
    assert every_case(unlocked) == vault.cases


# -- refusals ---------------------------------------------------------------------------

def test_too_little_free_space_is_refused_with_nothing_changed(
        vault: Fragmented, unlocked: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.disk_usage
    free = 10 * compaction.MIB

    def disk_usage(path: str | os.PathLike[str]) -> Any:
        return real(path)._replace(free=free)

    monkeypatch.setattr(compaction.shutil, "disk_usage", disk_usage)
    assert unlocked.conn is not None
    database.checkpoint(unlocked.conn)
    before = paths().database.read_bytes()
    with pytest.raises(compaction.NotEnoughSpace) as refused:
        compaction.compact(unlocked)
    need = len(before) + compaction.MARGIN
    short = -(-(need - free) // compaction.MIB)
    message = refused.value.user_message()
    assert f"{short} MiB too few" in message and "Nothing was changed" in message
    assert isinstance(refused.value, StorageError)
    assert paths().database.read_bytes() == before
    assert compaction.temp_files(paths()) == []
    assert "database_compacted" not in actions(unlocked)


def test_a_copy_that_fails_its_check_is_dropped(vault: Fragmented, unlocked: Session,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "check_copy", lambda path, key, expected: ["broken"])
    old = paths().database.stat().st_ino
    with pytest.raises(StorageError) as refused:
        compaction.compact(unlocked)
    assert "did not pass its check" in refused.value.user_message()
    assert paths().database.stat().st_ino == old
    assert compaction.temp_files(paths()) == []
    assert every_case(unlocked) == vault.cases


def test_row_counts_that_differ_are_a_problem(vault: Fragmented, unlocked: Session,
                                              tmp_path: Path) -> None:
    assert unlocked.conn is not None
    copy = tmp_path / "copy.db"
    database.export_into(unlocked.conn, copy, vault.key)
    expected = database.row_counts(unlocked.conn)
    assert expected["records"] > CASES
    assert database.check_copy(copy, vault.key, {**expected, "records": 1}) != []


# -- the command line -------------------------------------------------------------------

def test_the_command_compacts_and_says_by_how_much(vault: Fragmented, run: Run,
                                                   tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    who = ["--profile", NAME, "--passphrase-file", secret]
    before = paths().database.stat().st_size
    code, out, err = run("profile", "compact", *who)
    assert code == 0, err
    assert "Compacting the case file (this can take a few minutes" in err
    found = re.fullmatch(r"The case file went from ([\d.,]+) MiB to ([\d.,]+) MiB \(\d+ s\)\.\n",
                         out)
    assert found, out
    assert float(found[2]) < float(found[1])
    assert paths().database.stat().st_size < before
    code, out, err = run("audit", "verify", *who)
    assert code == 0 and out.startswith("Audit chain intact"), err
    code, out, _err = run("profile", "compact", "--help")
    assert code == 0 and "--passphrase-file" in out
