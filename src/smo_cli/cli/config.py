"""`smo config`: the effective configuration and where it lives."""

from __future__ import annotations

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, command_group
from smo_cli.errors import UsageError
from smo_cli.render.output import OutputFormat

app = command_group(
    "Show the effective configuration and where it lives.",
    "smo config show",
    "smo config show -f json | jq .departments",
    "smo config path",
)


@app.command("show")
def show_config(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Print the effective configuration with defaults filled in (secrets redacted)."""
    from smo_cli.render.output import say, to_json
    from smo_cli.services.settings import effective_config

    if fmt is OutputFormat.csv:
        raise UsageError("config show prints YAML (table) or JSON, not CSV")
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
