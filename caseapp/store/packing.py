"""Compact stored forms (schema 8, issue 12): what the store keeps for every record and change,
a million times over, packed without changing what it means.

- Field clocks: most fields of a record carry the same clock (they were written together),
  so the clocks column keeps one default clock (the record's own when they agree) and only
  the fields whose clock differs from it, grouped by clock. ``unpack_clocks`` gives back the
  same mapping ``pack_clocks`` was given; the packed text is a function of that mapping, the
  body's field names and the record's clock, so replicas that hold the same record hold the
  same bytes.
- Ids in the change log: a UUID in its canonical text form is kept as its 16 bytes; anything
  else (an id from an older or foreign writer) stays text, so nothing is ever rewritten into
  something it was not.
- A change's clock ends with the id of the device that wrote it, which the row holds already:
  it is kept without that suffix.
- JSON read only by Python (a change's fields and the clocks its editor saw): deflated with
  a preset dictionary of the field names every row repeats (``packing_words``), as bytes led
  by the dictionary's version; kept as text when that is no shorter. SQL never looks inside.
"""

from __future__ import annotations

import json
import re
import uuid
import zlib
from collections import Counter
from typing import Any

from caseapp.canonical import compact_json, sorted_json
from caseapp.store.packing_words import WORDS_V1

# Keys of the packed clocks object that are not clocks (a clock starts with a digit).
_DEFAULT = "*"     # the default clock, when it is not the record's own
_UNCLOCKED = "-"   # body fields that have no clock of their own (set fields: per element)
_RELATIVE = "="    # a clock written as the default plus a suffix (a set element's position)

_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def pack_clocks(clocks: dict[str, str], body: dict[str, Any], hlc: str) -> str:
    counts = Counter(v for k, v in clocks.items() if k in body)
    # The commonest clock among the body's fields; ties to the newest, so the choice depends
    # on the mapping only, never on the order it was built in.
    default = max(counts, key=lambda v: (counts[v], v)) if counts else hlc
    groups: dict[str, list[str]] = {}
    for name, clock in clocks.items():
        if name in body and clock == default:
            continue
        token = _RELATIVE + clock[len(default):] if clock.startswith(default) else clock
        groups.setdefault(token, []).append(name)
    unclocked = [name for name in body if name not in clocks]
    if unclocked:
        groups[_UNCLOCKED] = unclocked
    packed: dict[str, Any] = {token: sorted(names) for token, names in groups.items()}
    if default != hlc:
        packed[_DEFAULT] = default
    return sorted_json(packed)


def unpack_clocks(text: str, body: dict[str, Any], hlc: str) -> dict[str, str]:
    packed = json.loads(text)
    default = packed.pop(_DEFAULT, hlc)
    unclocked = set(packed.pop(_UNCLOCKED, ()))
    clocks: dict[str, str] = {}
    for token, names in packed.items():
        clock = default + token[1:] if token.startswith(_RELATIVE) else token
        for name in names:
            clocks[name] = clock
    for name in body:
        if name not in clocks and name not in unclocked:
            clocks[name] = default
    return clocks


def pack_id(value: str | None) -> bytes | str | None:
    if value is not None and _CANONICAL_UUID.match(value):
        return bytes.fromhex(value.replace("-", ""))
    return value


def unpack_id(value: bytes | str | None) -> str | None:
    if isinstance(value, bytes):
        return str(uuid.UUID(bytes=value))
    return value


def pack_hlc(hlc: str, device: str) -> str:
    suffix = "." + device
    return hlc[:-len(suffix)] if hlc.endswith(suffix) else hlc


def unpack_hlc(stored: str, device: str) -> str:
    # A full clock has two dots (wall.counter.device); a packed one only the first.
    return stored if stored.count(".") >= 2 else f"{stored}.{device}"


_WORDS = {1: WORDS_V1}
# Raw deflate (no header or checksum: SQLCipher authenticates every page already). An 8 KiB
# window holds the dictionary and a row; level 9 with the largest window and memory packs
# these rows no smaller and costs ten times as long (200 µs a row). Each row's compressor is a
# copy of this one, the dictionary already loaded: half the cost of setting it up every time.
_PACKER = zlib.compressobj(6, zlib.DEFLATED, -13, 5, zlib.Z_DEFAULT_STRATEGY, WORDS_V1)
_TINY = 16  # bytes of JSON no deflate stream beats ("{}", "[]", a short list)


def pack_json(value: object) -> bytes | str:
    text = compact_json(value)
    raw = text.encode()
    if len(raw) <= _TINY:
        return text
    packer = _PACKER.copy()
    packed = b"\x01" + packer.compress(raw) + packer.flush()
    return packed if len(packed) < len(raw) else text


def unpack_json(stored: bytes | str) -> Any:
    if isinstance(stored, str):
        return json.loads(stored)
    unpacker = zlib.decompressobj(-15, _WORDS[stored[0]])
    return json.loads(unpacker.decompress(stored[1:]) + unpacker.flush())


# Write-once records whose bodies are large (a screening's answers and computed result are
# ~6.6 KB of JSON, an assessment's ~2.3 KB) and that no SQL query reads: stored deflated. Every
# other body stays JSON text, which the lists, exports and checks read in SQL.
DEFLATED_BODIES = frozenset({"screening", "reintegration_assessment"})


def pack_body(record_type: str, body: dict[str, Any]) -> bytes | str:
    if record_type in DEFLATED_BODIES:
        return pack_json(body)
    return compact_json(body)
