"""SECURITY.md items 16 and 17 for what a laptop's thief, or a damaged disk, can put in front
of the app before any key is known: the keyslot file, the unlock-state file, and the pictures
the desktop decodes. Each parser either reads the input or raises the project's own error —
never another exception, never a hang (``no_hang``), never a change to a genuine file."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import NewProfile
from fuzz_helpers import FUZZ, json_files, no_hang
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.crypto.kdf import FLOOR, KdfTooWeak
from caseapp.crypto.keyslots import KeyslotFile, KeyslotFileError
from caseapp.errors import CaseAppError
from caseapp.services import profile_paths, profiles, unlock_guard


def genuine(path: Path) -> Any:
    return json.loads(path.read_bytes())


# -- keyslots.json ---------------------------------------------------------------------------

@pytest.fixture
def profile(new_profile: NewProfile) -> profile_paths.ProfilePaths:
    created = new_profile()
    return profile_paths.existing(created.name)


@FUZZ
@given(data=st.data())
def test_a_damaged_keyslot_file_is_refused_with_the_keyslot_error(
        profile: profile_paths.ProfilePaths, data: st.DataObject) -> None:
    original = profile.keyslots.read_bytes()
    content = data.draw(json_files(json.loads(original)))
    profile.keyslots.write_bytes(content)
    try:
        with no_hang(5):
            loaded = KeyslotFile.load(profile.keyslots)
    except (KeyslotFileError, KdfTooWeak):
        return
    finally:
        profile.keyslots.write_bytes(original)
    # What loads is a file of slots whose parameters are within floor and ceiling: opening
    # one costs what a slot written here could cost, never an overflow or hours.
    for slot in loaded.slots:
        assert slot.params.memory_kib >= FLOOR.memory_kib and slot.params.iterations >= 3
        assert slot.params.memory_kib <= 4 * 1024 * 1024 and slot.params.iterations <= 1000
        assert isinstance(slot.salt, bytes) and isinstance(slot.wrapped, bytes)


@pytest.mark.parametrize("value", [10**30, 2**64, float("inf"), -1, 1.5, "65536", True,
                                   None, [65536], 5 * 1024 * 1024])
@pytest.mark.parametrize("field", ["memory_kib", "iterations", "lanes"])
def test_argon2_parameters_that_no_slot_holds_are_refused_before_any_derivation(
        profile: profile_paths.ProfilePaths, field: str, value: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the fuzz test above: ``Infinity`` gave an OverflowError (an unexpected
    error, exit 70), and 10**30 KiB reached Argon2id. Now the file is damaged, plainly."""
    data = genuine(profile.keyslots)
    data["slots"][0]["kdf"][field] = value
    profile.keyslots.write_text(json.dumps(data))
    derived: list[object] = []
    monkeypatch.setattr("caseapp.crypto.kdf.derive", lambda *a: derived.append(a))
    with pytest.raises((KeyslotFileError, KdfTooWeak)):
        KeyslotFile.load(profile.keyslots)
    with pytest.raises(CaseAppError) as info:
        profiles.unlock(profile.name, "river lamp seven orchard")
    assert isinstance(info.value, KeyslotFileError | KdfTooWeak)
    assert derived == []


def test_json_nested_deeper_than_python_follows_is_a_damaged_file(
        profile: profile_paths.ProfilePaths) -> None:
    profile.keyslots.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(KeyslotFileError):
        KeyslotFile.load(profile.keyslots)


# -- unlock-state.json -----------------------------------------------------------------------

@settings(FUZZ, max_examples=60)  # each example follows a 4,096-step hash chain 3 times
@given(data=st.data())
def test_any_unlock_state_file_reads_as_a_state_and_a_damaged_one_as_the_strictest(
        profile: profile_paths.ProfilePaths, data: st.DataObject) -> None:
    slots = KeyslotFile.load(profile.keyslots)
    original = profile.unlock_state.read_bytes()
    genuine_state = unlock_guard.load(profile, slots)
    assert not genuine_state.strict and genuine_state.failures == 0
    content = data.draw(json_files(json.loads(original)))
    profile.unlock_state.write_bytes(content)
    try:
        with no_hang(5):
            state = unlock_guard.load(profile, slots)
            wait = unlock_guard.wait_seconds(profile)
            left = profiles.attempts_before_erase(profile.name)
    finally:
        profile.unlock_state.write_bytes(original)
    assert isinstance(state, unlock_guard.GuardState) and state.failures >= 0
    assert 0 <= wait <= unlock_guard.MAX_DELAY
    if state.strict:
        assert wait == unlock_guard.MAX_DELAY and left is not None and left <= 5
    else:
        # Only a file that still carries the genuine signed checkpoint reads as not strict,
        # and then with the genuine policy (none) and a count on its chain.
        parsed = json.loads(content)
        assert bytes.fromhex(parsed["signature"]) == \
            bytes.fromhex(json.loads(original)["signature"])
        assert state.erase_after is None and left is None


# -- pictures the desktop decodes (attachments) ----------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, payload: bytes, depth: int = 8, colour: int = 6) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) +
            _chunk(b"IDAT", zlib.compress(payload)) + _chunk(b"IEND", b""))


def gif(width: int, height: int, tail: bytes) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) + b"\0" * 768 + tail


def bmp(width: int, height: int, tail: bytes) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + len(tail), 0, 0, 54) + info + tail


SIDES = st.one_of(st.integers(0, 64), st.sampled_from([1, 7000, 30_000, 65_535, 2**31 - 1,
                                                       2**32 - 1]))


@st.composite
def pictures(draw: st.DrawFn) -> tuple[bytes, int]:
    """(bytes, pixels the header claims, 0 if unknown)."""
    kind = draw(st.sampled_from(["png", "gif", "bmp", "bytes", "flipped"]))
    width, height = draw(SIDES), draw(SIDES)
    payload = draw(st.sampled_from([b"", b"\0" * 1000, b"\xff" * 3000])) + \
        draw(st.binary(max_size=200))
    if kind == "png":
        return png(width, height, payload, draw(st.sampled_from([1, 8, 16])),
                   draw(st.sampled_from([0, 2, 3, 6]))), width * height
    if kind == "gif":
        return gif(min(width, 65_535), min(height, 65_535), payload), \
            min(width, 65_535) * min(height, 65_535)
    if kind == "bmp":
        return bmp(min(width, 2**31 - 1), min(height, 2**31 - 1), payload), \
            min(width, 2**31 - 1) * min(height, 2**31 - 1)
    if kind == "flipped":
        raw = bytearray(png(draw(st.integers(1, 40)), draw(st.integers(1, 40)), payload))
        for _ in range(draw(st.integers(1, 6))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return bytes(raw), 0
    return draw(st.binary(max_size=800)), 0


@FUZZ
@given(picture=pictures())
def test_a_picture_is_shown_or_refused_with_a_message_never_decoded_as_a_bomb(
        qapp: object, picture: tuple[bytes, int]) -> None:
    from ui.case.attachments_tab import MAX_PIXELS, decode_image

    data, claimed = picture
    with no_hang(10):
        shown, problem = decode_image(data)
    assert shown is None or problem is None
    if shown is not None:
        assert shown.width() * shown.height() <= MAX_PIXELS
    if claimed > MAX_PIXELS:
        assert shown is None
