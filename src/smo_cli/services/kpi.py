"""KPIs (job 9): the targets of kpis.yaml against what smo measures, period by period.

Every number states its formula and its period. A KPI is measured over the period asked for
(`--period 2026-11|2026-Q4|2026`), next to the period before it and a trend of six. Its target
is for the KPI's own period (kpis.yaml `period`): a target for a figure that adds up over time
(mention volume) is scaled to the length of the period shown, per day; a level or a ratio
(followers, share of voice) keeps its target whatever the period. Status:

- `no data`: nothing to measure in the period; `no target`: kpis.yaml gives none;
- a period that has ended: `met` when the target was reached (at least it when up is better, at
  most it when down is), else `behind`;
- a period still running: `on track` when the target is reached so far (for a figure that adds up,
  the part of the target for the days gone by), else `behind`.

This module holds the public names: `Period`, `parse_period`, `Measurement`, `measure`,
`KpiRow`, `kpi_report`, `RoiResult`, `roi`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smo_cli.config import Workspace
from smo_cli.services.kpi_file import KpiEntry, load_kpis
from smo_cli.services.kpi_metrics import (
    FLOW_METRICS,
    SNAPSHOT_METRICS,
    Measurement,
    Measurer,
    measure,
)
from smo_cli.services.kpi_period import Period, current_period, parse_period
from smo_cli.services.kpi_roi import RoiResult, roi
from smo_cli.services.metrics import METRICS, format_value

Status = Literal["met", "on track", "behind", "no target", "no data"]
TREND_PERIODS = 6
AVERAGE_DAYS = {"month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}

__all__ = ["TREND_PERIODS", "KpiRow", "Measurement", "Measurer", "Period", "RoiResult",
           "Status", "current_period", "kpi_report", "measure", "parse_period", "roi",
           "row_record"]


@dataclass(frozen=True)
class KpiRow:
    """One KPI of kpis.yaml over one period, against its target."""

    key: str
    name: str
    metric: str
    unit: str
    owner: str | None
    target: float | None            # as it applies to `actual.period` (see target_note)
    direction: str                  # up | down: which way is better
    actual: Measurement
    previous: Measurement
    trend: list[float | None] = field(default_factory=list)   # oldest first, `actual` last
    status: Status = "no data"
    target_note: str | None = None  # how a target for another period length was scaled


def kpi_report(session: Session, workspace: Workspace, period: Period, *,
               department: str | None = None, lang: str = "en", now: datetime | None = None,
               measurer: Measurer | None = None) -> list[KpiRow]:
    """Every KPI of kpis.yaml over `period` (of one department's figures, where they have
    one), with the previous period and a trend of the last six.

    A report that shows more figures passes its own `measurer` (its `lang` and `now` then
    apply), so what the KPIs measured is not measured again for the rest of the report."""
    measurer = measurer or Measurer(session, workspace, lang=lang, now=now)
    return [_row(measurer, entry, period, department) for entry in load_kpis(workspace)]


def _row(measurer: Measurer, entry: KpiEntry, period: Period,
         department: str | None) -> KpiRow:
    key = entry.metric_key
    if key in SNAPSHOT_METRICS:
        # Known for today only: the previous period and the trend would repeat today's figure.
        actual = measurer(key, period, department)
        previous = dataclasses.replace(measurer(key, period.previous(), department),
                                       value=None, inputs={}, note=_no_history(measurer.lang))
        trend: list[float | None] = [*([None] * (TREND_PERIODS - 1)), actual.value]
    else:
        measured = [measurer(key, p, department) for p in period.recent(TREND_PERIODS)]
        actual, previous = measured[-1], measured[-2]
        trend = [m.value for m in measured]
    target, target_note = _target(entry, period, measurer.lang)
    better = entry.better or "up"
    return KpiRow(key=entry.key, name=entry.name, metric=key, unit=actual.unit,
                  owner=entry.owner, target=target, direction=better, actual=actual,
                  previous=previous, trend=trend,
                  status=judge(actual.value, target, better, period, measurer.now,
                               flow=key in FLOW_METRICS, zone=measurer.zone),
                  target_note=target_note)


def _no_history(lang: str) -> str:
    return ("smo keeps no history of this figure" if lang != "nl"
            else "smo bewaart van dit cijfer geen geschiedenis")


def _target(entry: KpiEntry, period: Period, lang: str) -> tuple[float | None, str | None]:
    if entry.target is None or entry.metric_key not in FLOW_METRICS \
            or entry.period == period.kind:
        return entry.target, None
    scaled = entry.target / AVERAGE_DAYS[entry.period] * period.days
    if lang == "nl":
        return scaled, (f"doel {entry.target:g} per {_NL_KIND[entry.period]}, per dag "
                        f"omgerekend naar {period.days} dagen")
    return scaled, f"target {entry.target:g} a {entry.period}, scaled per day to {period.days} days"


_NL_KIND = {"month": "maand", "quarter": "kwartaal", "year": "jaar"}


def judge(value: float | None, target: float | None, better: str, period: Period,
          now: datetime, *, flow: bool = False, zone: str = "UTC") -> Status:
    """The status of a value against a target (see the module's docstring)."""
    if value is None:
        return "no data"
    if target is None:
        return "no target"
    today = now.astimezone(ZoneInfo(zone)).date()
    running = period.end >= today
    goal = target
    if running and flow:
        goal = target * max(0, (today - period.start).days + 1) / period.days
    reached = value >= goal if better == "up" else value <= goal
    if running:
        return "on track" if reached else "behind"
    return "met" if reached else "behind"


# -- plain records for JSON, tables and documents --------------------------------------------

def measurement_record(item: Measurement) -> dict[str, Any]:
    return {"period": item.period.label, "start": item.period.start, "end": item.period.end,
            "value": item.value, "unit": item.unit, "formula": item.formula,
            "inputs": item.inputs, "note": item.note}


def row_record(row: KpiRow) -> dict[str, Any]:
    """The JSON object of one KPI (its keys are pinned by a test)."""
    return {"key": row.key, "name": row.name, "metric": row.metric, "unit": row.unit,
            "owner": row.owner, "target": row.target, "target_note": row.target_note,
            "direction": row.direction, "status": row.status,
            "actual": measurement_record(row.actual),
            "previous": measurement_record(row.previous), "trend": row.trend}


def kpi_entries(workspace: Workspace, lang: str = "en") -> list[dict[str, Any]]:
    """kpis.yaml as rows for `kpi list`."""
    return [{"key": e.key, "name": e.name, "metric": e.metric_key,
             "kind": "manual" if e.manual else "built-in", "unit": e.measured_unit,
             "target": e.target, "direction": e.better, "period": e.period, "owner": e.owner,
             "formula": (METRICS[e.metric_key].formula(lang) if not e.manual else None)}
            for e in load_kpis(workspace)]


def metric_entries(lang: str = "en") -> list[dict[str, Any]]:
    """The built-in metrics, for `kpi list --metrics`."""
    return [{"key": m.key, "name": m.name(lang), "unit": m.unit, "direction": m.direction,
             "formula": m.formula(lang)} for m in METRICS.values()]


def default_period(workspace: Workspace, now: datetime | None = None) -> Period:
    """The month under way, in the company's time zone."""
    return current_period("month", workspace.settings.business_hours.timezone,
                          now or datetime.now(UTC))


def shown(value: float | None, unit: str, lang: str = "en") -> str:
    """A value as people read it: 12.5%, +20 points, 3.2 hours, 1,250; '—' for none."""
    return format_value(None if value is None else round(value, 2), unit, lang)
