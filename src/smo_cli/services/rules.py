"""The routing rules (job 7): rules.yaml as typed models, how a rule decides, and lint.

Rules are ordered and the first that matches wins, unless it says `continue: true`. Whatever no
rule takes goes to the officer (the implicit `default` rule), so nothing falls through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from smo_cli.config import Settings, Workspace, describe_validation_error, read_yaml
from smo_cli.db.models import Person
from smo_cli.errors import InvalidData

if TYPE_CHECKING:
    from smo_cli.query import Prepared, Query, Screened

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
    _screens: dict[str, Screened] = field(default_factory=dict)

    def decide(self, subject: Subject) -> list[Decision]:
        return self.decider()(subject)

    def decider(self) -> Callable[[Subject], list[Decision]]:
        """`decide`, with the rules indexed once: for deciding many mentions in a row."""
        return _Plan(self).decide

    def screen(self, key: str, text: str) -> Screened:
        """The query `key`, parsed from `text` on first use, ready to match mentions."""
        screen = self._screens.get(key)
        if screen is None:
            from smo_cli.query import Screened, parse

            if key not in self.compiled:
                self.compiled[key] = parse(text)
            screen = self._screens[key] = Screened(self.compiled[key])
        return screen


_MEMO_LIMIT = 20_000            # a listener meets endless authors: memos start over past this


class _Masks:
    """One kind of condition over all rules, as bit masks (bit i is rule i): the rules each
    value satisfies, and `free`, the rules without this kind of condition."""

    __slots__ = ("by_value", "free")

    def __init__(self) -> None:
        self.by_value: dict[str | None, int] = {}
        self.free = 0

    def add(self, bit: int, wanted: set[str]) -> None:
        if not wanted:
            self.free |= bit
        for value in wanted:
            self.by_value[value] = self.by_value.get(value, 0) | bit

    def of(self, values: Iterable[str | None]) -> int:
        """The rules this kind of condition lets through for a mention with these values."""
        mask, get = self.free, self.by_value.get
        for value in values:
            mask |= get(value, 0)
        return mask


class _Plan:
    """A rule book prepared for deciding: each mention's cheap conditions (queries, groups,
    sentiment, language, source, author) are checked for all rules at once with bit masks, and
    only the rules left standing have their topics and query matched, in rule order; each
    text query once per mention, and only when the mention holds a word it needs. A rule
    matches exactly when each of its conditions finds something, as it always did."""

    def __init__(self, book: RuleBook) -> None:
        self.book, self.rules, self.default = book, list(book.rules), book.default
        self.queries, self.groups, self.sentiments = _Masks(), _Masks(), _Masks()
        self.langs, self.sources = _Masks(), _Masks()
        self.authors: list[tuple[int, list[str]]] = []
        self.author_free = 0
        self.whens: list[When] = []
        self.text: list[tuple[tuple[tuple[str, str], ...], str]] = []
        first: dict[str, When] = {}
        for index, rule in enumerate(self.rules):
            bit = 1 << index
            # Like the conditions built per rule id before: two rules with one id (which lint
            # refuses) share the first one's.
            w = first.setdefault(rule.id, rule.when)
            self.whens.append(w)
            self.queries.add(bit, set(w.queries))
            self.groups.add(bit, set(w.groups))
            self.sentiments.add(bit, set(w.sentiment))
            self.langs.add(bit, set(w.lang))
            self.sources.add(bit, set(w.sources))
            if w.authors:
                self.authors.append((bit, [a.lower() for a in w.authors]))
            else:
                self.author_free |= bit
            self.text.append((tuple((t, f"topic:{t}") for t in w.topics),
                              f"rule:{rule.id}" if w.query else ""))
        self._by_queries: dict[tuple[str, ...], int] = {}
        self._by_fields: dict[tuple[str | None, ...], int] = {}
        self._by_author: dict[str, int] = {}
        self.screens: dict[str, Screened] = {}

    def decide(self, s: Subject) -> list[Decision]:
        mask = self._candidates(s)
        decisions: list[Decision] = []
        prepared: Prepared | None = None
        answers: dict[str, bool] = {}           # each text query tried once per mention
        while mask:
            low = mask & -mask
            mask ^= low
            index = low.bit_length() - 1
            topics, query_key = self.text[index]
            hits: list[str] = []
            if topics or query_key:
                if prepared is None:
                    prepared = _prepare(s)
                if topics:
                    hits = [t for t, key in topics
                            if self._answer(answers, key, TOPICS[t], prepared)]
                    if not hits:
                        continue
                if query_key and not self._answer(answers, query_key,
                                                  self.whens[index].query or "", prepared):
                    continue
            rule = self.rules[index]
            decisions.append(Decision(rule.id, rule.then, self._why(self.whens[index], s, hits)))
            if not rule.continue_:
                return decisions
        return decisions or [Decision(DEFAULT_RULE, self.default, ["no rule matched"])]

    def _answer(self, answers: dict[str, bool], key: str, text: str,
                prepared: Prepared) -> bool:
        found = answers.get(key)
        if found is None:
            screen = self.screens.get(key)
            if screen is None:
                screen = self.screens[key] = self.book.screen(key, text)
            found = answers[key] = screen.matches(prepared)
        return found

    def _candidates(self, s: Subject) -> int:
        """The rules whose cheap conditions all hold for `s` (their text still to match)."""
        by_queries = self._by_queries.get(s.queries)
        if by_queries is None:
            names = self.book.groups
            by_queries = self.queries.of(s.queries) & self.groups.of(
                {names.get(q, "") for q in s.queries})
            by_queries = _remember(self._by_queries, s.queries, by_queries)
        fields = (s.sentiment, s.lang, s.source, s.source_kind)
        by_fields = self._by_fields.get(fields)
        if by_fields is None:
            by_fields = _remember(self._by_fields, fields, self.sentiments.of((s.sentiment,))
                                  & self.langs.of((s.lang,))
                                  & self.sources.of((s.source, s.source_kind)))
        by_author = self._by_author.get(s.author)
        if by_author is None:
            author = s.author.lower()
            by_author = self.author_free
            for bit, wanted in self.authors:
                if any(a in author for a in wanted):
                    by_author |= bit
            by_author = _remember(self._by_author, s.author, by_author)
        return by_queries & by_fields & by_author

    def _why(self, w: When, s: Subject, topics: list[str]) -> list[str]:
        """What each condition of a matching rule found, in the order they are written here."""
        why: list[str] = []
        if w.queries:
            why.append(f"query {', '.join(sorted(set(w.queries).intersection(s.queries)))}")
        if w.groups:
            found = {self.book.groups.get(q, "") for q in s.queries} & set(w.groups)
            why.append(f"query group {', '.join(sorted(found))}")
        if w.sentiment:
            why.append(f"sentiment {s.sentiment}")
        if w.lang:
            why.append(f"language {s.lang}")
        if w.sources:
            why.append(f"source {s.source}")
        if w.authors:
            why.append(f"author {s.author}")
        if w.topics:
            why.append(f"topic {', '.join(topics)}")
        if w.query:
            why.append(f"query `{w.query}`")
        return why or ["matches everything"]


def _remember(memo: dict[Any, int], key: Any, mask: int) -> int:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = mask
    return mask


def _prepare(s: Subject) -> Prepared:
    """The mention tokenised once, when a rule needs its text."""
    from smo_cli.query import Document, Prepared

    return Prepared(Document(s.text, title=s.title, author=s.author, url=s.url,
                             lang=s.lang or "", source=s.source, source_kind=s.source_kind))


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
