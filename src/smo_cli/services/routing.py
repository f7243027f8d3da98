"""Routing (job 7): `route_pending` writes each mention's inbox items and outbox messages.

Routing a mention and writing its inbox items happen in one transaction, and a routed mention is
marked, so routing twice changes nothing. The rules themselves live in `services.rules`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Row
from sqlmodel import Session, col, select

from smo_cli.config import Settings, Workspace
from smo_cli.db.models import (
    Assignment,
    AssignmentEvent,
    Mention,
    MentionQuery,
    OutboxMessage,
    table_of,
)
from smo_cli.db.types import utcnow
from smo_cli.errors import NotFound
from smo_cli.services.business_hours import due_at
from smo_cli.services.rules import (
    DEFAULT_RULE,
    RULES_FILE,
    TOPICS,
    Decision,
    Rule,
    RuleBook,
    Subject,
    lint,
    load_rules,
    parse_rules,
    rules_path,
    target_of,
)

__all__ = ["DEFAULT_RULE", "RULES_FILE", "TOPICS", "Decision", "Rule", "RuleBook", "Subject",
           "decision_record", "explain", "lint", "load_rules", "parse_rules", "route_pending",
           "rules_path", "subject_of", "test_text"]


def subject_of(session: Session, mention: Mention, source_kind: str = "") -> Subject:
    names = _matched_queries(session, [mention.id or 0]).get(mention.id or 0, ())
    return _subject(mention, source_kind, names)


def route_pending(session: Session, workspace: Workspace, book: RuleBook,
                  now: datetime | None = None) -> int:
    """Route every mention not routed yet; returns how many were routed."""
    from smo_cli.db.models import Source
    from smo_cli.services import outbox

    now = now or utcnow()
    settings = workspace.settings
    kinds = dict(session.exec(select(col(Source.name), col(Source.kind))).all())
    # Only the columns rules look at, as plain rows: ORM objects cost more than deciding.
    pending = session.execute(
        sa_select(col(Mention.id), col(Mention.text), col(Mention.title), col(Mention.author),
                  col(Mention.url), col(Mention.lang), col(Mention.sentiment),
                  col(Mention.source_name), col(Mention.first_seen_at))
        .where(col(Mention.routed_at).is_(None)).order_by(col(Mention.id))).all()
    decide = book.decider()
    rows = _Rows(settings, now)
    assignments, events = table_of(Assignment), table_of(AssignmentEvent)
    for start in range(0, len(pending), ROUTE_BATCH):
        batch = pending[start:start + ROUTE_BATCH]
        ids = [row.id for row in batch]
        matched = _matched_queries(session, ids)
        made: list[tuple[dict[str, Any], Decision]] = []
        for row in batch:
            subject = _subject(row, kinds.get(row.source_name, ""), matched.get(row.id, ()))
            made.extend((rows.assignment(row.id, row.first_seen_at, d), d)
                        for d in decide(subject))
        # One multi-row INSERT … RETURNING per table and batch, no ORM objects: building and
        # flushing those cost more than the routing itself. Ids come back by (mention, rule),
        # unique: asking for them in parameter order makes SQLAlchemy insert one row per
        # statement on SQLite.
        assigned = {(mention_id, rule_id): ident for ident, mention_id, rule_id in session.execute(
            insert(assignments).returning(assignments.c.id, assignments.c.mention_id,
                                          assignments.c.rule_id), [v for v, _ in made])}
        made_ids = [(assigned[v["mention_id"], v["rule_id"]], (v, d)) for v, d in made]
        session.execute(insert(events), [
            {"assignment_id": ident, "at": now, "action": "routed",      # no actor: NULL
             "detail": f"rule {decision.rule_id}: {'; '.join(decision.why)}"}
            for ident, (_, decision) in made_ids])
        messages = [m for m in (outbox.message_row(settings, ident, values, now)
                                for ident, (values, _) in made_ids) if m is not None]
        if messages:
            session.execute(insert(table_of(OutboxMessage)), messages)
        session.execute(update(Mention).where(col(Mention.id).in_(ids)).values(routed_at=now))
    return len(pending)


# Mentions per batch: one IN (...) of their ids, one INSERT per table (about as many rows).
ROUTE_BATCH = 500


def _matched_queries(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for mention_id, name in session.exec(select(col(MentionQuery.mention_id),
                                                col(MentionQuery.query_name))
                                         .where(col(MentionQuery.mention_id).in_(ids))):
        found.setdefault(mention_id, []).append(name)
    return {k: tuple(v) for k, v in found.items()}


def _subject(mention: Mention | Row[Any], kind: str, names: tuple[str, ...]) -> Subject:
    """What the rules see of a mention (an ORM object, or a row of its columns)."""
    return Subject(text=mention.text, title=mention.title or "", author=mention.author or "",
                   url=mention.url or "", lang=mention.lang, sentiment=mention.sentiment,
                   source=mention.source_name, source_kind=kind, queries=names)


class _Rows:
    """Assignment rows for decisions; what repeats (a rule's columns, its target, a deadline
    from one moment) is worked out once per run."""

    def __init__(self, settings: Settings, now: datetime) -> None:
        self.settings, self.now = settings, now
        self._columns: dict[int, dict[str, Any]] = {}
        self._due: dict[tuple[datetime, float], datetime] = {}

    def assignment(self, mention_id: int, seen: datetime, decision: Decision) -> dict[str, Any]:
        then = decision.then
        columns = self._columns.get(id(then))
        if columns is None:
            department, person = target_of(then.assign, self.settings)
            columns = self._columns[id(then)] = {
                "department": department, "person": person, "type": then.type,
                "priority": then.priority, "delivery": then.delivery, "tags": list(then.tags),
                "state": "assigned" if person else "new", "created_at": self.now}
            # snoozed_until, responded_at, responded_by, closed_at: left out, so NULL.
        due = None
        if then.sla_hours:
            due = self._due.get((seen, then.sla_hours))
            if due is None:
                due = self._due[seen, then.sla_hours] = due_at(
                    seen, then.sla_hours, self.settings.business_hours)
        return {**columns, "mention_id": mention_id, "rule_id": decision.rule_id,
                "sla_due_at": due}


def explain(session: Session, book: RuleBook, mention_id: int) -> list[Decision]:
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"no mention with id {mention_id}", hint="see `smo mentions list`")
    from smo_cli.db.models import Source

    kind = session.exec(select(col(Source.kind)).where(
        col(Source.name) == mention.source_name)).first() or ""
    return book.decide(subject_of(session, mention, kind))


def test_text(session: Session, book: RuleBook, text: str, *, source: str = "",
              lang: str | None = None) -> list[Decision]:
    """Which rule fires for a text, and why: language, sentiment and the saved queries are
    worked out as a listen run would."""
    from smo_cli.query import Document
    from smo_cli.services.listening import CLASSIFIER
    from smo_cli.services.queries import query_set

    lang = lang or CLASSIFIER.language(text, None)
    label = CLASSIFIER.sentiment(text, lang)[0]
    matched = query_set(session).match(Document(text, lang=lang or "", source=source,
                                                source_kind=source))
    return book.decide(Subject(text=text, lang=lang, sentiment=label, source=source,
                               source_kind=source, queries=tuple(matched)))


def decision_record(decision: Decision) -> dict[str, Any]:
    then = decision.then
    return {"rule": decision.rule_id, "assign": then.assign, "type": then.type,
            "priority": then.priority, "sla_hours": then.sla_hours, "delivery": then.delivery,
            "why": "; ".join(decision.why)}
