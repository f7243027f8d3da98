"""kpis.yaml (which KPIs the officer reports, with their targets) and the values of manual
metrics (`kpi record`, `kpi import`).

A KPI names a metric: a built-in one smo measures (services/metrics.py), or a *manual* one the
officer keeps by hand (LinkedIn page statistics, website conversions): any other key. A manual
metric's value for a period is the latest value recorded in it.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from smo_cli.config import DepartmentKey, Workspace, describe_validation_error, read_yaml
from smo_cli.db.models import KpiRecord
from smo_cli.errors import InvalidData, NotFound, UsageError
from smo_cli.services.kpi_period import PeriodKind

if TYPE_CHECKING:
    from smo_cli.services.csv_files import ImportSummary
from smo_cli.services.metrics import KPIS_FILE, METRICS, Unit, judge_values, out_of_range

CSV_COLUMNS = ("key", "date", "value", "note")
CSV_ALIASES = {"kpi": "key", "metric": "key", "sleutel": "key", "datum": "date", "day": "date",
               "waarde": "value", "opmerking": "note", "notitie": "note"}
MANUAL_RULE = "the latest value recorded in the period (smo kpi record or kpi import)"


class KpiEntry(BaseModel):
    """One KPI of kpis.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: DepartmentKey
    name: str = Field(min_length=1, max_length=200)
    metric: DepartmentKey | None = None            # default: the KPI's key
    target: float | None = None
    direction: Literal["up", "down"] | None = None
    period: PeriodKind = "month"
    owner: str | None = Field(default=None, max_length=260)
    unit: Unit | None = None                       # manual metrics only

    @property
    def metric_key(self) -> str:
        return self.metric or self.key

    @property
    def manual(self) -> bool:
        return self.metric_key not in METRICS

    @property
    def measured_unit(self) -> str:
        builtin = METRICS.get(self.metric_key)
        return builtin.unit if builtin else (self.unit or "count")

    @property
    def better(self) -> Literal["up", "down"] | None:
        builtin = METRICS.get(self.metric_key)
        return self.direction or (builtin.direction if builtin else None)


class KpisFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpis: list[KpiEntry] = Field(default_factory=list)


def kpis_path(workspace: Workspace) -> Path:
    return workspace.root / KPIS_FILE


def load_kpis(workspace: Workspace) -> list[KpiEntry]:
    """The KPIs of kpis.yaml, checked; an error names the file and the key (+N more)."""
    path = kpis_path(workspace)
    if not path.is_file():
        raise NotFound(f"no {KPIS_FILE} in {workspace.root}",
                       hint="write one (see examples/acme/kpis.yaml); `smo kpi list --metrics` "
                            "shows the built-in metrics")
    raw = read_yaml(path)
    try:
        entries = KpisFile.model_validate({"kpis": raw} if isinstance(raw, list)
                                          else raw or {}).kpis
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None
    problems = [f"{path}: kpis[{index}].{where}: {what}"
                for index, entry in enumerate(entries)
                for where, what in _problems(workspace, entry, entries[:index])]
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidData(problems[0] + more)
    return entries


