"""SECURITY.md item 5: a Hypothesis state machine drives four devices of one organisation
(an administrator and three managers, clocks skewed by up to an hour) through random offline
creates, edits of ordinary and guarded fields, deletes and syncs in random order, over real
HTTPS. After a final round of syncs every device holds the same records and the same
conflicts, and every pair of concurrent, differing edits of a guarded field is a conflict."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from caseapp.errors import NotFound
from caseapp.services import conflicts, sync
from caseapp.services.cases import CaseService
from caseapp.services.session import Session
from caseapp.store import changelog
from tests.conftest import CliProfile, Run
from tests.sync_helpers import Org, running_server, session_of

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("HIFAZAT_CONVERGENCE_EXAMPLES", "5"))
GUARDED = "prs_Birthdate"
ORDINARY = "hfz_Phone"


def _records(session: Session) -> dict[str, Any]:
    rows = session.store.conn.execute(
        "SELECT id, type, body, deleted FROM records WHERE type IN ('person', 'case') "
        "ORDER BY id").fetchall()
    return {r[0]: (r[1], json.loads(r[2]), bool(r[3])) for r in rows}


def _conflicts(session: Session) -> list[tuple[Any, ...]]:
    return sorted((c["id"], c["record_id"], c["field"], c["clock_a"], c["clock_b"],
                   json.dumps(c["value_a"]), json.dumps(c["value_b"]), c["resolved_by"])
                  for c in session.store.conflicts())


def test_devices_converge(run: Run, cli_profile: CliProfile, tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        org = Org(run, cli_profile, server, tmp_path)
        for index in range(3):
            org.enrol("manager", f"m{index}", "Office")
        sessions = [session_of(name) for name in ("admin", "m0", "m1", "m2")]
        try:
            _run_machine(sessions)
        finally:
            for session in sessions:
                session.close()


def _run_machine(sessions: list[Session]) -> None:
    devices = st.integers(0, len(sessions) - 1)

    class Devices(RuleBasedStateMachine):
        persons: list[str]

        @initialize(skews=st.lists(st.integers(-3_600_000, 3_600_000), min_size=len(sessions),
                                   max_size=len(sessions)))
        def skew_clocks(self, skews: list[int]) -> None:
            self.persons = []
            for session, skew in zip(sessions, skews, strict=True):
                real = session.clock._now
                session.clock._now = (lambda r=real, s=skew: r() + s)  # type: ignore[misc]
            # One record every device holds from the start, so edits can meet early.
            self.create(0, "1990-01-01")
            for session in sessions:
                sync.run(session)

        @rule(device=devices, birth=st.sampled_from(["1990-01-01", "1985-06-15"]))
        def create(self, device: int, birth: str) -> None:
            session = sessions[device]
            case_id = CaseService(session).create({"prs_FirstName": "P",
                                                   "prs_Birthdate": birth}).id
            case = session.store.get(case_id or "")
            assert case is not None and case.parent is not None
            self.persons.append(case.parent)

        def _edit(self, device: int, index: int, fields: dict[str, str]) -> None:
            session = sessions[device]
            person_id = self.persons[index % len(self.persons)]
            if session.store.get(person_id) is None:
                return  # not received yet, or deleted: nothing to edit here
            with session.write(), contextlib.suppress(NotFound):
                session.store.update(person_id, fields)

        @precondition(lambda self: self.persons)
        @rule(device=devices, index=st.integers(0, 50),
              birth=st.sampled_from(["1991-01-01", "1992-02-02", "1993-03-03"]))
        def edit_guarded(self, device: int, index: int, birth: str) -> None:
            self._edit(device, index, {GUARDED: birth})

        @precondition(lambda self: self.persons)
        @rule(device=devices, index=st.integers(0, 50), phone=st.sampled_from(["1", "2", "3"]))
        def edit_ordinary(self, device: int, index: int, phone: str) -> None:
            self._edit(device, index, {ORDINARY: phone})

        @precondition(lambda self: self.persons)
        @rule(device=devices, index=st.integers(0, 50))
        def delete(self, device: int, index: int) -> None:
            session = sessions[device]
            with session.write():
                session.store.delete(self.persons[index % len(self.persons)])

        @rule(device=devices, pick=st.integers(0, 50),
              keep=st.sampled_from(["1991-01-01", "1994-04-04"]))
        def resolve(self, device: int, pick: int, keep: str) -> None:
            session = sessions[device]
            found = conflicts.open_conflicts(session)
            if found:
                conflicts.resolve(session, found[pick % len(found)]["id"], keep)

        @rule(device=devices)
        def sync_one(self, device: int) -> None:
            sync.run(sessions[device])

        @invariant()
        def nothing_quarantined(self) -> None:
            for session in sessions:
                assert sync.status(session)["quarantined"] == 0

        def teardown(self) -> None:
            for _round in range(2):
                for session in sessions:
                    sync.run(session)
            first = sessions[0]
            for other in sessions[1:]:
                assert _records(other) == _records(first)
                assert _conflicts(other) == _conflicts(first)
            known = {(c[1], c[3], c[4]) for c in _conflicts(first)}
            if os.environ.get("HIFAZAT_CONVERGENCE_DEBUG"):
                print("conflicts", len(known), "records", len(_records(first)))
            for person_id in self.persons:
                edits = [c for c in changelog.of_record(first.store.conn, person_id)
                         if GUARDED in c.fields]
                for a in edits:
                    for b in edits:
                        concurrent = a.hlc < b.hlc and b.hlc > (a.seen.get(GUARDED) or "") \
                            and a.hlc > (b.seen.get(GUARDED) or "")
                        if concurrent and a.fields[GUARDED] != b.fields[GUARDED]:
                            assert (person_id, a.hlc, b.hlc) in known

    run_state_machine_as_test(Devices, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=20, deadline=None,
        suppress_health_check=list(HealthCheck)))
