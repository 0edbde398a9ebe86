"""The application object and its contracts for the desktop and sync: one database thread,
a thread-safe clock, a typed error after a lock, one ``Changes`` value per commit."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile

from caseapp.errors import ProfileLocked
from caseapp.services.app import CaseApp, Services
from caseapp.services.cases import CaseService
from caseapp.store import database
from caseapp.store.changes import Changes
from caseapp.store.database import WrongThread
from caseapp.store.dbthread import DbThread
from caseapp.store.hlc import HybridClock


@pytest.fixture
def app(new_profile: NewProfile) -> CaseApp:
    new_profile("caseworker", "amina")
    app = CaseApp(threaded=True)
    app.unlock("amina", PASSPHRASE)
    yield app
    app.close()


def new_case(services: Services) -> str:
    changes = services.cases.create({"prs_FirstName": "Rukhsana", "hfz_NameUrdu": "رخسانہ"})
    assert changes.id is not None
    return changes.id


def test_the_clock_never_hands_out_one_value_twice_across_threads() -> None:
    clock = HybridClock("device")
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _n: [clock.tick() for _ in range(20_000)], range(4)))
    ticks = [t for batch in batches for t in batch]
    assert len(set(ticks)) == 80_000


def test_another_thread_cannot_join_an_open_transaction(app: CaseApp) -> None:
    """A note added from another thread inside someone's open transaction used to be rolled
    back with it, after its id had been returned."""
    case_id = app.run(new_case)
    errors: list[BaseException] = []
    on_thread_b = threading.Event()

    def thread_b(services: Services) -> None:
        try:
            services.cases.add_note(case_id, "Called the family.")
        except BaseException as exc:
            errors.append(exc)
        on_thread_b.set()

    def thread_a(services: Services) -> None:
        with pytest.raises(RuntimeError, match="undo"), services.session.write():
            services.cases.update(case_id, {"hfz_Summary": "Half an edit."})
            worker = threading.Thread(target=thread_b, args=(services,))
            worker.start()
            worker.join()
            raise RuntimeError("undo")

    app.run(thread_a)
    assert on_thread_b.is_set()
    [error] = errors
    assert isinstance(error, WrongThread)
    # Submitted the right way, the note lands on its own, whatever another edit does.
    note = app.submit(lambda s: s.cases.add_note(case_id, "Called the family.")).result()
    app.run(thread_a)
    notes = app.run(lambda s: s.session.store.children(case_id, "note"))
    assert [n.id for n in notes] == [note.id]
    assert "hfz_Summary" not in app.run(lambda s: s.cases.show(case_id))


def test_work_from_many_threads_runs_on_the_database_thread(app: CaseApp) -> None:
    case_id = app.run(new_case)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(lambda n=n: app.run(
            lambda s: s.cases.add_note(case_id, f"Note {n}."))) for n in range(20)]
        ids = [f.result().id for f in futures]
    notes = app.run(lambda s: s.session.store.children(case_id, "note"))
    assert sorted(n.id for n in notes) == sorted(ids) and len(set(ids)) == 20


def test_a_failure_on_the_database_thread_reaches_the_caller() -> None:
    db = DbThread()
    try:
        future = db.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            future.result()
        assert db.call(lambda: "still running") == "still running"
    finally:
        db.stop()


def test_the_database_thread_does_its_idle_work_after_each_pause() -> None:
    pauses: list[float] = []
    backlog = [2]  # steps the upkeep has left after the one it is doing

    def upkeep() -> bool:
        pauses.append(time.monotonic())
        backlog[0] -= 1
        return backlog[0] >= 0

    db = DbThread(idle=upkeep, idle_after=0.05)
    try:
        time.sleep(0.2)
        assert pauses == []  # nothing has run: nothing to follow up
        done = db.call(time.monotonic)
        time.sleep(0.5)
        # a step after the pause, and two more (one a pause) while it said there was more
        assert len(pauses) == 3 and pauses[0] - done >= 0.05
        assert all(b - a >= 0.05 for a, b in zip(pauses, pauses[1:], strict=False))
        db.call(lambda: None)
        time.sleep(0.3)
        assert len(pauses) == 4
    finally:
        db.stop()


def test_failing_idle_work_leaves_the_database_thread_running() -> None:
    def fail() -> bool:
        raise OSError("disk full")

    db = DbThread(idle=fail, idle_after=0.01)
    try:
        db.call(lambda: None)
        time.sleep(0.1)
        assert db.call(lambda: "still running") == "still running"
    finally:
        db.stop()


def main_file(vault: Path, key: bytes, folder: Path, sql: str) -> int:
    """``sql``'s count in the vault's main file alone, without its -wal file (read from a
    copy, so nothing asks the database thread for work)."""
    target = folder / f"main-{time.monotonic_ns()}.db"
    shutil.copyfile(vault, target)
    conn = database.open_database(target, key)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


CASES = "SELECT count(*) FROM records WHERE type = 'case'"
SEGMENTS = "SELECT count(DISTINCT segid) FROM search_idx"  # of the search index


def wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_pause_after_a_save_copies_it_into_the_main_file(app: CaseApp, tmp_path: Path) -> None:
    """A save commits to the -wal file and returns; the copy into the main file (the checkpoint,
    which at a million cases set the save's p95) waits for the database thread to be idle."""
    vault, key = app.run(lambda s: (s.session.paths.database, s.session.db_key))
    before = main_file(vault, key, tmp_path, CASES)
    saved = app.run(lambda s: (new_case(s), main_file(vault, key, tmp_path, CASES))[1])
    assert saved == before  # the save itself left the main file as it was
    wait_for(lambda: main_file(vault, key, tmp_path, CASES) > before)
    assert main_file(vault, key, tmp_path, CASES) == before + 1
    ceiling = app.run(lambda s: s.session.conn.execute("PRAGMA wal_autocheckpoint").fetchone())
    assert ceiling[0] == database.WAL_CEILING_PAGES


def test_a_pause_after_saves_merges_the_search_index(app: CaseApp, tmp_path: Path) -> None:
    """Every save that changes a name adds a segment to the search index; merging them waits
    for a pause (inside a save, it set the p95 of saving an edit at a million cases)."""
    vault, key = app.run(lambda s: (s.session.paths.database, s.session.db_key))
    names = ["Shazia", "Nargis", "Parveen", "Saima", "Farzana", "Bushra", "Tahira", "Nasreen"]

    def rename(s: Services) -> int:
        case_id = new_case(s)
        for name in names:
            s.cases.update(case_id, {"prs_FirstName": name})
        return int(s.session.conn.execute(SEGMENTS).fetchone()[0])

    before = main_file(vault, key, tmp_path, CASES)
    assert app.run(rename) >= len(names)  # one segment a save, none merged yet
    # the idle step merges, then checkpoints: once the main file has the case, it is merged
    wait_for(lambda: main_file(vault, key, tmp_path, CASES) > before)
    assert 1 <= main_file(vault, key, tmp_path, SEGMENTS) <= 2
    assert [c.id for c in app.run(lambda s: s.cases.search("Nasreen"))]  # found after it


def test_every_commit_publishes_one_changes_value(app: CaseApp) -> None:
    seen: list[Changes] = []
    app.events.subscribe(seen.append)
    case_id = app.run(new_case)
    [created] = seen
    assert created.touches("person", "case") and created.cases == {case_id}
    assert not created.remote
    seen.clear()
    app.run(lambda s: s.cases.update(case_id, {"prs_FirstName": "Shazia"}))
    [renamed] = seen
    # The person changed, and so did the case's label (a projection, not a logged change).
    assert renamed.fields == {"prs_FirstName"} and renamed.ids("case") == {case_id}
    seen.clear()
    app.run(lambda s: s.cases.show(case_id))   # a view writes only its audit event
    app.run(lambda s: s.cases.update(case_id, {"prs_FirstName": "Shazia"}))  # no change
    assert seen == []


def test_after_a_lock_services_fail_with_a_typed_error(app: CaseApp) -> None:
    case_id = app.run(new_case)
    service = app.run(lambda s: s.cases)
    app.lock()
    assert app.locked
    for attempt in (lambda: app.run(lambda s: s.cases.show(case_id)),
                    lambda: app.submit(lambda s: s.cases.list()).result(),
                    lambda: app._call(lambda: service.show(case_id)),
                    lambda: app._call(lambda: service.add_note(case_id, "After the lock."))):
        with pytest.raises(ProfileLocked) as caught:
            attempt()
        assert caught.value.user_message() == "The profile is locked; unlock it again."
    app.unlock("amina", PASSPHRASE)
    assert app.run(lambda s: s.cases.show(case_id))["prs_FirstName"] == "Rukhsana"


def test_unlock_runs_on_the_database_thread_and_a_wrong_passphrase_says_so(
        app: CaseApp) -> None:
    app.lock()
    with pytest.raises(Exception) as caught:
        app.unlock("amina", "not the passphrase at all")
    assert "passphrase" in str(caught.value)
    assert app.locked
    app.unlock("amina", PASSPHRASE)
    assert not app.locked and app.profile == "amina"


def test_the_command_line_runs_on_its_own_thread(new_profile: NewProfile) -> None:
    new_profile("caseworker", "bilal")
    app = CaseApp(threaded=False)
    app.unlock("bilal", PASSPHRASE)
    try:
        case_id = app.run(new_case)
        assert app.submit(lambda s: s.cases.show(case_id)).result()["prs_FirstName"] == \
            "Rukhsana"
        # A plain service on the same session works the same way.
        assert app.run(lambda s: CaseService(s.session).list().total) == 1
    finally:
        app.close()


def test_an_undone_savepoint_takes_its_changes_with_it(app: CaseApp) -> None:
    def work(services: Services) -> Changes:
        session = services.session
        with session.write() as tx:
            kept = services.cases.create({"prs_FirstName": "Kept"}).id
            with pytest.raises(RuntimeError), session.savepoint("row"):
                services.cases.create({"prs_FirstName": "Undone"})
                raise RuntimeError("this row fails")
        assert kept is not None
        return tx.changes.with_id(kept)

    changes = app.run(work)
    assert changes.ids("case") == {changes.id}
    assert app.run(lambda s: s.cases.list().total) == 1
