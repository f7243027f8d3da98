"""The routing rules (job 7): rules.yaml as typed models, how a rule decides, and lint.

Rules are ordered and the first that matches wins, unless it says `continue: true`. Whatever no
rule takes goes to the officer (the implicit `default` rule), so nothing falls through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from smo_cli.config import Settings, Workspace, describe_validation_error, read_yaml
from smo_cli.db.models import Person
from smo_cli.errors import InvalidData

if TYPE_CHECKING:
    from smo_cli.query import Query

RULES_FILE = "rules.yaml"
Kind = Literal["question", "complaint", "lead", "press", "crisis", "praise", "other"]
Priority = Literal["critical", "high", "medium", "low"]
Delivery = Literal["immediate", "digest", "inbox"]
# Keyword topics a rule can name; each is a query in the query language (Dutch and English).
TOPICS: dict[str, str] = {
    "invoice": 'factuur* OR invoice* OR betaling* OR incasso* OR "dubbel afgeschreven" OR '
               "billing OR aanmaning* OR creditnota*",
    "outage": 'storing* OR uitval OR "werkt niet" OR "ligt eruit" OR outage* OR offline OR '
              '"not working" OR "is down"',
    "job": "vacature* OR sollicit* OR stage* OR werkstudent* OR hiring OR \"job opening\" OR "
           "\"werken bij\"",
    "price": "offerte* OR prijs* OR prijzen OR tarief* OR kosten OR quote* OR price* OR pricing",
    "press": "pers OR persbericht* OR journalist* OR redactie* OR interview* OR press OR "
             "reporter*",
}
DEFAULT_RULE = "default"


class When(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queries: list[str] = Field(default_factory=list)     # any of these saved queries matched
    groups: list[str] = Field(default_factory=list)      # a query of any of these groups matched
    query: str | None = None                              # a query over the mention itself
    topics: list[str] = Field(default_factory=list)       # any of these keyword topics
    sentiment: list[Literal["positive", "neutral", "negative"]] = Field(default_factory=list)
    lang: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)      # source names or kinds
    authors: list[str] = Field(default_factory=list)


class Then(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assign: str                                           # dept:<key>, a person's e-mail, officer
    type: Kind = "other"
    priority: Priority = "medium"
    sla_hours: float | None = Field(default=None, gt=0)
    delivery: Delivery = "inbox"
    tags: list[str] = Field(default_factory=list)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=100)
    when: When = Field(default_factory=When)
    then: Then
    continue_: bool = Field(default=False, alias="continue")


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(default_factory=list)
    default: Then | None = None


@dataclass(frozen=True)
class Subject:
    """What rules look at: a mention's fields and the queries it matched."""

    text: str
    title: str = ""
    author: str = ""
    url: str = ""
    lang: str | None = None
    sentiment: str | None = None
    source: str = ""
    source_kind: str = ""
    queries: tuple[str, ...] = ()


Check = Callable[[Subject, list[Any]], list[str]]


@dataclass(frozen=True)
class Decision:
    rule_id: str
    then: Then
    why: list[str] = field(default_factory=list)


@dataclass
class RuleBook:
    """Rules with their queries compiled once."""

    rules: list[Rule]
    default: Then
    groups: dict[str, str]                   # saved query name -> group
    compiled: dict[str, Query] = field(default_factory=dict)
    _checks: dict[str, list[tuple[str, Check]]] = field(default_factory=dict)

    def decide(self, subject: Subject) -> list[Decision]:
        decisions: list[Decision] = []
        prepared: list[Any] = []            # the mention tokenised once, when a rule needs it
        for rule in self.rules:
            why = self._why(rule, subject, prepared)
            if why is None:
                continue
            decisions.append(Decision(rule.id, rule.then, why))
            if not rule.continue_:
                return decisions
        return decisions or [Decision(DEFAULT_RULE, self.default, ["no rule matched"])]

    def _why(self, rule: Rule, s: Subject, prepared: list[Any]) -> list[str] | None:
        """The reasons the rule matches, or None when one of its conditions fails.

        Cheap conditions first: most rules fail on a group or a sentiment, and then the text is
        never matched at all. Each check gives what it found; nothing found fails the rule.
        """
        checks = self._checks.get(rule.id)
        if checks is None:
            checks = self._checks[rule.id] = self._conditions(rule)
        why: list[str] = []
        for label, found in checks:
            hit = found(s, prepared)
            if not hit:
                return None
            why.append(f"{label} {', '.join(hit)}")
        return why or ["matches everything"]

    def _conditions(self, rule: Rule) -> list[tuple[str, Check]]:
        """The rule's conditions as functions, built once (only those the rule has)."""
        w = rule.when
        queries, groups, sentiments = set(w.queries), set(w.groups), set(w.sentiment)
        langs, sources = set(w.lang), set(w.sources)
        authors = [a.lower() for a in w.authors]
        candidates: list[tuple[object, str, Check]] = [
            (queries, "query", lambda s, _p: sorted(queries.intersection(s.queries))),
            (groups, "query group",
             lambda s, _p: sorted({self.groups.get(q, "") for q in s.queries} & groups)),
            (sentiments, "sentiment",
             lambda s, _p: [str(s.sentiment)] * (s.sentiment in sentiments)),
            (langs, "language", lambda s, _p: [str(s.lang)] * (s.lang in langs)),
            (sources, "source",
             lambda s, _p: [s.source] * (s.source in sources or s.source_kind in sources)),
            (authors, "author",
             lambda s, _p: [s.author] * any(a in s.author.lower() for a in authors)),
            (w.topics, "topic", lambda s, p: [t for t in w.topics if self._matches(
                f"topic:{t}", TOPICS[t], s, p)]),
            (w.query, "query", lambda s, p: [f"`{w.query}`"] * self._matches(
                f"rule:{rule.id}", w.query or "", s, p)),
        ]
        return [(label, check) for wanted, label, check in candidates if wanted]

    def _matches(self, key: str, text: str, s: Subject, prepared: list[Any]) -> bool:
        """Whether the query `key` matches this mention; each query is tried once per mention
        (a topic named by several rules is not matched again)."""
        from smo_cli.query import Document, Prepared, parse

        if key not in self.compiled:
            self.compiled[key] = parse(text)
        if not prepared:
            prepared.append(Prepared(Document(
                s.text, title=s.title, author=s.author, url=s.url, lang=s.lang or "",
                source=s.source, source_kind=s.source_kind)))
            prepared.append({})
        answers: dict[str, bool] = prepared[1]
        if key not in answers:
            answers[key] = self.compiled[key].matches(prepared[0])
        return answers[key]


