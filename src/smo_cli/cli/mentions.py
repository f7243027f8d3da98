"""`smo mentions`: what listening kept (job 6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, LimitOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "Mentions kept by listening: list, show, search.",
    "smo mentions list --query brand --sentiment negative --since 2026-11-01",
    "smo mentions search 'storing' -f json",
    "smo mentions show 42",
)
TABLE_COLUMNS = ["id", "first_seen_at", "source", "author", "lang", "sentiment", "queries",
                 "title", "url"]
DateOpt = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"])]


def _filters(query: str | None, group: str | None, source: str | None, sentiment: str | None,
             lang: str | None, since: datetime | None, until: datetime | None,
             text: str | None, limit: int | None) -> object:
    from datetime import UTC

    from smo_cli.services.mentions import MentionFilter

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    return MentionFilter(query=query, group=group, source=source, sentiment=sentiment,
                         lang=lang, since=aware(since), until=aware(until), text=text,
                         limit=limit)


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
    limit: LimitOpt = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List mentions, newest first (JSON and CSV carry every field, the table a summary)."""
    _emit(ctx, _filters(query, group, source, sentiment, lang, since, until, None, limit), fmt)


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


def _emit(ctx: typer.Context, flt: object, fmt: OutputFormat) -> None:
    from smo_cli.render.output import emit_rows
    from smo_cli.services.mentions import MENTION_COLUMNS, MentionFilter, list_mentions

    assert isinstance(flt, MentionFilter)
    with get_app(ctx).reading() as session:
        rows = list_mentions(session, flt)
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
