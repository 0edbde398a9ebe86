"""Issue 7, item 5: roles are signed by the organisation key, and only the office's
administrator adds users (``caseapp user add``).

The attacks: a caseworker who knows their passphrase edits the role in their own vault (the
user record, or the grant itself), or copies another user's grant; before, the session took
the role from the user record, so the edit made them administrator.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PASSPHRASE, NewProfile, OpenProfile, Run

from caseapp.crypto.kdf import FLOOR
from caseapp.domain import roles
from caseapp.errors import PermissionDenied, ProfileError
from caseapp.services import profiles, users
from caseapp.services.base import actor_of
from caseapp.store import meta

FIRST = "saffron tunnel quiet lantern"
CHANGED = "copper kettle winter meadow"


def test_a_role_edited_in_the_user_record_grants_nothing(new_profile: NewProfile) -> None:
    created = new_profile("caseworker")
    with profiles.unlock(created.name, PASSPHRASE) as session, session.write():
        session.store.update(session.user_id, {"role": "administrator",
                                               "law_enforcement": True})
    with profiles.unlock(created.name, PASSPHRASE) as session:
        assert session.user["role"] == "administrator"  # the edit is there...
        actor = actor_of(session)
        assert (actor.role, actor.law_enforcement) == ("caseworker", False)  # ...and ignored
        assert not actor.can(roles.CASE_EXPORT_IDENTIFIED)


def test_an_edited_grant_grants_nothing(new_profile: NewProfile) -> None:
    created = new_profile("caseworker")
    with profiles.unlock(created.name, PASSPHRASE) as session:
        stored = json.loads(session.store.meta("role_grant") or "")
        stored["grant"]["role"] = "administrator"
        with session.write() as tx:
            meta.write(tx.conn, [("role_grant", json.dumps(stored))])
    with profiles.unlock(created.name, PASSPHRASE) as session:
        actor = actor_of(session)
        assert actor.role == ""
        assert not any(actor.can(p) for p in {p for ps in roles.PERMISSIONS.values()
                                               for p in ps})


def test_a_grant_copied_from_another_users_vault_grants_nothing(
        new_profile: NewProfile) -> None:
    admin = new_profile("administrator")
    caseworker = new_profile("caseworker")
    with profiles.unlock(admin.name, PASSPHRASE) as session:
        copied = [(k, session.store.meta(k) or "") for k in ("role_grant", "org_public_key")]
    with profiles.unlock(caseworker.name, PASSPHRASE) as session, session.write() as tx:
        meta.write(tx.conn, copied)
    with profiles.unlock(caseworker.name, PASSPHRASE) as session:
        assert actor_of(session).role == ""  # signed, but for another user


def test_the_administrator_adds_a_user_who_must_change_the_first_passphrase(
        open_profile: OpenProfile) -> None:
    admin = open_profile("administrator")
    created = users.add_user(admin, profile_name="bilal", user_name="Bilal Ahmed",
                             role="caseworker", first_passphrase=FIRST, params=FLOOR)
    assert admin.store.get(created.user_id) is not None
    assert admin.audit.events()[0]["action"] == "user_added"

    with pytest.raises(ProfileError) as info:
        profiles.unlock("bilal", FIRST)
    assert "change-passphrase" in info.value.user_message()
    profiles.change_passphrase("bilal", FIRST, CHANGED, params=FLOOR)
    with profiles.unlock("bilal", CHANGED) as session:
        assert actor_of(session).role == "caseworker"
        assert session.team_id == admin.team_id and session.user_id == created.user_id
        assert session.store.meta("org_sign_key") is None  # the key stays with the admin
        assert session.store.meta("org_public_key") == admin.store.meta("org_public_key")
        # A user added this way cannot add users in turn, nor sign themselves a new role.
        with pytest.raises(PermissionDenied):
            users.add_user(session, profile_name="x1", user_name="X", role="administrator",
                           first_passphrase=FIRST, params=FLOOR)
    assert opens_with_code(created)


def opens_with_code(created: profiles.CreatedProfile) -> bool:
    with profiles.unlock(created.name, created.recovery_code) as session:
        return session.user_id == created.user_id


def test_only_the_founding_administrator_adds_users(open_profile: OpenProfile) -> None:
    caseworker = open_profile("caseworker")
    with pytest.raises(PermissionDenied):
        users.add_user(caseworker, profile_name="x2", user_name="X", role="manager",
                       first_passphrase=FIRST, params=FLOOR)
    admin = open_profile("administrator", "admin2")
    users.add_user(admin, profile_name="second-admin", user_name="Second",
                   role="administrator", first_passphrase=FIRST, params=FLOOR)
    profiles.change_passphrase("second-admin", FIRST, CHANGED, params=FLOOR)
    with profiles.unlock("second-admin", CHANGED) as session:
        assert session.role == "administrator"
        with pytest.raises(PermissionDenied) as info:
            users.add_user(session, profile_name="x3", user_name="X", role="manager",
                           first_passphrase=FIRST, params=FLOOR)
        assert "created it" in info.value.user_message()


def test_profile_create_takes_no_role(run: Run, tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    code, _out, err = run("profile", "create", "--name", "eve", "--passphrase-file", secret,
                          "--role", "administrator")
    assert code == 2 and "--role" in err  # before: any role, by choice
    assert run("profile", "create", "--name", "eve", "--passphrase-file", secret)[0] == 0
    with profiles.unlock("eve", PASSPHRASE) as session:
        assert session.role == "administrator"


def test_cli_user_add(run: Run, cli_profile: NewProfile, tmp_path: Path) -> None:
    who = cli_profile("administrator")
    first = tmp_path / "first.txt"
    first.write_text(FIRST + "\n")
    code, out, err = run("user", "add", *who, "--name", "Sana Iqbal", "--role", "manager",
                         "--new-profile", "sana", "--first-passphrase-file", first)
    assert code == 0, err
    assert FIRST not in out
    profiles.change_passphrase("sana", FIRST, CHANGED, params=FLOOR)
    with profiles.unlock("sana", CHANGED) as session:
        assert (session.role, session.user["name"]) == ("manager", "Sana Iqbal")


def test_a_vault_from_before_grants_keeps_its_users_role(caseapp_home: Path) -> None:
    import shutil

    from caseapp.services import profile_paths

    vaults = Path(__file__).resolve().parent / "data" / "vaults"
    shutil.copytree(vaults / "v3", profile_paths.home() / "fixture")
    with profiles.unlock("fixture", PASSPHRASE) as session:
        recorded = session.user["role"]
        assert recorded and session.role == recorded
    with profiles.unlock("fixture", PASSPHRASE) as session:
        assert session.role == recorded and session.store.meta("role_grant")
