"""`smo policy`: the social media policy, written from the organisation's own answers (job 4)."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import LangOpt, OutOpt, command_group

app = command_group(
    "The social media policy: init policy.yaml, check it, generate the document.",
    "smo policy init --lang nl",
    "smo policy check",
    "smo policy generate --lang nl --format html -o beleid.html",
)


@app.command("init")
def init_policy(ctx: typer.Context, lang: LangOpt = None,
                force: Annotated[bool, typer.Option("--force", help="Overwrite policy.yaml.")] = (
                    False)) -> None:
    """Write policy.yaml with draft answers for the organisation to complete."""
    from smo_cli.render.output import say
    from smo_cli.services.policy import init_policy as init

    path = init(get_app(ctx).workspace(), lang=lang, force=force)
    say(f"Wrote {path}. Complete the answers, then `smo policy check`.")


@app.command("check")
def check_policy(ctx: typer.Context) -> None:
    """Report missing answers, left-over placeholders and unknown departments or people."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import note, say
    from smo_cli.services.policy import check_policy as check

    context = get_app(ctx)
    with context.reading() as session:
        problems = check(session, context.workspace())
    for problem in problems:
        note(problem)
    if problems:
        raise typer.Exit(ExitCode.INVALID)
    say("policy.yaml: every answer is there.")


@app.command("generate")
def generate_policy(
    ctx: typer.Context,
    lang: LangOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="md or html (default: from "
                                            "--out's suffix, else md).")] = None,
    out: OutOpt = None,
) -> None:
    """Render the policy with the official accounts, departments and contacts smo knows."""
    from smo_cli.render.output import note, say, write_file
    from smo_cli.services.policy import generate_policy as generate

    if fmt is None:
        fmt = "html" if out and out.suffix.lower() in (".html", ".htm") else "md"
    context = get_app(ctx)
    with context.reading() as session:
        document = generate(session, context.workspace(), lang=lang, fmt=fmt.lower())
    if out is None:
        say(document.rstrip("\n"))
        return
    write_file(out, document)
    note(f"Wrote {out}.")
