"""Running the app under uvicorn with the data folder's TLS key and certificate. Settings
reach the worker processes through the environment (they import the app by name)."""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn

from caseapp.server import app, setup


def serve(data: Path, database: str, host: str, port: int, workers: int) -> None:
    os.environ[app.ENV_DATA] = str(data.resolve())
    os.environ[app.ENV_DATABASE] = database
    files = setup.ServerFiles(data)
    uvicorn.run("caseapp.server.app:create_app", factory=True, host=host, port=port,
                workers=workers, ssl_keyfile=str(files.tls_key),
                ssl_certfile=str(files.tls_cert), access_log=False, log_level="warning")
