"""Option aliases shared by every command, so each flag is spelled the same everywhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from smo_cli.errors import UsageError
from smo_cli.render.output import OutputFormat

FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Show at most N rows.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", "-l", help="Document language: nl or en (default: smo.yaml)."),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
]
DeptOpt = Annotated[str | None, typer.Option("--dept", "-d", help="Department key.")]


def command_group(help_text: str, *examples: str, **settings: Any) -> typer.Typer:
    """A Typer app for one command group, set up like every other (plain help, examples)."""
    epilog = "Examples:\n\n\b\n" + "\n".join(f"  {e}" for e in examples) if examples else None
    return typer.Typer(help=help_text, epilog=epilog, rich_markup_mode=None,
                       no_args_is_help=True, add_completion=False, **settings)


def interactive() -> bool:
    """A person at a terminal, who can be asked; cron jobs and pipes cannot."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirmed(question: str, yes: bool) -> bool:
    """Ask on a terminal unless --yes; scripts (no terminal) are not asked."""
    if yes or not interactive():
        return True
    return typer.confirm(question, default=False)


def required(value: str | None, option: str, question: str) -> str:
    """The option's value; asked for on a terminal, a usage error elsewhere."""
    if value and value.strip():
        return value
    if not interactive():
        raise UsageError(f"{option} is required")
    answer: str = typer.prompt(question)
    return answer


def report_problems(problems: list[str], all_clear: str) -> None:
    """The lines a `check` command found, one per problem on stderr and exit 5; else one line
    saying all is well."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import note, say

    for problem in problems:
        note(problem)
    if problems:
        raise typer.Exit(ExitCode.INVALID)
    say(all_clear)


def emit_document(document: str | bytes, out: Path | None) -> None:
    """A generated document on stdout, or written to --out (PDF only ever goes to a file)."""
    from smo_cli.render.output import note, say, write_file

    if out is None:
        say(str(document).rstrip("\n"))
        return
    write_file(out, document)
    note(f"Wrote {out}.")
