"""`smo mentions`: what listening kept (job 6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, LimitOpt, command_group
from smo_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from smo_cli.services.mentions import MentionFilter

app = command_group(
    "Mentions kept by listening: list, show, search, import.",
    "smo mentions list --query brand --sentiment negative --since 2026-11-01",
    "smo mentions search 'storing' -f json",
    "smo mentions show 42",
    "smo mentions import brandwatch.csv --map 'Full Text=text' --map 'Url=url'",
)
TABLE_COLUMNS = ["id", "first_seen_at", "source", "author", "lang", "sentiment", "queries",
                 "summary", "url"]
DateOpt = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"])]


def _filters(query: str | None, group: str | None, source: str | None, sentiment: str | None,
             lang: str | None, since: datetime | None, until: datetime | None,
             text: str | None, limit: int | None, unrouted: bool = False) -> MentionFilter:
    from datetime import UTC, timedelta

    from smo_cli.services.mentions import MentionFilter

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    if until is not None and (until.hour, until.minute) == (0, 0):
        until += timedelta(days=1)        # --until 2026-11-27 includes that whole day
    return MentionFilter(query=query, group=group, source=source, sentiment=sentiment,
                         lang=lang, since=aware(since), until=aware(until), text=text,
                         unrouted=unrouted, limit=limit)


@app.command("list")
def list_mentions(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Option("--query", help="Matched this query.")] = None,
    group: Annotated[str | None, typer.Option("--group", help="Matched a query of this "
                                              "group.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="From this source.")] = None,
    sentiment: Annotated[str | None, typer.Option("--sentiment", help="positive, neutral or "
                                                  "negative.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language, e.g. nl.")] = None,
    since: DateOpt = None,
    until: DateOpt = None,
    unrouted: Annotated[bool, typer.Option("--unrouted", help="Only mentions not routed "
                                           "yet.")] = False,
    limit: LimitOpt = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List mentions, newest first (JSON and CSV carry every field, the table a summary)."""
    _emit(ctx, _filters(query, group, source, sentiment, lang, since, until, None, limit,
                        unrouted), fmt)


@app.command("search")
def search_mentions(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words that must all appear.")],
    since: DateOpt = None,
    limit: LimitOpt = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Find stored mentions by words in their title or text."""
    _emit(ctx, _filters(None, None, None, None, None, since, None, text, limit), fmt)


def _emit(ctx: typer.Context, flt: MentionFilter, fmt: OutputFormat) -> None:
    from smo_cli.render.output import emit_rows
    from smo_cli.services.mentions import MENTION_COLUMNS, list_mentions

    with get_app(ctx).reading() as session:
        rows = list_mentions(session, flt)
    if fmt is OutputFormat.table:
        for row in rows:
            words = (row["title"] or row["text"] or "").split()
            row["summary"] = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
    columns = TABLE_COLUMNS if fmt is OutputFormat.table else list(MENTION_COLUMNS)
    emit_rows(rows, fmt=fmt, columns=columns, empty="No mentions match.")


@app.command("show")
def show_mention(ctx: typer.Context,
                 mention_id: Annotated[int, typer.Argument(help="Mention id.")],
                 fmt: FormatOpt = OutputFormat.table) -> None:
    """Show one mention with everything stored about it."""
    from smo_cli.render.output import emit_one
    from smo_cli.services.mentions import get_mention

    with get_app(ctx).reading() as session:
        emit_one(get_mention(session, mention_id), fmt=fmt)


@app.command("import")
def import_mentions(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV or JSONL export (Brandwatch, Talkwalker, "
                                         "LinkedIn page export, ...).", dir_okay=False)],
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="COLUMN=FIELD, e.g. 'Full Text=text' (fields: text, title, url, author, "
        "published_at, external_id, lang, hashtags).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source name to record "
                                               "(default: import).")] = None,
    matching_only: Annotated[bool, typer.Option(
        "--matching-only", help="Keep only mentions a saved query matches.")] = False,
) -> None:
    """Bring mentions from another tool's export into smo (deduplicated, matched, classified)."""
    from smo_cli.render.output import say
    from smo_cli.services.mention_import import import_mentions as run_import
    from smo_cli.services.mention_import import parse_map

    columns = parse_map(mapping or [])
    context = get_app(ctx)
    zone = context.workspace().settings.business_hours.timezone
    with context.transaction() as session:
        outcome = run_import(session, file, mapping=columns, source_name=source,
                             matching_only=matching_only, timezone=zone)
    say(f"Imported {file.name}: {outcome.new} new, {outcome.duplicate} already known, "
        f"{outcome.updated} updated, {outcome.dropped} matched no query.")
