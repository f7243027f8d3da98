"""Routing (job 7): `route_pending` writes each mention's inbox items and outbox messages.

Routing a mention and writing its inbox items happen in one transaction, and a routed mention is
marked, so routing twice changes nothing. The rules themselves live in `services.rules`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
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
    from smo_cli.services.business_hours import due_at

    now = now or utcnow()
    settings = workspace.settings
    kinds = dict(session.exec(select(col(Source.name), col(Source.kind))).all())
    pending = list(session.exec(select(Mention).where(col(Mention.routed_at).is_(None))
                                .order_by(col(Mention.id))).all())
    assignments, events = table_of(Assignment), table_of(AssignmentEvent)
    for start in range(0, len(pending), ROUTE_BATCH):
        batch = pending[start:start + ROUTE_BATCH]
        matched = _matched_queries(session, [m.id or 0 for m in batch])
        made: list[tuple[dict[str, Any], Decision]] = []
        with session.no_autoflush:
            for mention in batch:
                subject = _subject(mention, kinds.get(mention.source_name, ""),
                                   matched.get(mention.id or 0, ()))
                for decision in book.decide(subject):
                    made.append((_assignment(mention, decision, settings, now, due_at), decision))
                mention.routed_at = now
        if made:
            # Plain bulk inserts: building ORM objects cost more than the routing itself.
            ids = session.execute(insert(assignments).returning(
                assignments.c.id, sort_by_parameter_order=True), [v for v, _ in made]).scalars()
            rows = list(zip(ids, made, strict=True))
            session.execute(insert(events), [
                {"assignment_id": ident, "at": now, "action": "routed", "actor": None,
                 "detail": f"rule {decision.rule_id}: {'; '.join(decision.why)}"}
                for ident, (_, decision) in rows])
            messages = [m for m in (outbox.message_row(settings, ident, values, now)
                                    for ident, (values, _) in rows) if m is not None]
            if messages:
                session.execute(insert(table_of(OutboxMessage)), messages)
        session.flush()
    return len(pending)


ROUTE_BATCH = 1000


def _matched_queries(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for mention_id, name in session.exec(select(col(MentionQuery.mention_id),
                                                col(MentionQuery.query_name))
                                         .where(col(MentionQuery.mention_id).in_(ids))):
        found.setdefault(mention_id, []).append(name)
    return {k: tuple(v) for k, v in found.items()}


def _subject(mention: Mention, kind: str, names: tuple[str, ...]) -> Subject:
    return Subject(text=mention.text, title=mention.title or "", author=mention.author or "",
                   url=mention.url or "", lang=mention.lang, sentiment=mention.sentiment,
                   source=mention.source_name, source_kind=kind, queries=names)


def _assignment(mention: Mention, decision: Decision, settings: Settings, now: datetime,
                due_at: Any) -> dict[str, Any]:
    then = decision.then
    department, person = target_of(then.assign, settings)
    due = due_at(mention.first_seen_at, then.sla_hours, settings.business_hours) if (
        then.sla_hours) else None
    return {"mention_id": mention.id or 0, "rule_id": decision.rule_id,
            "department": department, "person": person, "type": then.type,
            "priority": then.priority, "delivery": then.delivery, "tags": list(then.tags),
            "state": "assigned" if person else "new", "sla_due_at": due,
            "snoozed_until": None, "responded_at": None, "responded_by": None,
            "closed_at": None, "created_at": now}


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
