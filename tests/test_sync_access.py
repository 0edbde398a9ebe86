"""SECURITY.md item 8, the access matrix: for every endpoint and every kind of caller —
each role, in its own team or another, pending, rejected — the outcome is the policy's, and
another team's changes never appear in a pull. (Revocation comes with sync part 2.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caseapp.sync.client import ServerRefused, SyncClient
from tests.sync_api import ApiOrg, Device, new_id, now_ms, pull_all
from tests.sync_helpers import running_server

pytestmark = pytest.mark.slow


def _outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ServerRefused as exc:
        return exc.code
    return "ok"


def test_access_matrix(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        org = ApiOrg.create(server.url, server.pin, server.setup_code)
        assert org.admin is not None
        office, shelter = org.admin.team, org.add_team()
        callers: dict[str, Device] = {
            "administrator": org.admin,
            "manager": org.enrol("manager", office),
            "caseworker": org.enrol("caseworker", office),
            "border_officer/other team": org.enrol("border_officer", shelter),
            "pending": org.enrol("caseworker", office, approve=False),
            "rejected": org.enrol("caseworker", office, approve=False),
        }
        with org.client(org.admin) as admin:
            admin.reject(callers["rejected"].device_id)
        # One change in each team, from a member of it.
        with org.client(callers["caseworker"]) as client:
            client.push([org.change(callers["caseworker"])])
        with org.client(callers["border_officer/other team"]) as client:
            client.push([org.change(callers["border_officer/other team"])])

        def endpoints(client: SyncClient, device: Device) -> dict[str, Callable[[], Any]]:
            return {
                "directory": client.directory, "grants": client.grants,
                "audit-head": lambda: client.audit_head(0, "0" * 64),
                "pull": lambda: client.pull(0),
                "push own team": lambda: _push(client, org, device, device.team),
                "push other team": lambda: _push(client, org, device,
                                                 shelter if device.team == office else office),
                "admin devices": client.pending,
                "admin code": lambda: client.create_code({
                    "code_id": new_id("code"), "key_hash": "0" * 64, "team_id": office,
                    "role": "caseworker", "expires_at": now_ms() + 60_000}),
                "admin reject": lambda: client.reject("nobody"),
            }

        admin_refused = "not_administrator"
        expected = {
            "administrator": {"admin reject": "no_such_device"},
            "manager": {"push other team": "audience_not_permitted", "admin devices":
                        admin_refused, "admin code": admin_refused,
                        "admin reject": admin_refused},
        }
        expected["caseworker"] = expected["manager"]
        expected["border_officer/other team"] = expected["manager"]
        expected["pending"] = expected["manager"]
        found: dict[str, dict[str, str]] = {}
        for name, device in callers.items():
            with org.client(device) as client:
                found[name] = {endpoint: _outcome(call)
                               for endpoint, call in endpoints(client, device).items()}
        for name in callers:
            if name == "rejected":
                assert set(found[name].values()) == {"device_rejected"}, found[name]
                continue
            want = {e: expected[name].get(e, "ok") for e in found[name]}
            if name == "administrator":
                want["push other team"] = "ok"  # certified for both teams
            assert found[name] == want, name

        # Pulls: a team's changes reach its members only; a pending device reads none.
        def teams_pulled(device: Device) -> set[str]:
            with org.client(device) as client:
                return {a["team_id"] for c in pull_all(client)
                        for a in c["envelope"]["header"]["audience"]}
        assert teams_pulled(callers["caseworker"]) == {office}
        assert teams_pulled(callers["manager"]) == {office}
        assert teams_pulled(callers["border_officer/other team"]) == {shelter}
        assert teams_pulled(callers["pending"]) == set()
        assert teams_pulled(org.admin) == {office, shelter}


def _push(client: SyncClient, org: ApiOrg, device: Device, team: str) -> None:
    result = client.push([org.change(device, team=team)])["results"][0]
    if result["status"] == "rejected":
        raise ServerRefused(str(result["reason"]), 200)
