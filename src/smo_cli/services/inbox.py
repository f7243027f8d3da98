"""The inbox (job 7): assignments by department or person, their SLA, state and history.

States: new → assigned → responded → closed; `reopen` goes back to assigned. Every change is an
event in the item's history, so the officer can see who did what and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from smo_cli.config import Settings
from smo_cli.db.models import Assignment, AssignmentEvent, Mention, Person
from smo_cli.db.types import utcnow
from smo_cli.errors import Conflict, InvalidData, NotFound

STATES = ("new", "assigned", "responded", "closed")
INBOX_COLUMNS = ("id", "mention_id", "state", "type", "priority", "department", "person",
                 "sla_due_at", "overdue", "rule_id", "title")


@dataclass(frozen=True)
class InboxFilter:
    department: str | None = None
    person: str | None = None
    state: str | None = None
    type: str | None = None
    priority: str | None = None
    overdue: bool = False
    include_closed: bool = False
    limit: int | None = None


def is_overdue(item: Assignment, now: datetime) -> bool:
    return (item.sla_due_at is not None and item.state in ("new", "assigned")
            and item.sla_due_at < now
            and (item.snoozed_until is None or item.snoozed_until < now))


def list_items(session: Session, flt: InboxFilter, now: datetime | None = None
               ) -> list[dict[str, Any]]:
    now = now or utcnow()
    statement = select(Assignment, Mention).join(Mention, col(Mention.id) == col(
        Assignment.mention_id)).order_by(col(Assignment.sla_due_at).is_(None),
                                         col(Assignment.sla_due_at), col(Assignment.id))
    if flt.state:
        if flt.state not in STATES:
            raise InvalidData(f"unknown state {flt.state!r}", hint=f"one of {', '.join(STATES)}")
        statement = statement.where(col(Assignment.state) == flt.state)
    elif not flt.include_closed:
        statement = statement.where(col(Assignment.state) != "closed")
    for column, value in ((Assignment.department, flt.department),
                          (Assignment.person, flt.person and flt.person.lower()),
                          (Assignment.type, flt.type), (Assignment.priority, flt.priority)):
        if value:
            statement = statement.where(col(column) == value)
    rows = [(item, mention) for item, mention in session.exec(statement).all()
            if not flt.overdue or is_overdue(item, now)]
    if flt.limit:
        rows = rows[:flt.limit]
    return [_record(item, mention, now) for item, mention in rows]


def _record(item: Assignment, mention: Mention, now: datetime) -> dict[str, Any]:
    return {"id": item.id, "mention_id": item.mention_id, "state": item.state, "type": item.type,
            "priority": item.priority, "department": item.department, "person": item.person,
            "sla_due_at": item.sla_due_at, "overdue": is_overdue(item, now),
            "rule_id": item.rule_id,
            "title": (mention.title or " ".join(mention.text.split()[:12]))[:120]}


def get_item(session: Session, item_id: int) -> Assignment:
    item = session.get(Assignment, item_id)
    if item is None:
        raise NotFound(f"no inbox item {item_id}", hint="see `smo inbox list`")
    return item


def show_item(session: Session, item_id: int, now: datetime | None = None) -> dict[str, Any]:
    item = get_item(session, item_id)
    mention = session.get(Mention, item.mention_id)
    assert mention is not None
    record = _record(item, mention, now or utcnow())
    record.update({"text": mention.text, "url": mention.url, "author": mention.author,
                   "source": mention.source_name, "sentiment": mention.sentiment,
                   "responded_at": item.responded_at, "responded_by": item.responded_by,
                   "snoozed_until": item.snoozed_until, "tags": item.tags,
                   "history": [f"{e.at.isoformat(timespec='minutes')} {e.action}"
                               f"{' by ' + e.actor if e.actor else ''}"
                               f"{': ' + e.detail if e.detail else ''}"
                               for e in history(session, item_id)]})
    return record


def history(session: Session, item_id: int) -> list[AssignmentEvent]:
    return list(session.exec(select(AssignmentEvent).where(
        col(AssignmentEvent.assignment_id) == item_id).order_by(col(AssignmentEvent.id))).all())


def _event(session: Session, item: Assignment, action: str, actor: str | None,
           detail: str | None, now: datetime) -> None:
    session.add(AssignmentEvent(assignment_id=item.id or 0, at=now, action=action, actor=actor,
                                detail=detail))
    session.flush()


def assign(session: Session, item_id: int, *, person: str | None = None,
           department: str | None = None, actor: str | None = None,
           settings: Settings | None = None, now: datetime | None = None) -> Assignment:
    now = now or utcnow()
    item = get_item(session, item_id)
    if item.state == "closed":
        raise Conflict(f"inbox item {item_id} is closed", hint="reopen it first")
    if not person and not department:
        raise InvalidData("give --to PERSON or --dept KEY")
    if department and settings is not None and settings.department(department) is None:
        raise InvalidData(f"unknown department {department!r}",
                          hint="see `smo org departments`")
    if person:
        known = person.lower() == (settings.officer.email if settings else None) or (
            session.exec(select(Person.email).where(col(Person.email) == person.lower())).first())
        if not known:
            raise InvalidData(f"{person.lower()} is not in the people list",
                              hint="see `smo org people list`")
    # A department alone takes the item from whoever had it.
    item.person = person.lower() if person else None
    item.department = department or item.department
    item.state = "assigned" if item.person else "new"
    _event(session, item, "assigned", actor, person or f"dept:{department}", now)
    return item


def note(session: Session, item_id: int, text: str, *, actor: str | None = None,
         now: datetime | None = None) -> Assignment:
    item = get_item(session, item_id)
    _event(session, item, "note", actor, text, now or utcnow())
    return item


def snooze(session: Session, item_id: int, until: datetime, *, actor: str | None = None,
           now: datetime | None = None) -> Assignment:
    item = get_item(session, item_id)
    item.snoozed_until = until
    _event(session, item, "snoozed", actor, f"until {until.isoformat(timespec='minutes')}",
           now or utcnow())
    return item


def respond(session: Session, item_id: int, *, by: str, how: str | None = None,
            now: datetime | None = None) -> Assignment:
    """Record the first (or a later) response: who answered and when (first response time)."""
    now = now or utcnow()
    item = get_item(session, item_id)
    if item.state == "closed":
        raise Conflict(f"inbox item {item_id} is closed", hint="reopen it first")
    if item.responded_at is None:
        item.responded_at, item.responded_by = now, by.lower()
    item.state = "responded"
    _event(session, item, "responded", by.lower(), how, now)
    return item


def close(session: Session, item_id: int, *, actor: str | None = None,
          reason: str | None = None, now: datetime | None = None) -> Assignment:
    now = now or utcnow()
    item = get_item(session, item_id)
    if item.state == "closed":
        raise Conflict(f"inbox item {item_id} is already closed")
    item.state, item.closed_at = "closed", now
    _event(session, item, "closed", actor, reason, now)
    return item


def reopen(session: Session, item_id: int, *, actor: str | None = None,
           now: datetime | None = None) -> Assignment:
    item = get_item(session, item_id)
    if item.state != "closed":
        raise Conflict(f"inbox item {item_id} is not closed")
    item.state, item.closed_at = "assigned" if item.person else "new", None
    _event(session, item, "reopened", actor, None, now or utcnow())
    return item
