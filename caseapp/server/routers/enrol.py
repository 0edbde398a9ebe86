"""POST /v1/enrol: a new device proves a one-time enrolment code (an HMAC of its request
under a key derived from the code; the server holds only that hash) and registers its
public keys. It is pending until an administrator approves it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import insert, select, update

from caseapp.server import models
from caseapp.server.schemas import EnrolRequest, Grants
from caseapp.server.state import fail, now_ms, org_row, state_of
from caseapp.sync import keys, protocol
from caseapp.sync.keys import ProtocolError

router = APIRouter(tags=["enrolment"])


@router.post("/enrol", response_model=Grants)
def enrol(body: EnrolRequest, request: Request) -> Grants:
    state = state_of(request)
    now = now_ms()
    try:
        keys.sign_public(body.sign_pub)
        keys.kx_public(body.kx_pub)
    except ProtocolError as exc:
        raise fail(422, exc.code) from exc
    with state.begin() as conn:
        org_row(conn)
        code = conn.execute(select(models.enrolment_codes).where(
            models.enrolment_codes.c.code_id == body.code_id)).first()
        # One answer for an unknown, used, expired or wrongly proven code: nothing to probe.
        if code is None or code.used_at is not None or code.expires_at < now or \
                not protocol.check_proof(code.key_hash, body.model_dump(exclude={"proof"}),
                                         body.proof):
            raise fail(403, "bad_enrolment_code")
        if conn.execute(select(models.devices.c.device_id).where(
                models.devices.c.device_id == body.device_id)).first() is not None:
            raise fail(409, "device_exists")
        conn.execute(update(models.enrolment_codes).where(
            models.enrolment_codes.c.code_id == body.code_id).values(used_at=now))
        conn.execute(insert(models.devices).values(
            device_id=body.device_id, sign_pub=body.sign_pub, kx_pub=body.kx_pub,
            user_id=body.user_id, user_name=body.user_name, status="pending",
            certificate=None, requested_team=code.team_id, requested_role=code.role,
            enrolled_at=now, max_device_seq=0))
    return Grants(status="pending", team_id=code.team_id, role=code.role, certificate=None,
                  grants=[], server_time=now)
