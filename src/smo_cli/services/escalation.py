"""Escalation (job 7): a spike of mentions per query group, or a burst of negative ones, is
sent to the crisis contacts with the numbers that triggered it.

The current window is compared with the same-length windows of the baseline period before it:
alert when current ≥ min_count and current > mean + k · standard deviation. After an alert the
same subject stays quiet for the cool-down, so one storm is one message.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.models import Mention, MentionQuery, OutboxMessage, SavedQuery, table_of
from smo_cli.db.types import utcnow
from smo_cli.services.outbox import recipients_for
from smo_cli.services.rules import target_of

NEGATIVE = "negative mentions"
_WORD = re.compile(r"[^\W\d_]{4,}")
# Words too common to say what a storm is about (English and Dutch).
_COMMON = frozenset((
    "that", "this", "with", "have", "from", "they", "your", "what", "when", "were", "will",
    "been", "about", "there", "their", "would", "which", "could", "after", "other", "just",
    "more", "also", "over", "only", "into", "some", "than", "then", "them", "niet", "maar",
    "voor", "zijn", "heeft", "door", "deze", "naar", "worden", "wordt", "onze", "jullie",
    "hebben", "veel", "meer", "want", "toch", "iets", "goed", "vandaag"))


@dataclass(frozen=True)
class Spike:
    subject: str            # a query group, or NEGATIVE
    current: int
    mean: float
    sd: float
    threshold: float
    window_start: datetime
    top_terms: list[str]

    def formula(self) -> str:
        return (f"{self.current} ≥ min and {self.current} > mean + k·sd = "
                f"{self.mean:.1f} + k·{self.sd:.1f} = {self.threshold:.1f}")


def find_spikes(session: Session, workspace: Workspace, now: datetime | None = None
                ) -> list[Spike]:
    now = now or utcnow()
    cfg = workspace.settings.escalation
    window = timedelta(minutes=cfg.window_minutes)
    since = now - window - timedelta(days=cfg.baseline_days)
    groups = sorted(set(session.exec(select(col(SavedQuery.group))).all()))
    # Per subject, each mention once (a mention matching two queries of a group is one mention).
    subjects: dict[str, dict[int, tuple[datetime, str]]] = {g: {} for g in groups}
    subjects[NEGATIVE] = {}
    # SQLAlchemy's select: SQLModel's takes at most four columns.
    rows = session.execute(
        sa_select(col(Mention.id), col(Mention.first_seen_at), col(Mention.text),
                  col(Mention.sentiment), col(SavedQuery.group))
        .select_from(Mention)
        .join(MentionQuery, col(MentionQuery.mention_id) == col(Mention.id), isouter=True)
        .join(SavedQuery, col(SavedQuery.name) == col(MentionQuery.query_name), isouter=True)
        .where(col(Mention.first_seen_at) >= since, col(Mention.first_seen_at) < now)).all()
    for ident, seen, text, sentiment, group in rows:
        if group in subjects:
            subjects[group][ident or 0] = (seen, text)
        if sentiment == "negative":
            subjects[NEGATIVE][ident or 0] = (seen, text)
    spikes = []
    for subject, found in subjects.items():
        spike = _spike(subject, list(found.values()), now, window, cfg.baseline_days, cfg.k,
                       cfg.min_count)
        if spike is not None:
            spikes.append(spike)
    return spikes


def _spike(subject: str, found: list[tuple[datetime, str]], now: datetime, window: timedelta,
           baseline_days: int, k: float, min_count: int) -> Spike | None:
    start = now - window
    current = [text for seen, text in found if seen >= start]
    if len(current) < min_count:
        return None
    buckets = int(timedelta(days=baseline_days) / window)
    counts = [0] * buckets
    for seen, _ in found:
        if seen < start:
            index = int((start - seen) / window)
            if index < buckets:
                counts[index] += 1
    mean = statistics.fmean(counts) if counts else 0.0
    sd = statistics.pstdev(counts) if counts else 0.0
    threshold = mean + k * sd
    if len(current) <= threshold:
        return None
    words = Counter(w for text in current for w in {m.lower() for m in _WORD.findall(text)}
                    if w not in _COMMON)
    return Spike(subject, len(current), mean, sd, threshold, start,
                 [w for w, _ in words.most_common(5)])


def escalate(session: Session, workspace: Workspace, now: datetime | None = None,
             dry_run: bool = False) -> list[Spike]:
    """Queue an alert for every spike outside its cool-down; returns the spikes alerted."""
    now = now or utcnow()
    settings, cfg = workspace.settings, workspace.settings.escalation
    alerted = []
    for spike in find_spikes(session, workspace, now):
        prefix = f"smo-alert-{re.sub(r'[^a-z0-9]+', '-', spike.subject.lower())}-"
        quiet_since = now - timedelta(hours=cfg.cooldown_hours)
        recent = session.exec(select(OutboxMessage.id).where(
            col(OutboxMessage.key).startswith(prefix),
            col(OutboxMessage.created_at) >= quiet_since)).first()
        if recent is not None:
            continue
        alerted.append(spike)
        if dry_run:
            continue
        rows: list[dict[str, Any]] = []
        for target in cfg.contacts:
            department, person = target_of(target, settings)
            channel, recipients = recipients_for(settings, department, person)
            if channel is None or not recipients:
                continue
            rows.append(_alert_row(f"{prefix}{int(now.timestamp())}-{len(rows)}", channel,
                                   recipients, spike, workspace, now))
        if rows:
            session.execute(insert(table_of(OutboxMessage)), rows)
        else:
            alerted.pop()               # nobody to tell: not an alert (route lint warns)
    session.flush()
    return alerted


def _alert_row(key: str, channel: str, recipients: list[str], spike: Spike,
               workspace: Workspace, now: datetime) -> dict[str, Any]:
    cfg = workspace.settings.escalation
    nl = (workspace.settings.delivery.language or workspace.settings.language) == "nl"
    what = ("negatieve meldingen" if spike.subject == NEGATIVE else f"groep {spike.subject}") \
        if nl else spike.subject
    subject = (f"ALARM: piek in {what}: {spike.current} in {cfg.window_minutes} min" if nl
               else f"ALERT: spike in {what}: {spike.current} in {cfg.window_minutes} min")
    text = "\n".join([
        subject, "",
        f"{'Nu' if nl else 'Now'}: {spike.current} "
        f"({'sinds' if nl else 'since'} {spike.window_start.isoformat(timespec='minutes')})",
        f"{'Basislijn' if nl else 'Baseline'}: {spike.mean:.1f} ± {spike.sd:.1f} "
        f"({'per venster over' if nl else 'per window over'} {cfg.baseline_days} "
        f"{'dagen' if nl else 'days'})",
        f"{'Formule' if nl else 'Formula'}: {spike.current} > {spike.mean:.1f} + "
        f"{cfg.k:g}·{spike.sd:.1f} = {spike.threshold:.1f}, minimum "
        f"{cfg.min_count}",
        f"{'Meest genoemd' if nl else 'Top terms'}: {', '.join(spike.top_terms) or '—'}", "",
        "smo mentions list --since " + spike.window_start.strftime("%Y-%m-%dT%H:%M"),
    ])
    return {"key": key, "assignment_id": None, "channel": channel, "delivery": "alert",
            "recipients": recipients, "state": "pending", "attempts": 0, "next_attempt_at": now,
            "last_error": None, "created_at": now, "sent_at": None,
            "payload": {"subject": subject, "text": text}}
