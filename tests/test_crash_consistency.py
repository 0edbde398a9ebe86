"""SECURITY.md item 1, crash consistency: a child process writes cases, notes and attachments
in a loop, each in its own transaction, and reports every commit; it is killed with SIGKILL at
random moments. After each kill the vault passes SQLite's and SQLCipher's integrity checks,
every reported commit is there, and no half-written record exists.

≥ 200 rounds when ``CI`` is set, else 20. The seed is printed on failure (``CRASH_SEED``
replays a run)."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest
from conftest import PASSPHRASE, NewProfile, OpenProfile
from forkserver import Zygote

from caseapp.services import profile_paths, profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session, open_session
from caseapp.store import database, packing

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

ROUNDS = 200 if os.environ.get("CI") else 20
# Start again from the freshly created profile every so often: each check then reads a
# vault of bounded size, so the whole test stays within a few minutes. A writer is killed
# a random KILL_AFTER seconds after it is ready (it writes ≈ 80 cases a second here); a cycle
# of RESET_EVERY rounds still writes about 100 cases, as long cycles of longer rounds did.
RESET_EVERY = 8
KILL_AFTER = (0.02, 0.3)
NAME = "crash"

# The writer; forked from a zygote that imported the application (see forkserver.py).
WRITER = r"""
import hashlib, os, sys
from caseapp.services import profile_paths, profiles
from caseapp.services.cases import CaseService

name, secret = sys.argv[1], sys.argv[2]
if secret.startswith("key:"):  # the raw database key: skips Argon2 to keep rounds short
    from caseapp.services.session import open_session
    from caseapp.store import database, migrations

    key = bytes.fromhex(secret[4:])
    paths = profile_paths.existing(name)
    conn = database.open_database(paths.database, key)
    migrations.migrate(conn)
    session = open_session(conn, paths, db_key=key)
else:
    session = profiles.unlock(name, secret)
service = CaseService(session)
print("ready", flush=True)
i = 0
while True:
    i += 1
    case_id = service.create({
        "prs_FirstName": f"Crash{i}", "hfz_NameUrdu": "زینب بی بی",
        "hfz_IdentityDocuments": [{"type": "CNIC", "number": f"35202-{i:07d}-2"}],
        "hte_Events": [{"hte_Type": "Recruitment", "hte_City": "Kasur", "hte_Country": "PK"}]}).id
    print("case", case_id, flush=True)
    note_id = service.add_note(case_id, f"Interview {i}: she described the brick kiln.").id
    print("note", case_id, note_id, flush=True)
    data = os.urandom(64 + (i * 97) % 4000)
    attachment_id = service.add_attachment(case_id, f"scan-{i}.jpg", data, "image/jpeg").id
    print("attachment", case_id, attachment_id, hashlib.sha256(data).hexdigest(), flush=True)
    if i % 4 == 0:
        service.update(case_id, {"prs_SecondName": "Bibi", "hfz_Summary": f"edit {i}"})
        print("edit", case_id, flush=True)
