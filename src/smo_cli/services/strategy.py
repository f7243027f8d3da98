"""The social media strategy (job 2): strategy.yaml holds the plan the CEO signs; check tests its
objectives for SMART-ness and its references against smo; the document adds where we stand today.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from smo_cli.config import (
    DEPARTMENT_KEY_PATTERN,
    Settings,
    Workspace,
    describe_validation_error,
    read_yaml,
)
from smo_cli.db.models import Person, Platform, PresenceTarget, Requirement, SavedQuery
from smo_cli.db.types import utcnow
from smo_cli.errors import AlreadyExists, InvalidData, NotFound
from smo_cli.render.documents import document_as, render
from smo_cli.render.markdown import md_escape
from smo_cli.services.metrics import (
    MANUAL_NOTE,
    METRICS,
    Standing,
    format_value,
    where_we_stand,
)
from smo_cli.services.queries import EXCLUDE, GROUPS

STRATEGY_FILE = "strategy.yaml"
LANGUAGES = ("nl", "en")
TITLES = {"nl": "Socialemediastrategie", "en": "Social media strategy"}
PLATFORMS = tuple(p.value for p in Platform)
# Answers a strategy may leave empty; every other key needs one.
OPTIONAL = {"direction", "baseline_date", "audiences", "channels", "examples", "team", "share",
            "manual_metrics", "currency"}
Direction = Literal["up", "down"]
Level = Literal["low", "medium", "high"]
Number = float | str | None        # str so that check can say "'about 800' is not a number"
Key = Annotated[str, Field(pattern=DEPARTMENT_KEY_PATTERN, max_length=40)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Objective(_Model):
    goal: str | None = None
    metric: str | None = None
    direction: Direction | None = None
    baseline: Number = None
    baseline_date: date | None = None
    target: Number = None
    deadline: date | None = None
    owner: str | None = None
    audiences: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)


class Audience(_Model):
    key: Key
    name: str | None = None
    need: str | None = None


class Cadence(_Model):
    posts: float = Field(gt=0)
    per: Literal["day", "week", "month"] = "week"


class ChannelPlan(_Model):
    platform: str
    owner: str = "company"
    role: str | None = None
    why: str | None = None
    audiences: list[str] = Field(default_factory=list)
    cadence: Cadence | None = None


class Pillar(_Model):
    name: str | None = None
    about: str | None = None
    share: int | None = Field(default=None, ge=0, le=100)
    examples: list[str] = Field(default_factory=list)


class TeamMember(_Model):
    person: str | None = None
    role: str | None = None
    hours_per_week: float | None = Field(default=None, ge=0)


class BudgetLine(_Model):
    item: str | None = None
    amount: float | None = Field(default=None, ge=0)
    per: Literal["year", "month", "once"] = "year"


class Resources(_Model):
    hours_per_week: float | None = Field(default=None, ge=0)
    team: list[TeamMember] = Field(default_factory=list)
    budget: list[BudgetLine] = Field(default_factory=list)
    currency: str = "EUR"


class Risk(_Model):
    risk: str | None = None
    likelihood: Level | None = None
    impact: Level | None = None
    mitigation: str | None = None
    owner: str | None = None


class ListeningTopic(_Model):
    query: str
    why: str | None = None


class Report(_Model):
    report: str | None = None
    to: list[str] = Field(default_factory=list)
    every: Literal["week", "month", "quarter", "year"] | None = None


class ManualMetric(_Model):
    key: Key
    name: str | None = None
    unit: str | None = None
    direction: Direction | None = None
    source: str | None = None


class StrategyFile(_Model):
    """strategy.yaml: the plan; every key but manual_metrics needs an answer."""

    vision: str | None = None
    approver: str | None = None
    objectives: list[Objective] = Field(default_factory=list)
    audiences: list[Audience] = Field(default_factory=list)
    channels: list[ChannelPlan] = Field(default_factory=list)
    content_pillars: list[Pillar] = Field(default_factory=list)
    resources: Resources | None = None
    risks: list[Risk] = Field(default_factory=list)
    listening: list[ListeningTopic] = Field(default_factory=list)
    reporting: list[Report] = Field(default_factory=list)
    manual_metrics: list[ManualMetric] = Field(default_factory=list)


def strategy_path(workspace: Workspace) -> Path:
    return workspace.root / STRATEGY_FILE


def load_strategy(workspace: Workspace) -> StrategyFile:
    path = strategy_path(workspace)
    if not path.exists():
        raise NotFound(f"no {STRATEGY_FILE} in {workspace.root}", hint="run `smo strategy init`")
    try:
        return StrategyFile.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None


def init_strategy(session: Session, workspace: Workspace, *, lang: str | None,
                  force: bool = False, today: date | None = None) -> Path:
    """Write a commented strategy.yaml, drafted from the inventory targets and saved queries."""
    lang = _lang(workspace, lang)
    path = strategy_path(workspace)
    if path.exists() and not force:
        raise AlreadyExists(f"{path} already exists", hint="edit it, or use --force")
    settings, today = workspace.settings, today or date.today()
    # The company's must-haves first: the first one drafts an objective of its own.
    targets = sorted(session.exec(select(PresenceTarget).where(col(PresenceTarget.required).in_(
        (Requirement.must.value, Requirement.should.value)))).all(), key=lambda t: (
        t.owner != "company", t.owner, t.required != Requirement.must.value, t.platform))
    queries = sorted(session.exec(select(SavedQuery).where(col(SavedQuery.name) != EXCLUDE)),
                     key=lambda q: (GROUPS.index(q.group) if q.group in GROUPS else 99, q.name))
    text = render(f"strategy/{lang}/strategy.yaml.j2", {
        "org": settings.organisation.name, "officer_email": settings.officer.email or "",
        "approver": next((d.head for d in settings.departments if d.head), "") or "",
        "departments": [{"key": d.key, "name": d.name} for d in settings.departments],
        "targets": [{"platform": t.platform, "owner": t.owner, "why": t.why or "",
                     "owner_name": Directory.department_name(settings, t.owner)}
                    for t in targets],
        "queries": [{"name": q.name, "group": q.group} for q in queries],
        "metrics": sorted(METRICS), "manual_note": MANUAL_NOTE[lang], "today": today.isoformat(),
        "deadline": date(today.year + 1, 12, 31).isoformat()},
        workspace_templates=workspace.templates_dir)
    path.write_text(text, encoding="utf-8")
    load_strategy(workspace)            # what init writes must read back
    return path


class Directory:
    """People (the people list and the officer) and departments (smo.yaml) that answers name."""

    def __init__(self, session: Session, workspace: Workspace) -> None:
        self.settings = workspace.settings
        self.people = {p.email.lower(): p for p in session.exec(select(Person)).all()}
        self.officer = (self.settings.officer.email or "").lower()

    def problem(self, target: str) -> str | None:
        target = target.strip()
        if target.startswith("dept:"):
            key = target[5:]
            return None if self.settings.department(key) else f"unknown department {key!r}"
        if target.lower() in ("officer", self.officer) or target.lower() in self.people:
            return None
        if "@" in target:
            return f"{target} is not in the people list"
        return f"{target!r} is not a person's e-mail address or dept:<key>"

    @staticmethod
    def department_name(settings: Settings, target: str) -> str | None:
        department = settings.department(target[5:]) if target.startswith("dept:") else None
        return department.name if department else None

    def label(self, target: str | None) -> str:
        target = (target or "").strip()
        department = self.department_name(self.settings, target)
        if department or target == "company":
            return department or self.settings.organisation.name
        person = self.people.get(target.lower())
        if target == "officer" or (not person and target and target.lower() == self.officer):
            return self.settings.officer.name or self.settings.officer.email or target
        return person.name if person else target


def generate_strategy(session: Session, workspace: Workspace, *, lang: str | None = None,
                      fmt: str = "md", today: date | None = None,
                      now: datetime | None = None) -> str | bytes:
    """The strategy as Markdown, a standalone HTML page or PDF: version 'concept' and its date."""
    lang = _lang(workspace, lang)
    strategy = load_strategy(workspace)
    if today is None:           # the company's today; a given day is taken as its end
        now = now or utcnow()
        today = now.astimezone(ZoneInfo(workspace.settings.business_hours.timezone)).date()
    standing = where_we_stand(session, workspace.settings, today=today, now=now)
    context = _document(session, workspace, strategy, standing, lang)
    markdown = render(f"strategy/{lang}/strategy.md.j2", context,
                      workspace_templates=workspace.templates_dir)
    title = f"{TITLES[lang]} — {workspace.settings.organisation.name}"
    return document_as(markdown, fmt, title=title, lang=lang,
                       workspace_templates=workspace.templates_dir)


def _document(session: Session, workspace: Workspace, strategy: StrategyFile,
              standing: Standing, lang: str) -> dict[str, Any]:
    """What the template needs: the answers, names for people and departments, the figures."""
    directory = Directory(session, workspace)
    manual = {m.key: m for m in strategy.manual_metrics}
    groups = dict(session.exec(select(col(SavedQuery.name), col(SavedQuery.group))).all())
    targets = {(t.platform, t.owner): t.required
               for t in session.exec(select(PresenceTarget)).all()}
    audience_names = {a.key: a.name or a.key for a in strategy.audiences}
    used: dict[str, dict[str, Any]] = {}
    objectives = []

    def shown(value: Any, unit: str | None) -> str:
        """A value in its unit, escaped for Markdown where it is the officer's own text."""
        try:
            float(value)
        except (TypeError, ValueError):
            return format_value(None, unit, lang) if value is None else md_escape(value)
        return format_value(value, unit, lang)

    for o in strategy.objectives:
        builtin, declared = METRICS.get(o.metric or ""), manual.get(o.metric or "")
        unit = builtin.unit if builtin else (md_escape(declared.unit) if declared else "") or None
        name = (builtin.name(lang) if builtin else declared and declared.name) or o.metric
        if o.metric and (builtin or declared):
            used.setdefault(o.metric, {
                "key": o.metric, "name": name, "manual": builtin is None,
                "formula": builtin.formula(lang) if builtin else None,
                "source": declared.source if declared else None})
        current = standing.current(o.metric, [c.lower() for c in o.channels]) if builtin \
            else None
        objectives.append({
            "goal": o.goal, "metric": o.metric, "name": name,
            "direction": o.direction or (builtin or declared or o).direction,
            "baseline": shown(o.baseline, unit), "baseline_date": o.baseline_date,
            "target": shown(o.target, unit), "deadline": o.deadline,
            "current": None if current is None else shown(current, unit),
            "owner": directory.label(o.owner), "channels": o.channels,
            "audiences": [audience_names.get(k, k) for k in o.audiences]})
    resources = strategy.resources or Resources()
    approver = directory.people.get((strategy.approver or "").lower())
    return {
        "lang": lang, "org": workspace.settings.organisation, "officer": workspace.settings.officer,
        "version": "concept", "date": standing.day, "strategy": strategy, "standing": standing,
        "num": lambda value, unit=None: format_value(value, unit, lang),
        "who": directory.label, "objectives": objectives, "metrics": list(used.values()),
        "approver": {"name": directory.label(strategy.approver),
                     "role": approver.role if approver else None},
        "audiences": [{"name": a.name or a.key, "need": a.need,
                       "channels": sorted({c.platform for c in strategy.channels
                                           if a.key in c.audiences})}
                      for a in strategy.audiences],
        "channels": [{"platform": c.platform, "owner": directory.label(c.owner), "role": c.role,
                      "why": c.why, "cadence": c.cadence,
                      "required": targets.get((c.platform.lower(), c.owner)),
                      "audiences": [audience_names.get(k, k) for k in c.audiences]}
                     for c in strategy.channels],
        "listening": [{"query": t.query, "group": groups.get(t.query), "why": t.why,
                       "mentions": standing.per_query.get(t.query, 0)}
                      for t in strategy.listening],
        "team": [{"name": directory.label(m.person), "role": m.role, "hours": m.hours_per_week}
                 for m in resources.team],
        "resources": resources,
        "budget_per_year": sum((b.amount or 0) * (12 if b.per == "month" else 1)
                               for b in resources.budget if b.per != "once"),
        "budget_once": sum(b.amount or 0 for b in resources.budget if b.per == "once"),
        "reporting": [{"report": r.report, "every": r.every,
                       "to": [directory.label(t) for t in r.to]} for r in strategy.reporting],
    }


def _lang(workspace: Workspace, lang: str | None) -> str:
    chosen = (lang or workspace.settings.language).lower()
    if chosen not in LANGUAGES:
        raise InvalidData(f"unknown language {chosen!r}", hint="use nl or en")
    return chosen
