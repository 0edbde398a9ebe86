"""Role grants: a user's role, signed by the organisation key (issue 7, item 5).

The organisation key is made with an office's first profile (its administrator) and stays in
that vault; every vault of the office holds its public half and the grant of its own user.
A session takes the role from the grant, never from the editable user record: a role edited
in the vault grants nothing unless the editor can also sign. What a passphrase holder can
still do in their own vault (replace the public key too, with a key of their own) is caught
by whoever holds the real one: the receivers of a sync, the administrator.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from caseapp.canonical import canonical_json

FORMAT = "hifazat-role-grant"
VERSION = 1


@dataclass(frozen=True)
class RoleGrant:
    user_id: str
    team_id: str
    role: str
    law_enforcement: bool
    issued_ms: int

    def payload(self) -> bytes:
        return canonical_json({"format": FORMAT, "version": VERSION, **asdict(self)})


def sign(key: Ed25519PrivateKey, grant: RoleGrant) -> str:
    """The grant with its signature, as stored in the vault's meta."""
    return json.dumps({"grant": asdict(grant), "signature": key.sign(grant.payload()).hex()},
                      sort_keys=True)


def verified(stored: str | None, public_hex: str | None) -> RoleGrant | None:
    """The grant, when ``stored`` is one signed by the key ``public_hex``; else None."""
    if not stored or not public_hex:
        return None
    try:
        data = json.loads(stored)
        fields = data["grant"]
        grant = RoleGrant(str(fields["user_id"]), str(fields["team_id"]), str(fields["role"]),
                          fields["law_enforcement"] is True, int(fields["issued_ms"]))
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(str(data["signature"])), grant.payload())
    except (ValueError, TypeError, KeyError, InvalidSignature):
        return None
    return grant


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes_raw().hex()