"""
# What the zygote imports once, so that a writer starts at once.
PRELOAD = ["caseapp.services.profiles", "caseapp.services.cases", "caseapp.services.session",
           "caseapp.store.migrations"]


@dataclass
class Reported:
    cases: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)             # note -> case
    attachments: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (case, sha)
    edits: set[str] = field(default_factory=set)

    def add(self, line: str) -> None:
        kind, *rest = line.split()
        if kind == "case":
            self.cases.add(rest[0])
        elif kind == "note":
            self.notes[rest[1]] = rest[0]
        elif kind == "attachment":
            self.attachments[rest[1]] = (rest[0], rest[2])
        elif kind == "edit":
            self.edits.add(rest[0])


class Child:
    """One writer; its stdout is read on a thread so the pipe never fills."""

    def __init__(self, zygote: Zygote, stderr: BinaryIO, secret: str) -> None:
        self.stderr = stderr
        # The secret travels in the request to the zygote, not on a command line.
        self.proc = zygote.spawn(WRITER, [NAME, secret], stderr)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):
                break  # cut off mid-line by the kill: never reported
            line = raw.decode().strip()
            if line == "ready":
                self.ready.set()
            else:
                self.lines.append(line)
        self.ready.set()

    def kill_after(self, delay: float) -> int:
        started = self.ready.wait(60)
        if started:
            time.sleep(delay)
        self.proc.kill()
        code = self.proc.wait()
        if not started:
            pytest.fail("the child did not start writing: " + self.error())
        self.thread.join(30)
        self.proc.stdout.close()
        return code

    def error(self) -> str:
        self.stderr.flush()
        return Path(self.stderr.name).read_text(errors="replace")[-2000:]


def count(session: Session, sql: str, params: tuple[object, ...] = ()) -> int:
    assert session.conn is not None
    return int(session.conn.execute(sql, params).fetchone()[0])


def check_vault(session: Session, reported: Reported) -> list[str]:
    """Everything that must hold after a crash; returns the problems found."""
    conn = session.conn
    assert conn is not None
    problems = [f"integrity: {p}" for p in database.check_integrity(conn)]

    # Every reported commit is there, whole.
    for case_id in reported.cases:
        case = session.store.get(case_id)
        if case is None or case.type != "case":
            problems.append(f"reported case {case_id} is missing")
            continue
        person = session.store.get(case.parent or "")
        if person is None or not person.body.get("prs_FirstName", "").startswith("Crash"):
            problems.append(f"reported case {case_id} lost its person")
    for note_id, case_id in reported.notes.items():
        note = session.store.get(note_id)
        if note is None or note.parent != case_id or "brick kiln" not in \
                note.body.get("cco_CaseComment", ""):
            problems.append(f"reported note {note_id} is missing")
    for attachment_id, (case_id, sha) in reported.attachments.items():
        row = conn.execute("SELECT sha256, data FROM attachment_content WHERE record_id = ?",
                           (attachment_id,)).fetchone()
        record = session.store.get(attachment_id)
        if row is None or record is None or record.parent != case_id:
            problems.append(f"reported attachment {attachment_id} is missing")
        elif row[0] != sha or hashlib.sha256(row[1]).hexdigest() != sha \
                or record.body["size"] != len(row[1]):
            problems.append(f"attachment {attachment_id} content differs")
    for case_id in reported.edits:
        case = session.store.get(case_id)
        if case is None or not str(case.body.get("hfz_Summary", "")).startswith("edit "):
            problems.append(f"reported edit of {case_id} is missing")

    # No half-written record anywhere (reported or not).
    checks = {
        "case without its person": "SELECT count(*) FROM records c LEFT JOIN records p "
        "ON p.id = c.parent AND p.type = 'person' WHERE c.type = 'case' AND p.id IS NULL",
        "person without a case": "SELECT count(*) FROM records p WHERE p.type = 'person' AND "
        "NOT EXISTS (SELECT 1 FROM records c WHERE c.parent = p.id "
        "AND c.type = 'case')",
        "case without its historic event": "SELECT count(*) FROM records c WHERE c.type = "
        "'case' AND json_array_length(c.body, '$.hte_Events') IS NOT 1",
        "child record without its case": "SELECT count(*) FROM records r LEFT JOIN records c "
        "ON c.id = r.parent AND c.type = 'case' WHERE r.type IN ('note', 'attachment') "
        "AND c.id IS NULL",
        "attachment without content": "SELECT count(*) FROM records r LEFT JOIN "
        "attachment_content a ON a.record_id = r.id WHERE r.type = 'attachment' AND "
        "a.record_id IS NULL",
        "content without its record": "SELECT count(*) FROM attachment_content a LEFT JOIN "
        "records r ON r.id = a.record_id WHERE r.id IS NULL",
        "record without a logged change": "SELECT count(*) FROM records r WHERE NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.record_id = r.id)",
        "logged change without its record": "SELECT count(*) FROM outbox o LEFT JOIN records r "
        "ON r.id = o.record_id WHERE r.id IS NULL",
        "record newer than its last logged change": "SELECT count(*) FROM records r WHERE "
        "r.hlc != (SELECT max(o.hlc) FROM outbox o WHERE o.record_id = r.id)",
        "live count differs from the records": "SELECT count(*) FROM (SELECT type, count(*) n "
        "FROM records WHERE deleted = 0 GROUP BY type) r LEFT JOIN counts k ON k.type = r.type "
        "WHERE k.live IS NOT r.n",
        "case not in the search index": "SELECT count(*) FROM records c WHERE c.type = 'case' "
        "AND c.rowid NOT IN (SELECT rowid FROM search)",
        "case without its audit event": "SELECT count(*) FROM records c WHERE c.type = 'case' "
        "AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.record_id = c.id AND "
        "a.action = 'case_created')",
        "note without its audit event": "SELECT count(*) FROM (SELECT parent, count(*) n FROM "
        "records WHERE type = 'note' GROUP BY parent) r WHERE r.n != (SELECT count(*) FROM "
        "audit a WHERE a.record_id = r.parent AND a.action = 'note_added')",
        "attachment without its audit event": "SELECT count(*) FROM (SELECT parent, count(*) n "
        "FROM records WHERE type = 'attachment' GROUP BY parent) r WHERE r.n != (SELECT "
        "count(*) FROM audit a WHERE a.record_id = r.parent AND a.action = "
        "'attachment_added')",
        "audit event for a missing case": "SELECT count(*) FROM audit a WHERE a.record_id IS "
        "NOT NULL AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = a.record_id)",
    }
    # Every change here is local: the outbox view reads the change log with its ids and clocks
    # in text (the table keeps them packed).
    for problem, sql in checks.items():
        n = count(session, sql)
        if n:
            problems.append(f"{n} × {problem}")

    cases = count(session, "SELECT count(*) FROM records WHERE type = 'case'")
    counter = conn.execute("SELECT value FROM meta WHERE key = 'case_counter'").fetchone()
    if cases != (int(counter[0]) if counter else 0):
        problems.append(f"case counter {counter} does not match {cases} cases")
    numbers = count(session, "SELECT count(DISTINCT json_extract(body, '$.hfz_CaseNumber')) "
                             "FROM records WHERE type = 'case'")
    if numbers != cases:
        problems.append("case numbers are not unique")
    hlc = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
    if hlc and hlc[0] != conn.execute("SELECT max(hlc) FROM outbox").fetchone()[0]:
        problems.append("the stored clock is not the newest change's")
    report = session.verify_audit()
    if not report.ok:
        problems.append(f"audit chain broken at {report.broken_at}: {report.reason}")
    return problems


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path: Path, caseapp_home: Path,
                                   new_profile: NewProfile) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    pristine = tmp_path / "pristine"
    created = new_profile("administrator", NAME)
    with profiles.unlock(NAME, PASSPHRASE) as session:
        key = session.db_key
    shutil.copytree(created.folder, pristine)
    paths = profile_paths.paths(NAME)
    zygote = Zygote(PRELOAD, env={**os.environ, "CASEAPP_HOME": str(caseapp_home)})
    try:
        with (tmp_path / "child-stderr.txt").open("wb") as stderr:
            _kill_and_check(zygote, stderr, rng, seed, key, pristine, paths)
    finally:
        zygote.close()


def _kill_and_check(zygote: Zygote, stderr: BinaryIO, rng: random.Random, seed: int,
                    key: bytes, pristine: Path, paths: profile_paths.ProfilePaths) -> None:

    reported = Reported()
    totals = {"cases": 0, "notes": 0, "attachments": 0, "cut": 0}
    started = time.monotonic()
    for round_no in range(1, ROUNDS + 1):
        if round_no % RESET_EVERY == 1 and round_no > 1:
            shutil.rmtree(paths.folder)
            shutil.copytree(pristine, paths.folder)
            reported = Reported()
        # Every tenth child unlocks with the passphrase as a user would (Argon2 takes a
        # while on purpose, and the kill comes only after the unlock anyway); the others
        # open the vault with its key.
        secret = PASSPHRASE if round_no % 10 == 1 else f"key:{key.hex()}"
        child = Child(zygote, stderr, secret)
        code = child.kill_after(rng.uniform(*KILL_AFTER))
        context = f"round {round_no}, seed {seed} (CRASH_SEED={seed} replays)"
        assert code == -signal.SIGKILL, f"{context}: child ended by itself: {child.error()}"
        for line in child.lines:
            reported.add(line)
        totals["cases"] += sum(1 for line in child.lines if line.startswith("case "))
        totals["notes"] += sum(1 for line in child.lines if line.startswith("note "))
        totals["attachments"] += sum(1 for line in child.lines if line.startswith("attach"))

        conn = database.open_database(paths.database, key)
        with open_session(conn, paths, db_key=key) as session:
            problems = check_vault(session, reported)
            # Something was committed after the last report (killed between commit and
            # print) or the last report was the last commit; either is consistent.
            if count(session, "SELECT count(*) FROM records WHERE type = 'case'") > \
                    len(reported.cases):
                totals["cut"] += 1
        assert problems == [], f"{context}: {problems}"
        # The owner can still unlock with the passphrase (checked now and then: Argon2).
        if round_no % 25 == 0:
            profiles.unlock(NAME, PASSPHRASE).close()

    elapsed = time.monotonic() - started
    print(f"{ROUNDS} kills in {elapsed:.0f} s: {totals}")
    assert totals["cases"] >= ROUNDS  # the kills really landed in the middle of work
    assert totals["attachments"] > 0 and totals["notes"] > 0


def test_the_checks_find_half_written_records(open_profile: OpenProfile) -> None:
    """The checker itself can fail: remove one part of a whole write at a time."""
    session = open_profile()
    try:
        service = CaseService(session)
        reported = Reported()
        for i in range(3):
            case_id = service.create({"prs_FirstName": f"Crash{i}", "hte_Events": [
                {"hte_Type": "Transit", "hte_City": "Quetta", "hte_Country": "PK"}]}).id
            reported.add(f"case {case_id}")
            data = os.urandom(100)
            reported.add(f"note {case_id} {service.add_note(case_id, 'the brick kiln').id}")
            attachment = service.add_attachment(case_id, "a.jpg", data, "image/jpeg").id
            reported.add(f"attachment {case_id} {attachment} "
                         f"{hashlib.sha256(data).hexdigest()}")
        assert check_vault(session, reported) == []
        conn = session.conn
        assert conn is not None
        cases = sorted(reported.cases)
        note = next(iter(reported.notes))
        attachment = next(iter(reported.attachments))
        person = session.store.get(cases[0])
        assert person is not None
        tampering = [
            ("DELETE FROM records WHERE id = ?", (person.parent,), "lost its person"),
            ("DELETE FROM attachment_content WHERE record_id = ?", (attachment,),
             "attachment without content"),
            ("DELETE FROM changes WHERE record_id = ?", (packing.pack_id(note),),
             "record without a logged change"),
            ("DELETE FROM records WHERE type = 'case' AND id = ?", (cases[1],),
             "reported case"),
            ("UPDATE meta SET value = '99' WHERE key = 'case_counter'", (), "case counter"),
            ("UPDATE counts SET live = live + 1 WHERE type = 'note'", (),
             "live count differs from the records"),
            ("DELETE FROM audit WHERE seq = 3", (), "audit chain broken"),
        ]
        for sql, params, expected in tampering:
            with session.write():
                conn.execute(sql, params)
            problems = check_vault(session, reported)
            assert any(expected in p for p in problems), (expected, problems)
    finally:
        session.close()
