"""Drive the sync server at the protocol level, without vaults: an organisation whose keys
live in the test, devices enrolled and approved through the API, changes sealed and pushed.
For the server's own tests (replay, access, sequences under concurrency)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from caseapp.sync import certificates, envelope, keys, protocol, tls
from caseapp.sync.client import SyncClient
from caseapp.sync.envelope import Audience
from caseapp.sync.keys import OrgKeys, b64e

_ids = itertools.count(1)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):06d}-{time.time_ns() % 1_000_000:06d}"


@dataclass
class Device:
    device_id: str
    sign: Ed25519PrivateKey
    kx: X25519PrivateKey
    team: str
    role: str
    seq: int = 0

    @property
    def sign_pub(self) -> str:
        return b64e(keys.raw_public(self.sign.public_key()))

    @property
    def kx_pub(self) -> str:
        return b64e(keys.raw_public(self.kx.public_key()))


@dataclass
class ApiOrg:
    url: str
    cert_pem: str
    org: OrgKeys = field(default_factory=OrgKeys.generate)
    teams: dict[str, X25519PrivateKey] = field(default_factory=dict)
    admin: Device | None = None

    @classmethod
    def create(cls, url: str, pin: str, setup_code: str) -> ApiOrg:
        api = cls(url, tls.fetch_pinned(url, pin))
        admin = Device(new_id("admin"), Ed25519PrivateKey.generate(),
                       X25519PrivateKey.generate(), new_id("team"), "administrator")
        team = X25519PrivateKey.generate()
        api.teams[admin.team] = team
        body: dict[str, Any] = {
            "sign_pub": api.org.sign_pub, "escrow_pub": api.org.escrow_pub,
            "escrow_sig": certificates.sign_escrow(api.org.sign, api.org.escrow_pub),
            "certificate": api.certificate(admin, [admin.team]),
            "team": certificates.team_entry(api.org.sign, admin.team, 1,
                                            b64e(keys.raw_public(team.public_key())), now_ms()),
            "grant": certificates.make_grant(admin.sign, admin.device_id, admin.team, 1, team,
                                             admin.device_id, admin.kx_pub)}
        body["proof"] = protocol.prove(protocol.code_key(setup_code, "setup"), body)
        with SyncClient(url, api.cert_pem) as client:
            client.create_org(body)
        api.admin = admin
        return api

    def certificate(self, device: Device, teams: list[str], role: str | None = None
                    ) -> dict[str, Any]:
        return certificates.issue_certificate(
            self.org.sign, device_id=device.device_id, user_id="u-" + device.device_id,
            user_name="Staff", role=role or device.role, teams=teams,
            sign_pub=device.sign_pub, kx_pub=device.kx_pub, now_ms=now_ms(), serial="1")

    def client(self, device: Device, url: str | None = None) -> SyncClient:
        return SyncClient(url or self.url, self.cert_pem, device_id=device.device_id,
                          sign_key=device.sign)

    def add_team(self) -> str:
        assert self.admin is not None
        team_id, team = new_id("team"), X25519PrivateKey.generate()
        self.teams[team_id] = team
        admin_teams = [t for t in self.teams]
        with self.client(self.admin) as client:
            client.create_team({
                "entry": certificates.team_entry(self.org.sign, team_id, 1,
                                                 b64e(keys.raw_public(team.public_key())),
                                                 now_ms()),
                "grant": certificates.make_grant(self.admin.sign, self.admin.device_id,
                                                 team_id, 1, team, self.admin.device_id,
                                                 self.admin.kx_pub),
                "certificate": self.certificate(self.admin, admin_teams)})
        return team_id

    def enrol(self, role: str, team: str, approve: bool = True) -> Device:
        assert self.admin is not None
        device = Device(new_id("dev"), Ed25519PrivateKey.generate(),
                        X25519PrivateKey.generate(), team, role)
        code_id, secret = new_id("code"), protocol.new_secret()
        with self.client(self.admin) as client:
            client.create_code({"code_id": code_id,
                                "key_hash": protocol.code_key(secret, "enrol"),
                                "team_id": team, "role": role,
                                "expires_at": now_ms() + 3_600_000})
        body: dict[str, Any] = {"code_id": code_id, "device_id": device.device_id,
                                "user_id": "u-" + device.device_id, "user_name": "Staff",
                                "sign_pub": device.sign_pub, "kx_pub": device.kx_pub}
        body["proof"] = protocol.prove(protocol.code_key(secret, "enrol"), body)
        with SyncClient(self.url, self.cert_pem) as client:
            client.enrol(body)
        if approve:
            self.approve(device)
        return device

    def approve(self, device: Device) -> None:
        assert self.admin is not None
        with self.client(self.admin) as client:
            client.approve({"device_id": device.device_id,
                            "certificate": self.certificate(device, [device.team]),
                            "grants": [certificates.make_grant(
                                self.admin.sign, self.admin.device_id, device.team, 1,
                                self.teams[device.team], device.device_id, device.kx_pub)]})

    def change(self, device: Device, fields: dict[str, Any] | None = None,
               record_id: str | None = None, kind: str = "upsert",
               team: str | None = None) -> dict[str, Any]:
        device.seq += 1
        team = team or device.team
        header = {"change_id": new_id("chg"), "record_id": record_id or new_id("rec"),
                  "record_type": "case", "device_id": device.device_id,
                  "device_seq": device.seq,
                  "hlc": f"{now_ms():013d}.{device.seq % 100000:05d}.{device.device_id}",
                  "kind": kind}
        payload = {"fields": fields or {"prs_FirstName": "x"}, "seen": {}, "parent": None,
                   "team": team}
        return envelope.seal_change(header, payload, keys.new_record_key(),
                                    [Audience(team, 1, self.teams[team].public_key())],
                                    self.org.escrow.public_key(), device.sign)


def pull_all(client: SyncClient, after: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = client.pull(after)
        found += page["changes"]
        after = page["next"]
        if not page["more"]:
            return found
