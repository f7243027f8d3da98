"""`smo db`: schema status and upgrade, backup and restore, size, retention, and copying to
another database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DryRunOpt, FormatOpt, YesOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "The database: schema, backup and restore, statistics, retention, copy to PostgreSQL "
    "(migrations also apply themselves on first use).",
    "smo db status",
    "smo db backup                        # to <workspace>/backups/",
    "smo db restore backups/smo-20261127-090000.db",
    "smo db purge --older-than 180d --dry-run",
    "smo db copy --to postgresql://smo@db.example/smo",
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


@app.command("backup")
def backup_db(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(
        help="File or folder for the copy (default: <workspace>/backups/smo-YYYYMMDD-HHMMSS.db).",
        show_default=False)] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Copy the SQLite database, safely even while a listen run writes, and check the copy.

    PostgreSQL: use pg_dump instead (exit 2).
    """
    from smo_cli.render.output import emit_one
    from smo_cli.services import backup

    workspace = get_app(ctx).workspace()
    result = backup.backup_database(workspace.database_url,
                                    path or backup.default_backup_path(workspace.root))
    emit_one({"path": str(result.path), "size_bytes": result.size, "revision": result.revision},
             fmt=fmt, message=f"Backed up to {result.path} ({human_size(result.size)}, "
             f"schema {result.revision}); integrity check ok.")


@app.command("restore")
def restore_db(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup made by `smo db backup`.",
                                         dir_okay=False)],
    yes: YesOpt = False,
) -> None:
    """Replace the database by a backup; the current one is backed up first.

    Asks first on a terminal; elsewhere (cron, scripts) it needs --yes.
    """
    from smo_cli.cli._options import interactive
    from smo_cli.errors import UsageError
    from smo_cli.render.output import say
    from smo_cli.services import backup

    workspace = get_app(ctx).workspace()
    if not yes and not interactive():
        raise UsageError("restore replaces the whole database", hint="add --yes to do it "
                         "without being asked")
    revision = backup.check_backup(workspace.database_url, path)
    if not yes and not typer.confirm(f"Replace the database of {workspace.root} by {path} "
                                     f"(schema {revision})?", default=False):
        say("Nothing restored.")
        return
    result = backup.restore_database(workspace.database_url, path, workspace_root=workspace.root)
    if result.safety_backup is not None:
        say(f"Kept the database as it was in {result.safety_backup.path}.")
    say(f"Restored {result.restored_from} (schema {result.revision}"
        f"{', upgraded to the newest' if result.upgraded else ''}).")
    if result.overdue_posts:
        from smo_cli.render.output import note

        ids = ", ".join(map(str, result.overdue_posts))
        which = f"post {ids} is" if len(result.overdue_posts) == 1 else f"posts {ids} are"
        note(f"warning: {which} scheduled for a time already past: check on the "
             "platforms whether they went out after the backup, then `smo engage cancel ID` or "
             "let publish-due send them")


@app.command("stats")
def db_stats(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Rows per table, size on disk, and the oldest and newest mention."""
    from smo_cli.config import redact
    from smo_cli.render.output import emit_one, emit_rows, say
    from smo_cli.services import backup

    context = get_app(ctx)
    stats = backup.database_stats(context.engine(), redact(context.workspace().database_url))
    rows = [{"table": name, "rows": count} for name, count in stats.tables.items()]
    if fmt is OutputFormat.json:
        emit_one(stats, fmt=fmt)
        return
    emit_rows(rows, fmt=fmt, columns=["table", "rows"])
    if fmt is OutputFormat.table:
        say(f"Database: {stats.database} (schema {stats.revision})")
        say(f"Size: {human_size(stats.size_bytes)}"
            + (f", write-ahead log {human_size(stats.wal_bytes)}"
               if stats.wal_bytes is not None else ""))
        span = (f"{stats.oldest_mention:%Y-%m-%d %H:%M} … {stats.newest_mention:%Y-%m-%d %H:%M} "
                "UTC" if stats.oldest_mention and stats.newest_mention else "none")
        say(f"Mentions first seen: {span}")


@app.command("purge")
def purge_db(
    ctx: typer.Context,
    older_than: Annotated[str | None, typer.Option(
        "--older-than", metavar="AGE",
        help="One limit for every kind: 180d, 12w, 6m (30 days) or 1y (365 days). "
        "Default: the retention settings in smo.yaml, per kind.")] = None,
    dry_run: DryRunOpt = False,
    vacuum: Annotated[bool, typer.Option(
        "--vacuum", help="Afterwards give the freed space back to the disk (takes a while, "
        "locks the database).")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Delete old mentions, sent messages, run records and log files; purged mentions are never
    fetched again. Mentions with open inbox items are kept."""
    from smo_cli.render.output import emit_rows, note
    from smo_cli.services import retention

    context = get_app(ctx)
    workspace = context.workspace()
    limits = (retention.Limits.uniform(retention.parse_age(older_than)) if older_than
              else retention.Limits.of(workspace.settings.retention))
    engine = context.engine()
    lines = retention.purge(engine, workspace.root, limits, dry_run=dry_run)
    if vacuum and not dry_run:
        retention.vacuum(engine)
    emit_rows(lines, fmt=fmt, columns=["kind", "older_than", "deleted", "kept", "detail"])
    if dry_run:
        note("Dry run: nothing was deleted; `deleted` is what would go.")
    elif vacuum:
        note("Vacuumed: the freed space went back to the disk.")


@app.command("copy")
def copy_db(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", metavar="URL", help="The empty target database, "
                                    "e.g. postgresql://smo@db.example/smo.")],
    yes: YesOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Copy every record to another, empty database, such as PostgreSQL.

    The target gets the schema first; the counts are checked afterwards. This workspace keeps
    using its database until you set SMO_DATABASE_URL (or database_url in smo.yaml).
    """
    from smo_cli.cli._options import confirmed
    from smo_cli.config import redact
    from smo_cli.render.output import emit_rows, note, plural, say
    from smo_cli.services import db_copy

    context = get_app(ctx)
    here = redact(context.workspace().database_url)
    if not confirmed(f"Copy every record of {here} to {redact(to)}?", yes):
        say("Nothing copied.")
        return
    result = db_copy.copy_database(context.engine(), to)
    emit_rows(result.tables, fmt=fmt, columns=["table", "rows"])
    note(f"Copied {plural(result.rows, 'row')} in {plural(len(result.tables), 'table')} to "
         f"{result.target} (schema {result.revision}); the counts match.")
    password = " (with the real password)" if "***" in result.target else ""
    note(f"To use it: export SMO_DATABASE_URL='{result.target}'{password}, or set "
         "database_url in smo.yaml.")


def human_size(size: int | None) -> str:
    """1536 → `1.5 KiB`: sizes for people; JSON keeps the bytes."""
    if size is None:
        return "unknown"
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
