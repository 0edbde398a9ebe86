"""GET /v1/health: for load balancers and for the client before it enrols."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from caseapp import __version__
from caseapp.server import models
from caseapp.server.schemas import Health
from caseapp.server.state import now_ms, state_of

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    with state_of(request).begin() as conn:
        has_org = conn.execute(select(models.org.c.id)).first() is not None
    return Health(status="ok", version=__version__, organisation=has_org, server_time=now_ms())
