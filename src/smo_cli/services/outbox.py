"""The outbox (job 7): messages queued with each routing decision, delivered and marked.

Queuing happens in the routing transaction, so a routed mention always has its messages; sending
happens later and each message is marked in its own transaction. A retryable failure waits
longer each time; a permanent one (unknown hook, refused login) is marked failed and reported.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smo_cli.config import Settings, Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import Assignment, Mention, OutboxMessage
from smo_cli.db.types import utcnow
from smo_cli.errors import Conflict, NotFound

MAX_ATTEMPTS = 8
PRIORITY_NL = {"critical": "kritiek", "high": "hoog", "medium": "middel", "low": "laag"}
OUTBOX_COLUMNS = ("id", "key", "state", "delivery", "channel", "recipients", "attempts",
                  "next_attempt_at", "last_error", "assignment_id")


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** attempts, 360))


def recipients_for(settings: Settings, department: str | None,
                   person: str | None) -> tuple[str | None, list[str]]:
    """(channel name, recipients) for an assignment; no channel means: inbox only."""
    if person:
        return settings.delivery.channel, [person]
    dept = settings.department(department or "")
    if dept is None:
        return None, []
    address = dept.email or dept.head
    return dept.channel or settings.delivery.channel, [address] if address else []


def message_row(settings: Settings, assignment_id: int, assignment: Mapping[str, Any],
                now: datetime) -> dict[str, Any] | None:
    """The outbox row an assignment asks for, or None (inbox only, or no channel reaches it).

    Written by routing in its own transaction, so a routed mention always has its messages.
    """
    if assignment["delivery"] not in ("immediate", "digest"):
        return None
    channel, recipients = recipients_for(settings, assignment["department"],
                                         assignment["person"])
    if channel is None or not recipients:
        return None
    return {"key": f"smo-{assignment_id}", "assignment_id": assignment_id, "channel": channel,
            "delivery": assignment["delivery"], "recipients": recipients, "state": "pending",
            "attempts": 0, "next_attempt_at": now, "last_error": None, "created_at": now,
            "sent_at": None}


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    previews: list[dict[str, Any]] = field(default_factory=list)   # --dry-run


def digests_due(session: Session, settings: Settings, now: datetime) -> bool:
    """With `delivery.digest_at`, digests go once a day from that local time."""
    at = settings.delivery.digest_at
    if at is None:
        return False
    zone = ZoneInfo(settings.business_hours.timezone)
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), at, tzinfo=zone)
    if local < today:
        return False
    sent_today = session.exec(select(OutboxMessage.id).where(
        col(OutboxMessage.delivery) == "digest",
        col(OutboxMessage.sent_at) >= today.astimezone(UTC))).first()
    return sent_today is None


def deliver(engine: Engine, workspace: Workspace, env: Mapping[str, str], *,
            digests: bool = True, dry_run: bool = False, now: datetime | None = None,
            only: Sequence[int] | None = None) -> DeliveryReport:
    """Send what is due: immediate messages one by one, digests grouped per recipient
    (when asked, or daily from `delivery.digest_at`). `only` limits a send to those messages
    (a command that just queued them, such as `policy remind`)."""
    from smo_cli.delivery import build_channel

    now = now or utcnow()
    report = DeliveryReport()
    with reading(engine) as session:
        digests = digests or digests_due(session, workspace.settings, now)
    if digests and not dry_run:
        _seal_digests(engine, now)
    with reading(engine) as session:
        due = list(session.exec(select(OutboxMessage).where(
            col(OutboxMessage.state) == "pending",
            col(OutboxMessage.next_attempt_at) <= now).order_by(col(OutboxMessage.id))).all())
        if only is not None:
            wanted = set(only)
            due = [row for row in due if row.id in wanted]
        batches = _batches(due, digests)
        messages = [(ids, _message(session, workspace, batch)) for ids, batch in batches]
    channels: dict[str, Any] = {}
    for ids, (channel_name, message) in messages:
        if dry_run:
            report.previews.append({"channel": channel_name, "to": ", ".join(message.recipients),
                                    "subject": message.subject, "messages": len(ids)})
            continue
        if channel_name not in channels:
            config = workspace.settings.channel(channel_name)
            if config is None:
                _mark(engine, ids, ok=False, permanent=True, now=now,
                      detail=f"channel {channel_name!r} is no longer in smo.yaml")
                report.failed += len(ids)
                continue
            channels[channel_name] = build_channel(config.model_dump(), env, workspace.root)
        result = channels[channel_name].send(message)
        _mark(engine, ids, ok=result.ok, permanent=result.permanent, now=now,
              detail=result.detail)
        if result.ok:
            report.sent += len(ids)
        elif result.permanent:
            report.failed += len(ids)
        else:
            report.retrying += len(ids)
    return report


def _seal_digests(engine: Engine, now: datetime) -> None:
    """Fix which rows make up each digest before anything is sent, so a digest re-sent after a
    crash is the very same message (same rows, same Message-ID), and rows that arrive later
    form the next digest."""
    with transaction(engine) as session:
        loose = [r for r in session.exec(select(OutboxMessage).where(
            col(OutboxMessage.state) == "pending", col(OutboxMessage.delivery) == "digest",
            col(OutboxMessage.next_attempt_at) <= now).order_by(col(OutboxMessage.id)))
            if not (r.payload or {}).get("batch")]
        grouped: dict[tuple[str, tuple[str, ...]], list[OutboxMessage]] = defaultdict(list)
        for row in loose:
            grouped[row.channel, tuple(sorted(row.recipients))].append(row)
        for rows in grouped.values():
            key = _digest_key(rows)
            for row in rows:
                row.payload = {"batch": key}


def _batches(due: Sequence[OutboxMessage], digests: bool
             ) -> list[tuple[list[int], list[OutboxMessage]]]:
    batches: list[tuple[list[int], list[OutboxMessage]]] = []
    grouped: dict[tuple[str, ...], list[OutboxMessage]] = defaultdict(list)
    for row in due:
        if row.delivery == "digest":
            if digests:
                batch = (row.payload or {}).get("batch")
                # Unsealed rows only appear in a dry run: group them as a send would.
                grouped[(batch,) if batch else (row.channel, *sorted(row.recipients))].append(row)
            continue
        batches.append(([row.id or 0], [row]))
    for rows in grouped.values():
        batches.append(([r.id or 0 for r in rows], rows))
    return batches


def _message(session: Session, workspace: Workspace, rows: list[OutboxMessage]) -> Any:
    from smo_cli.delivery import Message
    from smo_cli.render.documents import render

    first = rows[0]
    if first.payload and "text" in first.payload:
        # Alerts, reminders and invitations carry their own text, written when queued.
        from smo_cli.delivery import Attachment

        html = first.payload.get("html")
        attachments = tuple(Attachment(str(a["filename"]), str(a["content_type"]),
                                       str(a["text"]).encode("utf-8"))
                            for a in first.payload.get("attachments") or ())
        return first.channel, Message(key=first.key, recipients=tuple(first.recipients),
                                      subject=str(first.payload["subject"]),
                                      text=str(first.payload["text"]),
                                      html=str(html) if html else None,
                                      data={k: v for k, v in first.payload.items()
                                            if k not in ("html", "attachments")},
                                      attachments=attachments)
    settings = workspace.settings
    lang = settings.delivery.language or settings.language
    zone = ZoneInfo(settings.business_hours.timezone)
    entries = []
    for row in rows:
        item = session.get(Assignment, row.assignment_id) if row.assignment_id else None
        mention = session.get(Mention, item.mention_id) if item else None
        if item is None or mention is None:
            continue
        entries.append({"item": _item_record(item, zone),
                        "mention": _mention_record(mention, zone)})
    context: dict[str, Any] = {"org": settings.organisation.name,
                               "recipient": ", ".join(first.recipients)}
    if first.delivery == "digest":
        template = "digest"
        key = str((first.payload or {}).get("batch") or _digest_key(rows))
        context["items"] = entries
        subject = f"smo: {len(entries)} {'meldingen' if lang == 'nl' else 'mentions'} — " \
                  f"{settings.organisation.name}"
    else:
        template, key = "message", first.key
        context.update(entries[0] if entries else {"item": {}, "mention": {}})
        title = context["mention"].get("title") or context["mention"].get("text", "")[:80]
        priority = context["item"].get("priority", "")
        subject = f"[{PRIORITY_NL.get(priority, priority) if lang == 'nl' else priority}] {title}"
    text = render(f"{lang}/{template}.txt.j2", context, workspace_templates=workspace.templates_dir)
    html = render(f"{lang}/{template}.html.j2", context,
                  workspace_templates=workspace.templates_dir, html=True)
    data = {"subject": subject, "items": entries, "org": settings.organisation.name}
    return first.channel, Message(key=key, recipients=tuple(first.recipients), subject=subject,
                                  text=text, html=html, data=data)


def _digest_key(rows: list[OutboxMessage]) -> str:
    digest = hashlib.sha256(",".join(str(r.id) for r in rows).encode()).hexdigest()[:16]
    return f"smo-digest-{digest}"


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """A time as people in the company read it: their zone, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else None