def rules_path(workspace: Workspace) -> Path:
    return workspace.root / RULES_FILE


def load_rules(workspace: Workspace, session: Session) -> RuleBook:
    """rules.yaml (optional: without it everything goes to the officer), checked by `lint`."""
    book = parse_rules(workspace, session)
    errors = [p for p in lint(book, workspace.settings, session, rules_path(workspace))
              if p.startswith("error")]
    if errors:
        raise InvalidData(errors[0].removeprefix("error: "), hint="run `smo route lint`")
    return book


def parse_rules(workspace: Workspace, session: Session) -> RuleBook:
    """rules.yaml as written (structure validated, references not yet checked)."""
    from smo_cli.services.queries import list_queries

    path = rules_path(workspace)
    parsed = RulesFile()
    if path.exists():
        try:
            parsed = RulesFile.model_validate(read_yaml(path) or {})
        except ValidationError as exc:
            raise InvalidData(describe_validation_error(path, exc)) from None
    groups = {q.name: q.group for q in list_queries(session)}
    default = parsed.default or Then(assign="officer", type="other", priority="medium",
                                     delivery="digest")
    return RuleBook(parsed.rules, default, groups)


def lint(book: RuleBook, settings: Settings, session: Session, path: Path) -> list[str]:
    """Every problem, as 'error: FILE: rule ID: ...' or 'warning: ...'."""
    from smo_cli.query import parse

    people = set(session.exec(select(col(Person.email))).all())
    problems: list[str] = []
    seen: set[str] = set()
    catch_all: str | None = None
    for rule in book.rules:
        where = f"{path}: rule {rule.id}"
        if rule.id in seen:
            problems.append(f"error: {where}: the id is used twice")
        seen.add(rule.id)
        if catch_all is not None:
            problems.append(f"warning: {where}: never reached: rule {catch_all} before it "
                            "matches everything")
        problems += [f"error: {where}: {p}" for p in _target_problems(rule.then.assign, settings,
                                                                       people)]
        problems += [f"error: {where}: unknown query {q!r}" for q in rule.when.queries
                     if q not in book.groups]
        problems += [f"error: {where}: unknown topic {t!r} (known: {', '.join(TOPICS)})"
                     for t in rule.when.topics if t not in TOPICS]
        if rule.when.query:
            try:
                parse(rule.when.query)
            except InvalidData as exc:
                problems.append(f"error: {where}: query: {exc.message}")
        if rule.then.delivery != "inbox" and not _channel_for(rule.then.assign, settings):
            problems.append(f"warning: {where}: delivery {rule.then.delivery}, but no channel "
                            "reaches this target: it stays in the inbox (see `channels:`)")
        if rule.when == When() and not rule.continue_:
            catch_all = catch_all or rule.id
    problems += [f"error: {path}: default: {p}" for p in _target_problems(book.default.assign,
                                                                          settings, people)]
    return problems


def _channel_for(target: str, settings: Settings) -> str | None:
    from smo_cli.services.outbox import recipients_for

    department, person = target_of(target, settings)
    channel, recipients = recipients_for(settings, department, person)
    return channel if recipients else None


def _target_problems(target: str, settings: Settings, people: set[str]) -> list[str]:
    if target == "officer":
        return [] if settings.officer.email else ["assigned to the officer, but smo.yaml has "
                                                  "no officer.email"]
    if target.startswith("dept:"):
        return [] if settings.department(target[5:]) else [
            f"unknown department {target[5:]!r}"]
    if "@" in target:
        return [] if target.lower() in people else [f"unknown person {target!r}"]
    return [f"assign {target!r} is not dept:<key>, an e-mail or officer"]


def target_of(assign: str, settings: Settings) -> tuple[str | None, str | None]:
    if assign == "officer":
        return None, settings.officer.email
    if assign.startswith("dept:"):
        return assign[5:], None
    return None, assign.lower()
