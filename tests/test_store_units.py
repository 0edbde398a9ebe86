"""Unit tests: hybrid logical clocks, UUIDv7 ids, atomic file writes, canonical JSON."""

from __future__ import annotations

import math
import os
import stat
import time
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from caseapp import fsutil
from caseapp.canonical import canonical_json
from caseapp.errors import StorageError
from caseapp.store.hlc import Hlc, HybridClock
from caseapp.store.ids import uuid7

DEVICE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def scripted(times: list[int]) -> Callable[[], int]:
    it: Iterator[int] = iter(times)
    return lambda: next(it)


# -- hybrid logical clock -----------------------------------------------------------------

def assert_strictly_increasing(stamps: list[str]) -> None:
    parsed = [Hlc.parse(s) for s in stamps]
    for a, b in zip(stamps, stamps[1:], strict=False):
        assert a < b, (a, b)
    for a, b in zip(parsed, parsed[1:], strict=False):
        assert (a.wall_ms, a.counter) < (b.wall_ms, b.counter), (a, b)


def test_hlc_is_monotonic_when_the_wall_clock_goes_backwards() -> None:
    walls = [1000, 1000, 1001, 900, 500, 1001, 1002, 1002, 2000, 10]
    clock = HybridClock(DEVICE, now_ms=scripted(walls))
    stamps = [clock.tick() for _ in walls]
    assert_strictly_increasing(stamps)
    parsed = [Hlc.parse(s) for s in stamps]
    highest = 0
    for wall, stamp in zip(walls, parsed, strict=True):
        highest = max(highest, wall)
        assert stamp.wall_ms == highest  # never below the highest wall time seen
        assert stamp.device == DEVICE
    assert [p.counter for p in parsed] == [0, 1, 0, 1, 2, 3, 0, 1, 0, 1]
    assert clock.last == stamps[-1]


def test_hlc_resumes_above_the_stored_clock() -> None:
    stored = str(Hlc(5_000, 7, DEVICE))
    clock = HybridClock(DEVICE, stored, now_ms=scripted([4_000, 6_000]))
    first, second = clock.tick(), clock.tick()
    assert stored < first < second
    assert Hlc.parse(first) == Hlc(5_000, 8, DEVICE)
    assert Hlc.parse(second) == Hlc(6_000, 0, DEVICE)


def test_hlc_observe_moves_past_a_remote_clock() -> None:
    clock = HybridClock(DEVICE, now_ms=scripted([1_000, 1_000, 1_000, 1_000]))
    clock.tick()
    remote = str(Hlc(50_000, 3, "other-device"))
    clock.observe(remote)
    after = clock.tick()
    assert Hlc.parse(after) == Hlc(50_000, 4, DEVICE)  # own device id, above the remote
    assert (Hlc.parse(after).wall_ms, Hlc.parse(after).counter) > (50_000, 3)

    clock.observe(str(Hlc(40_000, 99, "other-device")))  # older: ignored
    later = clock.tick()
    assert Hlc.parse(later) == Hlc(50_000, 5, DEVICE)

    clock.observe(str(Hlc(50_000, 9, "third-device")))  # same wall, higher counter
    assert Hlc.parse(clock.tick()) == Hlc(50_000, 10, DEVICE)


def test_hlc_counter_never_outgrows_its_text_form() -> None:
    # A clock stuck (or set back) for a long burst of edits: every tick reuses the same wall
    # time. Past 99 999 the text form would stop sorting like the clock.
    clock = HybridClock(DEVICE, now_ms=lambda: 1_000)
    stamps = [clock.tick() for _ in range(100_010)]
    assert_strictly_increasing(stamps[99_990:])
    assert stamps == sorted(stamps)
    assert all(len(s) == len(stamps[0]) for s in stamps)
    assert Hlc.parse(stamps[-1]).wall_ms > 1_000


def test_hlc_text_sorts_like_the_tuple() -> None:
    stamps = [Hlc(w, c, d) for w in (0, 9, 10, 999, 1_000, 1_700_000_000_000)
              for c in (0, 1, 9, 10, 99_999) for d in ("a", "b-1")]
    assert sorted(stamps) == sorted(stamps, key=str)
    for h in stamps:
        assert Hlc.parse(str(h)) == h
    assert Hlc.parse(f"0001700000000000.00012.{DEVICE}") == Hlc(1_700_000_000_000, 12, DEVICE)


# -- UUIDv7 --------------------------------------------------------------------------------

def test_uuid7_version_variant_and_timestamp() -> None:
    ms = 1_717_171_717_171
    for _ in range(200):
        text = uuid7(ms)
        value = uuid.UUID(text)
        assert str(value) == text and len(text) == 36 and text == text.lower()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
        assert (value.int >> 76) & 0xF == 0x7
        assert (value.int >> 62) & 0b11 == 0b10
        assert value.int >> 80 == ms


