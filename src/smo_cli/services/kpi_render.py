"""The KPI report as people read it: table rows with a footnote per KPI (its formula, period and
inputs), and the same as a Markdown or standalone HTML document.

Names, owners and notes come from kpis.yaml and the database: they are escaped for Markdown, and
the HTML is made from that Markdown with raw HTML switched off, so nothing in them is markup.
"""

from __future__ import annotations

from typing import Any

from smo_cli.config import Workspace
from smo_cli.render.markdown import markdown_table, md_escape
from smo_cli.render.output import sparkline
from smo_cli.services.kpi import KpiRow, shown
from smo_cli.services.kpi_metrics import Measurement
from smo_cli.services.kpi_period import Period
from smo_cli.services.kpi_roi import RoiResult

COLUMNS = ["key", "name", "actual", "target", "previous", "trend", "status", "owner", "see"]
HEADERS = {
    "en": {"key": "key", "name": "KPI", "actual": "actual", "target": "target",
           "previous": "previous", "trend": "trend", "status": "status", "owner": "owner",
           "see": "formula"},
    "nl": {"key": "sleutel", "name": "KPI", "actual": "nu", "target": "doel",
           "previous": "vorige", "trend": "trend", "status": "status", "owner": "eigenaar",
           "see": "formule"},
}
STATUS_NL = {"met": "gehaald", "on track": "op koers", "behind": "achter",
             "no target": "geen doel", "no data": "geen gegevens"}
TITLE = {"en": "KPIs", "nl": "KPI's"}


def _status(status: str, lang: str) -> str:
    return STATUS_NL.get(status, status) if lang == "nl" else status


def table_rows(rows: list[KpiRow], lang: str = "en") -> list[dict[str, Any]]:
    """One row per KPI; `see` points to its footnote."""
    return [{"key": row.key, "name": row.name,
             "actual": shown(row.actual.value, row.unit, lang),
             "target": "—" if row.target is None else
             ("≥ " if row.direction == "up" else "≤ ") + shown(row.target, row.unit, lang),
             "previous": shown(row.previous.value, row.unit, lang),
             "trend": sparkline(row.trend, from_zero=False),
             "status": _status(row.status, lang), "owner": row.owner or "",
             "see": f"[{number}]"} for number, row in enumerate(rows, 1)]


def _inputs(item: Measurement) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {'—' if v is None else f'{v:g}'}"
                     for k, v in item.inputs.items())


def footnotes(rows: list[KpiRow], lang: str = "en") -> list[str]:
    """[n] formula; period; inputs; note — one line per KPI."""
    words = {"en": ("period", "inputs", "previous"), "nl": ("periode", "invoer", "vorige")}[
        "nl" if lang == "nl" else "en"]
    lines = []
    for number, row in enumerate(rows, 1):
        actual = row.actual
        parts = [f"[{number}] {row.metric}: {actual.formula}",
                 f"{words[0]} {_span(actual.period, lang)}"]
        if actual.inputs:
            parts.append(f"{words[1]}: {_inputs(actual)}")
        if actual.note:
            parts.append(actual.note)
        if row.target_note:
            parts.append(row.target_note)
        lines.append("; ".join(parts) + ".")
    return lines


def _span(period: Period, lang: str) -> str:
    through = "t/m" if lang == "nl" else "to"
    return f"{period.label} ({period.start.isoformat()} {through} {period.end.isoformat()})"


def report_document(rows: list[KpiRow], workspace: Workspace, period: Period, *, fmt: str,
                    lang: str = "en", department: str | None = None) -> str | bytes:
    """The KPI report as Markdown, standalone HTML or PDF."""
    # Jinja comes in with the documents only: `kpi report -f json` has no use for it.
    from smo_cli.render.documents import document_as

    org = workspace.settings.organisation.name
    title = f"{TITLE.get(lang, TITLE['en'])} {org} {period.label}"
    if department:
        title += f" ({department})"
    body = [f"# {md_escape(title)}", ""]
    if rows:
        body.append(markdown_table(table_rows(rows, lang), COLUMNS,
                                   HEADERS.get(lang, HEADERS["en"])).rstrip())
        body += [""] + [md_escape(line) + "  " for line in footnotes(rows, lang)]
    else:
        body.append("—")
    return document_as("\n".join(body) + "\n", fmt, title=title, lang=lang,
                       workspace_templates=workspace.templates_dir)


def roi_rows(result: RoiResult) -> list[dict[str, Any]]:
    """ROI per category, for a table: kind, category, amount."""
    return ([{"kind": "cost", "category": c, "amount": round(a, 2)}
             for c, a in result.costs.items()] +
            [{"kind": "value", "category": c, "amount": round(a, 2)}
             for c, a in result.value.items()])


def roi_record(result: RoiResult) -> dict[str, Any]:
    """The JSON document of `kpi roi` (keys pinned by a test)."""
    return {"period": result.period.label, "start": result.period.start,
            "end": result.period.end, "department": result.department,
            "costs": result.costs, "value": result.value, "total_cost": result.total_cost,
            "total_value": result.total_value, "roi_percent": result.roi_percent,
            "formula": result.formula, "inputs": result.inputs}
