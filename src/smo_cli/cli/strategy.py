"""`smo strategy`: the social media strategy the CEO signs, from strategy.yaml and what smo
measures (job 2)."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import (
    LangOpt,
    OutOpt,
    command_group,
    emit_document,
    report_problems,
)

app = command_group(
    "The social media strategy: init strategy.yaml, check it, generate the document.",
    "smo strategy init --lang nl",
    "smo strategy check",
    "smo strategy generate --lang nl --format html -o strategie.html",
)


@app.command("init")
def init_strategy(ctx: typer.Context, lang: LangOpt = None,
                  force: Annotated[bool, typer.Option("--force", help="Overwrite strategy.yaml.")]
                  = False) -> None:
    """Write strategy.yaml: draft answers, with channels from the inventory targets."""
    from smo_cli.render.output import say
    from smo_cli.services.strategy import init_strategy as init

    context = get_app(ctx)
    with context.reading() as session:
        path = init(session, context.workspace(), lang=lang, force=force)
    say(f"Wrote {path}. Fill in the numbers and answers, then `smo strategy check`.")


@app.command("check")
def check_strategy(ctx: typer.Context) -> None:
    """Check SMART objectives and every KPI, channel, query and person named."""
    from smo_cli.services.strategy_check import check_strategy as check

    context = get_app(ctx)
    with context.reading() as session:
        problems = check(session, context.workspace())
    report_problems(problems, "strategy.yaml: every answer is there and every objective is SMART.")


@app.command("generate")
def generate_strategy(
    ctx: typer.Context,
    lang: LangOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="md, html or pdf (default: "
                                            "from --out's suffix, else md).")] = None,
    out: OutOpt = None,
) -> None:
    """Render the strategy (Markdown, HTML or PDF), with where we stand today."""
    from smo_cli.render.output import document_format
    from smo_cli.services.strategy import generate_strategy as generate

    chosen = document_format(fmt, out)
    context = get_app(ctx)
    with context.reading() as session:
        document = generate(session, context.workspace(), lang=lang, fmt=chosen)
    emit_document(document, out)
