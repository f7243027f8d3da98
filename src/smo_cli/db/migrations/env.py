"""Alembic environment: migrations run on the connection smo hands over (never from alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from smo_cli.db.models import load_all

load_all()
target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("smo runs migrations through smo_cli.db.migrate, with a connection")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
