"""Issue 7, item 12: a rewritten keyslot file does not leave the previous one readable, and
the recovery code can be replaced on its own (``caseapp profile new-recovery-code``).

The attack: keep (or find on the disk) the old keyslot file after a passphrase change, and
open it with the old passphrase — which the owner changed because it leaked. Before, the
atomic rename freed the old file's blocks untouched: an open descriptor (standing in for
the blocks on the disk) still read the whole old file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile, Run

from caseapp.crypto import recovery
from caseapp.crypto.kdf import FLOOR
from caseapp.errors import WrongPassphrase
from caseapp.services import profiles

NEW = "copper kettle winter meadow"


def opens(name: str, secret: str) -> bool:
    try:
        profiles.unlock(name, secret).close()
    except WrongPassphrase:
        return False
    return True


def old_blocks(path: Path) -> tuple[int, bytes]:
    """A descriptor on the file as it is now, and its bytes."""
    return os.open(path, os.O_RDONLY), path.read_bytes()


def assert_overwritten(fd: int, original: bytes) -> None:
    try:
        left = os.pread(fd, len(original) + 16, 0)
    finally:
        os.close(fd)
    assert left != original
    wrapped = [s["wrapped"].encode() for s in json.loads(original)["slots"]]
    assert not any(w in left for w in wrapped)
    assert b"argon2id" not in left


def test_a_passphrase_change_overwrites_the_old_keyslot_file(new_profile: NewProfile) -> None:
    created = new_profile()
    keyslots = created.folder / "keyslots.json"
    fd, original = old_blocks(keyslots)
    profiles.change_passphrase(created.name, PASSPHRASE, NEW, params=FLOOR)
    assert_overwritten(fd, original)
    assert opens(created.name, NEW)
    assert not opens(created.name, PASSPHRASE)
    assert [p.name for p in created.folder.iterdir() if p.name.endswith(".retired")] == []


def test_a_key_rotation_overwrites_every_earlier_keyslot_file(new_profile: NewProfile) -> None:
    created = new_profile()
    keyslots = created.folder / "keyslots.json"
    descriptors = []
    real_save = profiles.KeyslotFile.save

    def save(self: profiles.KeyslotFile, path: Path) -> None:
        descriptors.append(old_blocks(path))
        real_save(self, path)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(profiles.KeyslotFile, "save", save)
        code = profiles.rotate_database_key(created.name, PASSPHRASE, params=FLOOR)
    # The original file and the one holding both keys, each overwritten in its turn.
    assert len(descriptors) == 2
    for fd, original in descriptors:
        assert_overwritten(fd, original)
    assert opens(created.name, code)
    assert not opens(created.name, created.recovery_code)
    assert keyslots.exists()


def test_a_new_recovery_code_replaces_the_old_one_alone(new_profile: NewProfile) -> None:
    created = new_profile()
    fd, original = old_blocks(created.folder / "keyslots.json")
    with profiles.unlock(created.name, PASSPHRASE) as session:
        code = profiles.new_recovery_code(session)
        assert session.audit.events()[0]["action"] == "recovery_code_replaced"
    assert_overwritten(fd, original)
    assert recovery.looks_like_code(code) and code != created.recovery_code
    assert opens(created.name, code)
    assert not opens(created.name, created.recovery_code)
    assert opens(created.name, PASSPHRASE)
    kinds = [s["kind"] for s in json.loads((created.folder / "keyslots.json").read_bytes())[
        "slots"]]
    assert sorted(kinds) == ["passphrase", "recovery"]


def test_a_killed_rewrite_leaves_nothing_readable_after_the_next_unlock(
        new_profile: NewProfile) -> None:
    created = new_profile()
    keyslots = created.folder / "keyslots.json"
    # A kill after the new file was in place: the old file's second name is left.
    stale = created.folder / ".keyslots.json.0123456789ab.retired"
    stale.write_bytes(keyslots.read_bytes())
    fd = os.open(stale, os.O_RDONLY)
    # A kill before the replace: the second name is still the live file (never overwritten).
    live = created.folder / ".keyslots.json.ba9876543210.retired"
    os.link(keyslots, live)
    assert opens(created.name, PASSPHRASE)
    assert not stale.exists() and not live.exists()
    assert_overwritten(fd, keyslots.read_bytes())
    assert opens(created.name, PASSPHRASE)


def test_cli_new_recovery_code(run: Run, cli_profile: NewProfile, tmp_path: Path) -> None:
    who = cli_profile()
    code, out, err = run("profile", "new-recovery-code", *who)
    assert code == 0, err
    new_code = out.strip().splitlines()[-1]
    assert recovery.looks_like_code(new_code)
    assert opens(str(who[1]), new_code)