def _item_record(item: Assignment, zone: ZoneInfo) -> dict[str, Any]:
    return {"id": item.id, "type": item.type, "priority": item.priority,
            "department": item.department, "person": item.person, "rule_id": item.rule_id,
            "sla_due_at": _local(item.sla_due_at, zone)}


def _mention_record(mention: Mention, zone: ZoneInfo) -> dict[str, Any]:
    return {"title": mention.title, "text": mention.text, "url": mention.url,
            "author": mention.author, "source": mention.source_name,
            "sentiment": mention.sentiment, "published_at": _local(mention.published_at, zone)}


def _mark(engine: Engine, ids: list[int], *, ok: bool, permanent: bool, now: datetime,
          detail: str | None) -> None:
    with transaction(engine) as session:
        for row in session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))):
            row.attempts += 1
            if ok:
                row.state, row.sent_at, row.last_error = "sent", now, None
            elif permanent or row.attempts >= MAX_ATTEMPTS:
                row.state, row.last_error = "failed", (detail or "failed")[:1000]
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                row.last_error = (detail or "will retry")[:1000]


def list_outbox(session: Session, state: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
    statement = select(OutboxMessage).order_by(col(OutboxMessage.id).desc())
    if state:
        statement = statement.where(col(OutboxMessage.state) == state)
    if limit:
        statement = statement.limit(limit)
    return [{c: getattr(r, c) for c in OUTBOX_COLUMNS} for r in session.exec(statement)]


def retry(session: Session, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Send a failed (or waiting) message again on the next delivery."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(f"no outbox message {message_id}", hint="see `smo outbox list`")
    if row.state == "sent":
        raise Conflict(f"outbox message {message_id} was sent already")
    row.state, row.next_attempt_at = "pending", now or utcnow()
    return row
