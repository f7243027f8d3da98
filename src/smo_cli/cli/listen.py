"""`smo listen`: the unattended listening run, made for cron (job 6)."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DryRunOpt, FormatOpt, LimitOpt, QuietOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "Listening: fetch every due source, keep what the queries match.",
    "smo listen run                      # from cron: */15 * * * * smo -w /srv/acme listen run -q",
    "smo listen run --source google-alerts",
    "smo listen runs",
    "smo listen show 12",
)
OUTCOME_COLUMNS = ["name", "outcome", "fetched", "new", "duplicate", "updated", "dropped",
                   "detail"]


@app.command("run")
def run_listen(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source, "
                                               "whatever its poll interval.")] = None,
    every_source: Annotated[bool, typer.Option("--all", help="Ignore poll intervals.")] = False,
    no_route: Annotated[bool, typer.Option("--no-route", help="Store only; route later "
                                           "with `smo listen route`.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch, store and route, but send "
                                          "nothing: say what would be sent.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Fetch every due source, store new mentions once, and print one summary line.

    Exit 0 when the run completed (per-source errors are listed), 6 when every source failed,
    5 on bad configuration. A second run while one is going exits 0 at once.
    """
    from smo_cli.errors import Conflict, ExitCode
    from smo_cli.render.output import emit_rows, note, plural, progress
    from smo_cli.services.listening import run_listen as run
    from smo_cli.services.listening import run_lock

    context = get_app(ctx)
    workspace = context.workspace()
    try:
        with run_lock(workspace.root):
            engine = context.engine()
            with progress(None, "Listening") as advance:
                summary = run(engine, context.env, only=source, every_source=every_source,
                              on_done=lambda _: advance())
    except Conflict as busy:
        if not quiet:
            note(f"Another listen run is going ({busy.message}); nothing to do.")
        return
    routed = 0 if no_route else _route(context)
    sent = 0
    if not no_route and workspace.settings.channels:
        from smo_cli.services.escalation import escalate
        from smo_cli.services.outbox import deliver

        with context.transaction() as session:
            escalate(session, workspace, dry_run=dry_run)
        report = deliver(engine, workspace, context.env, digests=False, dry_run=dry_run)
        sent = report.sent
        if dry_run:
            for preview in report.previews:
                note(f"would send to {preview['to']} via {preview['channel']}: "
                     f"{preview['subject']}")
    failed = [o for o in summary.outcomes if o.failed]
    if fmt is not OutputFormat.table:
        emit_rows(summary.outcomes, fmt=fmt, columns=OUTCOME_COLUMNS)
    elif failed or not quiet:
        shown = summary.outcomes if not quiet else failed
        if shown:
            emit_rows(shown, fmt=fmt, columns=OUTCOME_COLUMNS)
    if not quiet or failed:
        note(f"Run {summary.run_id}: {plural(len(summary.outcomes), 'source')}, "
             f"{plural(summary.new, 'new mention')}, {plural(len(failed), 'failure')}, "
             f"{routed} routed" + (f", {plural(sent, 'message')} sent." if sent else "."))
    if summary.status == "failed":
        raise typer.Exit(ExitCode.SOURCE)


def _route(context: object) -> int:
    from smo_cli.cli._context import AppContext
    from smo_cli.services import routing

    assert isinstance(context, AppContext)
    with context.transaction() as session:
        book = routing.load_rules(context.workspace(), session)
        return routing.route_pending(session, context.workspace(), book)


@app.command("route")
def route_mentions(ctx: typer.Context) -> None:
    """Route every mention not routed yet through rules.yaml into the inbox (safe to repeat)."""
    from smo_cli.render.output import say

    routed = _route(get_app(ctx))
    say(f"Routed {routed} mentions." if routed else "Nothing to route.")


@app.command("escalate")
def escalate_spikes(ctx: typer.Context, dry_run: DryRunOpt = False,
                    fmt: FormatOpt = OutputFormat.table) -> None:
    """Look for spikes per query group and bursts of negative mentions; queue alerts to the
    crisis contacts (listen run does this after routing)."""
    from smo_cli.render.output import emit_rows, note
    from smo_cli.services.escalation import escalate

    context = get_app(ctx)
    with context.transaction() as session:
        spikes = escalate(session, context.workspace(), dry_run=dry_run)
    emit_rows([{"subject": s.subject, "current": s.current, "mean": round(s.mean, 2),
                "sd": round(s.sd, 2), "threshold": round(s.threshold, 2),
                "top_terms": s.top_terms} for s in spikes], fmt=fmt, empty="No spikes.")
    if spikes and not dry_run:
        note("Alerts queued; `smo outbox send` sends them (listen run does it too).")


@app.command("runs")
def list_runs(ctx: typer.Context, limit: LimitOpt = 20,
              fmt: FormatOpt = OutputFormat.table) -> None:
    """The latest listen runs: when, status, new mentions, errors."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.listening import recent_runs

    with get_app(ctx).reading() as session:
        rows = recent_runs(session, limit or 20)
    emit_rows(rows, fmt=fmt, empty="No runs yet: `smo listen run`.")


@app.command("show")
def show_run(ctx: typer.Context, run_id: Annotated[int, typer.Argument(help="Run id.")],
             fmt: FormatOpt = OutputFormat.table) -> None:
    """What each source did in one run: fetched, new, duplicate, updated, and why it failed."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.listening import run_details

    with get_app(ctx).reading() as session:
        rows = run_details(session, run_id)
    emit_rows(rows, fmt=fmt, empty="No source was due in this run.")
