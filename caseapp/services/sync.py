"""A sync run (SYNC.md §6): refresh the directory and grants, push the outbox in batches,
report the audit head, then pull pages until there are no more.

Each pulled page is verified, decrypted and applied in ONE local transaction together with
its cursor, so a run cut at any byte resumes with nothing lost and nothing applied twice.
A change that fails — a bad certificate or signature, an audience its author may not write
to, a field its author's certified role may not write — is quarantined with an audit event
and none of it is applied."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from caseapp.canonical import canonical_json
from caseapp.errors import CaseAppError
from caseapp.services.session import Session
from caseapp.services.sync_setup import client_for, refresh
from caseapp.services.sync_state import SyncState, load, maybe_load, save
from caseapp.store import changelog
from caseapp.store import sync_state as stored
from caseapp.store.changelog import LoggedChange
from caseapp.sync import envelope, keys, permissions, protocol
from caseapp.sync.certificates import Certificate
from caseapp.sync.client import SyncClient, SyncFailure
from caseapp.sync.envelope import Audience
from caseapp.sync.keys import ProtocolError

MAX_BATCH_BYTES = protocol.MAX_BODY_BYTES - 64 * 1024
QUARANTINED = "sync.quarantined"


def _now() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class RunReport:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    quarantined: int = 0
    rollback: bool = False
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# -- push -------------------------------------------------------------------------------------
def _payload(change: LoggedChange) -> dict[str, Any]:
    return {"fields": change.fields, "seen": change.seen, "parent": change.parent,
            "team": change.team}


def _envelope(session: Session, state: SyncState, change: LoggedChange,
              device_seq: int) -> dict[str, Any] | None:
    team = state.latest(change.team or state.team_id) or state.latest(state.team_id)
    if team is None:
        return None
    conn = session.store.conn
    record_key = stored.record_key(conn, change.record_id, team.team_id, team.epoch)
    if record_key is None:
        record_key = keys.new_record_key()
        stored.keep_record_key(conn, change.record_id, team.team_id, team.epoch, record_key)
    header = {"change_id": change.change_id, "record_id": change.record_id,
              "record_type": change.record_type, "device_id": session.device_id,
              "device_seq": device_seq, "hlc": change.hlc, "kind": change.kind}
    payload = _payload(change)
    payload["team"] = team.team_id
    return envelope.seal_change(header, payload, record_key,
                                [Audience(team.team_id, team.epoch,
                                          keys.kx_public(team.public))],
                                state.escrow, session.sign_key)


def push(session: Session, state: SyncState, client: SyncClient, report: RunReport) -> None:
    role = state.role
    while True:
        batch: list[tuple[LoggedChange, dict[str, Any]]] = []
        size = 0
        local_only: list[LoggedChange] = []
        with session.write():
            for change in session.store.unpushed(protocol.MAX_BATCH):
                if not permissions.pushable(role, change.record_type):
                    local_only.append(change)
                    continue
                env = _envelope(session, state, change, state.push_seq + len(batch) + 1)
                if env is None:
                    break
                size += len(canonical_json(env))
                if batch and size > MAX_BATCH_BYTES:
                    break
                batch.append((change, env))
            for change in local_only:
                changelog.mark_pushed(session.store.conn, change.change_id, 0)
        if not batch:
            if not local_only:
                return
            continue
        answer = client.push([env for _change, env in batch])
        results = {r["change_id"]: r for r in answer["results"]}
        with session.write():
            for change, _env in batch:
                result = results.get(change.change_id)
                if result is None or result.get("reason") in ("device_seq_gap",
                                                              "device_seq_reused"):
                    break
                status = result["status"]
                if status == "rejected":
                    report.rejected += 1
                    report.reasons.append(str(result.get("reason")))
                else:
                    report.pushed += status == "accepted"
                changelog.mark_pushed(session.store.conn, change.change_id,
                                      int(result.get("seq") or 0) if status != "rejected"
                                      else -1)
                state.push_seq += 1
            state.server_time = max(state.server_time, int(answer["server_time"]))
            save(session, state)
        if any(r.get("reason") in ("device_seq_gap", "device_seq_reused")
               for r in answer["results"]):
            raise SyncFailure(reason="device_seq_gap")


def report_audit_head(session: Session, state: SyncState, client: SyncClient,
                      report: RunReport) -> None:
    seq, digest = session.audit.head()
    answer = client.audit_head(seq, digest)
    body = protocol.verify_receipt(keys.sign_public(state.receipt_pub), answer["receipt"])
    if body.get("device_id") != session.device_id:
        raise SyncFailure(reason="bad_receipt")
    state.receipt = answer["receipt"]
    state.rollback = state.rollback or bool(answer["rollback"])
    report.rollback = state.rollback


# -- pull ------------------------------------------------------------------------------------
class _Verifier:
    """The verified certificates and the team keys of one pull (verifying the same author's
    certificate again for each of 10,000 changes would double the cost of a first sync)."""

    def __init__(self, state: SyncState) -> None:
        self.state = state
        self.private = state.private_keys()
        self.certs: dict[str, Certificate] = {}

    def author(self, device_id: str, now: int) -> Certificate:
        if device_id not in self.certs:
            self.certs[device_id] = self.state.author(device_id, now)
        return self.certs[device_id]


def _apply(session: Session, verifier: _Verifier, seq: int, env: dict[str, Any],
           report: RunReport) -> None:
    now = _now()
    header = env.get("header") if isinstance(env, dict) else None
    change_id = str(header.get("change_id")) if isinstance(header, dict) else f"seq-{seq}"
    device_id = str(header.get("device_id")) if isinstance(header, dict) else None
    if device_id == session.device_id or changelog.known(session.store.conn, change_id):
        return
    try:
        author = verifier.author(str(device_id), now)
        payload = envelope.open_change(env, author, verifier.private)
        checked = envelope.check_shape(env)
        permissions.check_change(author, checked, payload)
        logged = LoggedChange(
            change_id=change_id, record_id=checked["record_id"],
            record_type=checked["record_type"], kind=checked["kind"],
            fields=payload["fields"], hlc=checked["hlc"], device=checked["device_id"],
            device_seq=checked["device_seq"], parent=payload.get("parent"),
            team=payload.get("team"), seen=payload.get("seen") or {})
        with session.savepoint("sync_apply"):
            applied = session.store.apply_remote(logged)
        report.pulled += applied
    except (ProtocolError, KeyError, TypeError, ValueError) as exc:
        reason = exc.code if isinstance(exc, ProtocolError) else "bad_change"
        if stored.quarantine(session.store.conn, change_id, seq, device_id, reason, env, now):
            session.audit.append(session.user_id, QUARANTINED, None, [reason])
            report.quarantined += 1


def pull(session: Session, state: SyncState, client: SyncClient, report: RunReport) -> None:
    verifier: _Verifier | None = None
    while True:
        page = client.pull(state.cursor)
        unknown = {c["envelope"].get("header", {}).get("device_id")
                   for c in page["changes"]} - set(state.directory) - {None}
        if unknown or verifier is None:
            if unknown:
                refresh(session, state, client)  # approved since this run began
            verifier = _Verifier(state)
        with session.write():
            before = stored.conflict_count(session.store.conn)
            for item in page["changes"]:
                _apply(session, verifier, int(item["seq"]), item["envelope"], report)
            report.conflicts += stored.conflict_count(session.store.conn) - before
            state.cursor = max(state.cursor, int(page["next"]))
            state.server_time = max(state.server_time, int(page["server_time"]))
            save(session, state)
        if not page["more"]:
            return


def run(session: Session) -> RunReport:
    """Push, then pull. A failure is recorded (in plain words, for ``status``) and raised."""
    state = load(session)
    report = RunReport()
    try:
        with client_for(session, state) as client:
            refresh(session, state, client)
            with session.write():
                save(session, state)
            push(session, state, client, report)
            report_audit_head(session, state, client, report)
            pull(session, state, client, report)
    except (CaseAppError, ProtocolError) as exc:
        failed = maybe_load(session) or state
        failed.last_error = exc.user_message() if isinstance(exc, CaseAppError) else \
            SyncFailure(reason=exc.code).user_message()
        with session.write():
            save(session, failed)
        raise
    state = load(session)
    state.last_success, state.last_error = _now(), ""
    state.rollback = state.rollback or report.rollback
    with session.write():
        save(session, state)
        # What the server holds now needs no second full copy here (issue 12).
        session.store.compact_log()
        session.audit.append(session.user_id, "sync.run")
    return report


def status(session: Session) -> dict[str, Any]:
    state = maybe_load(session)
    if state is None:
        return {"enrolled": False, "pending_changes": session.store.pending_changes()}
    return {"enrolled": True, "server": state.url, "device_status": state.status,
            "role": state.role, "last_success": state.last_success or None,
            "last_error": state.last_error or None,
            "pending_changes": session.store.pending_changes(), "cursor": state.cursor,
            "quarantined": len(stored.quarantined(session.store.conn)),
            "restored_copy_detected": state.rollback}

