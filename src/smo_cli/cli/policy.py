"""`smo policy`: the social media policy, written from the organisation's own answers (job 4)."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, LangOpt, OutOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "The social media policy: init policy.yaml, check it, generate the document.",
    "smo policy init --lang nl",
    "smo policy check",
    "smo policy generate --lang nl --format html -o beleid.html",
    "smo policy publish --lang nl",
    "smo policy diff 1 2",
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


@app.command("publish")
def publish_policy(ctx: typer.Context, lang: LangOpt = None) -> None:
    """Store the next version (number, language, content hash, date); checks it first."""
    from smo_cli.render.output import say
    from smo_cli.services.policy import publish_policy as publish

    context = get_app(ctx)
    with context.transaction() as session:
        version = publish(session, context.workspace(), lang=lang)
        number, digest = version.number, version.content_hash
    say(f"Published policy version {number} ({digest[:12]}).")


@app.command("versions")
def list_versions(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Published versions of the policy."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.policy import list_versions as versions

    with get_app(ctx).reading() as session:
        emit_rows(versions(session), fmt=fmt, empty="No version published yet.")


@app.command("diff")
def diff_policy(ctx: typer.Context,
                old: Annotated[int, typer.Argument(help="Older version.")],
                new: Annotated[int, typer.Argument(help="Newer version.")],
                lang: LangOpt = None) -> None:
    """What changed between two published versions."""
    from smo_cli.render.output import say
    from smo_cli.services.policy import diff_versions

    context = get_app(ctx)
    with context.reading() as session:
        text = diff_versions(session, old, new, (lang or context.workspace().settings.language))
    say(text.rstrip("\n") or "No differences.")
