"""Signed requests (SYNC.md §5): every request after enrolment carries the device id, a
time, a nonce and the device's signature over method, path and query, time, nonce and the
body's hash. Unknown, rejected or revoked devices, times more than five minutes off, reused
nonces and bad signatures are refused before the handler runs, and nothing is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from caseapp.server import models
from caseapp.server.state import fail, now_ms, org_row, state_of
from caseapp.sync import certificates, keys, protocol
from caseapp.sync.certificates import Certificate
from caseapp.sync.keys import ProtocolError

NONCE_KEEP_MS = 2 * protocol.CLOCK_SKEW_MS


@dataclass(frozen=True)
class Caller:
    device_id: str
    status: str  # pending | approved
    certificate: Certificate | None
    requested_team: str | None

    @property
    def teams(self) -> tuple[str, ...]:
        if self.certificate is not None:
            return self.certificate.teams
        return (self.requested_team,) if self.requested_team else ()

    @property
    def is_admin(self) -> bool:
        return self.certificate is not None and self.certificate.role == "administrator"


async def signed_device(request: Request) -> Caller:
    state = state_of(request)
    body = await request.body()
    device_id = request.headers.get(protocol.H_DEVICE, "")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    now = now_ms()
    with state.begin() as conn:
        row = conn.execute(select(models.devices).where(
            models.devices.c.device_id == device_id)).first()
        if row is None:
            raise fail(401, "unknown_device")
        if row.status not in ("pending", "approved"):
            raise fail(403, f"device_{row.status}")
        try:
            _at, nonce = protocol.verify_request(
                keys.sign_public(row.sign_pub), dict(request.headers.items()), request.method,
                path, body, now)
        except ProtocolError as exc:
            raise fail(401, exc.code) from exc
        conn.execute(delete(models.nonces).where(models.nonces.c.at < now - NONCE_KEEP_MS))
        try:
            with conn.begin_nested():
                conn.execute(insert(models.nonces).values(device_id=device_id, nonce=nonce,
                                                          at=now))
        except IntegrityError as exc:
            raise fail(401, "replayed_request") from exc
        cert = None
        if row.certificate:
            org = org_row(conn)
            try:
                cert = certificates.verify_certificate(keys.sign_public(org.sign_pub),
                                                       json.loads(row.certificate), now)
            except ProtocolError as exc:
                raise fail(403, exc.code) from exc
    return Caller(device_id, row.status, cert, row.requested_team)


async def administrator(request: Request) -> Caller:
    caller = await signed_device(request)
    if not caller.is_admin:
        raise fail(403, "not_administrator")
    return caller


def certificate_of(conn: Any, org_pub: str, device_id: str, now: int) -> Certificate | None:
    row = conn.execute(select(models.devices.c.certificate, models.devices.c.status).where(
        models.devices.c.device_id == device_id)).first()
    if row is None or row.certificate is None or row.status != "approved":
        return None
    return certificates.verify_certificate(keys.sign_public(org_pub),
                                           json.loads(row.certificate), now)


SignedDevice = Annotated[Caller, Depends(signed_device)]
Administrator = Annotated[Caller, Depends(administrator)]
