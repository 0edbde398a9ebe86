"""Users of an office (issue 7, item 5): only the administrator adds them, each with a
profile of their own on this machine, a role signed by the organisation key, and a first
passphrase they must change before the profile opens for anything else."""

from __future__ import annotations

from caseapp.crypto import kdf
from caseapp.domain import roles
from caseapp.errors import PermissionDenied, ValidationError
from caseapp.i18n import N_
from caseapp.services import profiles, role_grants
from caseapp.services.base import actor_of
from caseapp.services.session import Session
from caseapp.store.ids import uuid7

MSG_NOT_FOUNDER = N_("Only the administrator of this office, in the profile that created it, "
                     "can add users.")


def add_user(session: Session, *, profile_name: str, user_name: str, role: str,
             first_passphrase: str, law_enforcement: bool = False,
             params: kdf.Argon2Params | None = None) -> profiles.CreatedProfile:
    """Create the profile ``profile_name`` for a new user of this office and record the user
    here too. Returns the new profile, whose recovery code is for the new user only."""
    key = role_grants.org_key(session)
    if not actor_of(session).can(roles.USERS_MANAGE):  # the signed role, never the record
        raise PermissionDenied()
    if key is None:
        raise PermissionDenied(MSG_NOT_FOUNDER)
    if role not in profiles.ROLES:
        raise ValidationError(N_("Unknown role."))
    user_id = uuid7()
    team_id = session.team_id

    def grant(new_user: str, team: str) -> list[tuple[str, str]]:
        return role_grants.grant_for(key, new_user, team, role, law_enforcement)

    team = session.store.get(team_id)
    # The new user's office is this one, organisation type included: it decides whose
    # legal-status decisions they record (legal_status.deciding_org).
    org_type = team.body.get("org_Type") if team else None
    created = profiles.create_profile(
        profile_name, first_passphrase, user_name=user_name, role=role,
        team_name=str(team.body.get("name", "Office")) if team else "Office",
        params=params, team_id=team_id, user_id=user_id, grant=grant,
        law_enforcement=law_enforcement,
        org_type=org_type if isinstance(org_type, str) else None)
    record: dict[str, object] = {"name": user_name, "role": role, "teams": [team_id]}
    if law_enforcement:
        record["law_enforcement"] = True
    with session.write():
        session.store.create("user", record, record_id=user_id, team=team_id)
        session.audit.append(session.user_id, "user_added", user_id)
    return created
