"""The audit chain (ARCHITECTURE §6): every view, edit, export, unlock and failed unlock is an
event naming the fields touched (never their values). Each event's hash covers the previous
hash, and the device key signs it, so deleting, editing, reordering or truncating events is
found by ``verify``.

Truncating the tail or restoring an older copy of the whole database leaves a valid chain, so
the head (seq, hash) is also written, signed, to ``audit-head.json`` beside the database when
a session closes; a database whose chain ends before that head has been rolled back. (Restoring
the head file together with the database is caught only by the server's receipt, SYNC.md.)
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseapp.canonical import canonical_json
from caseapp.crypto import compare
from caseapp.errors import ProfileLocked
from caseapp.fsutil import atomic_write
from caseapp.i18n import N_, _
from caseapp.store.database import Connection, HoldsConnection
from caseapp.store.packing import pack_json, unpack_json

GENESIS = "0" * 64
# Stored (schema 11, issue 12): the field names deflated (``packing``), the hashes and the
# signature as raw bytes — an event took 823 bytes at rest, two thirds of them hex and JSON.
# What is hashed and signed is unchanged: the canonical entry and the raw digest.
MSG_MISSING = N_("event %(seq)s is missing or out of order (found %(found)s)")
MSG_NOT_FOLLOWING = N_("event %(seq)s does not follow event %(previous)s")
MSG_ALTERED = N_("event %(seq)s was altered")
MSG_BAD_SIGNATURE = N_("event %(seq)s has an invalid signature")
MSG_ROLLED_BACK = N_("the chain ends at event %(count)s but event %(head)s was recorded: "
                     "events were removed or an older copy was restored")
MSG_HEAD_DIFFERS = N_("event %(seq)s differs from the recorded head")
MSG_HEAD_FORGED = N_("the recorded audit head was altered")
MSG_HEAD_MISSING = N_("the recorded audit head is missing: events may have been removed or an "
                      "older copy restored")


def _entry_hash(prev: bytes, entry: dict[str, object]) -> bytes:
    return hashlib.sha256(prev + canonical_json(entry)).digest()


def _raw(stored: object) -> bytes | None:
    """A stored hash or signature as bytes (hex text from before schema 11, or written by
    hand), None when it is neither."""
    if isinstance(stored, bytes):
        return stored
    if isinstance(stored, str):
        try:
            return bytes.fromhex(stored)
        except ValueError:
            return None
    return None


def stored_fields(stored: bytes | str) -> list[str]:
    """The field names of an event as stored."""
    names = unpack_json(stored)
    return [str(n) for n in names] if isinstance(names, list) else []


def _entry(seq: int, at: int, actor: str, device: str, action: str, record_id: str | None,
           fields: list[str]) -> dict[str, object]:
    return {"seq": seq, "at": at, "actor": actor, "device": device, "action": action,
            "record": record_id, "fields": fields}


class AuditLog(HoldsConnection):
    def __init__(self, conn: Connection, device: str, key: Ed25519PrivateKey) -> None:
        super().__init__(conn)
        self.device = device
        self.key: Ed25519PrivateKey | None = key
        # The head before and after an unbroken run of events this log hashed and signed
        # itself, in order (``own_run``); None when nothing has been appended since the
        # last ``end_run``.
        self._run: tuple[tuple[int, str], tuple[int, str]] | None = None

    def close(self) -> None:
        """After a lock the log can neither read nor sign."""
        super().close()
        self.key = None

    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return 0, GENESIS
        digest = _raw(row[1])
        return int(row[0]), digest.hex() if digest is not None else str(row[1])

    def append(self, actor: str, action: str, record_id: str | None = None,
               fields: list[str] | tuple[str, ...] = (), at: int | None = None) -> int:
        """Add one event inside the caller's transaction; returns its sequence number."""
        seq, prev = self.head()
        seq += 1
        when = time.time_ns() // 1_000_000 if at is None else at
        names = sorted(set(fields))
        entry = _entry(seq, when, actor, self.device, action, record_id, names)
        previous = bytes.fromhex(prev)
        digest = _entry_hash(previous, entry)
        if self.key is None:
            raise ProfileLocked()
        sig = self.key.sign(digest)
        self.conn.execute(
            "INSERT INTO audit (seq, at, actor, device, action, record_id, fields, prev, hash, "
            "sig) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (seq, when, actor, self.device, action, record_id, pack_json(names), previous,
             digest, sig))
        # An event that does not follow the run's last (a rolled-back savepoint, another
        # writer in between) starts a new run from the head it found.
        start = self._run[0] if self._run and self._run[1] == (seq - 1, prev) else (seq - 1, prev)
        self._run = (start, (seq, digest.hex()))
        return seq

    def own_run(self) -> tuple[tuple[int, str], tuple[int, str]] | None:
        """The heads before and after the events this log appended in order since the last
        ``end_run``: every event between them is one this process hashed and signed."""
        return self._run

    def end_run(self) -> None:
        self._run = None

    def events(self, record_id: str | None = None, limit: int = 200) -> list[dict[str, object]]:
        sql = "SELECT seq, at, actor, action, record_id, fields FROM audit"
        args: tuple[object, ...] = ()
        if record_id:
            sql += " WHERE record_id = ?"
            args = (record_id,)
        rows = self.conn.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit))
        return [{"seq": r[0], "at": r[1], "actor": r[2], "action": r[3], "record": r[4],
                 "fields": stored_fields(r[5])} for r in rows]


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int
    broken_at: int | None = None
    reason_msgid: str = ""
    reason_params: dict[str, object] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return _(self.reason_msgid, **self.reason_params) if self.reason_msgid else ""


