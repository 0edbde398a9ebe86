"""Every receiver — the server and each device — checks a change against the permission
table for its author's CERTIFIED role (the org-signed certificate), never the role a vault
says: a caseworker's device whose vault was edited to say "manager" is still a caseworker."""

from __future__ import annotations

from typing import Any

from caseapp.domain import roles
from caseapp.sync.certificates import Certificate
from caseapp.sync.keys import ProtocolError

# The key in a change's ``seen`` map that makes it the resolution of a conflict (the
# store's merge.RESOLUTION; the protocol cannot import the store).
RESOLUTION = "~resolution"
# Records that manage people and teams: only an administrator's device writes them for
# other devices.
ADMIN_TYPES = frozenset({"user", "team"})


def check_kind(author: Certificate, header: dict[str, Any]) -> None:
    """What the server can check without reading the body."""
    actor = author.actor
    if header["kind"] in ("delete", "purge") and not actor.can(roles.CASE_DELETE):
        raise ProtocolError(f"not_permitted:{roles.CASE_DELETE}")
    if header["record_type"] in ADMIN_TYPES and not actor.can(roles.USERS_MANAGE):
        raise ProtocolError(f"not_permitted:{roles.USERS_MANAGE}")


def check_change(author: Certificate, header: dict[str, Any], payload: dict[str, Any]) -> None:
    """ProtocolError naming the permission the author's certified role lacks."""
    check_kind(author, header)
    actor = author.actor
    fields = payload.get("fields")
    if not isinstance(fields, dict):
        raise ProtocolError("bad_body")
    seen = payload.get("seen")
    if not isinstance(seen, dict) or not all(
            isinstance(k, str) and isinstance(v, str | None) for k, v in seen.items()):
        raise ProtocolError("bad_body")  # field -> the clock its writer had seen, if any
    if not all(isinstance(payload.get(k), str | None) for k in ("parent", "team")):
        raise ProtocolError("bad_body")
    if RESOLUTION in seen and not actor.can(roles.CONFLICT_RESOLVE):
        raise ProtocolError(f"not_permitted:{roles.CONFLICT_RESOLVE}")
    for name in fields:
        if not actor.may_write_field(str(name)):
            needed = next(perm for prefix, perm in roles.RESTRICTED_FIELDS
                          if str(name).startswith(prefix))
            raise ProtocolError(f"not_permitted:{needed}")


def pushable(author_role: str, record_type: str) -> bool:
    """Whether a device of this role sends changes of this type at all (a caseworker's own
    user and team records stay on the device)."""
    return record_type not in ADMIN_TYPES or roles.Actor("", author_role).can(roles.USERS_MANAGE)
