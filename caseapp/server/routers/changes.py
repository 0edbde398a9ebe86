"""POST /v1/push and GET /v1/pull (SYNC.md §5).

Push: one transaction per batch. Each change is checked — the caller is its author, the
signature verifies against the caller's certified key, its audience is among the caller's
teams, its kind is allowed to the caller's certified role, its device_seq follows the last
one — then stored with the next server sequence. A change_id seen before is a ``duplicate``
with its first sequence; a gap is rejected so the client resends in order. A device that is
still pending has its changes held (no sequence) until approval.

Pull: changes addressed to one of the caller's certified teams, after a cursor, in sequence
order, paged."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection, insert, select, update

from caseapp.server import models
from caseapp.server.auth import Caller, SignedDevice
from caseapp.server.schemas import (
    Envelope,
    PulledChange,
    PullResponse,
    PushRequest,
    PushResponse,
    PushResult,
)
from caseapp.server.sequence import Sequence
from caseapp.server.state import now_ms, state_of
from caseapp.sync import envelope as envelopes
from caseapp.sync import permissions, protocol
from caseapp.sync.certificates import Certificate
from caseapp.sync.keys import ProtocolError

router = APIRouter(tags=["changes"])
# Refusals that do not use up the change's device_seq (it was not the caller's to take).
_NOT_ITS_PLACE = frozenset({"device_seq_gap", "device_seq_reused", "wrong_author",
                            "bad_signature", "change_too_large"})


def _author(conn: Connection, caller: Caller) -> tuple[Certificate, int]:
    """The caller's certificate (for a pending device: its registered keys and the team and
    role of its enrolment code, which receivers check again once it is certified) and the
    last device_seq stored from it."""
    row = conn.execute(select(models.devices).where(
        models.devices.c.device_id == caller.device_id)).one()
    cert = caller.certificate or Certificate(
        device_id=row.device_id, user_id=row.user_id, user_name="", role=row.requested_role,
        teams=caller.teams, sign_pub=row.sign_pub, kx_pub=row.kx_pub, issued_at=0,
        not_after=0, serial="")
    return cert, int(row.max_device_seq)


def _check(change: Envelope, raw: dict[str, object], size: int, author: Certificate,
           last_seq: int) -> None:
    header = change.header
    if size > protocol.MAX_ENVELOPE_BYTES:
        raise ProtocolError("change_too_large")
    if header.device_seq > last_seq + 1:
        raise ProtocolError("device_seq_gap")
    if header.device_seq <= last_seq:
        raise ProtocolError("device_seq_reused")
    envelopes.verify_signature(raw, author)
    permissions.check_kind(author, raw["header"])  # type: ignore[arg-type]


@router.post("/push", response_model=PushResponse)
def push(body: PushRequest, request: Request, caller: SignedDevice) -> PushResponse:
    now = now_ms()
    results: list[PushResult] = []
    stored: list[dict[str, object]] = []
    audiences: list[dict[str, object]] = []
    with state_of(request).begin() as conn:
        sequence = Sequence(conn)  # first: serialises pushes until this one commits
        author, last_seq = _author(conn, caller)
        held = caller.status != "approved"
        ids = [change.header.change_id for change in body.changes]
        known = {row.change_id: row for row in conn.execute(
            select(models.changes.c.change_id, models.changes.c.seq,
                   models.changes.c.device_id).where(models.changes.c.change_id.in_(ids)))}
        refused = {row.change_id: row for row in conn.execute(
            select(models.rejected_changes).where(
                models.rejected_changes.c.change_id.in_(ids),
                models.rejected_changes.c.device_id == caller.device_id))}
        taken: dict[str, int | None] = {}
        rejections: list[dict[str, object]] = []
        for change in body.changes:
            change_id = change.header.change_id
            if change_id in refused:
                results.append(PushResult(change_id=change_id, status="rejected",
                                          reason=refused[change_id].reason))
                continue
            first = known.get(change_id)
            if first is not None or change_id in taken:
                if first is not None and first.device_id != caller.device_id:
                    results.append(PushResult(change_id=change_id, status="rejected",
                                              reason="change_id_taken"))
                else:
                    seq = first.seq if first is not None else taken[change_id]
                    results.append(PushResult(change_id=change_id, status="duplicate", seq=seq))
                continue
            raw = change.model_dump()
            text = json.dumps(raw, separators=(",", ":"))
            try:
                _check(change, raw, len(text), author, last_seq)
            except ProtocolError as exc:
                results.append(PushResult(change_id=change_id, status="rejected",
                                          reason=exc.code))
                if exc.code not in _NOT_ITS_PLACE:
                    # Signed by the caller and refused for good: its place in the device's
                    # sequence is taken, so what follows is no gap, and a retry gets this.
                    last_seq = change.header.device_seq
                    rejections.append({"change_id": change_id, "device_id": caller.device_id,
                                       "reason": exc.code, "at": now})
                continue
            seq = None if held else sequence.next()
            taken[change_id] = seq
            stored.append({"seq": seq, "change_id": change_id, "device_id": caller.device_id,
                           "device_seq": change.header.device_seq,
                           "record_id": change.header.record_id, "envelope": text,
                           "held": held, "created_at": now})
            audiences += [{"change_id": change_id, "team_id": team, "seq": seq}
                          for team in sorted({a.team_id for a in change.header.audience})]
            last_seq = change.header.device_seq
            results.append(PushResult(change_id=change_id, status="accepted", seq=seq or 0))
        if stored:
            conn.execute(insert(models.changes), stored)
            conn.execute(insert(models.change_audience), audiences)
        if rejections:
            conn.execute(insert(models.rejected_changes), rejections)
        conn.execute(update(models.devices).where(
            models.devices.c.device_id == caller.device_id).values(max_device_seq=last_seq))
        sequence.save()
    return PushResponse(results=results, server_time=now_ms())


@router.get("/pull", response_model=PullResponse)
def pull(request: Request, caller: SignedDevice,
         after: Annotated[int, Query(ge=0)] = 0,
         limit: Annotated[int, Query(ge=1, le=protocol.PULL_PAGE)] = protocol.PULL_PAGE
         ) -> PullResponse:
    # Until approved, a device reads only its own changes, which it already holds.
    teams = list(caller.certificate.teams) if caller.certificate is not None else []
    if not teams:
        return PullResponse(changes=[], next=after, more=False, server_time=now_ms())
    audience = models.change_audience
    with state_of(request).begin() as conn:
        seqs = select(audience.c.seq).where(audience.c.team_id.in_(teams),
                                            audience.c.seq > after).distinct() \
            .order_by(audience.c.seq).limit(limit + 1)
        picked: list[int] = [int(row[0]) for row in conn.execute(seqs).all()]
        more = len(picked) > limit
        picked = picked[:limit]
        rows = conn.execute(select(models.changes.c.seq, models.changes.c.envelope).where(
            models.changes.c.seq.in_(picked)).order_by(models.changes.c.seq)).all() \
            if picked else []
    return PullResponse(changes=[PulledChange(seq=r.seq, envelope=json.loads(r.envelope))
                                 for r in rows],
                        next=picked[-1] if picked else after, more=more, server_time=now_ms())
