"""The sync settings and keys of one profile, kept in the vault's encrypted ``meta`` table:
the server (URL, pinned certificate, organisation keys' public halves), this device's key
exchange key, its certificate, the team keys it holds, the verified directory, the cursor.
The organisation's private signing key is here only on administrator profiles."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from caseapp.errors import CaseAppError
from caseapp.i18n import N_
from caseapp.services.session import Session
from caseapp.store import meta
from caseapp.sync import certificates, keys
from caseapp.sync.certificates import Certificate
from caseapp.sync.keys import ProtocolError

P = "sync."


class NotEnrolled(CaseAppError):
    msgid = N_("This profile does not sync yet: create the organisation ('caseapp org create') "
               "or enrol it with a code ('caseapp sync enrol').")


@dataclass
class TeamKey:
    team_id: str
    epoch: int
    public: str
    private: str | None = None  # hex, when this device holds a grant for it


@dataclass
class SyncState:
    url: str
    pin: str
    cert_pem: str
    org_fingerprint: str
    org_sign_pub: str
    escrow_pub: str
    receipt_pub: str
    kx_key: str  # hex
    status: str = "pending"
    role: str = ""
    team_id: str = ""
    org_name: str = ""
    org_key: str | None = None  # hex; administrator profiles only
    certificate: dict[str, Any] | None = None
    team_keys: dict[str, TeamKey] = field(default_factory=dict)
    directory: dict[str, dict[str, Any]] = field(default_factory=dict)  # device -> signed cert
    cursor: int = 0
    push_seq: int = 0
    server_time: int = 0
    last_success: int = 0
    last_error: str = ""
    receipt: dict[str, Any] | None = None
    rollback: bool = False

    # -- keys -------------------------------------------------------------------------------
    @property
    def kx(self) -> X25519PrivateKey:
        return keys.x_private(bytes.fromhex(self.kx_key))

    @property
    def org_signing(self) -> Ed25519PrivateKey:
        if self.org_key is None:
            raise NotEnrolled()
        return keys.ed_private(bytes.fromhex(self.org_key))

    @property
    def escrow(self) -> X25519PublicKey:
        return keys.kx_public(self.escrow_pub)

    def cert(self, signed: Any, now_ms: int) -> Certificate:
        return certificates.verify_certificate(keys.sign_public(self.org_sign_pub), signed,
                                               now_ms)

    def my_certificate(self, now_ms: int) -> Certificate | None:
        return None if self.certificate is None else self.cert(self.certificate, now_ms)

    def author(self, device_id: str, now_ms: int) -> Certificate:
        signed = self.directory.get(device_id)
        if signed is None:
            raise ProtocolError("unknown_author")
        return self.cert(signed, now_ms)

    def latest(self, team_id: str) -> TeamKey | None:
        found = [k for k in self.team_keys.values() if k.team_id == team_id]
        return max(found, key=lambda k: k.epoch) if found else None

    def private_keys(self) -> dict[tuple[str, int], X25519PrivateKey]:
        return {(k.team_id, k.epoch): keys.x_private(bytes.fromhex(k.private))
                for k in self.team_keys.values() if k.private}

    def add_team_key(self, team_id: str, epoch: int, public: str,
                     private: X25519PrivateKey | None = None) -> None:
        name = f"{team_id}|{epoch}"
        known = self.team_keys.get(name)
        secret = keys.raw_private(private).hex() if private is not None else \
            (known.private if known else None)
        self.team_keys[name] = TeamKey(team_id, epoch, public, secret)

    # -- storage ----------------------------------------------------------------------------
    def to_meta(self) -> list[tuple[str, str]]:
        data = {k: v for k, v in self.__dict__.items() if k != "team_keys"}
        data["team_keys"] = {n: k.__dict__ for n, k in self.team_keys.items()}
        return [(P + "state", json.dumps(data, separators=(",", ":"))),
                (P + "server_time", str(self.server_time))]

    @classmethod
    def from_json(cls, text: str) -> SyncState:
        data = json.loads(text)
        team_keys = {n: TeamKey(**k) for n, k in data.pop("team_keys", {}).items()}
        return cls(**data, team_keys=team_keys)


def load(session: Session) -> SyncState:
    text = session.store.meta(P + "state")
    if text is None:
        raise NotEnrolled()
    return SyncState.from_json(text)


def maybe_load(session: Session) -> SyncState | None:
    text = session.store.meta(P + "state")
    return None if text is None else SyncState.from_json(text)


def save(session: Session, state: SyncState) -> None:
    """Inside the caller's transaction."""
    meta.write(session.store.conn, state.to_meta())
    session.server_time_ms = max(session.server_time_ms, state.server_time)
