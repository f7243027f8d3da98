"""`smo sources`: what smo listens to (job 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, OutOpt, YesOpt, command_group, confirmed
from smo_cli.render.output import OutputFormat

app = command_group(
    "Listening sources: feeds, Mastodon, Bluesky, Hacker News, Reddit.",
    "smo sources add rss --url https://www.google.com/alerts/feeds/123/456",
    "smo sources add mastodon --instance https://mastodon.social --tag acme",
    "smo sources add bluesky --query 'acme installatie'",
    "smo sources add rss --url https://intranet.acme.local/news.xml --allow-private --keep-all",
    "smo sources list",
    "smo sources enable google-alerts",
    "smo sources test google-alerts",
    "smo sources import feeds.opml; smo sources export -o feeds.opml",
)
LIST_COLUMNS = ["name", "kind", "follows", "status", "every_minutes", "failures",
                "last_success_at", "last_error"]


@app.command("add")
def add_source(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="rss, mastodon, bluesky, hackernews or reddit.")],
    name: Annotated[str | None, typer.Option("--name", help="A short name (default: from the "
                                             "address or what it follows).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Feed address (rss).")] = None,
    instance: Annotated[str | None, typer.Option("--instance", help="Mastodon server.")] = None,
    service: Annotated[str | None, typer.Option("--service", help="Bluesky PDS/service.")] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="API base (hackernews, "
                                                "reddit).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Mastodon hashtag.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Mastodon account.")] = None,
    notifications: Annotated[bool, typer.Option("--notifications",
                                                help="Your own Mastodon mentions.")] = False,
    search: Annotated[str | None, typer.Option("--search", help="Mastodon full-text search.")] = (
        None),
    query: Annotated[str | None, typer.Option("--query", help="Search text (bluesky, "
                                              "hackernews, reddit).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Bluesky author.")] = None,
    subreddit: Annotated[str | None, typer.Option("--subreddit", help="Reddit community.")] = None,
    every: Annotated[int | None, typer.Option(
        "--every", min=1, help="Poll interval, minutes (default 15; bluesky 30).")] = None,
    allow_private: Annotated[bool, typer.Option(
        "--allow-private", help="Allow private/intranet addresses (internal listening).")] = False,
    keep_all: Annotated[bool, typer.Option(
        "--keep-all", help="Keep every item, also those no query matches.")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a source."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import sources

    data = sources.SourceInput(
        kind=kind.lower(), name=name, base_url=url or instance or service or api_url,
        params={"tag": tag.lstrip("#") if tag else None, "account": account,
                "notifications": notifications, "search": search, "query": query,
                "author": author, "subreddit": subreddit},
        poll_minutes=every, allow_private=allow_private, keep_all=keep_all)
    with get_app(ctx).transaction() as session:
        source = sources.add_source(session, data)
        record = sources.describe(source)
    emit_one(record, fmt=fmt, message=f"Added source {source.name} ({source.kind}: "
             f"{record['follows']}).")


@app.command("list")
def list_sources(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """List sources with their status (active, suspended, disabled) and last outcome."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import sources

    with get_app(ctx).reading() as session:
        rows = [sources.describe(s) for s in sources.list_sources(session)]
    emit_rows(rows, fmt=fmt, columns=LIST_COLUMNS,
              empty="No sources yet: `smo sources add rss --url ...`.")


@app.command("show")
def show_source(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Source name.")],
                fmt: FormatOpt = OutputFormat.table) -> None:
    """Show one source."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import sources

    with get_app(ctx).reading() as session:
        record = sources.describe(sources.get_source(session, name))
    emit_one(record, fmt=fmt)


@app.command("enable")
def enable_source(ctx: typer.Context,
                  name: Annotated[str, typer.Argument(help="Source name.")]) -> None:
    """Enable a source; also lifts a suspension after repeated failures."""
    from smo_cli.render.output import say
    from smo_cli.services import sources

    with get_app(ctx).transaction() as session:
        source = sources.set_enabled(session, name, True)
    say(f"Enabled {source.name}.")


@app.command("disable")
def disable_source(ctx: typer.Context,
                   name: Annotated[str, typer.Argument(help="Source name.")]) -> None:
    """Disable a source (it keeps its mentions)."""
    from smo_cli.render.output import say
    from smo_cli.services import sources

    with get_app(ctx).transaction() as session:
        source = sources.set_enabled(session, name, False)
    say(f"Disabled {source.name}.")


@app.command("remove")
def remove_source(ctx: typer.Context,
                  name: Annotated[str, typer.Argument(help="Source name.")],
                  yes: YesOpt = False) -> None:
    """Remove a source (its mentions stay)."""
    from smo_cli.render.output import say
    from smo_cli.services import sources

    if not confirmed(f"Remove source {name}?", yes):
        say("Nothing removed.")
        return
    with get_app(ctx).transaction() as session:
        source = sources.remove_source(session, name)
    say(f"Removed source {source.name}; its mentions stay.")


@app.command("test")
def test_source(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Source name.")],
                fmt: FormatOpt = OutputFormat.table) -> None:
    """Fetch once without storing: show each item and what a run would do with it, and why."""
    from smo_cli.render.output import emit_rows, note
    from smo_cli.services.listening import preview_source

    context = get_app(ctx)
    outcome, previews = preview_source(context.engine(), context.env, name)
    emit_rows(previews, fmt=fmt, columns=["verdict", "queries", "lang", "sentiment",
                                          "published_at", "title", "url"],
              empty="The source answered with no items.")
    detail = f": {outcome.detail}" if outcome.detail else ""
    note(f"{name}: {outcome.outcome}, {outcome.fetched} items{detail}. Nothing was stored.")
    if outcome.failed:
        from smo_cli.errors import ExitCode

        raise typer.Exit(ExitCode.SOURCE)


@app.command("import")
def import_opml(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="OPML file, as feed readers export.",
                                         dir_okay=False)],
    allow_private: Annotated[bool, typer.Option("--allow-private")] = False,
    keep_all: Annotated[bool, typer.Option("--keep-all")] = False,
    every: Annotated[int | None, typer.Option("--every", min=1,
                                              help="Poll interval, minutes.")] = None,
) -> None:
    """Add every feed of an OPML file; feeds already present are left as they are."""
    from smo_cli.errors import NotFound
    from smo_cli.render.output import say
    from smo_cli.services import sources

    if not file.is_file():
        raise NotFound(f"{file} does not exist")
    with get_app(ctx).transaction() as session:
        summary = sources.import_opml(session, file.read_bytes(), allow_private=allow_private,
                                      keep_all=keep_all, poll_minutes=every)
    say(f"Imported {file.name}: {summary.created} feeds added, {summary.unchanged} already "
        "present.")


@app.command("export")
def export_opml(ctx: typer.Context, out: OutOpt = None) -> None:
    """Write the feed sources as OPML (for a feed reader, or another smo workspace)."""
    from smo_cli.render.output import note, say, write_file
    from smo_cli.services import sources

    context = get_app(ctx)
    with context.reading() as session:
        text = sources.export_opml(session, f"smo sources — "
                                   f"{context.workspace().settings.organisation.name}")
    if out is None:
        say(text.rstrip("\n"))
        return
    write_file(out, text)
    note(f"Wrote {out}.")
