"""Issue 7, item 3 (SECURITY.md item 11): the attacks on the back-off and the erase policy,
each performed here — parallel wrong unlocks, a deleted or edited ``unlock-state.json``, a
stripped keyslot binding, the wall clock moved forward, a kill during the key derivation.

Each was possible before the unlock state was locked, counted before the derivation, signed
and measured on a monotonic clock: 8 parallel wrong unlocks counted 1, deleting the file
reset the count and removed the erase policy, and a clock moved forward skipped the wait.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE

from caseapp.crypto import kdf
from caseapp.crypto.kdf import FLOOR
from caseapp.errors import ProfileError, UnlockBackoff, UnlockStateDamaged, WrongPassphrase
from caseapp.services import profile_paths, profiles, unlock_guard
from caseapp.services.unlock_guard import Clocks

WRONG = "wrong horse copper basket"


class FakeClock:
    """The wall clock and the time since boot, moved separately by the test."""

    def __init__(self) -> None:
        self.wall = time.time_ns() // 1_000_000
        self.boot, self.since_boot = "boot-1", 3_600_000
        self.clocks = Clocks(wall_ms=lambda: self.wall, uptime=lambda: (self.boot,
                                                                          self.since_boot))

    def wait(self, seconds: float) -> None:
        """Real time passes: both clocks move."""
        self.wall += int(seconds * 1000)
        self.since_boot += int(seconds * 1000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def argon2_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each distinct (secret, salt, parameters) through Argon2 once (see test_vault_keyslots)."""
    real = kdf.derive
    known: dict[tuple[bytes, bytes, kdf.Argon2Params], bytes] = {}

    def derive(secret: bytes, salt: bytes, params: kdf.Argon2Params) -> bytes:
        if (secret, salt, params) not in known:
            known[(secret, salt, params)] = real(secret, salt, params)
        return known[(secret, salt, params)]

    monkeypatch.setattr(kdf, "derive", derive)


@pytest.fixture
def created(caseapp_home: Path) -> profiles.CreatedProfile:
    return profiles.create_profile("amina", PASSPHRASE, params=FLOOR)


def state_path(created: profiles.CreatedProfile) -> Path:
    return created.folder / "unlock-state.json"


def read_state(created: profiles.CreatedProfile) -> dict[str, Any]:
    return json.loads(state_path(created).read_bytes())


def chain_count(state: dict[str, Any]) -> int:
    """The failures a state file counts, computed here from the documented construction
    (the link's distance below the signed anchor on a SHA-256 chain of 4096)."""
    link = bytes.fromhex(state["link"])
    anchor = bytes.fromhex(state["checkpoint"]["anchor"])
    for steps in range(4097):
        if link == anchor:
            return 4096 - steps
        link = hashlib.sha256(b"hifazat-unlock-chain-v1" + link).digest()
    raise AssertionError("link not on the chain")


def fail(created: profiles.CreatedProfile, clock: FakeClock) -> None:
    with pytest.raises(WrongPassphrase):
        profiles.unlock(created.name, WRONG, clocks=clock.clocks)


def failed_unlocks_audited(created: profiles.CreatedProfile, clock: FakeClock) -> int:
    with profiles.unlock(created.name, PASSPHRASE, clocks=clock.clocks) as session:
        return [e["action"] for e in session.audit.events()].count("unlock_failed")


def wait_asked(created: profiles.CreatedProfile, clock: FakeClock, secret: str = PASSPHRASE
               ) -> tuple[type[Exception], int]:
    with pytest.raises(UnlockBackoff) as info:
        profiles.unlock(created.name, secret, clocks=clock.clocks)
    seconds = info.value.params["seconds"]
    assert isinstance(seconds, int) and str(seconds) in info.value.user_message()
    return type(info.value), seconds


# -- parallel attempts --------------------------------------------------------------------