def test_uuid7_sorts_by_time() -> None:
    times = [1_000, 1_001, 2_000, 65_536, 1_700_000_000_000, 1_700_000_000_001, 2**47]
    ids = [uuid7(t) for t in times]
    assert ids == sorted(ids)
    before = time.time_ns() // 1_000_000
    now_id = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= uuid.UUID(now_id).int >> 80 <= after


def test_uuid7_is_unique_within_one_millisecond() -> None:
    ids = {uuid7(1_700_000_000_000) for _ in range(20_000)}
    assert len(ids) == 20_000


# -- atomic_write --------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "files"
    path.mkdir()
    return path


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_atomic_write_writes_privately_and_leaves_no_temp_file(folder: Path) -> None:
    target = folder / "state.json"
    fsutil.atomic_write(target, b"first")
    fsutil.atomic_write(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(folder, {"state.json"}) == []


def _fsutil_os(**overrides: Callable[..., Any]) -> types.ModuleType:
    class PatchedOs(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

    proxy = PatchedOs("os")
    for name, fn in overrides.items():
        setattr(proxy, name, fn)
    return proxy


def test_atomic_write_handles_short_writes(folder: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(100_000)
    monkeypatch.setattr(fsutil, "os", _fsutil_os(
        write=lambda fd, view: os.write(fd, bytes(view[:777]))))
    fsutil.atomic_write(folder / "blob", data)
    assert (folder / "blob").read_bytes() == data


def _fail_write(fd: int, view: memoryview) -> int:
    os.write(fd, bytes(view[:10]))  # part of the data reaches the temp file first
    raise OSError(28, "No space left on device")


def _fail(*_args: object) -> None:
    raise OSError(5, "Input/output error")


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"write": _fail_write}, "disk is full"),
    ({"fsync": _fail}, "drive reported an error"),
    ({"replace": _fail}, "drive reported an error"),
    ({"open": _fail}, "drive reported an error"),
], ids=["write", "fsync", "replace", "open"])
def test_atomic_write_failure_keeps_the_old_content(
        folder: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any],
        reason: str) -> None:
    target = folder / "keyslots.json"
    fsutil.atomic_write(target, b"old content")
    with monkeypatch.context() as patch:
        patch.setattr(fsutil, "os", _fsutil_os(**overrides))
        with pytest.raises(StorageError) as info:
            fsutil.atomic_write(target, b"new content that must not appear")
    assert reason in info.value.user_message()
    assert isinstance(info.value.__cause__, OSError)
    assert target.read_bytes() == b"old content"
    assert _leftovers(folder, {"keyslots.json"}) == []


def test_atomic_write_interrupted_removes_the_temp_file(folder: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = folder / "audit-head.json"
    fsutil.atomic_write(target, b"old")

    def interrupted(fd: int, view: memoryview) -> int:
        os.write(fd, bytes(view[:2]))
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil, "os", _fsutil_os(write=interrupted))
    with pytest.raises(KeyboardInterrupt):
        fsutil.atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert _leftovers(folder, {"audit-head.json"}) == []


def test_destroy_file_overwrites_then_removes(folder: Path) -> None:
    target = folder / "keyslots.json"
    secret = b"wrapped key material " * 20
    target.write_bytes(secret)
    fd = os.open(target, os.O_RDONLY)
    try:
        fsutil.destroy_file(target)
        remains = os.pread(fd, len(secret), 0)
    finally:
        os.close(fd)
    assert not target.exists()
    assert len(remains) == len(secret) and remains != secret
    fsutil.destroy_file(target)  # a missing file is not an error


# -- canonical JSON ------------------------------------------------------------------------

def test_canonical_json_sorts_keys_at_every_level() -> None:
    value = {"b": 1, "a": {"d": [3, {"z": None, "y": True}], "c": "x"}}
    assert canonical_json(value) == b'{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}'
    reordered = {"a": {"c": "x", "d": [3, {"y": True, "z": None}]}, "b": 1}
    assert canonical_json(reordered) == canonical_json(value)


def test_canonical_json_is_compact_utf8() -> None:
    encoded = canonical_json({"name": "شاہد", "n": -12, "big": 2**70})
    assert encoded == '{"big":1180591620717411303424,"n":-12,"name":"شاہد"}'.encode()
    assert b"\\u" not in encoded and b" " not in encoded


@pytest.mark.parametrize("value", [
    1.5, 0.0, math.nan, math.inf, {"a": 1.0}, [1, 2.5], (1, (2, 3.0)), {"a": {"b": [{"c": 1e3}]}},
], ids=repr)
def test_canonical_json_refuses_floats(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)
