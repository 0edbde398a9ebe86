"""The authenticated part of a profile's unlock state (issue 7, item 3).

Two things must survive an attacker who can edit files but knows no secret: the erase policy,
and how many wrong attempts were made since the last successful unlock.

- The policy (and the anchor below) is a *checkpoint* signed with the profile's state key.
  Its private half lives inside the encrypted vault, so only someone who unlocked can sign;
  its public half is in the authenticated header of every passphrase keyslot, so replacing it
  makes the right passphrase fail too (no use to a guesser).
- The failure count is a position on a hash chain: the checkpoint signs ``anchor =
  H^N(seed)``, the file holds ``link = H^i(seed)`` after ``i`` failures, and a failure moves
  the link one step on (``H(link)``). Anyone can count *up*; counting *down* needs a preimage
  of SHA-256. The count is read back as ``N - s`` where ``H^s(link) == anchor``.

What this cannot stop, and the README says: restoring an older copy of the whole file (or the
whole folder). That needs the same file access as copying the keyslots away to guess offline,
which only Argon2id slows.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from caseapp.canonical import canonical_json
from caseapp.crypto.compare import same

# Failures one checkpoint can count. At the longest wait (15 minutes) that is six weeks of
# guessing; past it the state reads as tampered, which is the strictest state anyway.
CHAIN_LENGTH = 4096
_DOMAIN = b"hifazat-unlock-chain-v1"


def step(link: bytes) -> bytes:
    return hashlib.sha256(_DOMAIN + link).digest()


@dataclass(frozen=True)
class Checkpoint:
    """What a successful unlock (or a policy change) signs."""

    erase_after: int | None
    anchor: bytes
    issued_ms: int

    def payload(self) -> bytes:
        return canonical_json({"format": "hifazat-unlock-checkpoint", "version": 1,
                               "erase_after": self.erase_after, "anchor": self.anchor.hex(),
                               "issued_ms": self.issued_ms})

    def to_json(self) -> dict[str, object]:
        return {"erase_after": self.erase_after, "anchor": self.anchor.hex(),
                "issued_ms": self.issued_ms}

    @classmethod
    def from_json(cls, data: object) -> Checkpoint:
        """ValueError for anything but the exact shape written by ``to_json``."""
        if not isinstance(data, dict) or set(data) != {"erase_after", "anchor", "issued_ms"}:
            raise ValueError("checkpoint")
        erase_after = data["erase_after"]
        if erase_after is not None and (type(erase_after) is not int or erase_after < 1):
            raise ValueError("erase_after")
        issued = data["issued_ms"]
        if type(issued) is not int:
            raise ValueError("issued_ms")
        anchor = bytes.fromhex(str(data["anchor"]))
        if len(anchor) != 32:
            raise ValueError("anchor")
        return cls(erase_after, anchor, issued)


def new_chain() -> tuple[bytes, bytes]:
    """A fresh (seed, anchor): the seed is the link at zero failures."""
    seed = secrets.token_bytes(32)
    link = seed
    for _ in range(CHAIN_LENGTH):
        link = step(link)
    return seed, link


def position(link: bytes, anchor: bytes) -> int | None:
    """Failures counted by ``link`` on the chain ending at ``anchor``; None when it is not
    on that chain (edited, or from another chain)."""
    for steps in range(CHAIN_LENGTH + 1):
        if same(link, anchor):
            return CHAIN_LENGTH - steps
        link = step(link)
    return None


def sign(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> bytes:
    return key.sign(checkpoint.payload())


def verify(public: bytes, checkpoint: Checkpoint, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, checkpoint.payload())
    except (InvalidSignature, ValueError):
        return False
    return True


def new_state_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()
