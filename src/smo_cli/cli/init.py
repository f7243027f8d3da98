"""`smo init`: create a workspace."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import required

app = typer.Typer(rich_markup_mode=None)


@app.command("init")
def init_workspace(
    ctx: typer.Context,
    directory: Annotated[
        Path | None, typer.Argument(help="Folder for the workspace (default: --workspace, "
                                    "$SMO_WORKSPACE or the current folder).", file_okay=False)
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation name.")] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="Language of smo.yaml's comments and "
                                      "default document language: nl or en.")] = "en",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing smo.yaml.")] = False,
) -> None:
    """Create a workspace: a commented smo.yaml and a migrated database.

    \b
    Examples:
      smo init acme --org "Acme B.V." --lang nl
      SMO_DATABASE_URL=postgresql://smo@db/smo smo init . --org Acme
    """
    from smo_cli.render.output import say
    from smo_cli.services.workspace import create_workspace

    org = required(org, "--org", "Organisation name")
    context = get_app(ctx)
    target = directory or context.workspace_option or _env_folder(context.env) or context.cwd
    created = create_workspace(target, org=org, lang=lang, env=context.env, force=force)
    say(f"Created workspace {created.root} for {created.settings.organisation.name.rstrip('.')}.")
    say(f"  configuration: {created.config_path}")
    say(f"  database:      {_redacted(created.database_url)}")
    say("Next: edit the departments in smo.yaml, then `smo org people import employees.csv`.")


def _env_folder(env: Mapping[str, str]) -> Path | None:
    from smo_cli.config import ENV_WORKSPACE

    value = env.get(ENV_WORKSPACE, "").strip()
    return Path(value).expanduser() if value else None


def _redacted(url: str) -> str:
    from smo_cli.config import redact

    return str(redact(url))
