"""Reports (job 9): the one-page executive report for the CEO and a report per department.

This module gathers the figures - KPIs and other metrics through `services.kpi`, counts and
short lists through `reports_data` - into plain report objects; `reports_render` turns them into
Markdown, standalone HTML or PDF and `reports_send` mails them. Every figure keeps the period it
covers and its formula (a `Measurement`), so the documents can state both.

`now` is the moment the report is made (the default is the current time); tests pass a fixed one,
so a report of a closed period reads the same whenever it is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smo_cli.config import Department, Workspace
from smo_cli.db.models import LearningGoal, PracticeEntry
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData
from smo_cli.services import reports_data as data
from smo_cli.services.kpi import (
    TREND_PERIODS,
    KpiRow,
    Measurement,
    Measurer,
    Period,
    RoiResult,
    kpi_report,
    roi,
)
from smo_cli.services.metrics import KPIS_FILE, METRICS

LANGUAGES = ("nl", "en")
SHOWN = 3                       # mentions per list: the report is one page
# The headline without kpis.yaml: what the CEO asks first, with no target to judge it by.
HEADLINE = ("mention_volume", "share_of_voice", "net_sentiment", "first_response_median",
            "within_sla", "audience_growth")
VOICE = ("mention_volume", "share_of_voice", "net_sentiment", "positive_share")
RESPONSE = ("first_response_median", "first_response_p90", "within_sla", "response_rate")
MATURITY = ("policy_ack_rate", "training_coverage", "awareness_index", "inventory_gaps_open")


@dataclass(frozen=True)
class ExecutiveReport:
    org: str
    officer: str | None
    lang: str
    period: Period
    now: datetime                       # local time the report was made
    kpis: list[KpiRow]
    kpis_from_file: bool                # False: built-in headline metrics, no targets
    voice: dict[str, Measurement]
    sentiment: dict[str, int]           # mentions of the period per sentiment
    voice_split: dict[str, int]         # mentions about us (ours) and about competitors
    response: dict[str, Measurement]
    roi: RoiResult
    maturity: dict[str, Measurement]
    risk_count: int                     # crisis or critical inbox items of the period
    risk_items: list[data.RoutedItem]
    alert_count: int
    alert_items: list[data.Alert]
    negative: list[data.MentionItem]
    praise_count: int
    positive: list[data.MentionItem]
    practice: list[PracticeEntry]
    goals: list[LearningGoal]
    monitoring: data.Monitoring


@dataclass(frozen=True)
class DepartmentReport:
    org: str
    lang: str
    department: Department
    period: Period
    now: datetime                       # local time the report was made
    routed: data.RoutedSummary
    open_count: int                     # at `now`, whenever the items arrived
    overdue_count: int
    open_items: list[data.RoutedItem]
    response: dict[str, Measurement]


def report_language(workspace: Workspace, lang: str | None) -> str:
    chosen = (lang or workspace.settings.language).lower()
    if chosen not in LANGUAGES:
        raise InvalidData(f"unknown language {chosen!r}", hint="use nl or en")
    return chosen


def get_department(workspace: Workspace, key: str) -> Department:
    found = workspace.settings.department(key)
    if found is None:
        known = ", ".join(d.key for d in workspace.settings.departments) or "none"
        raise InvalidData(f"unknown department {key!r}", hint=f"departments: {known}")
    return found


def executive_report(session: Session, workspace: Workspace, period: Period, *,
                     lang: str | None = None, now: datetime | None = None) -> ExecutiveReport:
    """Everything the executive report shows, for `period`, as it stands at `now`."""
    lang = report_language(workspace, lang)
    settings = workspace.settings
    zone = ZoneInfo(settings.business_hours.timezone)
    now = now or utcnow()
    since, until = period.bounds(settings.business_hours.timezone)
    # One measurer for the whole report: it measures each underlying figure (a period's
    # sentiment counts, its response times) once, however many metrics are made of it.
    measurer = Measurer(session, workspace, lang=lang, now=now)
    rows, from_file = headline(session, workspace, period, measurer)
    risk_count, risk_items = data.risks(session, since, until, zone=zone, now=now)
    alert_count, alert_items = data.alerts(session, since, until, zone=zone)
    practice, goals = data.practice(session, period.start, period.end, since, until)
    voice = _measure(measurer, VOICE, period)
    # The charts show what the measurements are made of (their inputs), rather than counting
    # the period's mentions again: on a million mentions each count costs a fraction of a second.
    counts = voice["net_sentiment"].inputs
    split = voice["share_of_voice"].inputs
    negative, positive = data.top_mentions(session, since, until, zone=zone,
                                           limit=SHOWN + len(risk_items))
    # A mention already listed as a crisis item is not repeated among the most negative.
    listed = {item.mention.id for item in risk_items}
    negative = [m for m in negative if m.id not in listed][:SHOWN]
    return ExecutiveReport(
        org=settings.organisation.name,
        officer=settings.officer.name or settings.officer.email, lang=lang, period=period,
        now=now.astimezone(zone), kpis=rows, kpis_from_file=from_file,
        voice=voice, sentiment={key: int(counts.get(key) or 0) for key in data.SENTIMENTS},
        voice_split={key: int(split.get(key) or 0) for key in ("ours", "competitors")},
        response=_measure(measurer, RESPONSE, period), roi=roi(session, workspace, period),
        maturity=_measure(measurer, MATURITY, period),
        risk_count=risk_count, risk_items=risk_items, alert_count=alert_count,
        alert_items=alert_items,
        negative=negative, praise_count=data.praise_count(session, since, until),
        positive=positive[:SHOWN],
        practice=practice, goals=goals, monitoring=data.monitoring(session, zone=zone, now=now))


def headline(session: Session, workspace: Workspace, period: Period, measurer: Measurer
             ) -> tuple[list[KpiRow], bool]:
    """The KPIs of kpis.yaml against their targets; without that file (or with no KPI in it)
    the built-in headline metrics, measured the same way but with no target."""
    if (workspace.root / KPIS_FILE).is_file():
        rows = kpi_report(session, workspace, period, measurer=measurer)
        if rows:
            return rows, True
    built = []
    for key in HEADLINE:
        metric = METRICS[key]
        trend = [measurer(key, p) for p in period.recent(TREND_PERIODS)]
        actual = trend[-1]
        built.append(KpiRow(
            key=key, name=metric.name(measurer.lang), metric=key, unit=metric.unit,
            owner=None, target=None, direction=metric.direction, actual=actual,
            previous=trend[-2], trend=[m.value for m in trend],
            status="no data" if actual.value is None else "no target"))
    return built, False


def _measure(measurer: Measurer, keys: tuple[str, ...], period: Period,
             department: str | None = None) -> dict[str, Measurement]:
    return {key: measurer(key, period, department) for key in keys}


def department_report(session: Session, workspace: Workspace, key: str, period: Period, *,
                      lang: str | None = None, now: datetime | None = None) -> DepartmentReport:
    """What was routed to one department in `period`, its open work at `now`, its response
    times, themes and sentiment."""
    department = get_department(workspace, key)
    lang = report_language(workspace, lang)
    settings = workspace.settings
    zone = ZoneInfo(settings.business_hours.timezone)
    now = now or utcnow()
    since, until = period.bounds(settings.business_hours.timezone)
    open_count, overdue_count, items = data.open_items(session, key, zone=zone, now=now)
    measurer = Measurer(session, workspace, lang=lang, now=now)
    return DepartmentReport(
        org=settings.organisation.name, lang=lang, department=department, period=period,
        now=now.astimezone(zone), routed=data.routed_summary(session, key, since, until),
        open_count=open_count, overdue_count=overdue_count, open_items=items,
        response=_measure(measurer, RESPONSE, period, key))
