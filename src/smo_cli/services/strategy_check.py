"""`smo strategy check`: the objectives tested for SMART-ness and every name in strategy.yaml
(KPI keys, channels and inventory targets, queries, people, departments) checked against smo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.models import PresenceTarget, Requirement, SavedQuery
from smo_cli.services.metrics import METRICS, judge_values, kpi_file_keys
from smo_cli.services.policy import PLACEHOLDER
from smo_cli.services.strategy import (
    OPTIONAL,
    PLATFORMS,
    Direction,
    Directory,
    Objective,
    StrategyFile,
    load_strategy,
    strategy_path,
)


@dataclass
class _Problems:
    path: Path
    lines: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.lines.append(f"{self.path}: {where}: {what}")


def check_strategy(session: Session, workspace: Workspace, *,
                   today: date | None = None) -> list[str]:
    """Problems as 'FILE: KEY.PATH: what is wrong' lines: missing answers, SMART, references."""
    strategy = load_strategy(workspace)
    found = _Problems(strategy_path(workspace))
    _missing(found, strategy, "")
    directory = Directory(session, workspace)
    for where, target in _people(strategy):
        problem = directory.problem(target)
        if problem:
            found.add(where, problem)
    metrics = _known_metrics(found, strategy, workspace)
    audiences = _audiences(found, strategy)
    platforms = {c.platform.lower() for c in strategy.channels}
    for index, objective in enumerate(strategy.objectives):
        _objective(found, f"objectives[{index}]", objective, metrics, today or date.today())
        _tied(found, f"objectives[{index}]", objective, audiences, platforms)
    _channels(found, strategy, session, workspace, audiences)
    shares = [p.share for p in strategy.content_pillars]
    if shares and None not in shares and sum(s or 0 for s in shares) != 100:
        found.add("content_pillars", f"the shares add up to {sum(s or 0 for s in shares)}%, "
                  "not 100%")
    queries = set(session.exec(select(col(SavedQuery.name))).all())
    for index, topic in enumerate(strategy.listening):
        if topic.query not in queries:
            found.add(f"listening[{index}].query", f"unknown query {topic.query!r}: not in the "
                      "database (see `smo queries list`)")
    return found.lines


def _missing(found: _Problems, model: BaseModel, prefix: str) -> None:
    """Empty answers and left-over placeholders, in the order of the file."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = f"{prefix}.{name}" if prefix else name
        if value is None or value == "" or value == []:
            if name not in OPTIONAL:
                found.add(where, "no answer yet")
        elif isinstance(value, BaseModel):
            _missing(found, value, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _missing(found, item, f"{where}[{index}]")
                elif isinstance(item, str) and PLACEHOLDER.search(item):
                    found.add(f"{where}[{index}]", f"a placeholder is left: {item[:60]!r}")
        elif isinstance(value, str) and PLACEHOLDER.search(value):
            found.add(where, f"a placeholder is left: {value[:60]!r}")


def _people(strategy: StrategyFile) -> list[tuple[str, str]]:
    """Every answer that names a person or a department, with its key path."""
    found = [("approver", strategy.approver)] + [
        (f"objectives[{i}].owner", o.owner) for i, o in enumerate(strategy.objectives)] + [
        (f"risks[{i}].owner", r.owner) for i, r in enumerate(strategy.risks)] + [
        (f"reporting[{i}].to[{j}]", t) for i, r in enumerate(strategy.reporting)
        for j, t in enumerate(r.to)]
    if strategy.resources:
        found += [(f"resources.team[{i}].person", m.person)
                  for i, m in enumerate(strategy.resources.team)]
    return [(where, target) for where, target in found if target]


def _known_metrics(found: _Problems, strategy: StrategyFile, workspace: Workspace
                   ) -> dict[str, tuple[str | None, Direction | None]]:
    """KPI key -> (unit for the range check, better direction): built-in, then manual ones."""
    known: dict[str, tuple[str | None, Direction | None]] = {
        m.key: (m.unit, m.direction) for m in METRICS.values()}
    for index, manual in enumerate(strategy.manual_metrics):
        if manual.key in known:
            what = "is a built-in metric" if manual.key in METRICS else "is declared twice"
            found.add(f"manual_metrics[{index}].key", f"{manual.key!r} {what}")
        known.setdefault(manual.key, (None, manual.direction))
    for key in kpi_file_keys(workspace.root):
        known.setdefault(key, (None, None))
    return known


def _audiences(found: _Problems, strategy: StrategyFile) -> set[str]:
    keys: set[str] = set()
    for index, audience in enumerate(strategy.audiences):
        if audience.key in keys:
            found.add(f"audiences[{index}].key", f"{audience.key!r} is used twice")
        keys.add(audience.key)
    return keys


def _objective(found: _Problems, where: str, objective: Objective,
               metrics: dict[str, tuple[str | None, Direction | None]], today: date) -> None:
    """Specific (a metric and a direction), measurable (numbers that differ), achievable
    (within the unit's range), time-bound (a deadline after today)."""
    known = objective.metric in metrics
    if objective.metric and not known:
        found.add(f"{where}.metric", f"unknown KPI key {objective.metric!r}: not a built-in "
                  "metric, nor declared under manual_metrics or in kpis.yaml")
    unit, better = metrics.get(objective.metric or "", (None, None))
    for name, what in judge_values(objective.metric or "", unit, better, objective.direction,
                                   objective.baseline, objective.target,
                                   known=known and bool(objective.metric)):
        found.add(f"{where}.{name}", what)
    if objective.deadline and objective.deadline < today:
        found.add(f"{where}.deadline", f"{objective.deadline} has passed")
    elif objective.deadline == today:
        found.add(f"{where}.deadline", f"{objective.deadline} is today: give a later date")
    if objective.baseline_date and objective.baseline_date > today:
        found.add(f"{where}.baseline_date", f"{objective.baseline_date} is in the future")


def _tied(found: _Problems, where: str, objective: Objective, audiences: set[str],
          platforms: set[str]) -> None:
    """Relevant: tied to an audience or a channel of this strategy."""
    if not objective.audiences and not objective.channels:
        found.add(where, "not tied to an audience or a channel: add audiences or channels")
    for index, key in enumerate(objective.audiences):
        if key not in audiences:
            found.add(f"{where}.audiences[{index}]", f"unknown audience {key!r}")
    for index, platform in enumerate(objective.channels):
        if platform.lower() not in platforms:
            found.add(f"{where}.channels[{index}]", f"{platform!r} is not one of the channels "
                      "of this strategy")


def _channels(found: _Problems, strategy: StrategyFile, session: Session, workspace: Workspace,
              audiences: set[str]) -> None:
    """Known platforms, owned by the company or a department, matching the inventory targets."""
    targets = {(t.platform, t.owner): t for t in session.exec(select(PresenceTarget)).all()}
    planned: set[tuple[str, str]] = set()
    for index, channel in enumerate(strategy.channels):
        where, platform, owner = f"channels[{index}]", channel.platform.lower(), channel.owner
        for number, key in enumerate(channel.audiences):
            if key not in audiences:
                found.add(f"{where}.audiences[{number}]", f"unknown audience {key!r}")
        if platform not in PLATFORMS:
            found.add(f"{where}.platform", f"unknown platform {channel.platform!r} "
                      f"(known: {', '.join(PLATFORMS)})")
            continue
        if owner.startswith("dept:") and workspace.settings.department(owner[5:]) is None:
            found.add(f"{where}.owner", f"unknown department {owner[5:]!r}")
            continue
        if owner != "company" and not owner.startswith("dept:"):
            found.add(f"{where}.owner", f"{owner!r} is not company or dept:<key>")
            continue
        if (platform, owner) in planned:
            found.add(where, f"{platform} for {owner} is planned twice")
        planned.add((platform, owner))
        target = targets.get((platform, owner))
        if target is None:
            found.add(f"{where}.platform", f"{platform} has no inventory target for {owner} "
                      f"(smo inventory target set {platform} --owner {owner} --required should)")
        elif target.required == Requirement.must_not.value:
            found.add(f"{where}.platform", f"the inventory target says {owner} must not be on "
                      f"{platform}")
    for (platform, owner), target in sorted(targets.items()):
        if target.required != Requirement.must_not.value and (platform, owner) not in planned:
            found.add("channels", f"the inventory target {platform} for {owner} "
                      f"({target.required}) has no channel in the strategy")


