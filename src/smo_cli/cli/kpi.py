"""`smo kpi`: KPIs against their targets, manual metric values, costs, value and ROI (job 9)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DeptOpt, FormatOpt, LangOpt, OutOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "KPIs and ROI (job 9): kpis.yaml targets against what smo measures, every number with "
    "its formula and period.",
    "smo kpi list",
    "smo kpi list --metrics",
    "smo kpi record linkedin_page_followers 1250 --date 2026-11-30",
    "smo kpi import linkedin.csv",
    "smo kpi report --period 2026-Q4",
    "smo kpi report --period 2026-11 --dept sales -f md -o kpi.md",
    "smo kpi cost add --category hours --hours 32 --rate 55 --description 'November' --date "
    "2026-11-30",
    "smo kpi value add --category leads --quantity 4 --unit-value 250 --description 'CRM'",
    "smo kpi roi --period 2026-Q4",
)
cost_app = command_group(
    "What social media cost: hours x rate, tools, advertising, agency, training.",
    "smo kpi cost add --category hours --hours 32 --rate 55 --description 'November'",
    "smo kpi cost add --category tools --amount 49 --description 'scheduler' --date 2026-11-01",
    "smo kpi cost list --period 2026-Q4",
)
value_app = command_group(
    "What social media brought: leads or conversions x value, savings. Never advertising "
    "value equivalents.",
    "smo kpi value add --category leads --quantity 4 --unit-value 250 --description 'CRM'",
    "smo kpi value add --category savings --amount 300 --description '40 questions not phoned'",
    "smo kpi value list --period 2026-11",
)
app.add_typer(cost_app, name="cost")
app.add_typer(value_app, name="value")


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"
    html = "html"


PeriodOpt = Annotated[str | None, typer.Option(
    "--period", "-p", help="A month, quarter or year: 2026-11, 2026-Q4, 2026 (default: this "
    "month).")]
DateOpt = Annotated[str | None, typer.Option(
    "--date", help="The day, e.g. 2026-11-30 (default: today).")]
DescriptionOpt = Annotated[str, typer.Option("--description", help="What it was.")]
AmountOpt = Annotated[float | None, typer.Option("--amount", help="The amount.")]


@app.command("list")
def list_kpis(
    ctx: typer.Context,
    metrics: Annotated[bool, typer.Option(
        "--metrics", help="List the built-in metrics and their formulas instead.")] = False,
    lang: LangOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The KPIs of kpis.yaml (or the built-in metrics), with their targets and formulas."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import kpi

    workspace = get_app(ctx).workspace()
    chosen = lang or workspace.settings.language
    if metrics:
        emit_rows(kpi.metric_entries(chosen), fmt=fmt,
                  columns=["key", "name", "unit", "direction", "formula"])
        return
    emit_rows(kpi.kpi_entries(workspace, chosen), fmt=fmt, empty="No KPIs in kpis.yaml.",
              columns=["key", "name", "metric", "kind", "unit", "target", "direction",
                       "period", "owner", "formula"])


@app.command("record")
def record_value(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The manual metric, as named in kpis.yaml.")],
    value: Annotated[float, typer.Argument(help="Its value.")],
    day: DateOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="Where it comes from.")] = None,
) -> None:
    """Record a manual metric's value on a day (a second value that day replaces it)."""
    from smo_cli.render.output import say
    from smo_cli.services import kpi_file
    from smo_cli.services.business_hours import local_today

    context = get_app(ctx)
    workspace = context.workspace()
    today = local_today(workspace)
    with context.transaction() as session:
        done = kpi_file.record_value(session, workspace, key, value, note=note, today=today,
                                     day=kpi_file.parse_day_option(day, today))
        recorded_on = done.record.recorded_on
    say(f"{key} {value:g} on {recorded_on.isoformat()}: {done.outcome}.")


@app.command("import")
def import_values(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with key, date, value (and note).")],
) -> None:
    """Import manual metric values; one bad row stops it and nothing is imported."""
    from smo_cli.render.output import say
    from smo_cli.services import kpi_file
    from smo_cli.services.business_hours import local_today

    context = get_app(ctx)
    workspace = context.workspace()
    with context.transaction() as session:
        summary = kpi_file.import_values(session, workspace, file,
                                         today=local_today(workspace))
    say(f"Imported {file.name}: {summary}.")


@app.command("report")
def kpi_report(
    ctx: typer.Context,
    period: PeriodOpt = None,
    dept: DeptOpt = None,
    lang: LangOpt = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.",
                                              case_sensitive=False)] = ReportFormat.table,
    out: OutOpt = None,
) -> None:
    """Each KPI: actual, target, previous period, trend, status, and its formula."""
    from smo_cli.render.output import emit_rows, say, to_json, write_file
    from smo_cli.services import kpi, kpi_render

    context = get_app(ctx)
    workspace = context.workspace()
    chosen = kpi.parse_period(period) if period else kpi.default_period(workspace)
    language = lang or workspace.settings.language
    with context.reading() as session:
        rows = kpi.kpi_report(session, workspace, chosen, department=dept, lang=language)
    if fmt is ReportFormat.json:
        text = to_json({"period": chosen.label, "start": chosen.start, "end": chosen.end,
                        "department": dept, "kpis": [kpi.row_record(r) for r in rows]})
    elif fmt is ReportFormat.table:
        emit_rows(kpi_render.table_rows(rows, language), fmt=OutputFormat.table,
                  columns=kpi_render.COLUMNS, title=f"KPIs {chosen.label}",
                  empty="No KPIs in kpis.yaml.")
        for line in kpi_render.footnotes(rows, language):
            say(line)
        return
    else:
        document = kpi_render.report_document(rows, workspace, chosen, fmt=fmt.value,
                                              lang=language, department=dept)
        text = document if isinstance(document, str) else document.decode()
    if out is not None:
        write_file(out, text)
    else:
        say(text.rstrip("\n"))


