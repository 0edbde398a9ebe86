"""SECURITY.md item 2: a crash (SIGKILL) at any step of a passphrase change or a database key
rotation leaves a vault that opens with the old or the new secret, never neither, and passes
SQLite's and SQLCipher's integrity checks.

Each operation runs in a child process that kills itself at a chosen point: before, during or
after each atomic file replace, inside the audit transaction, around ``PRAGMA rekey`` and at
each ``after_step`` of the rotation. A slow test also kills the rotation at random moments.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest
from conftest import PASSPHRASE, NewProfile
from forkserver import Forked, Zygote
from unlock_clock import HourlyClock

from caseapp.crypto.kdf import FLOOR
from caseapp.errors import WrongPassphrase
from caseapp.services import profiles
from caseapp.store import database

NEW_PASSPHRASE = "copper kettle winter meadow"
CANARY = "CANARY-crash-7c1e"
REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, signal, sys, types

import caseapp.fsutil as fsutil
from caseapp.crypto import kdf, recovery
from caseapp.services import profiles
from caseapp.store import audit, database

args = json.loads(sys.argv[1])
kill_at = args["kill_at"]


def report(**item):
    print(json.dumps(item), flush=True)


def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


# File writes: count the atomic replaces, die before/after one or halfway through its data.
class OsProxy(types.ModuleType):
    def __getattr__(self, name):
        return getattr(os, name)


replaces = [0]
proxy = OsProxy("os")


def replace(src, dst):
    replaces[0] += 1
    point = f"replace{replaces[0]}"
    if kill_at == point + ":before":
        die()
    os.replace(src, dst)
    if kill_at == point + ":after":
        die()


def write(fd, data):
    if kill_at == f"replace{replaces[0] + 1}:mid-write" and len(data) > 1:
        os.write(fd, bytes(data[: len(data) // 2]))
        die()
    return os.write(fd, data)


proxy.replace = replace
proxy.write = write
fsutil.os = proxy

# Database steps: inside the audit transaction (before COMMIT), and just before the rekey.
real_append = audit.AuditLog.append


def append(self, *a, **k):
    seq = real_append(self, *a, **k)
    if kill_at == "audit:in-transaction":
        die()
    return seq


audit.AuditLog.append = append
real_rekey = database.rekey


def rekey(conn, key):
    if kill_at == "rekey:before":
        die()
    real_rekey(conn, key)


database.rekey = rekey

# The parent must learn a new recovery code before any slot sealed with it reaches the disk.
real_generate = recovery.generate


def generate():
    code = real_generate()
    report(code=code)
    return code


recovery.generate = generate

# Argon2 runs are reported, so the random-kill test can aim at the moments between them
# (a kill inside Argon2 changes nothing on disk; the fixed kill points cover "before").
real_derive = kdf.derive
derives = [0]


def derive(*a, **k):
    derives[0] += 1
    report(step=f"argon2-start-{derives[0]}")
    key = real_derive(*a, **k)
    report(step=f"argon2-end-{derives[0]}")
    return key


kdf.derive = derive


def after_step(step):
    report(step=step)
    if kill_at == "step:" + step:
        die()


report(step="go")
if args["op"] == "change":
    profiles.change_passphrase(args["name"], args["old"], args["new"], params=kdf.FLOOR)
else:
    profiles.rotate_database_key(args["name"], args["passphrase"], params=kdf.FLOOR,
                                 after_step=after_step)
report(step="done")
"""


