"""Option aliases shared by every command, so each flag is spelled the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
