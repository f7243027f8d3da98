"""`smo report`: the executive report for the CEO and the report for one department."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DryRunOpt, LangOpt, OutOpt, command_group

if TYPE_CHECKING:
    from smo_cli.services.reports import DepartmentReport, ExecutiveReport

app = command_group(
    "Reports: a one-page helicopter view for the CEO, and one report per department.",
    "smo report executive --period 2026-11",
    "smo report executive --period 2026-Q4 --lang nl -f html -o directie.html",
    "smo report executive --period 2026-11 --send",
    "smo report department sales --period 2026-11 -f pdf -o verkoop.pdf",
    "smo report department hr --period 2026 --send --dry-run",
)

PeriodOpt = Annotated[str, typer.Option(
    "--period", "-p", help="A month (2026-11), a quarter (2026-Q4) or a year (2026).")]
DocFormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="md, html or pdf (default: from --out's suffix, else md).")]
SendOpt = Annotated[bool, typer.Option(
    "--send", help="Mail the report through the delivery channel (Markdown text and HTML).")]


@app.command("executive")
def executive(ctx: typer.Context, period: PeriodOpt, lang: LangOpt = None,
              fmt: DocFormatOpt = None, out: OutOpt = None, send: SendOpt = False,
              dry_run: DryRunOpt = False) -> None:
    """KPIs against targets, share of voice, sentiment, response times, ROI, programme
    maturity, risks, best stories and the officer's own practice, for one period."""
    from smo_cli.services.kpi import parse_period
    from smo_cli.services.reports import executive_report

    context = get_app(ctx)
    with context.reading() as session:
        report = executive_report(session, context.workspace(), parse_period(period), lang=lang)
    _deliver(ctx, report, fmt, out, send, dry_run)


@app.command("department")
def department(ctx: typer.Context,
               key: Annotated[str, typer.Argument(help="Department key, e.g. sales.")],
               period: PeriodOpt, lang: LangOpt = None, fmt: DocFormatOpt = None,
               out: OutOpt = None, send: SendOpt = False, dry_run: DryRunOpt = False) -> None:
    """What was routed to a department, what is open and overdue, response times, themes and
    sentiment, for one period."""
    from smo_cli.services.kpi import parse_period
    from smo_cli.services.reports import department_report

    context = get_app(ctx)
    with context.reading() as session:
        report = department_report(session, context.workspace(), key, parse_period(period),
                                   lang=lang)
    _deliver(ctx, report, fmt, out, send, dry_run)


def _deliver(ctx: typer.Context, report: ExecutiveReport | DepartmentReport, fmt: str | None,
             out: Path | None, send: bool, dry_run: bool) -> None:
    """Write the document (stdout or --out) and, with --send, mail it."""
    from smo_cli.errors import ExitCode, UsageError
    from smo_cli.render.output import document_format, note, say, write_file
    from smo_cli.services.reports_render import render_report
    from smo_cli.services.reports_send import send_report

    if dry_run and not send:
        raise UsageError("--dry-run goes with --send")
    chosen = document_format(fmt, out)
    context = get_app(ctx)
    workspace = context.workspace()
    if out is not None:
        write_file(out, render_report(report, workspace, chosen))
        note(f"Wrote {out}.")
    elif not send:
        say(str(render_report(report, workspace, chosen)).rstrip("\n"))
    if not send:
        return
    outcome = send_report(context.engine(), workspace, context.env, report, dry_run=dry_run)
    to = ", ".join(outcome.recipients)
    if dry_run:
        note(f"Dry run: would send {outcome.subject!r} to {to} via {outcome.channel}.")
        return
    sent = outcome.delivery
    note(f"Sent {sent.sent}, failed {sent.failed}, retrying later {sent.retrying} "
         f"({outcome.subject!r} to {to} via {outcome.channel}).")
    if sent.failed and not sent.sent:
        raise typer.Exit(ExitCode.SOURCE)
