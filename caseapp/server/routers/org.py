"""POST /v1/org: the first administrator registers the organisation with the server's
one-time setup code; it works once."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from sqlalchemy import insert, select

from caseapp.server import models
from caseapp.server.routers.directory import directory_of
from caseapp.server.schemas import Directory, OrgCreate
from caseapp.server.state import fail, now_ms, state_of
from caseapp.sync import certificates, keys, protocol
from caseapp.sync.keys import ProtocolError

router = APIRouter(tags=["organisation"])


@router.post("/org", response_model=Directory)
def create_org(body: OrgCreate, request: Request) -> Directory:
    state = state_of(request)
    unproven = body.model_dump(exclude={"proof"})
    if not protocol.check_proof(state.setup_key, unproven, body.proof):
        raise fail(403, "bad_setup_code")
    now = now_ms()
    try:
        org_pub = keys.sign_public(body.sign_pub)
        keys.kx_public(body.escrow_pub)
        certificates.verify_escrow(org_pub, body.escrow_pub, body.escrow_sig)
        cert = certificates.verify_certificate(org_pub, body.certificate.model_dump(), now)
        team = certificates.verify_team_entry(org_pub, body.team.model_dump())
        team_id, epoch = team["team_id"], team["epoch"]
        certificates.verify_entry(certificates.GRANT, keys.sign_public(cert.sign_pub),
                                  body.grant.model_dump())
    except ProtocolError as exc:
        raise fail(422, exc.code) from exc
    if cert.role != "administrator" or team_id not in cert.teams:
        raise fail(422, "first_device_must_be_administrator")
    with state.begin() as conn:
        if conn.execute(select(models.org.c.id)).first() is not None:
            raise fail(409, "organisation_exists")
        conn.execute(insert(models.org).values(
            id=1, sign_pub=body.sign_pub, escrow_pub=body.escrow_pub, escrow_sig=body.escrow_sig,
            fingerprint=keys.fingerprint(body.sign_pub), created_at=now))
        conn.execute(insert(models.devices).values(
            device_id=cert.device_id, sign_pub=cert.sign_pub, kx_pub=cert.kx_pub,
            user_id=cert.user_id, user_name=cert.user_name, status="approved",
            certificate=json.dumps(body.certificate.model_dump()), requested_team=team_id,
            requested_role=cert.role, enrolled_at=now, max_device_seq=0))
        conn.execute(insert(models.team_keys).values(
            team_id=team_id, epoch=epoch, entry=json.dumps(body.team.model_dump()),
            created_at=now))
        conn.execute(insert(models.grants).values(
            device_id=cert.device_id, team_id=team_id, epoch=epoch,
            grant=json.dumps(body.grant.model_dump())))
    with state.begin() as conn:
        return directory_of(conn, state)
