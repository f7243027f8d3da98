"""`smo privacy export|forget`: GDPR access and erasure, for an author or an employee.

An author is found by handle, case-insensitively and in every form the sources store it
(`@name@server` from Mastodon, `@handle` from Bluesky, `u/name` from Reddit, a bare name from
Hacker News or a feed). What is stored about them: their mentions with the queries they matched,
the inbox items and events on those mentions, messages about those items, alerts and other
messages whose text quotes them, and the company's replies to them. Erasure deletes all of it
and leaves a tombstone per mention, so no source can bring it back.

An employee is found by e-mail: the person row, policy acknowledgements, training invitations
and completions, campaign deliveries and survey responses as respondent. Erasure deletes those;
where the address is only a reference (an inbox item assigned to them, an account they own, a
message sent to them), the address is replaced by `erased`, so the records of others stay whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, SQLModel, col, select

from smo_cli.db.models import (
    Account,
    Assignment,
    AssignmentEvent,
    CampaignDelivery,
    Mention,
    MentionQuery,
    OutboxMessage,
    Person,
    PolicyAck,
    Post,
    SurveyResponse,
    TrainingCompletion,
    TrainingInvite,
    TrainingSession,
)
from smo_cli.db.types import utcnow
from smo_cli.errors import UsageError
from smo_cli.services.org import normalise_email
from smo_cli.services.retention import ID_CHUNK, delete_mentions, tombstone

ERASED = "erased"
TOMBSTONE_REASON = "erased on request (smo privacy forget)"
# Replies still to be published keep the link they answer: without it they would go out as
# posts of their own. The officer cancels them (`smo engage`) if they should not go at all.
UNPUBLISHED = ("draft", "scheduled", "publishing")
_PROFILE_URL = re.compile(
    r"^https?://(?:www\.|old\.)?(?P<host>[^/\s]+)/(?:"
    r"@(?P<mastodon>[^/@\s]+)(?:@(?P<remote>[^/\s]+))?"      # Mastodon: /@name or /@name@server
    r"|profile/(?P<bluesky>[^/\s]+)"                          # Bluesky: /profile/handle
    r"|(?:u|user)/(?P<reddit>[^/\s]+)"                        # Reddit: /u/name, /user/name
    r"|user\?id=(?P<hn>[^&\s]+))",                            # Hacker News: /user?id=name
    re.IGNORECASE)


def author_forms(handle: str) -> list[str]:
    """Every lower-case form a stored author may have for this handle or profile link."""
    text = handle.strip().lower()
    match = _PROFILE_URL.match(text)
    if match:
        if match["mastodon"]:
            text = f"{match['mastodon']}@{match['remote'] or match['host']}"
        else:
            text = match["bluesky"] or match["reddit"] or match["hn"]
    name = text.removeprefix("/").removeprefix("u/").removeprefix("@").strip()
    if not name:
        raise UsageError("--author is empty", hint="give a handle, e.g. @jan@mastodon.social")
    return sorted({name, f"@{name}", f"u/{name}"})


@dataclass
class AuthorData:
    """Everything stored about one author, as rows."""

    forms: list[str]
    mentions: list[Mention] = field(default_factory=list)
    links: list[MentionQuery] = field(default_factory=list)
    items: list[Assignment] = field(default_factory=list)
    events: list[AssignmentEvent] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)   # about their inbox items
    quoting: list[OutboxMessage] = field(default_factory=list)    # alerts quoting them
    replies: list[Post] = field(default_factory=list)


def find_author(session: Session, handle: str) -> AuthorData:
    found = AuthorData(forms=author_forms(handle))
    found.mentions = list(session.exec(
        select(Mention).where(func.lower(col(Mention.author)).in_(found.forms))
        .order_by(col(Mention.id))))
    mention_ids = [m.id for m in found.mentions if m.id is not None]
    found.links = _rows_in(session, MentionQuery, col(MentionQuery.mention_id), mention_ids)
    found.items = _rows_in(session, Assignment, col(Assignment.mention_id), mention_ids)
    item_ids = [i.id for i in found.items if i.id is not None]
    found.events = _rows_in(session, AssignmentEvent, col(AssignmentEvent.assignment_id),
                            item_ids)
    found.messages = _rows_in(session, OutboxMessage, col(OutboxMessage.assignment_id), item_ids)
    # Replies point at a post by its link or by its platform id (an at:// URI, a status URI).
    urls = sorted({v for m in found.mentions for v in (m.url, m.external_id) if v})
    found.quoting = _quoting(session, [*found.forms, *urls])
    found.replies = list(session.exec(select(Post).where(or_(
        col(Post.reply_to).in_(item_ids or [-1]), col(Post.reply_url).in_(urls or [""])))
        .order_by(col(Post.id))))
    return found


def _rows_in(session: Session, model: type[Any], column: Any, ids: Sequence[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), ID_CHUNK):
        rows.extend(session.exec(select(model).where(column.in_(ids[start:start + ID_CHUNK]))))
    return rows


def _quoting(session: Session, needles: Sequence[str]) -> list[OutboxMessage]:
    """Messages not tied to an inbox item (alerts, reminders) whose text names one of the needles
    as a whole word; their payload is JSON, so it is searched here rather than in SQL."""
    words = [n for n in needles if len(n) >= 3]
    if not words:
        return []
    pattern = re.compile("|".join(rf"(?<![\w]){re.escape(w)}(?![\w])" for w in words),
                         re.IGNORECASE)
    unlinked = session.exec(select(OutboxMessage)
                            .where(col(OutboxMessage.assignment_id).is_(None))
                            .order_by(col(OutboxMessage.id)))
    return [m for m in unlinked
            if m.payload and pattern.search(json.dumps(m.payload, ensure_ascii=False))]


def export_author(session: Session, handle: str, now: datetime | None = None) -> dict[str, Any]:
    """One JSON-ready document with everything stored about the author."""
    found = find_author(session, handle)
    queries: dict[int, list[str]] = {}
    for link in found.links:
        queries.setdefault(link.mention_id, []).append(link.query_name)
    events: dict[int, list[dict[str, Any]]] = {}
    for event in sorted(found.events, key=lambda e: (e.at, e.id or 0)):
        events.setdefault(event.assignment_id, []).append(_dump(event))
    return {
        "generated_at": now or utcnow(),
        "query": {"author": handle, "matched_forms": found.forms,
                  "match": "case-insensitive, on every source"},
        "mentions": [{**_dump(m), "queries": sorted(queries.get(m.id or 0, []))}
                     for m in found.mentions],
        "inbox_items": [{**_dump(i), "events": events.get(i.id or 0, [])} for i in found.items],
        "outbox_messages": [_dump(m) for m in [*found.messages, *found.quoting]],
        "replies": [_dump(p) for p in found.replies],
    }


def forget_author(session: Session, handle: str, *, dry_run: bool = False,
                  now: datetime | None = None) -> dict[str, int]:
    """Delete everything stored about the author and tombstone their mentions; the counts."""
    found = find_author(session, handle)
    unlink = [p for p in found.replies if p.state not in UNPUBLISHED and p.reply_url]
    counts = {"mentions": len(found.mentions), "query_links": len(found.links),
              "inbox_items": len(found.items), "events": len(found.events),
              "messages": len(found.messages) + len(found.quoting),
              "tombstones": len(found.mentions), "replies_unlinked": len(unlink)}
    if dry_run or (not found.mentions and not found.quoting):
        return counts
    # The reply's own text stays (the company's words); the link to their post goes.
    for post in unlink:
        post.reply_url = None
        post.updated_at = now or utcnow()
    session.flush()
    tombstone(session, [m.dedup_key for m in found.mentions], TOMBSTONE_REASON, now or utcnow())
    ids = [m.id for m in found.mentions if m.id is not None]
    for message in found.quoting:
        session.delete(message)
    session.flush()
    # Rows go by bulk DELETE: forget the loaded copies, so the session never writes them back.
    for row in [*found.mentions, *found.links, *found.items, *found.events, *found.messages]:
        session.expunge(row)
    delete_mentions(session, ids)
    session.flush()
    return counts


# --- employees, by e-mail -------------------------------------------------------------------

# Their own records: deleted on erasure.
OWN_RECORDS: tuple[tuple[str, type[SQLModel], str], ...] = (
    ("policy_acks", PolicyAck, "email"),
    ("training_invites", TrainingInvite, "email"),
    ("training_completions", TrainingCompletion, "email"),
    ("campaign_deliveries", CampaignDelivery, "email"),
    ("survey_responses", SurveyResponse, "respondent"),
)
# Records of others naming them: the address becomes `erased` on erasure.
REFERENCES: tuple[tuple[type[SQLModel], str], ...] = (
    (Assignment, "person"), (Assignment, "responded_by"), (AssignmentEvent, "actor"),
    (AssignmentEvent, "detail"), (Account, "owner"), (Account, "custodian"),
    (TrainingSession, "trainer"),
)


def export_email(session: Session, address: str, now: datetime | None = None) -> dict[str, Any]:
    """One JSON-ready document with everything stored under an employee's e-mail address."""
    email = normalise_email(address)
    person = session.exec(select(Person).where(func.lower(col(Person.email)) == email)).first()
    document: dict[str, Any] = {
        "generated_at": now or utcnow(),
        "query": {"email": email, "match": "case-insensitive"},
        "person": _dump(person) if person else None,
    }
    for key, model, column in OWN_RECORDS:
        document[key] = [_dump(r) for r in _with_email(session, model, column, email)]
    references: list[dict[str, Any]] = [
        {"table": _table(model), "column": column,
         "ids": [r.id for r in _with_email(session, model, column, email)]}
        for model, column in REFERENCES]
    references.append({"table": "person", "column": "manager_email",
                       "ids": [p.id for p in _with_email(session, Person, "manager_email",
                                                         email)]})
    references.append({"table": "outbox_message", "column": "recipients",
                       "ids": [m.id for m in _addressed_to(session, email)]})
    document["references"] = [r for r in references if r["ids"]]
    return document


