"""Strict request and response schemas of the /v1 API: unknown fields are refused, every
string and list has a bound, so nothing large or deeply nested gets past validation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
B64 = Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9_-]*$")]
Hex64 = Annotated[str, Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AudienceEntry(Strict):
    team_id: Id
    epoch: int = Field(ge=0, le=1_000_000)


class Header(Strict):
    change_id: Id
    record_id: Id
    record_type: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
    audience: list[AudienceEntry] = Field(min_length=1, max_length=8)
    device_id: Id
    device_seq: int = Field(ge=1)
    hlc: Annotated[str, Field(max_length=100, pattern=r"^[0-9]{13}\.[0-9]{5}\.[A-Za-z0-9_.:-]+$")]
    kind: Literal["upsert", "delete", "purge"]


class Body(Strict):
    nonce: B64
    ct: Annotated[str, Field(max_length=256 * 1024 * 4 // 3 + 4, pattern=r"^[A-Za-z0-9_-]*$")]


class Sealed(Strict):
    epk: B64
    nonce: B64
    ct: B64


class KeySeal(Strict):
    team_id: Id
    epoch: int = Field(ge=0, le=1_000_000)
    sealed: Sealed


class Envelope(Strict):
    header: Header
    body: Body
    key_seals: list[KeySeal] = Field(min_length=1, max_length=9)
    sig: B64


class PushRequest(Strict):
    changes: list[Envelope] = Field(max_length=500)


class PushResult(Strict):
    change_id: str
    status: Literal["accepted", "duplicate", "rejected"]
    seq: int | None = None
    reason: str | None = None


class PushResponse(Strict):
    results: list[PushResult]
    server_time: int


class PulledChange(Strict):
    seq: int
    envelope: dict[str, Any]


class PullResponse(Strict):
    changes: list[PulledChange]
    next: int
    more: bool
    server_time: int


class SignedEntry(Strict):
    """An org- or device-signed directory entry; its body is checked by the protocol code."""

    body: dict[str, Any]
    sig: B64


class OrgCreate(Strict):
    sign_pub: B64
    escrow_pub: B64
    escrow_sig: B64
    certificate: SignedEntry
    team: SignedEntry
    grant: SignedEntry
    proof: Hex64


class EnrolRequest(Strict):
    code_id: Id
    device_id: Id
    user_id: Id
    user_name: Annotated[str, Field(min_length=1, max_length=200)]
    sign_pub: B64
    kx_pub: B64
    proof: Hex64


class EnrolmentCodeCreate(Strict):
    code_id: Id
    key_hash: Hex64
    team_id: Id
    role: Literal["caseworker", "border_officer", "manager", "administrator"]
    expires_at: int


class Approval(Strict):
    device_id: Id
    certificate: SignedEntry
    grants: list[SignedEntry] = Field(max_length=64)
    role_grant: Annotated[str, Field(max_length=4000)] | None = None


class DeviceRef(Strict):
    device_id: Id


class TeamCreate(Strict):
    entry: SignedEntry
    grant: SignedEntry
    certificate: SignedEntry  # the administrator's own, now naming the new team


class PendingDevice(Strict):
    device_id: str
    user_id: str
    user_name: str
    sign_pub: str
    kx_pub: str
    team_id: str | None
    role: str | None
    enrolled_at: int


class Directory(Strict):
    org: dict[str, str]
    certificates: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    receipt_pub: str
    server_time: int


class Grants(Strict):
    status: str
    team_id: str | None = None
    role: str | None = None
    certificate: dict[str, Any] | None
    grants: list[dict[str, Any]]
    server_time: int
    role_grant: str | None = None


class AuditHead(Strict):
    seq: int = Field(ge=0)
    hash: Hex64


class AuditReceipt(Strict):
    receipt: dict[str, Any]
    rollback: bool
    server_time: int


class Health(Strict):
    status: str
    version: str
    organisation: bool
    server_time: int
