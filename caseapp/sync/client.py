"""The HTTPS client of the /v1 API: the pinned certificate as sole trust anchor, every
request after enrolment signed by the device (SYNC.md §5). Failures are ``SyncFailure``
with a plain-words message; a server's refusal carries its error code."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.canonical import canonical_json
from caseapp.errors import CaseAppError
from caseapp.i18n import N_
from caseapp.sync import protocol, tls


class SyncFailure(CaseAppError):
    msgid = N_("Sync failed: %(reason)s")
    exit_code = 3


class ServerUnreachable(SyncFailure):
    msgid = N_("The sync server cannot be reached. Check the connection and try again later; "
               "nothing was lost.")


class UpdateRequired(SyncFailure):
    msgid = N_("The sync server needs a newer version of Hifazat on this computer. Update "
               "Hifazat, then sync again; nothing was lost.")


class ServerRefused(SyncFailure):
    """The server answered with an error code (``code``)."""

    msgid = N_("The sync server refused the request (%(code)s).")

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code=code)
        self.code = code
        self.status = status


class SyncClient:
    def __init__(self, url: str, cert_pem: str, *, device_id: str = "",
                 sign_key: Ed25519PrivateKey | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        tls.host_port(url)
        self.device_id = device_id
        self.sign_key = sign_key
        self.http = httpx.Client(base_url=url.rstrip("/"), verify=tls.pinned_context(cert_pem),
                                 timeout=timeout, transport=transport, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, body: Any = None, *, signed: bool = True) -> Any:
        path = protocol.API + path
        content = b"" if body is None else canonical_json(body)
        headers = {"content-type": "application/json"} if body is not None else {}
        headers.update(protocol.format_header())
        if signed:
            if self.sign_key is None:
                raise ValueError("no device key")
            headers.update(protocol.sign_request(self.sign_key, self.device_id, method, path,
                                                 content, time.time_ns() // 1_000_000))
        try:
            response = self.http.request(method, path, content=content or None, headers=headers)
        except httpx.HTTPError as exc:
            raise ServerUnreachable() from exc
        if response.status_code == 426:
            raise UpdateRequired()
        if response.status_code >= 400:
            try:
                code = str(response.json().get("error", response.status_code))
            except (ValueError, AttributeError):
                code = f"http_{response.status_code}"
            raise ServerRefused(code[:80], response.status_code)
        try:
            return response.json()
        except json.JSONDecodeError as exc:
            raise ServerRefused("bad_response", response.status_code) from exc

    # -- unsigned: before the device has keys on the server -------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self._send("GET", "/health", signed=False))

    def create_org(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", "/org", body, signed=False))

    def enrol(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", "/enrol", body, signed=False))

    # -- signed ---------------------------------------------------------------------------
    def directory(self) -> dict[str, Any]:
        return dict(self._send("GET", "/directory"))

    def grants(self) -> dict[str, Any]:
        return dict(self._send("GET", "/grants"))

    def push(self, envelopes: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self._send("POST", "/push", {"changes": envelopes}))

    def pull(self, after: int, limit: int = protocol.PULL_PAGE) -> dict[str, Any]:
        return dict(self._send("GET", f"/pull?after={after}&limit={limit}"))

    def audit_head(self, seq: int, digest: str) -> dict[str, Any]:
        return dict(self._send("POST", "/audit-head", {"seq": seq, "hash": digest}))

    def create_code(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", "/admin/enrolment-codes", body))

    def pending(self) -> list[dict[str, Any]]:
        return list(self._send("GET", "/admin/devices"))

    def approve(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", "/admin/approve", body))

    def reject(self, device_id: str) -> dict[str, Any]:
        return dict(self._send("POST", "/admin/reject", {"device_id": device_id}))

    def create_team(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", "/admin/teams", body))
