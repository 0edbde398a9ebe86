"""SECURITY.md item 4: sync through a proxy that cuts connections at random byte offsets
during push and pull, for many rounds, with edits on both devices between rounds. Once the
connection is whole again, both devices converge: nothing lost, nothing applied twice."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from caseapp.errors import CaseAppError
from caseapp.services import sync, sync_state
from caseapp.services.cases import CaseService
from caseapp.services.session import Session
from tests.conftest import CliProfile, Run
from tests.cutting_proxy import CuttingProxy
from tests.sync_helpers import Org, running_server, session_of

pytestmark = pytest.mark.slow
ROUNDS = int(os.environ.get("HIFAZAT_CUT_ROUNDS", "200"))


def _through(session: Session, url: str) -> None:
    state = sync_state.load(session)
    state.url = url
    with session.write():
        sync_state.save(session, state)


def _snapshot(session: Session) -> dict[str, object]:
    rows = session.store.conn.execute(
        "SELECT id, type, body, deleted FROM records WHERE type IN ('case', 'person', 'note') "
        "ORDER BY id").fetchall()
    return {r[0]: (r[1], json.loads(r[2]), r[3]) for r in rows}


def test_cut_connections_converge(run: Run, cli_profile: CliProfile, tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        org = Org(run, cli_profile, server, tmp_path)
        org.enrol("caseworker", "worker", "Office")
        proxy = CuttingProxy(server.port)
        admin, worker = session_of("admin"), session_of("worker")
        try:
            for session in (admin, worker):
                _through(session, proxy.url)
            made = 0
            failures = 0
            for round_no in range(ROUNDS):
                session = (admin, worker)[round_no % 2]
                if round_no % 3 == 0:
                    CaseService(session).create({"prs_FirstName": f"Person {round_no}",
                                                 "prs_Birthdate": "1990-01-01"})
                    made += 1
                try:
                    sync.run(session)
                except CaseAppError:
                    failures += 1
            assert failures > ROUNDS // 4 and proxy.cuts > ROUNDS // 4  # the cuts did happen
            proxy.cutting = False
            for session in (admin, worker, admin, worker):
                sync.run(session)
            assert admin.store.pending_changes() == worker.store.pending_changes() == 0
            mine, theirs = _snapshot(admin), _snapshot(worker)
            assert mine == theirs
            names = [body.get("prs_FirstName") for kind, body, _d in mine.values()
                     if kind == "person"]
            assert len(names) == made and len(set(names)) == made
        finally:
            admin.close()
            worker.close()
            proxy.close()
        db = sqlite3.connect(server.data / "server.db")
        ids = [r[0] for r in db.execute("SELECT change_id FROM changes")]
        assert len(ids) == len(set(ids))
        db.close()