def _parallel_wrong_unlocks(name: str, count: int) -> list[int]:
    """``count`` forked processes that each try WRONG at the same moment (released together
    from a pipe); their exit codes: 0 wrong passphrase, 3 erased, 4 refused by the back-off,
    5 no profile (erased before it looked)."""
    go_read, go_write = os.pipe()
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            code = 1
            try:
                os.close(go_write)
                os.read(go_read, 1)
                profiles.unlock(name, WRONG)
            except WrongPassphrase:
                code = 0
            except UnlockBackoff:
                code = 4
            except profiles.ProfileError as exc:
                code = 5 if isinstance(exc, profile_paths.ProfileNotFound) else 3
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)
    os.close(go_read)
    os.write(go_write, b"x" * count)
    os.close(go_write)
    codes = []
    for pid in children:
        _pid, status = os.waitpid(pid, 0)
        codes.append(os.waitstatus_to_exitcode(status))
    return codes


def test_parallel_wrong_unlocks_each_count_and_are_each_audited(
        created: profiles.CreatedProfile, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Without waits every attempt tries the key, so the count is what is measured (before
    # the lock: 8 tried, 1 counted, 7 never audited).
    monkeypatch.setattr(unlock_guard, "backoff_seconds", lambda failures: 0)
    codes = _parallel_wrong_unlocks(created.name, 8)
    assert codes == [0] * 8
    assert chain_count(read_state(created)) == 8
    assert failed_unlocks_audited(created, clock) == 8


def test_parallel_wrong_unlocks_reach_the_erase_policy(
        created: profiles.CreatedProfile, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with profiles.unlock(created.name, PASSPHRASE, clocks=clock.clocks) as session:
        profiles.set_erase_policy(session, 5)
    monkeypatch.setattr(unlock_guard, "backoff_seconds", lambda failures: 0)
    codes = _parallel_wrong_unlocks(created.name, 8)
    # Four plain failures, the fifth erases, the rest find no profile (or an erased one).
    assert sorted(codes)[:5] == [0, 0, 0, 0, 3]
    assert set(sorted(codes)[5:]) <= {3, 5}
    assert not created.folder.exists()


def test_with_the_back_off_parallel_attempts_beyond_the_free_ones_are_refused(
        created: profiles.CreatedProfile, clock: FakeClock) -> None:
    codes = _parallel_wrong_unlocks(created.name, 8)
    # Three free failures; every other attempt finds the wait running and tries nothing.
    assert sorted(codes) == [0, 0, 0, 4, 4, 4, 4, 4]
    assert chain_count(read_state(created)) == 3


# -- a deleted or edited state file ----------------------------------------------------------

def test_deleting_the_unlock_state_gives_the_strictest_state(
        created: profiles.CreatedProfile, clock: FakeClock, argon2_once: None) -> None:
    for _ in range(3):
        fail(created, clock)
    state_path(created).unlink()  # before: the count was reset and the wait skipped
    assert wait_asked(created, clock) == (UnlockStateDamaged, 15 * 60)
    clock.wait(15 * 60 - 1)
    assert wait_asked(created, clock) == (UnlockStateDamaged, 1)
    clock.wait(1)
    with profiles.unlock(created.name, PASSPHRASE, clocks=clock.clocks) as session:
        actions = [e["action"] for e in session.audit.events()]
        notices = [n.user_message() for n in session.notices]
    assert actions[:2] == ["unlock", "unlock_state_damaged"]
    assert any("recorded in the audit log" in n for n in notices)
    # A successful unlock starts a fresh signed record: three free failures again.
    for _ in range(3):
        fail(created, clock)
    assert wait_asked(created, clock) == (UnlockBackoff, 5)


def test_deleting_the_unlock_state_does_not_remove_the_erase_policy(
        created: profiles.CreatedProfile, clock: FakeClock, argon2_once: None) -> None:
    with profiles.unlock(created.name, PASSPHRASE, clocks=clock.clocks) as session:
        profiles.set_erase_policy(session, 8)
    fail(created, clock)
    state_path(created).unlink()  # before: the policy was stored there, and went with it
    assert wait_asked(created, clock, WRONG) == (UnlockStateDamaged, 15 * 60)
    for _ in range(4):
        clock.wait(15 * 60)
        fail(created, clock)
    clock.wait(15 * 60)
    # The strictest state erases after 5 wrong attempts (the smallest policy allowed).
    with pytest.raises(ProfileError) as info:
        profiles.unlock(created.name, WRONG, clocks=clock.clocks)
    assert "erased" in info.value.user_message()
    assert not created.folder.exists()


def _policy_removed(state: dict[str, Any]) -> None:
    state["checkpoint"]["erase_after"] = None


def _count_reset(state: dict[str, Any]) -> None:
    # An attacker's own chain: the link at zero failures under an anchor they made.
    seed = os.urandom(32)
    link = seed
    for _ in range(4096):
        link = hashlib.sha256(b"hifazat-unlock-chain-v1" + link).digest()
    state["checkpoint"]["anchor"], state["link"] = link.hex(), seed.hex()


def _link_garbled(state: dict[str, Any]) -> None:
    state["link"] = os.urandom(32).hex()


def _old_format(state: dict[str, Any]) -> None:
    state.clear()
    state.update({"failures": 0, "last_failure_ms": 0, "erase_after": None, "unreported": []})


def _marked_strict_with_no_wait(state: dict[str, Any]) -> None:
    state["strict"] = True


@pytest.mark.parametrize("edit", [_policy_removed, _count_reset, _link_garbled, _old_format,
                                  _marked_strict_with_no_wait])
def test_an_edited_unlock_state_gives_the_strictest_state(
        created: profiles.CreatedProfile, clock: FakeClock, argon2_once: None,
        edit: Any) -> None:
    with profiles.unlock(created.name, PASSPHRASE, clocks=clock.clocks) as session:
        profiles.set_erase_policy(session, 6)
    for _ in range(4):
        fail(created, clock)
        clock.wait(60)
    state = read_state(created)
    edit(state)
    state_path(created).write_text(json.dumps(state))
    assert wait_asked(created, clock)[0] is UnlockStateDamaged


def test_a_state_signed_by_another_profile_gives_the_strictest_state(
        created: profiles.CreatedProfile, clock: FakeClock, argon2_once: None) -> None:
    # The attacker makes a profile of their own and copies its fresh, validly signed state.
    own = profiles.create_profile("mine", "purple goat violin harbour", params=FLOOR)
    for _ in range(4):
        fail(created, clock)
        clock.wait(60)
    state_path(created).write_bytes(state_path(own).read_bytes())
    assert wait_asked(created, clock)[0] is UnlockStateDamaged


def test_naming_another_state_key_in_the_keyslots_makes_the_right_passphrase_fail(
        created: profiles.CreatedProfile, clock: FakeClock, argon2_once: None) -> None:
    """The other way round: the attacker points the slots at a key whose state they can sign
    (here: that of their own profile, with its state), or removes the binding."""
    own = profiles.create_profile("mine", "purple goat violin harbour", params=FLOOR)
    own_key = json.loads((own.folder / "keyslots.json").read_bytes())["slots"][0]["state_key"]
    for replacement in (own_key, None):
        data = json.loads((created.folder / "keyslots.json").read_bytes())
        for slot in data["slots"]:
            slot["state_key"] = replacement
        (created.folder / "keyslots.json").write_text(json.dumps(data))
        state_path(created).write_bytes(state_path(own).read_bytes())
        clock.wait(3600)
        # The key is in the slot's authenticated header: no oracle for a guesser.
        with pytest.raises(WrongPassphrase):
            profiles.unlock(created.name, PASSPHRASE, clocks=clock.clocks)


# -- clocks -----------------------------------------------------------------------------

def test_moving_the_wall_clock_forward_skips_no_wait(
        created: profiles.CreatedProfile, clock: FakeClock, argon2_once: None) -> None:
    for attempt in range(4):
        clock.wait(5 if attempt else 0)
        fail(created, clock)
    assert wait_asked(created, clock) == (UnlockBackoff, 10)
    clock.wall += 24 * 3600 * 1000  # before: the wait was measured on this clock
    assert wait_asked(created, clock) == (UnlockBackoff, 10)
    clock.wait(6)
    assert wait_asked(created, clock) == (UnlockBackoff, 4)
    # A reboot (time since boot starts again) restarts the wait rather than ending it.
    clock.boot, clock.since_boot = "boot-2", 1_000
    assert wait_asked(created, clock) == (UnlockBackoff, 10)
    clock.wait(10)
    assert failed_unlocks_audited(created, clock) == 4


def test_the_boot_clock_names_this_boot_and_only_moves_forward() -> None:
    boot, first = unlock_guard.boot_clock()
    time.sleep(0.02)
    again, second = unlock_guard.boot_clock()
    assert boot == again and boot
    assert 15 <= second - first < 5_000


# -- a kill during the key derivation ------------------------------------------------------

def test_a_kill_during_the_key_derivation_still_counts_the_attempt(
        created: profiles.CreatedProfile, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An attacker's script kills each attempt that has not succeeded within the time a
    right passphrase takes, hoping no failure is written. Before, it was counted only after
    the derivation failed."""
    ready_read, ready_write = os.pipe()
    real = kdf.derive

    def announce_then_hang(secret: bytes, salt: bytes, params: kdf.Argon2Params) -> bytes:
        os.write(ready_write, b"x")
        time.sleep(30)
        return real(secret, salt, params)

    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        monkeypatch.setattr(kdf, "derive", announce_then_hang)
        try:
            profiles.unlock(created.name, WRONG)
        finally:
            os._exit(1)
    os.close(ready_write)
    assert os.read(ready_read, 1) == b"x"
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(ready_read)
    assert chain_count(read_state(created)) == 1
    assert failed_unlocks_audited(created, clock) == 1


# -- vaults written before the signed state ---------------------------------------------------

VAULTS = Path(__file__).resolve().parent / "data" / "vaults"


@pytest.mark.parametrize("version", [1, 3])
def test_an_older_vault_is_bound_at_its_first_unlock_and_keeps_its_policy(
        caseapp_home: Path, clock: FakeClock, argon2_once: None, version: int) -> None:
    folder = profile_paths.home() / "fixture"
    shutil.copytree(VAULTS / f"v{version}", folder)
    # What the earlier version wrote for two failures and a policy of 7.
    (folder / "unlock-state.json").write_text(json.dumps(
        {"failures": 2, "last_failure_ms": clock.wall, "erase_after": 7,
         "unreported": [clock.wall - 1000, clock.wall]}))
    with profiles.unlock("fixture", PASSPHRASE, clocks=clock.clocks) as session:
        actions = [e["action"] for e in session.audit.events()]
        assert profiles.erase_policy(session) == 7
    assert actions[:3] == ["unlock", "unlock_failed", "unlock_failed"]
    slots = json.loads((folder / "keyslots.json").read_bytes())["slots"]
    passphrase_slot = next(s for s in slots if s["kind"] == "passphrase")
    assert passphrase_slot["version"] == 2 and passphrase_slot["state_key"]
    assert read_state_at(folder)["checkpoint"]["erase_after"] == 7
    # From now on a deleted state file is noticed.
    (folder / "unlock-state.json").unlink()
    with pytest.raises(UnlockStateDamaged):
        profiles.unlock("fixture", PASSPHRASE, clocks=clock.clocks)
    clock.wait(15 * 60)
    with profiles.unlock("fixture", PASSPHRASE, clocks=clock.clocks) as session:
        assert session.verify_audit().ok


def read_state_at(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "unlock-state.json").read_bytes())
