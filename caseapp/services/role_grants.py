"""Writing role grants into a vault (``crypto.role_grant`` says what they protect)."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.crypto import role_grant
from caseapp.errors import PermissionDenied
from caseapp.services.session import Session
from caseapp.store import meta

META_GRANT = "role_grant"
META_ORG_PUBLIC = "org_public_key"
META_ORG_SIGN = "org_sign_key"  # only in the vault of the office's founding administrator


def grant_for(key: Ed25519PrivateKey, user_id: str, team_id: str, role: str,
              law_enforcement: bool = False) -> list[tuple[str, str]]:
    """The meta entries that give ``user_id`` its signed role (public key included)."""
    grant = role_grant.RoleGrant(user_id, team_id, role, law_enforcement,
                                 time.time_ns() // 1_000_000)
    return [(META_GRANT, role_grant.sign(key, grant)),
            (META_ORG_PUBLIC, role_grant.public_hex(key))]


def found_office(session: Session, role: str, law_enforcement: bool = False) -> None:
    """Make this vault the one holding its office's organisation key, and sign its own user's
    role with it (a new standalone office, or a vault written before grants existed)."""
    key = Ed25519PrivateKey.generate()
    with session.write() as tx:
        meta.write(tx.conn, [(META_ORG_SIGN, key.private_bytes_raw().hex()),
                             *grant_for(key, session.user_id, session.team_id, role,
                                        law_enforcement)])
    refresh(session)


def upgrade(session: Session) -> None:
    """A vault from before role grants: its user's recorded role is signed once, as it is
    (there is nothing older to check it against)."""
    if session.ungranted:
        user = session.user
        found_office(session, str(user.get("role", "")), bool(user.get("law_enforcement")))


def org_key(session: Session) -> Ed25519PrivateKey | None:
    stored = session.store.meta(META_ORG_SIGN)
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored)) if stored else None


def regrant(session: Session, role: str, law_enforcement: bool = False) -> None:
    """Sign a new role for this vault's own user, where this vault holds the organisation key
    (the founding administrator's, or a test's). The user record is updated to match."""
    key = org_key(session)
    if key is None:
        raise PermissionDenied()
    with session.write() as tx:
        fields: dict[str, object] = {"role": role}
        if law_enforcement or session.user.get("law_enforcement") is not None:
            fields["law_enforcement"] = law_enforcement
        session.store.update(session.user_id, fields)
        meta.write(tx.conn, grant_for(key, session.user_id, session.team_id, role,
                                      law_enforcement))
        session.audit.append(session.user_id, "role_granted", session.user_id)
    refresh(session)


def refresh(session: Session) -> None:
    session.grant = role_grant.verified(session.store.meta(META_GRANT),
                                        session.store.meta(META_ORG_PUBLIC))
    session.ungranted = False
