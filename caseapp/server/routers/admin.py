"""Administration (SYNC.md §2), each call signed by an administrator's device: enrolment
codes, pending devices, approval (certificate and grants) and rejection, new teams."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from sqlalchemy import Connection, delete, insert, select, update

from caseapp.server import models
from caseapp.server.auth import Administrator, Caller
from caseapp.server.routers.directory import directory_of
from caseapp.server.schemas import (
    Approval,
    DeviceRef,
    Directory,
    EnrolmentCodeCreate,
    PendingDevice,
    TeamCreate,
)
from caseapp.server.sequence import Sequence
from caseapp.server.state import fail, now_ms, org_row, state_of
from caseapp.sync import certificates, keys, protocol
from caseapp.sync.keys import ProtocolError

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/enrolment-codes", status_code=201)
def create_code(body: EnrolmentCodeCreate, request: Request,
                caller: Administrator) -> dict[str, str]:
    now = now_ms()
    if not now < body.expires_at <= now + protocol.ENROLMENT_VALID_MS:
        raise fail(422, "bad_expiry")
    with state_of(request).begin() as conn:
        if conn.execute(select(models.team_keys.c.team_id).where(
                models.team_keys.c.team_id == body.team_id)).first() is None:
            raise fail(404, "unknown_team")
        conn.execute(insert(models.enrolment_codes).values(
            code_id=body.code_id, key_hash=body.key_hash, team_id=body.team_id, role=body.role,
            expires_at=body.expires_at, used_at=None, created_by=caller.device_id))
    return {"code_id": body.code_id}


@router.get("/devices", response_model=list[PendingDevice])
def pending(request: Request, _caller: Administrator) -> list[PendingDevice]:
    with state_of(request).begin() as conn:
        rows = conn.execute(select(models.devices).where(
            models.devices.c.status == "pending").order_by(models.devices.c.enrolled_at))
        return [PendingDevice(device_id=r.device_id, user_id=r.user_id, user_name=r.user_name,
                              sign_pub=r.sign_pub, kx_pub=r.kx_pub, team_id=r.requested_team,
                              role=r.requested_role, enrolled_at=r.enrolled_at) for r in rows]


def _check_grants(body: Approval | TeamCreate, caller: Caller, device_id: str) -> None:
    assert caller.certificate is not None
    grants = body.grants if isinstance(body, Approval) else [body.grant]
    for grant in grants:
        entry = certificates.verify_entry(certificates.GRANT,
                                          keys.sign_public(caller.certificate.sign_pub),
                                          grant.model_dump())
        if entry.get("device_id") != device_id or entry.get("by") != caller.device_id:
            raise ProtocolError("bad_grant")


@router.post("/approve")
def approve(body: Approval, request: Request,
            caller: Administrator) -> dict[str, int]:
    state, now = state_of(request), now_ms()
    with state.begin() as conn:
        org = org_row(conn)
        device = conn.execute(select(models.devices).where(
            models.devices.c.device_id == body.device_id)).first()
        if device is None or device.status not in ("pending", "approved"):
            raise fail(404, "no_such_device")
        try:
            cert = certificates.verify_certificate(keys.sign_public(org.sign_pub),
                                                   body.certificate.model_dump(), now)
            _check_grants(body, caller, body.device_id)
        except ProtocolError as exc:
            raise fail(422, exc.code) from exc
        if (cert.device_id, cert.sign_pub, cert.kx_pub) != \
                (device.device_id, device.sign_pub, device.kx_pub):
            raise fail(422, "certificate_does_not_match_device")
        conn.execute(update(models.devices).where(
            models.devices.c.device_id == body.device_id).values(
            status="approved", certificate=json.dumps(body.certificate.model_dump()),
            role_grant=body.role_grant))
        for grant in body.grants:
            entry = grant.body
            conn.execute(delete(models.grants).where(
                models.grants.c.device_id == body.device_id,
                models.grants.c.team_id == entry["team_id"],
                models.grants.c.epoch == entry["epoch"]))
            conn.execute(insert(models.grants).values(
                device_id=body.device_id, team_id=entry["team_id"], epoch=entry["epoch"],
                grant=json.dumps(grant.model_dump())))
        released = _release_held(conn, body.device_id)
    return {"released": released}


def _release_held(conn: Connection, device_id: str) -> int:
    """What the device pushed while pending becomes visible now, with new sequences, so no
    cursor has already passed it."""
    held: list[str] = list(conn.execute(select(models.changes.c.change_id).where(
        models.changes.c.device_id == device_id, models.changes.c.held.is_(True))
        .order_by(models.changes.c.device_seq)).scalars())
    if not held:
        return 0
    sequence = Sequence(conn)
    for change_id in held:
        seq = sequence.next()
        conn.execute(update(models.changes).where(models.changes.c.change_id == change_id)
                     .values(seq=seq, held=False))
        conn.execute(update(models.change_audience).where(
            models.change_audience.c.change_id == change_id).values(seq=seq))
    sequence.save()
    return len(held)


@router.post("/reject")
def reject(body: DeviceRef, request: Request,
           _caller: Administrator) -> dict[str, str]:
    with state_of(request).begin() as conn:
        done = conn.execute(update(models.devices).where(
            models.devices.c.device_id == body.device_id,
            models.devices.c.status == "pending").values(status="rejected"))
        if done.rowcount != 1:
            raise fail(404, "no_such_device")
        conn.execute(delete(models.changes).where(models.changes.c.device_id == body.device_id,
                                                  models.changes.c.held.is_(True)))
    return {"status": "rejected"}


@router.post("/teams", response_model=Directory)
def create_team(body: TeamCreate, request: Request,
                caller: Administrator) -> Directory:
    state, now = state_of(request), now_ms()
    with state.begin() as conn:
        org = org_row(conn)
        try:
            entry = certificates.verify_team_entry(keys.sign_public(org.sign_pub),
                                                   body.entry.model_dump())
            cert = certificates.verify_certificate(keys.sign_public(org.sign_pub),
                                                   body.certificate.model_dump(), now)
            _check_grants(body, caller, caller.device_id)
        except ProtocolError as exc:
            raise fail(422, exc.code) from exc
        if cert.device_id != caller.device_id or entry["team_id"] not in cert.teams:
            raise fail(422, "certificate_does_not_match_device")
        if conn.execute(select(models.team_keys.c.team_id).where(
                models.team_keys.c.team_id == entry["team_id"],
                models.team_keys.c.epoch == entry["epoch"])).first() is not None:
            raise fail(409, "team_exists")
        conn.execute(insert(models.team_keys).values(
            team_id=entry["team_id"], epoch=entry["epoch"],
            entry=json.dumps(body.entry.model_dump()), created_at=now))
        conn.execute(insert(models.grants).values(
            device_id=caller.device_id, team_id=entry["team_id"], epoch=entry["epoch"],
            grant=json.dumps(body.grant.model_dump())))
        conn.execute(update(models.devices).where(
            models.devices.c.device_id == caller.device_id).values(
            certificate=json.dumps(body.certificate.model_dump())))
        return directory_of(conn, state)
