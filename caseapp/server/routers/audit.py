"""POST /v1/audit-head: a device reports the head of its audit chain with each sync and gets
a receipt signed by the server. A head older than one the server already signed for that
device means the vault was restored from an older copy: the answer says so."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from sqlalchemy import insert, select, update

from caseapp.server import models
from caseapp.server.auth import SignedDevice
from caseapp.server.schemas import AuditHead, AuditReceipt
from caseapp.server.state import now_ms, state_of
from caseapp.sync import protocol

router = APIRouter(tags=["audit"])


@router.post("/audit-head", response_model=AuditReceipt)
def audit_head(body: AuditHead, request: Request,
               caller: SignedDevice) -> AuditReceipt:
    state, now = state_of(request), now_ms()
    heads = models.audit_heads
    with state.begin() as conn:
        last = conn.execute(select(heads).where(heads.c.device_id == caller.device_id)).first()
        rollback = last is not None and (body.seq < last.seq or
                                         (body.seq == last.seq and
                                          not hmac.compare_digest(body.hash.encode(),
                                                                  last.hash.encode())))
        if rollback:
            assert last is not None
            signed = {"device_id": caller.device_id, "seq": last.seq, "hash": last.hash,
                      "at": last.at}
        else:
            signed = {"device_id": caller.device_id, "seq": body.seq, "hash": body.hash,
                      "at": now}
            values = {"seq": body.seq, "hash": body.hash, "at": now}
            if last is None:
                conn.execute(insert(heads).values(device_id=caller.device_id, **values))
            else:
                conn.execute(update(heads).where(heads.c.device_id == caller.device_id)
                             .values(**values))
    return AuditReceipt(receipt=protocol.sign_receipt(state.receipt_key, signed),
                        rollback=rollback, server_time=now)