def _problems(workspace: Workspace, entry: KpiEntry,
              before: list[KpiEntry]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if any(e.key == entry.key for e in before):
        found.append(("key", f"{entry.key!r} is used twice"))
    builtin = METRICS.get(entry.metric_key)
    if builtin is None:
        close = difflib.get_close_matches(entry.metric_key, list(METRICS), n=1, cutoff=0.8)
        if close:
            found.append(("metric", f"{entry.metric_key!r} is not a built-in metric; did you "
                                    f"mean {close[0]!r}? (any other key is a manual metric)"))
    elif entry.unit is not None and entry.unit != builtin.unit:
        found.append(("unit", f"{builtin.key} is measured in {builtin.unit}; leave unit out"))
    found += judge_values(entry.metric_key, entry.measured_unit,
                          builtin.direction if builtin else None, entry.direction, None,
                          entry.target, known=entry.target is not None)
    owner = entry.owner or ""
    if owner.startswith("dept:") and workspace.settings.department(owner[5:]) is None:
        found.append(("owner", f"unknown department {owner[5:]!r}"))
    return found


# -- manual values ---------------------------------------------------------------------------

def manual_units(workspace: Workspace) -> dict[str, str]:
    """Manual metric key → unit, from kpis.yaml and strategy.yaml's manual_metrics."""
    units: dict[str, str] = {}
    strategy = workspace.root / "strategy.yaml"
    if strategy.is_file():
        data = read_yaml(strategy)
        for item in (data.get("manual_metrics") or []) if isinstance(data, dict) else []:
            if isinstance(item, dict) and item.get("key") and item["key"] not in METRICS:
                units[str(item["key"])] = "count"
    if kpis_path(workspace).is_file():
        units.update({e.metric_key: e.measured_unit for e in load_kpis(workspace) if e.manual})
    return units


@dataclass(frozen=True)
class Recorded:
    record: KpiRecord
    outcome: Literal["created", "updated", "unchanged"]


def _check_value(key: str, value: float, units: dict[str, str]) -> tuple[str, str] | None:
    """(column, what is wrong) with recording `value` for `key`, or None."""
    if key in METRICS:
        return "key", f"{key} is a built-in metric: smo measures it, it cannot be recorded"
    if key not in units:
        return "key", (f"{key!r} is not a manual metric: add a KPI with `metric: {key}` to "
                       f"{KPIS_FILE} (or declare it under manual_metrics in strategy.yaml)")
    if not math.isfinite(value):
        return "value", f"{value} is not a number"
    wrong = out_of_range(value, units[key])
    return ("value", wrong) if wrong else None


def record_value(session: Session, workspace: Workspace, key: str, value: float, *, day: date,
                 note: str | None = None, today: date, source: str = "cli") -> Recorded:
    """Record a manual metric's value on a day; a second value for the same day replaces it."""
    problem = _check_value(key, value, manual_units(workspace)) or _check_day(day, today)
    if problem:
        raise InvalidData(problem[1])
    return _store(session, key, value, day, note, source)


def _check_day(day: date, today: date) -> tuple[str, str] | None:
    return ("date", f"{day.isoformat()} is in the future") if day > today else None


def _store(session: Session, key: str, value: float, day: date, note: str | None,
           source: str) -> Recorded:
    found = session.exec(select(KpiRecord).where(col(KpiRecord.key) == key,
                                                 col(KpiRecord.recorded_on) == day)).first()
    if found is None:
        record = KpiRecord(key=key, value=value, recorded_on=day, note=note, source=source)
        session.add(record)
        session.flush()
        return Recorded(record, "created")
    if found.value == value and (note is None or found.note == note):
        return Recorded(found, "unchanged")
    found.value, found.source = value, source
    found.note = note if note is not None else found.note
    session.add(found)
    session.flush()
    return Recorded(found, "updated")


_THOUSANDS = re.compile(r"^-?\d{1,3}([.,]\d{3})+$")


def parse_number(raw: str) -> float | None:
    """12.5, or 12,5 as Dutch spreadsheets write it (a comma without a point is decimal).
    A number grouped in thousands (1,250 or 1.250) is refused: English and Dutch read it a
    thousand times apart, and a wrong guess would be stored without a word."""
    text = raw.strip().replace(" ", "")
    if _THOUSANDS.match(text):
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def import_values(session: Session, workspace: Workspace, path: Path, *,
                  today: date) -> ImportSummary:
    """key,date,value[,note] rows; every row is checked before any is stored (all or nothing)."""
    from smo_cli.services.csv_files import ImportSummary, read_csv, row_error
    from smo_cli.services.policy_acks import parse_day

    rows = read_csv(path, aliases=CSV_ALIASES, required=("key", "date", "value"),
                    known=CSV_COLUMNS)
    units = manual_units(workspace)
    checked: list[tuple[str, float, date, str | None]] = []
    seen: dict[tuple[str, date], int] = {}
    for row in rows:
        key = row.get("key")
        if not key:
            raise row_error(path, row, "key", "no key")
        day = parse_day(row.get("date"))
        if day is None:
            raise row_error(path, row, "date", f"{row.get('date')!r} is not a date",
                            hint="write 2026-11-30 or 30-11-2026")
        value = parse_number(row.get("value"))
        if value is None:
            raise row_error(path, row, "value", f"{row.get('value')!r} is not a number",
                            hint="write it without thousands separators: 1250 or 12,5")
        problem = _check_value(key, value, units) or _check_day(day, today)
        if problem:
            raise row_error(path, row, *problem)
        if (key, day) in seen:
            raise row_error(path, row, "date", f"{key} on {day.isoformat()} is also on line "
                                               f"{seen[key, day]}")
        seen[key, day] = row.line
        checked.append((key, value, day, row.get("note") or None))
    outcomes = [_store(session, key, value, day, note, path.name).outcome
                for key, value, day, note in checked]
    return ImportSummary(outcomes.count("created"), outcomes.count("updated"),
                         outcomes.count("unchanged"))


def list_records(session: Session, *, key: str | None = None) -> list[KpiRecord]:
    statement = select(KpiRecord).order_by(col(KpiRecord.key), col(KpiRecord.recorded_on))
    if key is not None:
        statement = statement.where(col(KpiRecord.key) == key)
    return list(session.exec(statement).all())


def latest_in(session: Session, key: str, start: date, end: date) -> KpiRecord | None:
    """The value of a manual metric for a period: MANUAL_RULE."""
    return session.exec(select(KpiRecord).where(
        col(KpiRecord.key) == key, col(KpiRecord.recorded_on) >= start,
        col(KpiRecord.recorded_on) <= end).order_by(col(KpiRecord.recorded_on).desc())
        .limit(1)).first()


def parse_day_option(raw: str | None, today: date) -> date:
    """--date as typed (2026-11-30 or 30-11-2026); today when not given."""
    from smo_cli.services.policy_acks import parse_day

    if raw is None or not raw.strip():
        return today
    day = parse_day(raw)
    if day is None:
        raise UsageError(f"--date {raw!r} is not a date", hint="write 2026-11-30")
    return day
