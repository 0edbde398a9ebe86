"""Server sequences under concurrency (SYNC.md §5, issue 10): two server processes on one
database, many pushers at once, and a reader pulling all the while. Every accepted change
reaches the reader exactly once, in strictly increasing sequence: a change that commits after
a higher sequence was visible is never passed over by the cursor. On SQLite and on a real
PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests import pg_cluster
from tests.pg_cluster import postgres  # noqa: F401 (the fixture, by name)
from tests.sync_api import ApiOrg, Device, pull_all
from tests.sync_helpers import Server, free_port, running_server

pytestmark = pytest.mark.slow
PUSHERS = 6
BATCHES = 8


def _second_process(server: Server) -> Server:
    port = free_port()
    other = Server(server.data, f"https://127.0.0.1:{port}", server.pin, server.setup_code,
                   port=port, database=server.database)
    other.start()
    return other


def _concurrent_pushes_are_never_skipped(server: Server) -> None:
    org = ApiOrg.create(server.url, server.pin, server.setup_code)
    other = _second_process(server)
    try:
        team = org.admin.team if org.admin else ""
        pushers = [org.enrol("caseworker", team) for _ in range(PUSHERS)]
        reader = org.enrol("caseworker", team)
        accepted: dict[str, int] = {}
        lock = threading.Lock()
        errors: list[BaseException] = []

        def push(device: Device, index: int) -> None:
            try:
                url = (server.url, other.url)[index % 2]
                with org.client(device, url) as client:
                    for _ in range(BATCHES):
                        answer = client.push([org.change(device) for _ in range(3)])
                        with lock:
                            for result in answer["results"]:
                                assert result["status"] == "accepted", result
                                accepted[result["change_id"]] = result["seq"]
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        seen: list[int] = []
        ids: list[str] = []
        done = threading.Event()

        def read() -> None:
            cursor = 0
            with org.client(reader, other.url) as client:
                while True:
                    finished = done.is_set()
                    for change in pull_all(client, cursor):
                        seen.append(change["seq"])
                        ids.append(change["envelope"]["header"]["change_id"])
                        cursor = change["seq"]
                    if finished:
                        return

        threads = [threading.Thread(target=push, args=(d, i)) for i, d in enumerate(pushers)]
        reading = threading.Thread(target=read)
        reading.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        reading.join()
        assert not errors, errors
        assert len(accepted) == PUSHERS * BATCHES * 3
        assert all(a < b for a, b in zip(seen, seen[1:], strict=False))  # strictly increasing
        assert sorted(ids) == sorted(accepted)  # every change exactly once: none skipped
        assert len(set(accepted.values())) == len(accepted)
    finally:
        other.stop()


def test_two_processes_on_sqlite(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        server.database = f"sqlite:///{server.data / 'server.db'}"
        _concurrent_pushes_are_never_skipped(server)


def test_two_processes_on_postgresql(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = pg_cluster.database_url(request.getfixturevalue("postgres"))
    with running_server(tmp_path, database=url) as server:
        _concurrent_pushes_are_never_skipped(server)
