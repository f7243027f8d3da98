"""`smo queries`: the Boolean queries that decide which mentions are kept (job 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, YesOpt, command_group, confirmed
from smo_cli.render.output import OutputFormat

app = command_group(
    "Saved queries: AND OR NOT, \"phrases\", wild*cards, NEAR/n, fields, {Exact}.",
    "smo queries add brand '(acme OR \"acme installatie\" OR #acme) AND NOT vacature*' -g brand",
    "smo queries add ceo '\"pieter bakker\" OR (bakker NEAR/3 acme)' -g person",
    "smo queries exclude 'vacature* OR \"we zoeken\" OR job*'",
    "smo queries import queries.yaml",
    "smo queries test brand 'Top service van Acme vandaag!'",
    "smo queries lint 'acme fiets'",
    "smo queries export brand --dialect brandwatch",
)
LIST_COLUMNS = ["name", "group", "text"]
GroupOpt = Annotated[str, typer.Option("--group", "-g", help="brand, product, person, "
                                       "competitor, campaign or other.")]


@app.command("add")
def add_query(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name, e.g. brand.")],
    text: Annotated[str, typer.Argument(help="The query.")],
    group: GroupOpt = "other",
    replace: Annotated[bool, typer.Option("--replace", help="Replace a query of that name.")] = (
        False),
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Save a query (it is checked first; an error names the column)."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import queries

    with get_app(ctx).transaction() as session:
        saved = queries.add_query(session, name=name, text=text, group=group, replace=replace)
        record = {c: getattr(saved, c) for c in LIST_COLUMNS}
    emit_one(record, fmt=fmt, message=f"Saved query {saved.name} ({saved.group}).")


@app.command("import")
def import_queries(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="queries.yaml: `queries:` (name, group, text) "
                                         "and an optional `exclude:`.", dir_okay=False)],
) -> None:
    """Create or update queries from a YAML file (keep it in git); a bad query imports none."""
    from smo_cli.render.output import say
    from smo_cli.services import queries

    with get_app(ctx).transaction() as session:
        summary = queries.import_queries(session, file)
    say(f"Imported {file.name}: {summary}.")


@app.command("list")
def list_queries(ctx: typer.Context,
                 group: Annotated[str | None, typer.Option("--group", "-g")] = None,
                 fmt: FormatOpt = OutputFormat.table) -> None:
    """List saved queries."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import queries

    with get_app(ctx).reading() as session:
        rows = [{c: getattr(q, c) for c in LIST_COLUMNS}
                for q in queries.list_queries(session, group=group)]
    emit_rows(rows, fmt=fmt, columns=LIST_COLUMNS, empty="No queries yet: `smo queries add`.")


@app.command("show")
def show_query(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Query name.")],
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Show one query."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import queries

    with get_app(ctx).reading() as session:
        saved = queries.get_query(session, name)
        record = {c: getattr(saved, c) for c in [*LIST_COLUMNS, "updated_at"]}
    emit_one(record, fmt=fmt)


@app.command("remove")
def remove_query(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Query name.")],
                 yes: YesOpt = False) -> None:
    """Remove a query (mentions it matched keep the record of it)."""
    from smo_cli.render.output import say
    from smo_cli.services import queries

    if not confirmed(f"Remove query {name}?", yes):
        say("Nothing removed.")
        return
    with get_app(ctx).transaction() as session:
        saved = queries.remove_query(session, name)
    say(f"Removed query {saved.name}.")


@app.command("exclude")
def set_exclude(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="Query every mention must NOT match.")] = (
        None),
    clear: Annotated[bool, typer.Option("--clear", help="Remove the exclude query.")] = False,
) -> None:
    """Show, set or clear the workspace-wide exclude query (job ads, spam)."""
    from smo_cli.render.output import say
    from smo_cli.services import queries

    context = get_app(ctx)
    if text is None and not clear:
        with context.reading() as session:
            saved = queries.find_query(session, queries.EXCLUDE)
        say(saved.text if saved else "No exclude query.")
        return
    with context.transaction() as session:
        queries.set_exclude(session, None if clear else text)
    say("Exclude query cleared." if clear else "Exclude query saved.")


@app.command("test")
def test_query(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Query name.")],
    text: Annotated[str, typer.Argument(help="A text to try.")],
    title: Annotated[str, typer.Option("--title")] = "",
    author: Annotated[str, typer.Option("--author")] = "",
    url: Annotated[str, typer.Option("--url")] = "",
    lang: Annotated[str, typer.Option("--lang")] = "",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Would this text be kept by the query, and which terms matched? Exit 0 either way."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import queries

    with get_app(ctx).reading() as session:
        result = queries.test_query(session, name, text, title=title, author=author, url=url,
                                    lang=lang)
    verdict = "matches" if result.matches else "does not match"
    why = f" (terms: {', '.join(result.terms)})" if result.terms else ""
    if result.matches and result.excluded:
        why += ", but the exclude query matches too, so it would not be kept"
    emit_one({"matches": result.matches, "excluded": result.excluded, "kept": result.kept,
              "terms": result.terms},
             fmt=fmt, message=f"{name} {verdict}{why}.")


@app.command("lint")
def lint_query(ctx: typer.Context,  # noqa: ARG001 - Typer passes the context
               text: Annotated[str, typer.Argument(help="A query to check.")],
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Check a query; errors and warnings name the column (exit 5 when there are errors)."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, say
    from smo_cli.services import queries

    problems = queries.lint_text(text)
    rows = [{"column": p.column, "severity": p.severity, "message": p.message, "hint": p.hint}
            for p in problems]
    if fmt is OutputFormat.table and not rows:
        say("No problems.")
    else:
        emit_rows(rows, fmt=fmt, columns=["column", "severity", "message", "hint"])
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(ExitCode.INVALID)


@app.command("export")
def export_query(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Query name.")],
    dialect: Annotated[str, typer.Option("--dialect", "-d", help="brandwatch or talkwalker.")],
) -> None:
    """Print the query in another monitoring suite's syntax."""
    from smo_cli.render.output import say
    from smo_cli.services import queries

    with get_app(ctx).reading() as session:
        say(queries.export_query(session, name, dialect.lower()))