def forget_email(session: Session, address: str, *, dry_run: bool = False) -> dict[str, int]:
    """Delete an employee's own records and erase their address where others' records name it."""
    email = normalise_email(address)
    person = session.exec(select(Person).where(func.lower(col(Person.email)) == email)).first()
    counts = {"person": int(person is not None)}
    for key, model, column in OWN_RECORDS:
        rows = _with_email(session, model, column, email)
        counts[key] = len(rows)
        if not dry_run:
            for row in rows:
                session.delete(row)
    references = 0
    for model, column in REFERENCES:
        rows = _with_email(session, model, column, email)
        references += len(rows)
        if rows and not dry_run:
            session.execute(update(model).where(func.lower(getattr(model, column)) == email)
                            .values({column: ERASED})
                            .execution_options(synchronize_session="fetch"))
    reports = _with_email(session, Person, "manager_email", email)
    references += len(reports)
    messages = _addressed_to(session, email)
    references += len(messages)
    counts["references_erased"] = references
    if dry_run:
        return counts
    for report in reports:
        report.manager_email = None
    for message in messages:
        _erase_recipient(session, message, email)
    if person is not None:
        session.delete(person)
    session.flush()
    return counts


def _erase_recipient(session: Session, message: OutboxMessage, email: str) -> None:
    others = [r for r in message.recipients if r.lower() != email]
    if message.state == "pending":
        # Not sent yet: it goes to the others only, or not at all.
        if others:
            message.recipients = others
        else:
            session.delete(message)
        return
    # Sent or failed: the record of the delivery stays, without the address.
    message.recipients = [ERASED if r.lower() == email else r for r in message.recipients]


def _with_email(session: Session, model: type[Any], column: str, email: str) -> list[Any]:
    return list(session.exec(select(model).where(func.lower(getattr(model, column)) == email)
                             .order_by(model.id)))


def _addressed_to(session: Session, email: str) -> list[OutboxMessage]:
    """Messages with the address among their recipients (a JSON list: filtered here)."""
    return [m for m in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            if any(r.lower() == email for r in m.recipients)]


def _table(model: type[SQLModel]) -> str:
    return str(model.__tablename__)


def _dump(row: SQLModel) -> dict[str, Any]:
    return row.model_dump()
