"""Return on investment (job 9): what social media cost and what it brought, per period.

ROI = (value - cost) / cost x 100, shown with every input. Costs are hours x rate, tools,
advertising, agency and training; value is leads or conversions x their value, or savings
(questions answered on social media instead of by phone). Advertising value equivalents (what the
attention would have cost as advertising) are refused: a price for attention is not value brought.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, literal, select
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from smo_cli.config import Workspace
from smo_cli.db.models import CostEntry, ValueEntry, table_of
from smo_cli.errors import InvalidData, UsageError
from smo_cli.services.kpi_figures import MINUS, TIMES
from smo_cli.services.kpi_period import Period
from smo_cli.services.org import check_department

COST_CATEGORIES = ("hours", "tools", "advertising", "agency", "training")
VALUE_CATEGORIES = ("leads", "conversions", "savings")
ROI_FORMULA = f"ROI = (value {MINUS} cost) ÷ cost {TIMES} 100"
NOT_VALUE = ("ave", "advertising_value", "advertising-value", "advertising_value_equivalent",
             "advertising-value-equivalent", "advertising value equivalent", "emv",
             "earned_media_value", "media_value", "reach", "impressions")
NOT_VALUE_REASON = ("advertising value equivalents are not counted as value: they price "
                    "attention as if it were bought advertising, not what social media brought "
                    "in; record leads, conversions or savings")


@dataclass(frozen=True)
class RoiResult:
    """Costs and value of a period per category, and the ROI with the lines that show it."""

    period: Period
    costs: dict[str, float]
    value: dict[str, float]
    total_cost: float
    total_value: float
    roi_percent: float | None       # None when nothing was spent (no cost to divide by)
    inputs: list[str] = field(default_factory=list)
    department: str | None = None
    formula: str = ROI_FORMULA


def _amount(value: float | None, what: str) -> float:
    if value is None or not math.isfinite(value) or value < 0:
        raise InvalidData(f"{what} must be a number of 0 or more")
    return float(value)


def _department(workspace: Workspace, department: str | None) -> str | None:
    return check_department(workspace.settings, department)


def add_cost(session: Session, workspace: Workspace, *, spent_on: date, category: str,
             description: str, amount: float | None = None, hours: float | None = None,
             rate: float | None = None, department: str | None = None) -> CostEntry:
    """A cost: `hours` x `rate` for category hours, else the amount paid."""
    category = category.strip().lower()
    if category not in COST_CATEGORIES:
        raise InvalidData(f"unknown cost category {category!r}",
                          hint=f"one of {', '.join(COST_CATEGORIES)}")
    if category == "hours":
        if hours is None or rate is None or amount is not None:
            raise UsageError("hours are --hours H --rate R (the amount is their product)")
        amount = _amount(hours, "--hours") * _amount(rate, "--rate")
    elif amount is None or hours is not None or rate is not None:
        raise UsageError(f"a {category} cost is --amount (--hours and --rate are for hours)")
    entry = CostEntry(spent_on=spent_on, category=category, description=_text(description),
                      hours=hours, rate=rate, amount=_amount(amount, "--amount"),
                      department=_department(workspace, department))
    session.add(entry)
    session.flush()
    return entry


def add_value(session: Session, workspace: Workspace, *, gained_on: date, category: str,
              description: str, amount: float | None = None, quantity: float | None = None,
              unit_value: float | None = None, department: str | None = None) -> ValueEntry:
    """Value: `quantity` x `unit_value` (10 leads x 250), or an amount (savings)."""
    category = category.strip().lower()
    if category in NOT_VALUE or "equivalent" in category:
        raise InvalidData(f"{category!r} is not a value category: {NOT_VALUE_REASON}")
    if category not in VALUE_CATEGORIES:
        raise InvalidData(f"unknown value category {category!r}",
                          hint=f"one of {', '.join(VALUE_CATEGORIES)}")
    if (quantity is None) != (unit_value is None):
        raise UsageError("give --quantity and --unit-value together")
    if (amount is None) == (quantity is None):
        raise UsageError("give either --amount, or --quantity N --unit-value V")
    if quantity is not None and unit_value is not None:
        amount = _amount(quantity, "--quantity") * _amount(unit_value, "--unit-value")
    entry = ValueEntry(gained_on=gained_on, category=category, description=_text(description),
                       quantity=quantity, unit_value=unit_value,
                       amount=_amount(amount, "--amount"),
                       department=_department(workspace, department))
    session.add(entry)
    session.flush()
    return entry


def _text(description: str) -> str:
    text = " ".join(description.split())
    if not text:
        raise UsageError("--description is required: say what it was")
    return text[:300]


def list_costs(session: Session, workspace: Workspace, period: Period | None = None, *,
               department: str | None = None) -> list[CostEntry]:
    statement = sm_select(CostEntry).order_by(col(CostEntry.spent_on), col(CostEntry.id))
    if period is not None:
        statement = statement.where(col(CostEntry.spent_on) >= period.start,
                                    col(CostEntry.spent_on) <= period.end)
    if (dept := _department(workspace, department)) is not None:
        statement = statement.where(col(CostEntry.department) == dept)
    return list(session.exec(statement).all())


def list_values(session: Session, workspace: Workspace, period: Period | None = None, *,
                department: str | None = None) -> list[ValueEntry]:
    statement = sm_select(ValueEntry).order_by(col(ValueEntry.gained_on), col(ValueEntry.id))
    if period is not None:
        statement = statement.where(col(ValueEntry.gained_on) >= period.start,
                                    col(ValueEntry.gained_on) <= period.end)
    if (dept := _department(workspace, department)) is not None:
        statement = statement.where(col(ValueEntry.department) == dept)
    return list(session.exec(statement).all())


def roi(session: Session, workspace: Workspace, period: Period, *,
        department: str | None = None) -> RoiResult:
    """Costs and value entered for `period` (by their day), summed per category in SQL."""
    dept = _department(workspace, department)
    costs, cost_lines = _sums(session, CostEntry, "spent_on", period, dept, COST_CATEGORIES)
    value, value_lines = _sums(session, ValueEntry, "gained_on", period, dept, VALUE_CATEGORIES)
    total_cost, total_value = sum(costs.values()), sum(value.values())
    percent = (total_value - total_cost) / total_cost * 100 if total_cost else None
    result_line = (f"{ROI_FORMULA} = ({_money(total_value)} {MINUS} {_money(total_cost)}) ÷ "
                   f"{_money(total_cost)} {TIMES} 100 = {percent:.1f}%" if percent is not None else
                   f"{ROI_FORMULA}: no cost in {period.label}, so no ROI")
    lines = [f"cost {line}" for line in cost_lines] + [f"value {line}" for line in value_lines]
    lines += [f"total cost {_money(total_cost)}", f"total value {_money(total_value)}",
              result_line]
    if dept is not None:
        lines.append(f"only entries of department {dept}")
    return RoiResult(period, costs, value, total_cost, total_value, percent, lines, dept)


def _sums(session: Session, model: type[CostEntry] | type[ValueEntry], day: str,
          period: Period, department: str | None,
          categories: tuple[str, ...]) -> tuple[dict[str, float], list[str]]:
    table = table_of(model)
    where = [table.c[day] >= period.start, table.c[day] <= period.end]
    if department is not None:
        where.append(table.c.department == department)
    hours = func.sum(table.c.hours) if "hours" in table.c else literal(None)   # costs only
    rows = session.execute(select(table.c.category, func.count(), func.sum(table.c.amount),
                                  hours)
                           .where(*where).group_by(table.c.category)).all()
    found = {str(c): (int(n), float(total or 0), h) for c, n, total, h in rows}
    sums = {c: found[c][1] if c in found else 0.0 for c in categories}
    lines = []
    for category in [*categories, *sorted(set(found) - set(categories))]:
        if category not in found:
            continue
        count, total, hours = found[category]
        spent = f", {float(hours):g} hours" if category == "hours" and hours else ""
        lines.append(f"{category}: {_money(total)} ({count} "
                     f"{'entry' if count == 1 else 'entries'}{spent})")
        sums[category] = total
    return sums, lines


def _money(amount: float) -> str:
    return f"{amount:,.2f}"
