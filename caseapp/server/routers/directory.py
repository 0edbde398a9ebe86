"""GET /v1/directory (certificates and team public keys, all org-signed, so the server can
hand them out but not forge them) and GET /v1/grants (the calling device's certificate and
its team keys, each sealed to it)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Connection, select

from caseapp.server import models
from caseapp.server.auth import SignedDevice
from caseapp.server.schemas import Directory, Grants
from caseapp.server.state import ServerState, now_ms, org_row, state_of

router = APIRouter(tags=["directory"])


def directory_of(conn: Connection, state: ServerState) -> Directory:
    org = org_row(conn)
    certs = conn.execute(select(models.devices.c.certificate).where(
        models.devices.c.status == "approved").order_by(models.devices.c.device_id))
    teams = conn.execute(select(models.team_keys.c.entry).order_by(
        models.team_keys.c.team_id, models.team_keys.c.epoch))
    return Directory(org={"sign_pub": org.sign_pub, "escrow_pub": org.escrow_pub,
                          "escrow_sig": org.escrow_sig, "fingerprint": org.fingerprint},
                     certificates=[json.loads(r[0]) for r in certs if r[0]],
                     teams=[json.loads(r[0]) for r in teams], receipt_pub=state.receipt_pub,
                     server_time=now_ms())


@router.get("/directory", response_model=Directory)
def directory(request: Request, _caller: SignedDevice) -> Directory:
    state = state_of(request)
    with state.begin() as conn:
        return directory_of(conn, state)


def grants_of(conn: Connection, device_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(models.grants.c.grant).where(
        models.grants.c.device_id == device_id).order_by(models.grants.c.team_id,
                                                         models.grants.c.epoch))
    return [json.loads(r[0]) for r in rows]


@router.get("/grants", response_model=Grants)
def my_grants(request: Request, caller: SignedDevice) -> Grants:
    with state_of(request).begin() as conn:
        row = conn.execute(select(models.devices).where(
            models.devices.c.device_id == caller.device_id)).one()
        return Grants(status=row.status, team_id=row.requested_team, role=row.requested_role,
                      certificate=json.loads(row.certificate) if row.certificate else None,
                      grants=grants_of(conn, caller.device_id), server_time=now_ms(),
                      role_grant=row.role_grant)
