"""The sync server over real HTTPS (SYNC.md §5; SECURITY.md items 6, 8 and 14): signed
requests and their replay, idempotent pushes, device_seq gaps, audience filtering, pending
devices, administrator-only endpoints, size limits, and the pinned TLS connection."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from caseapp.server import setup
from caseapp.sync import protocol, tls
from caseapp.sync.client import ServerRefused, ServerUnreachable, SyncClient, UpdateRequired
from caseapp.sync.keys import ProtocolError
from tests.sync_api import ApiOrg, pull_all
from tests.sync_helpers import Server, running_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as srv:
        yield srv


@pytest.fixture
def org(server: Server) -> ApiOrg:
    return ApiOrg.create(server.url, server.pin, server.setup_code)


def protocol_now() -> int:
    return time.time_ns() // 1_000_000


def _refused(code: str, call: object) -> None:
    assert callable(call)
    with pytest.raises(ServerRefused) as caught:
        call()
    assert caught.value.code == code


def test_setup_code_works_once_and_health(server: Server, org: ApiOrg) -> None:
    with SyncClient(server.url, org.cert_pem) as client:
        health = client.health()
        assert health["status"] == "ok" and health["organisation"] is True
        openapi = client.http.get("/v1/openapi.json").json()
        assert {"/v1/push", "/v1/pull", "/v1/enrol", "/v1/health"} <= set(openapi["paths"])
    with pytest.raises(ServerRefused):
        ApiOrg.create(server.url, server.pin, server.setup_code)


def test_push_pull_idempotency_gaps_and_audiences(org: ApiOrg) -> None:
    other_team = org.add_team()
    alice = org.enrol("caseworker", org.admin.team if org.admin else "")
    bob = org.enrol("caseworker", other_team)
    with org.client(alice) as client:
        first = [org.change(alice), org.change(alice)]
        answer = client.push(first)
        seqs = [r["seq"] for r in answer["results"]]
        assert [r["status"] for r in answer["results"]] == ["accepted", "accepted"]
        assert seqs[0] < seqs[1]
        # A repeated push returns the first result and stores nothing new.
        again = client.push(first)
        assert [(r["status"], r["seq"]) for r in again["results"]] == \
            [("duplicate", s) for s in seqs]
        # A gap in device_seq is refused, so the client resends in order.
        org.change(alice)  # seq 3, never sent
        gap = client.push([org.change(alice)])
        assert gap["results"][0] == {"change_id": gap["results"][0]["change_id"],
                                     "status": "rejected", "seq": None,
                                     "reason": "device_seq_gap"}
        alice.seq = 2
        # Writing to a team the device is not certified for is refused.
        foreign = client.push([org.change(alice, team=other_team)])
        assert foreign["results"][0]["reason"] == "audience_not_permitted"
        # A caseworker's certified role may not delete; a retry gets the same answer (its
        # response may have been lost), and the next change follows without a gap.
        refused = [org.change(alice, kind="delete")]
        for _attempt in range(2):
            delete = client.push(refused)
            assert delete["results"][0]["reason"] == "not_permitted:case.delete"
        after = client.push([org.change(alice)])
        assert after["results"][0]["status"] == "accepted"
        seqs.append(after["results"][0]["seq"])
        pulled = pull_all(client)
        assert [c["seq"] for c in pulled] == seqs
    with org.client(bob) as client:
        assert pull_all(client) == []  # the other team's changes never appear


def test_signed_requests_replay_and_tampering(org: ApiOrg, server: Server) -> None:
    alice = org.enrol("caseworker", org.admin.team if org.admin else "")
    body = json.dumps({"changes": [org.change(alice)]}, separators=(",", ":"),
                      sort_keys=True, ensure_ascii=False).encode()
    headers = protocol.sign_request(alice.sign, alice.device_id, "POST", "/v1/push", body,
                                    protocol_now())
    headers["content-type"] = "application/json"
    with httpx.Client(base_url=server.url, verify=tls.pinned_context(org.cert_pem)) as http:
        assert http.post("/v1/push", content=body, headers=headers).status_code == 200
        replay = http.post("/v1/push", content=body, headers=headers)
        assert (replay.status_code, replay.json()["error"]) == (401, "replayed_request")
        changed = body.replace(b'"upsert"', b'"delete"')
        fresh = protocol.sign_request(alice.sign, alice.device_id, "POST", "/v1/push", body,
                                      protocol_now())
        tampered = http.post("/v1/push", content=changed,
                             headers={**fresh, "content-type": "application/json"})
        assert (tampered.status_code, tampered.json()["error"]) == (401, "bad_signature")
        old = protocol.sign_request(alice.sign, alice.device_id, "GET", "/v1/pull?after=0",
                                    b"", protocol_now() - 6 * 60 * 1000)
        late = http.get("/v1/pull?after=0", headers=old)
        assert late.json()["error"] == "request_time_off"
        unknown = http.get("/v1/pull", headers={protocol.H_DEVICE: "nobody",
                                                **protocol.format_header()})
        assert unknown.json()["error"] == "unknown_device"
        big = http.post("/v1/push", content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                        headers={"content-type": "application/json",
                                 **protocol.format_header()})
        assert big.status_code == 413
        deep = http.post("/v1/org", content=b"[" * 100_000 + b"]" * 100_000,
                         headers={"content-type": "application/json",
                                  **protocol.format_header()})
        assert deep.status_code in (400, 422)


def test_a_device_of_an_earlier_version_is_told_to_update_and_nothing_moves(
        org: ApiOrg, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A device whose version would store route-event changes (a set field since schema 9)
    as plain values is refused before anything is read or stored, whether it does not say
    which format it reads (every version before this check) or says an older one; it may
    still ask whether the server is there."""
    alice = org.enrol("caseworker", org.admin.team if org.admin else "")
    body = json.dumps({"changes": [org.change(alice)]}, separators=(",", ":"),
                      sort_keys=True, ensure_ascii=False).encode()
    with httpx.Client(base_url=server.url, verify=tls.pinned_context(org.cert_pem)) as http:
        for stated in (None, str(protocol.MIN_FORMAT - 1), "nine"):
            headers = protocol.sign_request(alice.sign, alice.device_id, "POST", "/v1/push",
                                            body, protocol_now())
            headers.pop(protocol.H_FORMAT)
            if stated is not None:
                headers[protocol.H_FORMAT] = stated
            refused = http.post("/v1/push", content=body,
                                headers={**headers, "content-type": "application/json"})
            assert (refused.status_code, refused.json()) == (426, {"error": "update_required"})
        assert http.get("/v1/health").status_code == 200
    with org.client(alice) as client:
        assert pull_all(client) == []  # nothing of alice's was stored
    # The client says it in the user's words, and keeps what it had to send.
    monkeypatch.setattr(protocol, "READS_FORMAT", protocol.MIN_FORMAT - 1)
    with SyncClient(server.url, org.cert_pem, device_id=alice.device_id,
                    sign_key=alice.sign) as client, pytest.raises(UpdateRequired) as caught:
        client.pull(0)
    assert "newer version of Hifazat" in str(caught.value)


