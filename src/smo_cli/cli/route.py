"""`smo route`: check and try the routing rules in rules.yaml (job 7)."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "Routing rules (rules.yaml): lint, test a text, explain a stored mention.",
    "smo route lint",
    "smo route test 'Mijn factuur klopt niet, dubbel afgeschreven!' --lang nl",
    "smo route explain 42",
)
COLUMNS = ["rule", "assign", "type", "priority", "sla_hours", "delivery", "why"]


@app.command("lint")
def lint_rules(ctx: typer.Context) -> None:
    """Check every rule: unknown departments, people, queries, topics; unreachable rules."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import note, say
    from smo_cli.services import routing

    context = get_app(ctx)
    workspace = context.workspace()
    path = routing.rules_path(workspace)
    with context.reading() as session:
        book = routing.parse_rules(workspace, session)
        problems = routing.lint(book, workspace.settings, session, path)
    for problem in problems:
        note(problem)
    if any(p.startswith("error") for p in problems):
        raise typer.Exit(ExitCode.INVALID)
    say(f"{path.name}: {len(book.rules)} rules, no errors." if path.exists()
        else f"No {path.name}: everything goes to the officer.")


@app.command("test")
def test_rules(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A text, as a mention would bring it.")],
    source: Annotated[str, typer.Option("--source", help="Source kind or name.")] = "",
    lang: Annotated[str | None, typer.Option("--lang", help="Language (default: detect).")] = (
        None),
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Which rule fires for this text, and why."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import routing

    context = get_app(ctx)
    with context.reading() as session:
        book = routing.load_rules(context.workspace(), session)
        decisions = routing.test_text(session, book, text, source=source, lang=lang)
    emit_rows([routing.decision_record(d) for d in decisions], fmt=fmt, columns=COLUMNS)


@app.command("explain")
def explain_mention(
    ctx: typer.Context,
    mention_id: Annotated[int, typer.Argument(help="Mention id.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Which rule fires for a stored mention, and why."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import routing

    context = get_app(ctx)
    with context.reading() as session:
        book = routing.load_rules(context.workspace(), session)
        decisions = routing.explain(session, book, mention_id)
    emit_rows([routing.decision_record(d) for d in decisions], fmt=fmt, columns=COLUMNS)