@cost_app.command("add")
def add_cost(
    ctx: typer.Context,
    category: Annotated[str, typer.Option(
        "--category", "-c", help="hours, tools, advertising, agency or training.")],
    description: DescriptionOpt,
    day: DateOpt = None,
    amount: AmountOpt = None,
    hours: Annotated[float | None, typer.Option("--hours", help="Hours spent.")] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Cost of an hour.")] = None,
    dept: DeptOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a cost: --hours H --rate R for time, --amount for everything else."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import kpi_file, kpi_roi
    from smo_cli.services.business_hours import local_today

    context = get_app(ctx)
    workspace = context.workspace()
    spent_on = kpi_file.parse_day_option(day, local_today(workspace))
    with context.transaction() as session:
        entry = kpi_roi.add_cost(session, workspace, spent_on=spent_on, category=category,
                                 description=description, amount=amount, hours=hours,
                                 rate=rate, department=dept)
    emit_one(entry, fmt=fmt, message=f"Cost {entry.id}: {entry.category} {entry.amount:,.2f} "
                                     f"on {entry.spent_on.isoformat()}.")


@cost_app.command("list")
def list_costs(ctx: typer.Context, period: PeriodOpt = None, dept: DeptOpt = None,
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Costs, oldest first (of one period, one department)."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import kpi, kpi_roi

    context = get_app(ctx)
    with context.reading() as session:
        rows = kpi_roi.list_costs(session, context.workspace(),
                                  kpi.parse_period(period) if period else None,
                                  department=dept)
    emit_rows(rows, fmt=fmt, empty="No costs yet.",
              columns=["id", "spent_on", "category", "description", "hours", "rate", "amount",
                       "department"])


@value_app.command("add")
def add_value(
    ctx: typer.Context,
    category: Annotated[str, typer.Option(
        "--category", "-c", help="leads, conversions or savings.")],
    description: DescriptionOpt,
    day: DateOpt = None,
    amount: AmountOpt = None,
    quantity: Annotated[float | None, typer.Option("--quantity", help="How many.")] = None,
    unit_value: Annotated[float | None, typer.Option(
        "--unit-value", help="What one is worth.")] = None,
    dept: DeptOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add value: --quantity N --unit-value V (leads, conversions) or --amount (savings)."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import kpi_file, kpi_roi
    from smo_cli.services.business_hours import local_today

    context = get_app(ctx)
    workspace = context.workspace()
    gained_on = kpi_file.parse_day_option(day, local_today(workspace))
    with context.transaction() as session:
        entry = kpi_roi.add_value(session, workspace, gained_on=gained_on, category=category,
                                  description=description, amount=amount, quantity=quantity,
                                  unit_value=unit_value, department=dept)
    emit_one(entry, fmt=fmt, message=f"Value {entry.id}: {entry.category} "
                                     f"{entry.amount:,.2f} on {entry.gained_on.isoformat()}.")


@value_app.command("list")
def list_values(ctx: typer.Context, period: PeriodOpt = None, dept: DeptOpt = None,
                fmt: FormatOpt = OutputFormat.table) -> None:
    """Value entries, oldest first (of one period, one department)."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import kpi, kpi_roi

    context = get_app(ctx)
    with context.reading() as session:
        rows = kpi_roi.list_values(session, context.workspace(),
                                   kpi.parse_period(period) if period else None,
                                   department=dept)
    emit_rows(rows, fmt=fmt, empty="No value entries yet.",
              columns=["id", "gained_on", "category", "description", "quantity", "unit_value",
                       "amount", "department"])


@app.command("roi")
def show_roi(ctx: typer.Context, period: PeriodOpt = None, dept: DeptOpt = None,
             fmt: FormatOpt = OutputFormat.table) -> None:
    """ROI = (value - cost) / cost x 100 for a period, with every input."""
    from smo_cli.render.output import emit_one, emit_rows, say
    from smo_cli.services import kpi, kpi_render

    context = get_app(ctx)
    workspace = context.workspace()
    chosen = kpi.parse_period(period) if period else kpi.default_period(workspace)
    with context.reading() as session:
        result = kpi.roi(session, workspace, chosen, department=dept)
    if fmt is OutputFormat.table:
        emit_rows(kpi_render.roi_rows(result), fmt=fmt, title=f"ROI {chosen.label}",
                  columns=["kind", "category", "amount"])
        for line in result.inputs:
            say(line)
        return
    if fmt is OutputFormat.csv:
        emit_rows(kpi_render.roi_rows(result), fmt=fmt, columns=["kind", "category", "amount"])
        return
    emit_one(kpi_render.roi_record(result), fmt=fmt)