def test_pending_devices_are_held_and_admin_endpoints_need_an_administrator(
        org: ApiOrg) -> None:
    team = org.admin.team if org.admin else ""
    member = org.enrol("caseworker", team)
    pending = org.enrol("caseworker", team, approve=False)
    with org.client(pending) as client:
        held = client.push([org.change(pending)])
        assert held["results"][0]["status"] == "accepted"
        assert client.pull(0)["changes"] == []  # reads only its own, which it has
        _refused("not_administrator", client.pending)
    with org.client(member) as client:
        assert pull_all(client) == []  # held until approval
        _refused("not_administrator", lambda: client.reject(pending.device_id))
        cursor = client.pull(0)["next"]
        client.push([org.change(member)])
        cursor_after_own = pull_all(client, cursor)[-1]["seq"]
    org.approve(pending)
    with org.client(member) as client:
        released = pull_all(client, cursor_after_own)
        # Released with sequences after every cursor handed out before: not skipped.
        assert [c["envelope"]["header"]["device_id"] for c in released] == [pending.device_id]


def test_tls_pin_impostor_expired_and_wrong_host(server: Server, org: ApiOrg,
                                                 tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        tls.fetch_pinned(server.url, "00" * 32)
    assert caught.value.code == "pin_mismatch"
    # An impostor's certificate for the same host: the pinned context refuses it.
    _key, impostor = setup.self_signed(["127.0.0.1"])
    with SyncClient(server.url, impostor.decode()) as client, pytest.raises(ServerUnreachable):
        client.health()
    # The right certificate but another host name than the one it is for.
    with SyncClient(server.url.replace("127.0.0.1", "localhost"), org.cert_pem) as client:
        client.health()  # localhost is named in the certificate
    context = tls.pinned_context(org.cert_pem)
    with pytest.raises(ssl.SSLCertVerificationError), \
            socket.create_connection(("127.0.0.1", server.port)) as raw:
        context.wrap_socket(raw, server_hostname="other.example")
    # An expired certificate, even with the pinned key, fails the handshake.
    expired = _expired_server(tmp_path, server)
    with SyncClient(expired.url, expired.cert_pem) as client, pytest.raises(ServerUnreachable):
        client.health()
    expired.stop()


class _Expired:
    def __init__(self, server: Server, cert_pem: str) -> None:
        self.server, self.cert_pem, self.url = server, cert_pem, server.url

    def stop(self) -> None:
        self.server.stop()


def _expired_server(tmp_path: Path, running: Server) -> _Expired:
    from cryptography.hazmat.primitives import serialization

    from tests.sync_helpers import free_port
    data = tmp_path / "expired"
    data.mkdir()
    for name in (setup.RECEIPT_KEY, setup.SETUP):
        (data / name).write_bytes((running.data / name).read_bytes())
    key = serialization.load_pem_private_key((running.data / setup.TLS_KEY).read_bytes(), None)
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    key_pem, cert_pem = setup.self_signed(["127.0.0.1"], days=1, key=key,  # type: ignore[arg-type]
                                          not_before=start)
    (data / setup.TLS_KEY).write_bytes(key_pem)
    (data / setup.TLS_CERT).write_bytes(cert_pem)
    port = free_port()
    srv = Server(data, f"https://127.0.0.1:{port}", running.pin, "", port=port,
                 database=f"sqlite:///{running.data / 'server.db'}")
    srv.start()
    assert tls.spki_pin(cert_pem) == running.pin  # same key: only the dates differ
    return _Expired(srv, cert_pem.decode())


def test_server_init_takes_a_real_certificate(tmp_path: Path) -> None:
    from tests.sync_helpers import caseapp
    key_pem, cert_pem = setup.self_signed(["sync.example.org"])
    (tmp_path / "key.pem").write_bytes(key_pem)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    out = json.loads(caseapp("server", "init", "--data", tmp_path / "srv", "--tls-cert",
                             tmp_path / "cert.pem", "--tls-key", tmp_path / "key.pem", "--json"))
    assert out["pin"] == tls.spki_pin(cert_pem)
    assert (tmp_path / "srv" / setup.TLS_CERT).read_bytes() == cert_pem
    assert oct((tmp_path / "srv" / setup.TLS_KEY).stat().st_mode & 0o777) == "0o600"
