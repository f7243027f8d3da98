"""Saved queries (job 6): named Boolean queries, one workspace-wide exclude, and matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from smo_cli.db.models import SavedQuery
from smo_cli.db.types import utcnow
from smo_cli.errors import AlreadyExists, InvalidData, NotFound
from smo_cli.services.csv_files import ImportSummary

if TYPE_CHECKING:
    from smo_cli.query import LintProblem, Query, QuerySet
    from smo_cli.services.mentions import Matcher
    from smo_cli.sources.base import Item

GROUPS = ("brand", "product", "person", "competitor", "campaign", "other")
EXCLUDE = "_exclude"        # the one workspace-wide exclude query (job ads, spam)
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class TestResult:
    matches: bool           # the query matches
    excluded: bool          # the exclude query matches
    terms: list[str]

    @property
    def kept(self) -> bool:
        return self.matches and not self.excluded


def _parse(text: str) -> Query:
    from smo_cli.query import parse

    return parse(text)


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME.match(name):
        raise InvalidData(f"query name {name!r} is not usable",
                          hint="lower-case letters, digits, dot, dash or underscore")
    return name


def add_query(session: Session, *, name: str, text: str, group: str = "other",
              replace: bool = False) -> SavedQuery:
    name = check_name(name)
    if group not in GROUPS:
        raise InvalidData(f"unknown group {group!r}", hint=f"one of {', '.join(GROUPS)}")
    _parse(text)                                    # refuse what does not parse
    saved = find_query(session, name)
    if saved is not None and not replace:
        raise AlreadyExists(f"a query named {name} exists", hint="pass --replace to change it")
    if saved is None:
        saved = SavedQuery(name=name, group=group, text=text.strip())
        session.add(saved)
    saved.group, saved.text, saved.updated_at = group, text.strip(), utcnow()
    session.flush()
    return saved


def set_exclude(session: Session, text: str | None) -> SavedQuery | None:
    """Set (or with None, clear) the exclude query every mention must not match."""
    saved = find_query(session, EXCLUDE)
    if text is None or not text.strip():
        if saved is not None:
            session.delete(saved)
            session.flush()
        return None
    _parse(text)
    if saved is None:
        saved = SavedQuery(name=EXCLUDE, group="other", text=text.strip())
        session.add(saved)
    saved.text, saved.updated_at = text.strip(), utcnow()
    session.flush()
    return saved


def find_query(session: Session, name: str) -> SavedQuery | None:
    return session.exec(select(SavedQuery).where(col(SavedQuery.name) == name.strip().lower())
                        ).first()


def get_query(session: Session, name: str) -> SavedQuery:
    saved = find_query(session, name)
    if saved is None or (saved.name == EXCLUDE and name != EXCLUDE):
        raise NotFound(f"no query named {name!r}", hint="see `smo queries list`")
    return saved


def list_queries(session: Session, *, group: str | None = None) -> list[SavedQuery]:
    statement = select(SavedQuery).where(col(SavedQuery.name) != EXCLUDE)
    if group:
        statement = statement.where(col(SavedQuery.group) == group)
    return list(session.exec(statement.order_by(col(SavedQuery.group),
                                                col(SavedQuery.name))).all())


def remove_query(session: Session, name: str) -> SavedQuery:
    saved = get_query(session, name)
    session.delete(saved)
    session.flush()
    return saved


def lint_text(text: str) -> list[LintProblem]:
    from smo_cli.query import lint

    return lint(text)


def test_query(session: Session, name: str, text: str, *, title: str = "", author: str = "",
               url: str = "", lang: str = "") -> TestResult:
    """Would a mention with this text be matched by the named query, and by which terms?"""
    from smo_cli.query import Document

    query = _parse(get_query(session, name).text)
    doc = Document(text, title=title, author=author, url=url, lang=lang)
    exclude = find_query(session, EXCLUDE)
    excluded = exclude is not None and _parse(exclude.text).matches(doc)
    return TestResult(matches=query.matches(doc), excluded=excluded, terms=query.explain(doc))


def export_query(session: Session, name: str, dialect: str) -> str:
    from smo_cli.query import DIALECTS, export

    if dialect not in DIALECTS:
        raise InvalidData(f"unknown dialect {dialect!r}", hint=f"one of {', '.join(DIALECTS)}")
    return export(_parse(get_query(session, name).text), dialect)


def query_set(session: Session) -> QuerySet:
    """Every saved query, compiled once for a run, with the exclude applied."""
    from smo_cli.query import QuerySet

    exclude = find_query(session, EXCLUDE)
    return QuerySet({q.name: _parse(q.text) for q in list_queries(session)},
                    exclude=_parse(exclude.text) if exclude else None)


def matcher_for(queries: QuerySet, kind: str) -> Matcher:
    """A function (item, source name) -> names of matching queries, for the store step."""
    from smo_cli.query import Document

    def match(item: Item, source_name: str) -> list[str]:
        return queries.match(Document(
            item.text, title=item.title or "", author=item.author or "", url=item.url or "",
            lang=item.lang or "", source=source_name, source_kind=kind,
            hashtags=item.hashtags))

    return match


def import_queries(session: Session, path: Path) -> ImportSummary:
    """Upsert queries (and the exclude) from a YAML file; one bad query imports nothing."""
    from pydantic import BaseModel, ConfigDict, ValidationError

    from smo_cli.config import describe_validation_error, read_yaml

    class Entry(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str
        text: str
        group: str = "other"

    class QueriesFile(BaseModel):
        model_config = ConfigDict(extra="forbid")
        exclude: str | None = None
        queries: list[Entry] = []

    try:
        parsed = QueriesFile.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None
    for index, entry in enumerate(parsed.queries):
        try:
            check_name(entry.name)
            _parse(entry.text)
            if entry.group not in GROUPS:
                raise InvalidData(f"unknown group {entry.group!r}",
                                  hint=f"one of {', '.join(GROUPS)}")
        except InvalidData as exc:
            raise InvalidData(f"{path}: queries[{index}] ({entry.name}): {exc.message}",
                              hint=exc.hint) from None
    created = updated = unchanged = 0
    for entry in parsed.queries:
        saved = find_query(session, entry.name)
        if saved is not None and (saved.text, saved.group) == (entry.text.strip(), entry.group):
            unchanged += 1
            continue
        add_query(session, name=entry.name, text=entry.text, group=entry.group, replace=True)
        created, updated = (created + 1, updated) if saved is None else (created, updated + 1)
    if parsed.exclude is not None:
        set_exclude(session, parsed.exclude)
    return ImportSummary(created, updated, unchanged)
