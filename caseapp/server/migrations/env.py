"""Alembic environment: the URL comes from ``caseapp server migrate`` (never a file)."""

from __future__ import annotations

from alembic import context

from caseapp.server.db import make_engine
from caseapp.server.models import metadata

url = context.config.attributes["url"]
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
