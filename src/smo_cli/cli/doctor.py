"""`smo doctor`: one health check of the workspace, for the officer and for a monitor."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt
from smo_cli.render.output import OutputFormat

app = typer.Typer(rich_markup_mode=None, add_completion=False)
COLUMNS = ["check", "status", "detail", "advice"]


@app.command("doctor")
def run_doctor(
    ctx: typer.Context,
    network: Annotated[bool, typer.Option(
        "--network", help="Also connect to each SMTP server (EHLO only) and webhook.")] = False,
    stale_days: Annotated[int, typer.Option(
        "--stale-days", min=1, help="A source with no new items for this many days is stale.")
    ] = 14,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print only the checks that are not ok.")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Check configuration, database, secrets, jobs, sources, outbox and scheduled posts.

    Each check is ok, warning or critical, with one line of advice. Exit 0 when nothing is
    critical (warnings included), 6 when a check is critical, so cron mail or a monitor
    notices. Secrets are named, never shown.

    \b
    Examples:
      smo doctor
      smo doctor --network          # also connect to the SMTP servers and webhooks
      smo doctor -f json | jq '.[] | select(.status != "ok")'
      0 7 * * * smo -w /srv/acme doctor -q    # crontab: mail only when something is wrong
    """
    from smo_cli.config import find_workspace_root
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, note, plural
    from smo_cli.services import doctor

    context = get_app(ctx)
    root = find_workspace_root(context.workspace_option, context.env, context.cwd)
    checks = doctor.diagnose(root, context.env, stale_days=stale_days)
    if network and checks[0].status != doctor.CRITICAL:
        import httpx

        with httpx.Client(follow_redirects=False, headers={"User-Agent": "smo doctor"}) as client:
            checks += doctor.network(context.workspace(), context.env, client)
    shown = [c for c in checks if c.status != doctor.OK] if quiet else checks
    if fmt is not OutputFormat.table or shown:
        emit_rows(shown, fmt=fmt, columns=COLUMNS, empty="")
    counts = {s: sum(c.status == s for c in checks)
              for s in (doctor.OK, doctor.WARNING, doctor.CRITICAL)}
    if not quiet or counts[doctor.CRITICAL]:
        note(f"{counts['ok']} ok, {plural(counts['warning'], 'warning')}, "
             f"{counts['critical']} critical.")
    if doctor.critical(checks):
        raise typer.Exit(ExitCode.SOURCE)