@dataclass
class ChildResult:
    returncode: int
    steps: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    stderr: str = ""


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """The children are forked from here (see forkserver.py): no Python start-up each."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    forks = Zygote(["caseapp.services.profiles", "caseapp.store.audit"], env=env, cwd=REPO)
    yield forks
    forks.close()


class Spawn:
    """Starts this test's children: CHILD with its JSON arguments, in this test's
    CASEAPP_HOME (set by the autouse fixture), stderr kept in a file of tmp_path."""

    def __init__(self, zygote: Zygote, folder: Path) -> None:
        self.zygote = zygote
        self.folder = folder
        self.count = 0

    def __call__(self, args: dict[str, str]) -> tuple[Forked, BinaryIO]:
        self.count += 1
        stderr = (self.folder / f"child-{self.count}.stderr").open("w+b")
        child = self.zygote.spawn(CHILD, [json.dumps(args)], stderr,
                                  env={"CASEAPP_HOME": os.environ["CASEAPP_HOME"]})
        return child, stderr


@pytest.fixture
def spawn(zygote: Zygote, tmp_path: Path) -> Spawn:
    return Spawn(zygote, tmp_path)


def read_all(stderr: BinaryIO) -> str:
    stderr.seek(0)
    text = stderr.read().decode(errors="replace")
    stderr.close()
    return text


def parse(stdout: str, returncode: int, stderr: str) -> ChildResult:
    result = ChildResult(returncode, stderr=stderr)
    for line in stdout.splitlines():
        item = json.loads(line)
        if "step" in item:
            result.steps.append(item["step"])
        if "code" in item:
            result.codes.append(item["code"])
    return result


def run_child(spawn: Spawn, args: dict[str, str]) -> ChildResult:
    child, stderr = spawn(args)
    returncode, out = child.communicate(timeout=120)
    err = read_all(stderr)
    result = parse(out.decode(), returncode, err)
    if args["kill_at"] == "none":
        assert returncode == 0, err
        assert result.steps[-1] == "done"
    else:
        assert returncode == -signal.SIGKILL, (args["kill_at"], err)
        assert "done" not in result.steps
    return result


def opens(name: str, secret: str, clock: HourlyClock) -> bool:
    try:
        session = profiles.unlock(name, secret, clocks=clock.clocks)
    except WrongPassphrase:
        return False
    try:
        assert database.check_integrity(session.conn) == []  # type: ignore[arg-type]
        problems = session.conn.execute("PRAGMA integrity_check").fetchall()  # type: ignore[union-attr]
        assert problems == [("ok",)]
        assert session.verify_audit().ok
        found = session.conn.execute(  # type: ignore[union-attr]
            "SELECT body FROM records WHERE type = 'case'").fetchall()
        assert [json.loads(b)["summary"] for (b,) in found] == [CANARY]
    finally:
        session.close()
    return True


@pytest.fixture
def profile_with_case(new_profile: NewProfile) -> tuple[profiles.CreatedProfile, str]:
    created = new_profile()
    with profiles.unlock(created.name, PASSPHRASE) as session, session.write():
        session.store.create("case", {"summary": CANARY}, team=session.team_id)
    return created, PASSPHRASE


# -- passphrase change ---------------------------------------------------------------------

# kill point -> which passphrase must open the vault afterwards. Atomic writes: the unlock
# state counting the attempt before the key derivation (1), its fresh signed checkpoint once
# the passphrase opened the slot (2), the keyslot file, written inside the transaction of the
# audit event (3: no change without its event), the signed audit head (4).
CHANGE_POINTS = {
    "replace1:mid-write": "old",
    "replace1:after": "old",
    "replace2:before": "old",
    "replace2:after": "old",
    "audit:in-transaction": "old",
    "replace3:mid-write": "old",
    "replace3:before": "old",
    "replace3:after": "new",
    "replace4:mid-write": "new",
    "replace4:before": "new",
    "replace4:after": "new",
    "none": "new",
}


@pytest.mark.parametrize("kill_at", list(CHANGE_POINTS))
def test_crash_during_passphrase_change(profile_with_case: tuple[profiles.CreatedProfile, str],
                                        spawn: Spawn, kill_at: str) -> None:
    created, old = profile_with_case
    run_child(spawn, {"op": "change", "kill_at": kill_at, "name": created.name, "old": old,
               "new": NEW_PASSPHRASE})
    clock = HourlyClock()
    old_opens = opens(created.name, old, clock)
    new_opens = opens(created.name, NEW_PASSPHRASE, clock)
    assert old_opens or new_opens, "the vault opens with neither passphrase"
    expected = CHANGE_POINTS[kill_at]
    assert (old_opens, new_opens) == (expected == "old", expected == "new")
    assert opens(created.name, created.recovery_code, clock)
    # Whatever state the crash left, the next change goes through.
    current = old if old_opens else NEW_PASSPHRASE
    profiles.change_passphrase(created.name, current, "amber pigeon salt ladder",
                               params=FLOOR)
    assert opens(created.name, "amber pigeon salt ladder", clock)


# -- database key rotation -----------------------------------------------------------------

# kill point -> which recovery code must open the vault afterwards (the passphrase always
# does). Atomic writes: the unlock state (1: the attempt counted, 2: its fresh checkpoint),
# slots with old+new key (3), slots with the new key (4), the audit head (5).
ROTATION_POINTS = {
    "replace1:after": "old",
    "replace2:after": "old",
    "replace3:mid-write": "old",
    "replace3:before": "old",
    "replace3:after": "new",
    "step:slots-both": "new",
    "rekey:before": "new",
    "step:rekeyed": "new",
    "replace4:mid-write": "new",
    "replace4:before": "new",
    "replace4:after": "new",
    "step:slots-new": "new",
    "audit:in-transaction": "new",
    "replace5:before": "new",
    "none": "new",
}


@pytest.mark.parametrize("kill_at", list(ROTATION_POINTS))
def test_crash_during_key_rotation(profile_with_case: tuple[profiles.CreatedProfile, str],
                                   spawn: Spawn, kill_at: str) -> None:
    created, passphrase = profile_with_case
    result = run_child(spawn, {"op": "rotate", "kill_at": kill_at, "name": created.name,
                        "passphrase": passphrase})
    clock = HourlyClock()
    if kill_at in ("replace1:after", "replace2:after"):
        # Killed while the attempt was being counted, before a new code existed.
        assert result.codes == []
        assert opens(created.name, passphrase, clock)
        assert opens(created.name, created.recovery_code, clock)
        return
    assert len(result.codes) == 1
    new_code = result.codes[0]
    assert opens(created.name, passphrase, clock), "the passphrase no longer opens the vault"
    old_opens = opens(created.name, created.recovery_code, clock)
    new_opens = opens(created.name, new_code, clock)
    assert old_opens or new_opens, "the vault opens with neither recovery code"
    expected = ROTATION_POINTS[kill_at]
    assert (old_opens, new_opens) == (expected == "old", expected == "new")


def rotate_in_child(spawn: Spawn, name: str, passphrase: str,
                    kill_after: tuple[str, float] | None,
                    ) -> tuple[ChildResult, dict[str, float]]:
    """Run an uncut rotation in a child; with ``kill_after=(step, delay)`` SIGKILL it
    ``delay`` seconds after it reports ``step``. Also returns when each step was reported."""
    child, stderr = spawn({"op": "rotate", "kill_at": "none", "name": name,
                           "passphrase": passphrase})
    start = time.monotonic()
    seen: list[str] = []
    timings: dict[str, float] = {}
    for raw in child.stdout:
        line = raw.decode()
        seen.append(line)
        step = json.loads(line).get("step")
        if step:
            timings[step] = time.monotonic() - start
        if kill_after is not None and step == kill_after[0]:
            time.sleep(kill_after[1])
            child.kill()
            break
    returncode, out = child.communicate(timeout=120)
    return parse("".join(seen) + out.decode(), returncode, read_all(stderr)), timings


@pytest.mark.slow
def test_rotation_killed_at_random_moments(
        profile_with_case: tuple[profiles.CreatedProfile, str], spawn: Spawn) -> None:
    created, passphrase = profile_with_case
    # Enough data that PRAGMA rekey takes a while and random kills land inside it too.
    with profiles.unlock(created.name, passphrase) as session, session.write():
        for i in range(300):
            session.store.create("note", {"text": os.urandom(6000).hex(), "n": i},
                              team=session.team_id)
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)  # noqa: S311 (kill timing, not a secret)
    clock = HourlyClock()

    # One uncut rotation measures how long each phase takes here: the stretches between
    # reported steps, except those spent inside Argon2 (nothing reaches the disk there, and
    # they are most of the time). Each round then kills at a random moment of one phase in
    # turn: opening the vault, each keyslot write, the rekey, the audit and lock at the end
    # (and a little past it, so some rounds finish).
    first, timings = rotate_in_child(spawn, created.name, passphrase, None)
    assert first.returncode == 0, first.stderr
    current_code = first.codes[0]
    steps = sorted(timings, key=timings.__getitem__)
    assert steps[0] == "go" and steps[-1] == "done", steps
    phases = {a: max(timings[b] - timings[a], 0.01) for a, b in zip(steps, steps[1:],
                                                                   strict=False)
              if not a.startswith("argon2-start-")}
    assert {"go", "slots-both", "rekeyed", "slots-new"} <= set(phases), phases

    outcomes = {"killed": 0, "finished": 0, "old-code": 0, "new-code": 0}
    for round_no in range(2 * len(phases)):
        marker = list(phases)[round_no % len(phases)]
        kill_after = (marker, rng.uniform(0, phases[marker] * 1.3))
        result, _ = rotate_in_child(spawn, created.name, passphrase, kill_after)
        context = f"seed {seed}, round {round_no}, {kill_after[1]:.3f} s after {kill_after[0]}"
        assert result.returncode in (0, -signal.SIGKILL), (context, result.stderr)
        outcomes["finished" if result.returncode == 0 else "killed"] += 1

        assert opens(created.name, passphrase, clock), f"passphrase lost: {context}"
        candidates = [*result.codes[-1:], current_code]
        working = [c for c in candidates if opens(created.name, c, clock)]
        assert working, f"neither recovery code opens the vault: {context}"
        assert len(working) == 1, context
        outcomes["old-code" if working[0] == current_code else "new-code"] += 1
        current_code = working[0]

    print(f"seed {seed}: {outcomes}; phases (s): "
          + ", ".join(f"{k} {v:.3f}" for k, v in phases.items()))
    assert outcomes["killed"] >= 10, outcomes
