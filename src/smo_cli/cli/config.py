"""`smo config`: the effective configuration and where it lives."""

from __future__ import annotations

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt
from smo_cli.render.output import OutputFormat

app = typer.Typer(
    rich_markup_mode=None, no_args_is_help=True,
    help="Show the effective configuration and where it lives.",
    epilog="Examples:\n\n\b\n  smo config show\n  smo config show -f json | jq .departments\n"
    "  smo config path",
)


@app.command("show")
def show_config(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Print the effective configuration with defaults filled in (secrets redacted)."""
    from smo_cli.render.output import say, to_json
    from smo_cli.services.settings import effective_config

    config = effective_config(get_app(ctx).workspace())
    if fmt is OutputFormat.table:
        import yaml

        say(yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip())
    else:
        say(to_json(config))


@app.command("path")
def show_path(ctx: typer.Context) -> None:
    """Print the path of the workspace's smo.yaml."""
    from smo_cli.render.output import say

    say(str(get_app(ctx).workspace().config_path))