def _broken(events: int, at: int, msgid: str, **params: object) -> VerifyReport:
    return VerifyReport(False, events, at, msgid, params)


def verify(conn: Connection, public_key: Ed25519PublicKey,
           anchor: tuple[int, str] | None = None, *, since_anchor: bool = False) -> VerifyReport:
    """Walk the chain and report the first broken link.

    ``since_anchor`` checks only the events after the recorded head (and that the head is
    still there): what a session close needs, at a cost independent of the chain's length.
    """
    expected_seq, prev = 1, bytes.fromhex(GENESIS)
    if since_anchor and anchor is not None and anchor[0] > 0:
        anchor_seq, anchor_hash = anchor
        row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (anchor_seq,)).fetchone()
        if row is None or not compare.same(_raw(row[0]), _raw(anchor_hash)):
            return _broken(0, anchor_seq, MSG_HEAD_DIFFERS, seq=anchor_seq)
        expected_seq, prev = anchor_seq + 1, bytes.fromhex(anchor_hash)
    count = expected_seq - 1
    rows = conn.execute("SELECT seq, at, actor, device, action, record_id, fields, prev, hash, "
                        "sig FROM audit WHERE seq >= ? ORDER BY rowid", (expected_seq,))
    for seq, at, actor, device, action, record_id, fields, stored_prev, digest, sig in rows:
        if seq != expected_seq:
            return _broken(count, expected_seq, MSG_MISSING, seq=expected_seq, found=seq)
        if _raw(stored_prev) != prev:
            return _broken(count, seq, MSG_NOT_FOLLOWING, seq=seq, previous=seq - 1)
        try:
            names = stored_fields(fields)
        except (ValueError, TypeError, KeyError, IndexError, zlib.error):
            return _broken(count, seq, MSG_ALTERED, seq=seq)
        entry = _entry(seq, at, actor, device, action, record_id, names)
        stored_digest = _raw(digest)
        if not compare.same(_entry_hash(prev, entry), stored_digest):
            return _broken(count, seq, MSG_ALTERED, seq=seq)
        try:
            public_key.verify(_raw(sig) or b"", stored_digest or b"")
        except (InvalidSignature, ValueError):
            return _broken(count, seq, MSG_BAD_SIGNATURE, seq=seq)
        prev = stored_digest or b""
        expected_seq += 1
        count += 1
    if anchor is not None:
        anchor_seq, anchor_hash = anchor
        if count < anchor_seq:
            return _broken(count, count + 1, MSG_ROLLED_BACK, count=count, head=anchor_seq)
        row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (anchor_seq,)).fetchone()
        if anchor_seq and (row is None or not compare.same(_raw(row[0]), _raw(anchor_hash))):
            return _broken(count, anchor_seq, MSG_HEAD_DIFFERS, seq=anchor_seq)
    return VerifyReport(True, count)


def write_anchor(path: Path, head: tuple[int, str], key: Ed25519PrivateKey) -> None:
    seq, digest = head
    payload = {"seq": seq, "hash": digest}
    sig = key.sign(canonical_json(payload)).hex()
    atomic_write(path, json.dumps({**payload, "sig": sig}).encode())


class ForgedAnchor(ValueError):
    """The head file exists but its signature does not match this device."""


def read_anchor(path: Path, public_key: Ed25519PublicKey) -> tuple[int, str] | None:
    """The signed head, or None when none was written yet; ForgedAnchor when altered."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_bytes())
        seq, head = int(data["seq"]), str(data["hash"])
        public_key.verify(bytes.fromhex(data["sig"]), canonical_json({"seq": seq, "hash": head}))
    except (ValueError, KeyError, TypeError, InvalidSignature) as exc:
        raise ForgedAnchor("the recorded audit head was altered") from exc
    return seq, head
