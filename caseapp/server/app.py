"""The FastAPI application: /v1 routers, a body size limit, error codes as JSON, and one
structured log line per request with no personal data and no secrets (method, route, status,
duration, the calling device's id)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from caseapp import __version__
from caseapp.server import db
from caseapp.server.routers import admin, audit, changes, directory, enrol, health, org
from caseapp.server.setup import ServerFiles
from caseapp.server.state import ServerState
from caseapp.sync import protocol

log = logging.getLogger("caseapp.server")
ENV_DATA = "CASEAPP_SERVER_DATA"
ENV_DATABASE = "CASEAPP_SERVER_DATABASE"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname,
                 "event": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, separators=(",", ":"))


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


class BodyLimit:
    """Refuses a request body over the limit before the application reads it (413)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"error":"body_too_large"}'
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# What a device of any version may still ask: whether the server is there, and its API.
_OPEN_TO_EVERY_VERSION = frozenset({f"{protocol.API}/health", f"{protocol.API}/openapi.json"})


def create_app(data: Path | None = None, database: str | None = None) -> FastAPI:
    """The app for ``data`` (default $CASEAPP_SERVER_DATA) and ``database`` (default
    $CASEAPP_SERVER_DATABASE, else SQLite in the data folder)."""
    data = data or Path(os.environ[ENV_DATA])
    files = ServerFiles(data)
    url = database or os.environ.get(ENV_DATABASE) or db.default_url(data)
    configure_logging()
    app = FastAPI(title="Hifazat sync server", version=__version__,
                  docs_url=None, redoc_url=None, openapi_url=f"{protocol.API}/openapi.json")
    app.state.server = ServerState(db.make_engine(url), files.receipt_key(), files.setup_key())
    for module in (health, org, enrol, admin, directory, changes, audit):
        app.include_router(module.router, prefix=protocol.API)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field locations only: never the values sent, which could be anything.
        where = sorted({".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()})[:10]
        return JSONResponse({"error": "invalid_request", "fields": where}, status_code=422)

    @app.middleware("http")
    async def _format(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        # Before anything is read or stored: a device that would misread today's changes
        # gets none, and sends none, until it is updated (protocol.MIN_FORMAT).
        if (request.url.path.startswith(protocol.API) and
                request.url.path not in _OPEN_TO_EVERY_VERSION and
                not protocol.reads_enough(request.headers)):
            return JSONResponse({"error": "update_required"}, status_code=426)
        return await call_next(request)

    @app.middleware("http")
    async def _log(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # The path holds no personal data (ids at most); the query is left out.
            log.info("request", extra={"fields": {
                "method": request.method, "path": request.url.path[:200],
                "status": status, "ms": round((time.perf_counter() - start) * 1000, 1),
                "device": request.headers.get(protocol.H_DEVICE, "")[:64]}})

    app.add_middleware(BodyLimit, limit=protocol.MAX_BODY_BYTES + 64 * 1024)
    return app
