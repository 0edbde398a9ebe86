"""Keyslots: the database key exists on disk only wrapped (AES-256-GCM) under keys derived
with Argon2id from a passphrase or a recovery code (ARCHITECTURE §4).

A slot wraps a *list* of database keys: normally one; two while a key rotation is under way,
so a crash between ``PRAGMA rekey`` and the final keyslot write still leaves a key that opens
the database. A wrong secret fails by authenticated decryption: there is no separate hash of
the passphrase to attack.

Version 2 slots also carry, in the authenticated header, the public key that signs the
profile's unlock state (``unlock_record``): whoever edits it to sign a state of their own
makes the right passphrase fail on that slot. Version 1 slots (written before) are read as
they are and resealed as version 2 when next opened.

Rewriting the file overwrites the previous one in place once the new one is safely in its
place (``fsutil.retire_and_replace``): a changed passphrase or a replaced recovery code does
not stay readable in a freed copy of the old file.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseapp.canonical import canonical_json
from caseapp.crypto import kdf
from caseapp.errors import ProfileError, WrongPassphrase
from caseapp.fsutil import retire_and_replace
from caseapp.i18n import N_

FORMAT = "hifazat-keyslots"
VERSION = 2
READABLE_VERSIONS = (1, 2)
PASSPHRASE = "passphrase"  # noqa: S105 (a slot kind, not a secret)
RECOVERY = "recovery"
KINDS = (PASSPHRASE, RECOVERY)


class KeyslotFileError(ProfileError):
    msgid = N_("The key file of this profile is missing or damaged; the profile cannot be "
               "opened.")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


@dataclass
class Keyslot:
    slot_id: str
    kind: str
    params: kdf.Argon2Params
    salt: bytes
    nonce: bytes
    wrapped: bytes
    version: int = VERSION
    state_key: bytes | None = None  # public key of the unlock state's signer (version 2)

    def header(self) -> dict[str, object]:
        # Authenticated as AAD: moving a wrapped key to another slot or changing the
        # parameters makes decryption fail instead of silently weakening the slot.
        header: dict[str, object] = {
            "format": FORMAT, "version": self.version, "id": self.slot_id, "kind": self.kind,
            "kdf": {"alg": "argon2id", **self.params.to_json()}, "salt": _b64(self.salt)}
        if self.version >= 2:
            header["state_key"] = None if self.state_key is None else _b64(self.state_key)
        return header

    def to_json(self) -> dict[str, object]:
        return {**self.header(), "nonce": _b64(self.nonce), "wrapped": _b64(self.wrapped)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Keyslot:
        kdf_data = data["kdf"]
        if not isinstance(kdf_data, dict) or kdf_data.get("alg") != "argon2id":
            raise KeyslotFileError()
        if data["kind"] not in KINDS or data.get("version") not in READABLE_VERSIONS:
            raise KeyslotFileError()
        version = int(str(data["version"]))
        state_key = data.get("state_key") if version >= 2 else None
        return cls(str(data["id"]), str(data["kind"]), kdf.Argon2Params.from_json(kdf_data),
                   _unb64(str(data["salt"])), _unb64(str(data["nonce"])),
                   _unb64(str(data["wrapped"])), version,
                   None if state_key is None else _unb64(str(state_key)))

    def open(self, secret: bytes) -> list[bytes]:
        kek = kdf.derive(secret, self.salt, self.params)
        try:
            plain = AESGCM(kek).decrypt(self.nonce, self.wrapped, canonical_json(self.header()))
        except InvalidTag as exc:
            raise WrongPassphrase() from exc
        return [bytes.fromhex(k) for k in json.loads(plain)["keys"]]


def seal(kind: str, secret: bytes, keys: list[bytes], params: kdf.Argon2Params,
         slot_id: str | None = None, state_key: bytes | None = None) -> Keyslot:
    params.check_floor()
    slot = Keyslot(slot_id or secrets.token_hex(8), kind, params, secrets.token_bytes(16),
                   secrets.token_bytes(12), b"", VERSION, state_key)
    kek = kdf.derive(secret, slot.salt, params)
    payload = json.dumps({"keys": [k.hex() for k in keys]}).encode()
    slot.wrapped = AESGCM(kek).encrypt(slot.nonce, payload, canonical_json(slot.header()))
    return slot


@dataclass
class KeyslotFile:
    slots: list[Keyslot] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> KeyslotFile:
        # Whatever the file holds (a thief or a failing disk may have written it), the
        # answer is a file of slots or KeyslotFileError (KdfTooWeak below the floor): JSON
        # nested deeper than Python follows is a RecursionError, not a crash.
        try:
            data = json.loads(path.read_bytes())
            if not isinstance(data, dict) or data.get("format") != FORMAT or \
                    data.get("version") not in READABLE_VERSIONS:
                raise KeyslotFileError()
            slots = data["slots"]
            if not isinstance(slots, list) or not all(isinstance(s, dict) for s in slots):
                raise KeyslotFileError()
            return cls([Keyslot.from_json(s) for s in slots])
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise KeyslotFileError() from exc

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "version": VERSION, "slots": [s.to_json() for s in self.slots]}
        retire_and_replace(path, json.dumps(data, indent=1).encode())

    def state_keys(self) -> set[bytes | None]:
        """The unlock-state keys the passphrase slots name (None for an unbound slot)."""
        return {s.state_key for s in self.of_kind(PASSPHRASE)}

    def of_kind(self, kind: str) -> list[Keyslot]:
        return [s for s in self.slots if s.kind == kind]

    def unlock(self, kind: str, secret: bytes) -> tuple[Keyslot, list[bytes]]:
        """Try every slot of ``kind``; WrongPassphrase when none opens."""
        slot, keys, _seconds = self.unlock_timed(kind, secret)
        return slot, keys

    def unlock_timed(self, kind: str, secret: bytes) -> tuple[Keyslot, list[bytes], float]:
        """``unlock``, and how long the slot that opened took to open here (its Argon2id
        derivation, almost all of it): what tells whether the slot is still costly enough
        on this machine (``kdf.stronger``)."""
        for slot in self.of_kind(kind):
            start = time.perf_counter()
            try:
                keys = slot.open(secret)
            except WrongPassphrase:
                continue
            return slot, keys, time.perf_counter() - start
        raise WrongPassphrase()

    def replace(self, new_slot: Keyslot) -> None:
        self.slots = [new_slot if s.slot_id == new_slot.slot_id else s for s in self.slots]
        if new_slot not in self.slots:
            self.slots.append(new_slot)

    def remove(self, slot_id: str) -> None:
        remaining = [s for s in self.slots if s.slot_id != slot_id]
        if not any(s.kind == PASSPHRASE for s in remaining):
            raise ProfileError(N_("The last passphrase of a profile cannot be removed."))
        self.slots = remaining
