"""Setting up sync (SYNC.md §1–2): the organisation on its first administrator's profile,
teams, enrolment codes, enrolling a new device, and approving or rejecting it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from caseapp.crypto import role_grant
from caseapp.crypto.compare import same
from caseapp.domain import roles
from caseapp.errors import NotFound, PermissionDenied, ValidationError
from caseapp.i18n import N_
from caseapp.services import role_grants
from caseapp.services.base import actor_of
from caseapp.services.session import Session
from caseapp.services.sync_state import SyncState, load, maybe_load, save
from caseapp.store import meta
from caseapp.store import sync_state as stored
from caseapp.store.ids import uuid7
from caseapp.sync import certificates, keys, protocol, tls
from caseapp.sync.client import SyncClient, SyncFailure
from caseapp.sync.keys import OrgKeys, ProtocolError

TEAM = "team"


class PinMismatch(SyncFailure):
    msgid = N_("The server's certificate does not match the pin: this may not be your server. "
               "Nothing was sent.")


def _now() -> int:
    return time.time_ns() // 1_000_000


def client_for(session: Session, state: SyncState) -> SyncClient:
    return SyncClient(state.url, state.cert_pem, device_id=session.device_id,
                      sign_key=session.sign_key)


def _fetch_certificate(url: str, pin: str) -> str:
    try:
        return tls.fetch_pinned(url, pin)
    except ProtocolError as exc:
        if exc.code == "pin_mismatch":
            raise PinMismatch() from exc
        if exc.code == "not_https":
            raise ValidationError(N_("--server: the address must start with https://")) from exc
        raise SyncFailure(reason=exc.code) from exc


def _require_admin(session: Session) -> SyncState:
    state = load(session)
    if state.org_key is None or not actor_of(session).can(roles.USERS_MANAGE):
        raise PermissionDenied()
    return state


def _user_name(session: Session) -> str:
    return str(session.user.get("name") or session.paths.name)


def _certificate(state: SyncState, *, device_id: str, user_id: str, user_name: str, role: str,
                 teams: list[str], sign_pub: str, kx_pub: str) -> dict[str, Any]:
    return certificates.issue_certificate(
        state.org_signing, device_id=device_id, user_id=user_id, user_name=user_name,
        role=role, teams=teams, sign_pub=sign_pub, kx_pub=kx_pub, now_ms=_now(),
        serial=uuid7())


@dataclass(frozen=True)
class OrgCreated:
    fingerprint: str
    team_id: str


def create_org(session: Session, *, url: str, pin: str, setup_code: str, name: str,
               recovery_kit: Path) -> OrgCreated:
    """Register the organisation on a server set up with ``caseapp server init`` and make
    this profile its first administrator device; the escrow key goes only into the kit."""
    if not actor_of(session).can(roles.USERS_MANAGE):
        raise PermissionDenied()
    if maybe_load(session) is not None:
        raise ValidationError(N_("This profile already belongs to an organisation."))
    cert_pem = _fetch_certificate(url, pin)
    kx, team = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    # The office's key that signs its users' roles (issue 7) becomes the organisation's
    # signing key, so every role granted before stays valid.
    office_key = role_grants.org_key(session)
    org = OrgKeys(office_key or Ed25519PrivateKey.generate(), X25519PrivateKey.generate())
    sign_pub = keys.b64e(keys.raw_public(session.sign_key.public_key()))
    kx_pub = keys.b64e(keys.raw_public(kx.public_key()))
    team_pub = keys.b64e(keys.raw_public(team.public_key()))
    state = SyncState(url=url, pin=pin, cert_pem=cert_pem, org_fingerprint=org.fingerprint,
                      org_sign_pub=org.sign_pub, escrow_pub=org.escrow_pub, receipt_pub="",
                      kx_key=keys.raw_private(kx).hex(), status="approved",
                      role=roles.ADMINISTRATOR, team_id=session.team_id, org_name=name,
                      org_key=keys.raw_private(org.sign).hex())
    cert = _certificate(state, device_id=session.device_id, user_id=session.user_id,
                        user_name=_user_name(session), role=roles.ADMINISTRATOR,
                        teams=[session.team_id], sign_pub=sign_pub, kx_pub=kx_pub)
    body = {"sign_pub": org.sign_pub, "escrow_pub": org.escrow_pub,
            "escrow_sig": certificates.sign_escrow(org.sign, org.escrow_pub), "certificate": cert,
            "team": certificates.team_entry(org.sign, session.team_id, 1, team_pub, _now()),
            "grant": certificates.make_grant(session.sign_key, session.device_id,
                                             session.team_id, 1, team, session.device_id,
                                             kx_pub)}
    body["proof"] = protocol.prove(protocol.code_key(setup_code.strip(), "setup"), body)
    # The kit first: an organisation registered without it would have an escrow key no one
    # holds. If the server refuses, the kit is of no organisation and goes again.
    _write_kit(recovery_kit, name, org)
    try:
        with SyncClient(url, cert_pem) as client:
            directory = client.create_org(body)
    except BaseException:
        recovery_kit.unlink(missing_ok=True)
        raise
    state.certificate = cert
    state.receipt_pub = directory["receipt_pub"]
    state.server_time = directory["server_time"]
    state.add_team_key(session.team_id, 1, team_pub, team)
    state.directory = {session.device_id: cert}
    with session.write() as tx:
        save(session, state)
        if office_key is None:
            meta.write(tx.conn, [(role_grants.META_ORG_SIGN, keys.raw_private(org.sign).hex()),
                                 *role_grants.grant_for(org.sign, session.user_id,
                                                        session.team_id, session.role)])
        session.audit.append(session.user_id, "sync.org_created")
    role_grants.refresh(session)
    return OrgCreated(org.fingerprint, session.team_id)


def _write_kit(path: Path, name: str, org: OrgKeys) -> None:
    """The recovery kit: the only copy of the escrow key. Written owner-only; the user is
    told to print it and delete the file."""
    text = "\n".join([
        "Hifazat organisation recovery kit", f"Organisation: {name}",
        f"Fingerprint: {org.fingerprint}",
        f"Organisation signing key (Ed25519): {keys.b64e(keys.raw_private(org.sign))}",
        f"Escrow key (X25519): {keys.b64e(keys.raw_private(org.escrow))}",
        "Print this page, keep it in a safe, and delete this file.", ""])
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ValidationError(N_("--recovery-kit: the file exists already: %(path)s"),
                              path=str(path)) from exc
    except OSError as exc:
        raise ValidationError(N_("--recovery-kit: the file cannot be written: %(path)s"),
                              path=str(path)) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


# -- directory and grants ------------------------------------------------------------------
def refresh(session: Session, state: SyncState, client: SyncClient) -> None:
    """Verified copies of the directory (certificates, team public keys) and of this
    device's certificate and grants. The organisation key must match the fingerprint pinned
    at enrolment; entries that do not verify are left out."""
    directory = client.directory()
    org = directory["org"]
    if not same(keys.fingerprint(org["sign_pub"]), state.org_fingerprint):
        raise SyncFailure(reason="organisation_key_mismatch")
    try:
        certificates.verify_escrow(keys.sign_public(org["sign_pub"]), org["escrow_pub"],
                                   org["escrow_sig"])
    except (ProtocolError, KeyError) as exc:
        raise SyncFailure(reason="escrow_key_not_signed") from exc
    state.org_sign_pub, state.escrow_pub = org["sign_pub"], org["escrow_pub"]
    state.receipt_pub = directory["receipt_pub"]
    now = _now()
    org_pub = keys.sign_public(state.org_sign_pub)
    certs: dict[str, dict[str, Any]] = {}
    for signed in directory["certificates"]:
        try:
            certs[state.cert(signed, now).device_id] = signed
        except ProtocolError:
            continue
    state.directory = certs
    for signed in directory["teams"]:
        try:
            entry = certificates.verify_team_entry(org_pub, signed)
        except ProtocolError:
            continue
        state.add_team_key(entry["team_id"], entry["epoch"], entry["kx_pub"])
    mine = client.grants()
    state.server_time = max(state.server_time, int(mine["server_time"]))
    if mine["certificate"] is not None:
        cert = state.cert(mine["certificate"], now)
        if cert.device_id == session.device_id:
            state.certificate, state.status, state.role = mine["certificate"], "approved", \
                cert.role
    _take_role_grant(session, state, mine.get("role_grant"))
    for grant in mine["grants"]:
        try:
            by = state.author(str(grant["body"]["by"]), now)
            team_id, epoch, private = certificates.open_grant(grant, by, session.device_id,
                                                              state.kx)
        except (ProtocolError, KeyError, TypeError):
            continue
        team = state.team_keys.get(f"{team_id}|{epoch}")
        if team is not None and team.public == keys.b64e(keys.raw_public(private.public_key())):
            state.add_team_key(team_id, epoch, team.public, private)


def _take_role_grant(session: Session, state: SyncState, stored_grant: Any) -> None:
    """The role the organisation signed for this profile's user at approval: from now on the
    vault's role (issue 7) is the organisation's, checked against its key."""
    if not isinstance(stored_grant, str) or not state.org_sign_pub:
        return
    org_public = keys.b64d(state.org_sign_pub).hex()
    grant = role_grant.verified(stored_grant, org_public)
    if grant is None or (grant.user_id, grant.team_id) != (session.user_id, session.team_id):
        return
    if session.store.meta(role_grants.META_GRANT) == stored_grant:
        return
    with session.write() as tx:
        meta.write(tx.conn, [(role_grants.META_GRANT, stored_grant),
                             (role_grants.META_ORG_PUBLIC, org_public)])
    role_grants.refresh(session)


# -- teams --------------------------------------------------------------------------------
def teams(session: Session) -> list[dict[str, Any]]:
    state = maybe_load(session)
    mine = set(state.private_keys()) if state else set()
    held = {team for team, _epoch in mine}
    # Once enrolled, the organisation's teams are those in its directory (a profile's own
    # team from before it enrolled is not one of them).
    known = {k.team_id for k in state.team_keys.values()} if state else {session.team_id}
    return [{"id": r.id, "name": r.body.get("name", ""), "member": r.id in held or
             (state is None and r.id == session.team_id)}
            for r in session.store.list(TEAM, limit=1000) if r.id in known]


def team_by_name(session: Session, name: str) -> str:
    for team in teams(session):
        if team["name"] == name:
            return str(team["id"])
    raise ValidationError(N_("--team: no team is named %(name)s"), name=name)


def create_team(session: Session, name: str) -> str:
    state = _require_admin(session)
    if any(t["name"] == name for t in teams(session)):
        raise ValidationError(N_("--name: a team with that name exists"))
    team_id, team = uuid7(), X25519PrivateKey.generate()
    team_pub = keys.b64e(keys.raw_public(team.public_key()))
    mine = state.my_certificate(_now())
    assert mine is not None
    cert = _certificate(state, device_id=mine.device_id, user_id=mine.user_id,
                        user_name=mine.user_name, role=mine.role,
                        teams=[*mine.teams, team_id], sign_pub=mine.sign_pub,
                        kx_pub=mine.kx_pub)
    body = {"entry": certificates.team_entry(state.org_signing, team_id, 1, team_pub, _now()),
            "grant": certificates.make_grant(session.sign_key, session.device_id, team_id, 1,
                                             team, session.device_id, mine.kx_pub),
            "certificate": cert}
    with client_for(session, state) as client:
        directory = client.create_team(body)
    state.certificate = cert
    state.directory[session.device_id] = cert
    state.add_team_key(team_id, 1, team_pub, team)
    state.server_time = directory["server_time"]
    with session.write():
        session.store.create(TEAM, {"name": name}, record_id=team_id, team=team_id)
        save(session, state)
        session.audit.append(session.user_id, "sync.team_created", team_id)
    return team_id


# -- enrolment ----------------------------------------------------------------------------
def invite(session: Session, team_name: str, role: str) -> str:
    state = _require_admin(session)
    if role not in roles.ROLES:
        raise ValidationError(N_("--role: unknown role %(role)s"), role=role)
    team_id = team_by_name(session, team_name)
    code_id, secret = uuid7(), protocol.new_secret()
    with client_for(session, state) as client:
        client.create_code({"code_id": code_id, "key_hash": protocol.code_key(secret, "enrol"),
                            "team_id": team_id, "role": role,
                            "expires_at": _now() + protocol.ENROLMENT_VALID_MS})
    with session.write():
        session.audit.append(session.user_id, "sync.invited", team_id)
    return protocol.encode_enrolment(state.url, state.pin, state.org_fingerprint, code_id,
                                     secret)


def enrol(session: Session, code: str) -> str:
    """Enrol this profile with a one-time code; returns the device's short fingerprint, for
    the administrator to compare before approving."""
    if maybe_load(session) is not None:
        raise ValidationError(N_("This profile already belongs to an organisation."))
    try:
        bundle = protocol.decode_enrolment(code)
    except ProtocolError as exc:
        raise ValidationError(N_("--code: this is not an enrolment code")) from exc
    cert_pem = _fetch_certificate(bundle["u"], bundle["p"])
    kx = X25519PrivateKey.generate()
    sign_pub = keys.b64e(keys.raw_public(session.sign_key.public_key()))
    body: dict[str, Any] = {
        "code_id": bundle["i"], "device_id": session.device_id, "user_id": session.user_id,
        "user_name": _user_name(session), "sign_pub": sign_pub,
        "kx_pub": keys.b64e(keys.raw_public(kx.public_key()))}
    body["proof"] = protocol.prove(protocol.code_key(bundle["s"], "enrol"), body)
    with SyncClient(bundle["u"], cert_pem) as client:
        answer = client.enrol(body)
    state = SyncState(url=bundle["u"], pin=bundle["p"], cert_pem=cert_pem,
                      org_fingerprint=bundle["f"], org_sign_pub="", escrow_pub="",
                      receipt_pub="", kx_key=keys.raw_private(kx).hex(), status="pending",
                      role=str(answer["role"]), team_id=str(answer["team_id"]))
    with client_for(session, state) as client:
        refresh(session, state, client)
    with session.write() as tx:
        stored.move_team(session.store.conn, session.team_id, state.team_id)
        save(session, state)
        # Until the organisation's grant arrives with the approval, the profile keeps working
        # under its own office key, in the role of its code (receivers check certificates).
        own = role_grants.org_key(session) or Ed25519PrivateKey.generate()
        meta.write(tx.conn, [(role_grants.META_ORG_SIGN, keys.raw_private(own).hex()),
                             *role_grants.grant_for(own, session.user_id, state.team_id,
                                                    state.role)])
        session.audit.append(session.user_id, "sync.enrolled")
    session.team_id = state.team_id
    role_grants.refresh(session)
    return keys.short_fingerprint(sign_pub)


def pending(session: Session) -> list[dict[str, Any]]:
    state = _require_admin(session)
    with client_for(session, state) as client:
        found = client.pending()
    names = {t["id"]: t["name"] for t in teams(session)}
    return [{"device": d["device_id"], "user": d["user_name"], "role": d["role"],
             "team": names.get(d["team_id"], d["team_id"]),
             "fingerprint": keys.short_fingerprint(d["sign_pub"])} for d in found]


def _normal(fingerprint: str) -> str:
    return "".join(c for c in fingerprint.upper() if c.isalnum())


def approve(session: Session, device_id: str, fingerprint: str) -> None:
    state = _require_admin(session)
    with client_for(session, state) as client:
        found = next((d for d in client.pending() if d["device_id"] == device_id), None)
        if found is None:
            raise NotFound()
        if not same(_normal(keys.short_fingerprint(found["sign_pub"])), _normal(fingerprint)):
            raise ValidationError(N_("--fingerprint: it does not match the device's; read it "
                                     "again from the new device. Nothing was approved."))
        team_id = found["team_id"]
        team = state.latest(team_id)
        if team is None or team.private is None:
            raise ValidationError(N_("This profile holds no key for the device's team."))
        cert = _certificate(state, device_id=device_id, user_id=found["user_id"],
                            user_name=found["user_name"], role=found["role"], teams=[team_id],
                            sign_pub=found["sign_pub"], kx_pub=found["kx_pub"])
        grant = certificates.make_grant(session.sign_key, session.device_id, team_id,
                                        team.epoch, keys.x_private(bytes.fromhex(team.private)),
                                        device_id, found["kx_pub"])
        signed_role = role_grant.sign(state.org_signing, role_grant.RoleGrant(
            found["user_id"], team_id, found["role"], False, _now()))
        client.approve({"device_id": device_id, "certificate": cert, "grants": [grant],
                        "role_grant": signed_role})
    with session.write():
        session.audit.append(session.user_id, "sync.device_approved")


def reject(session: Session, device_id: str) -> None:
    state = _require_admin(session)
    with client_for(session, state) as client:
        client.reject(device_id)
    with session.write():
        session.audit.append(session.user_id, "sync.device_rejected")
