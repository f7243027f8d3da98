"""`smo db`: schema status and upgrade."""

from __future__ import annotations

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "Database schema: status and upgrade (migrations also apply themselves on first use).",
    "smo db status",
    "SMO_DATABASE_URL=postgresql://smo@db/smo smo db upgrade",
)


@app.command("status")
def db_status(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Show the database, its schema revision and pending migrations (without applying them)."""
    from smo_cli.config import redact
    from smo_cli.db.engine import make_engine
    from smo_cli.db.migrate import status
    from smo_cli.render.output import emit_one

    workspace = get_app(ctx).workspace()
    engine = make_engine(workspace.database_url)
    try:
        result = status(engine)
    finally:
        engine.dispose()
    emit_one({"database": redact(workspace.database_url), "current": result.current,
              "head": result.head, "pending": result.pending,
              "up_to_date": result.up_to_date}, fmt=fmt)


@app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations (safe to run again)."""
    from smo_cli.db.engine import make_engine
    from smo_cli.db.migrate import current_revision, ensure_schema
    from smo_cli.render.output import say

    engine = make_engine(get_app(ctx).workspace().database_url)
    try:
        before = current_revision(engine)
        ran = ensure_schema(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    say(f"Upgraded {before or 'empty database'} → {after}." if ran
        else f"Already at the newest schema ({after}).")
