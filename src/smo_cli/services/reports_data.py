"""The figures of the reports that are not KPIs: counts and short lists, aggregated in SQL.

A report covers a period of a million mentions or more, so nothing here loads a period's
mentions into Python: a department's items are counted by type, priority, state, query group
and sentiment in the database, and only the few mentions a report shows (the worst, the best,
the items at risk or open) are fetched, with LIMIT.

A mention belongs to a period as the KPIs count it (`kpi_figures.window_parts`: its publication
time, or without one when smo first saw it, as two index-friendly ranges).

Mention text comes from the internet: every field is passed on as plain text for the templates
to escape, and a URL is offered as a link only when it is http(s) (`safe_link`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from smo_cli.db.models import (
    Assignment,
    LearningGoal,
    ListenRun,
    Mention,
    MentionQuery,
    OutboxMessage,
    PracticeEntry,
    SavedQuery,
)
from smo_cli.services.inbox import is_overdue
from smo_cli.services.kpi_figures import OWN_GROUPS, SENTIMENTS, unindexed, window_parts

__all__ = ["SENTIMENTS"]   # re-exported: the reports count by these labels

OPEN_STATES = ("new", "assigned")
SUCCESSFUL_RUNS = ("ok", "partial")     # a partial run still listened (some sources failed)
SNIPPET = 160
TITLE = 100                 # a report lists a mention on a line or two, not a page
# Kept as they are in a link; everything else (quotes, brackets, spaces, backslashes) is
# percent-encoded, so a URL cannot close a Markdown link or an HTML attribute.
_URL_SAFE = ":/?#@!$&*+,;=%~-._"


@dataclass(frozen=True)
class MentionItem:
    """A mention as a report shows it: plain text, escaped by the template."""

    id: int
    title: str                  # its title, or the first words of its text
    snippet: str
    link: str | None            # an http(s) URL, safe to link
    url_text: str | None        # any other URL: shown as text, never linked
    author: str | None
    source: str
    published: datetime | None  # local time
    sentiment: str | None


@dataclass(frozen=True)
class RoutedItem:
    """An inbox item with its mention (risks, a department's open items)."""

    id: int
    type: str
    priority: str
    state: str
    department: str | None
    person: str | None
    created: datetime           # local time
    due: datetime | None        # local time
    overdue: bool
    mention: MentionItem


@dataclass(frozen=True)
class Alert:
    at: datetime                # local time
    subject: str


@dataclass(frozen=True)
class Monitoring:
    last_success: datetime | None   # local time of the latest run that listened
    status: str | None              # ok | partial
    latest_failed: datetime | None  # a failed run after it, if any (local time)
    stale: bool                     # never, or more than a day before the report's `now`


@dataclass(frozen=True)
class RoutedSummary:
    """What was routed to one department in a period, counted."""

    total: int
    by_type: dict[str, int]
    by_priority: dict[str, int]
    by_state: dict[str, int]
    tags: dict[str, int]
    groups: dict[str, int]          # query groups of the mentions routed
    sentiment: dict[str, int]


def safe_link(url: str | None) -> str | None:
    """The URL if it is http(s) with a host, percent-encoded; None otherwise (javascript:,
    data:, relative paths and anything that does not parse are never links)."""
    if not url:
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(text, safe=_URL_SAFE)


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


_MENTION_COLUMNS = (col(Mention.id), col(Mention.title), col(Mention.text), col(Mention.url),
                    col(Mention.author), col(Mention.source_name), col(Mention.published_at),
                    col(Mention.first_seen_at), col(Mention.sentiment))


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _item(row: Any, zone: ZoneInfo) -> MentionItem:
    ident, title, text, url, author, source, published, seen, sentiment = row[:9]
    words = " ".join(str(text or "").split())
    snippet = _shorten(words, SNIPPET)
    heading = " ".join(str(title).split()) if title else " ".join(words.split()[:12])
    link = safe_link(url)
    return MentionItem(int(ident), _shorten(heading, TITLE), snippet, link,
                       None if link or not url else str(url)[:300], author, str(source),
                       local(published or seen, zone), sentiment)


def _strongest(sentiment: Any, score: Any, ident: Any) -> tuple[ColumnElement[Any], ...]:
    """The order of strength of feeling: negative the lowest score first, positive the highest,
    a mention without a score last, the newest first among equals."""
    strength = case((sentiment == "negative", score), else_=-score)
    return score.is_(None), strength, ident.desc()


def top_mentions(session: Session, since: datetime, until: datetime, *, zone: ZoneInfo,
                 limit: int = 3) -> tuple[list[MentionItem], list[MentionItem]]:
    """(most negative, most positive): the mentions about us in the window (matched by a query
    of our own groups: a competitor's good news is not our best story) with the strongest
    sentiment score, the newest first among equals.

    smo stores no reach (followers, views) for a mention, so strength of feeling stands in for
    it. One statement: the first few of each sentiment in each part of the window (one index
    each, as the KPIs count them), ranked per sentiment; only the mentions shown are read whole.
    """
    ours = sa_select(col(SavedQuery.name)).where(col(SavedQuery.group).in_(OWN_GROUPS))
    # One seek to the mention's few links, then their names are compared (as voice_counts).
    about_us = exists().where(col(MentionQuery.mention_id) == col(Mention.id),
                              unindexed(col(MentionQuery.query_name)).in_(ours))
    firsts = []
    for sentiment in ("negative", "positive"):
        for part in window_parts(since, until):
            # The part's ids of this sentiment come from its (time, sentiment) index alone, so
            # only those mentions are read from the table; SQLite would otherwise read every
            # mention of the window to look at its sentiment (twice the time).
            felt = sa_select(col(Mention.id)).where(*part, col(Mention.sentiment) == sentiment)
            first = (sa_select(col(Mention.id), col(Mention.sentiment),
                               col(Mention.sentiment_score))
                     .where(col(Mention.id).in_(felt), about_us)
                     .order_by(*_strongest(col(Mention.sentiment), col(Mention.sentiment_score),
                                           col(Mention.id))).limit(limit))
            firsts.append(sa_select(first.subquery()))
    found = union_all(*firsts).subquery()
    rank = func.row_number().over(partition_by=found.c.sentiment, order_by=_strongest(
        found.c.sentiment, found.c.sentiment_score, found.c.id))
    ranked = sa_select(found.c.id, rank.label("rank")).subquery()
    rows = session.execute(sa_select(*_MENTION_COLUMNS)
                           .join(ranked, ranked.c.id == col(Mention.id))
                           .where(ranked.c.rank <= limit)
                           .order_by(col(Mention.sentiment), ranked.c.rank)).all()
    shown: dict[str, list[MentionItem]] = {"negative": [], "positive": []}
    for row in rows:
        shown[row.sentiment].append(_item(row, zone))
    return shown["negative"], shown["positive"]


def _routed(session: Session, where: list[ColumnElement[bool]], zone: ZoneInfo, now: datetime,
            limit: int) -> list[RoutedItem]:
    statement = (sa_select(Assignment, *_MENTION_COLUMNS)
                 .join(Mention, col(Mention.id) == col(Assignment.mention_id))
                 .where(*where)
                 .order_by(col(Assignment.sla_due_at).is_(None), col(Assignment.sla_due_at),
                           col(Assignment.id)).limit(limit))
    found = []
    for item, *mention in session.execute(statement).all():
        found.append(RoutedItem(
            item.id or 0, item.type, item.priority, item.state, item.department, item.person,
            item.created_at.astimezone(zone), local(item.sla_due_at, zone),
            is_overdue(item, now), _item(mention, zone)))
    return found


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.execute(sa_select(func.count()).select_from(Assignment)
                               .where(*where)).scalar_one())


def risks(session: Session, since: datetime, until: datetime, *, zone: ZoneInfo,
          now: datetime, limit: int = 3) -> tuple[int, list[RoutedItem]]:
    """Crisis or critical inbox items created in the window: how many, and the first few."""
    where = [col(Assignment.created_at) >= since, col(Assignment.created_at) < until,
             or_(col(Assignment.type) == "crisis", col(Assignment.priority) == "critical")]
    return _count(session, *where), _routed(session, where, zone, now, limit)


def praise_count(session: Session, since: datetime, until: datetime) -> int:
    return _count(session, col(Assignment.created_at) >= since,
                  col(Assignment.created_at) < until, col(Assignment.type) == "praise")


def alerts(session: Session, since: datetime, until: datetime, *, zone: ZoneInfo,
           limit: int = 3) -> tuple[int, list[Alert]]:
    """Escalation alerts (spikes) queued in the window. One spike is one row per contact:
    rows with the same subject at the same moment are one alert."""
    rows = session.execute(
        sa_select(col(OutboxMessage.created_at), col(OutboxMessage.payload))
        .where(col(OutboxMessage.delivery) == "alert", col(OutboxMessage.created_at) >= since,
               col(OutboxMessage.created_at) < until)
        .order_by(col(OutboxMessage.created_at).desc())).all()
    seen: dict[tuple[datetime, str], Alert] = {}
    for at, payload in rows:
        subject = str((payload or {}).get("subject") or "alert")
        seen.setdefault((at, subject), Alert(at.astimezone(zone), subject))
    found = list(seen.values())
    return len(found), found[:limit]


def practice(session: Session, start: date, end: date, since: datetime, until: datetime, *,
             limit: int = 5) -> tuple[list[PracticeEntry], list[LearningGoal]]:
    """The officer's practice log of the days start..end, and learning goals met on those days
    or set in [since, until) (the same days as instants)."""
    entries = list(session.scalars(
        sa_select(PracticeEntry).where(col(PracticeEntry.logged_on) >= start,
                                       col(PracticeEntry.logged_on) <= end)
        .order_by(col(PracticeEntry.logged_on).desc(), col(PracticeEntry.id).desc())
        .limit(limit)).all())
    goals = list(session.scalars(
        sa_select(LearningGoal).where(or_(
            and_(col(LearningGoal.done_on) >= start, col(LearningGoal.done_on) <= end),
            and_(col(LearningGoal.created_at) >= since, col(LearningGoal.created_at) < until)))
        .order_by(col(LearningGoal.done_on).is_(None), col(LearningGoal.id)).limit(limit)).all())
    return entries, goals


def monitoring(session: Session, *, zone: ZoneInfo, now: datetime) -> Monitoring:
    """When listening last ran successfully before `now`, and whether that is over a day ago."""
    finished = col(ListenRun.finished_at)
    last = session.execute(
        sa_select(finished, col(ListenRun.status))
        .where(col(ListenRun.status).in_(SUCCESSFUL_RUNS), finished.is_not(None), finished <= now)
        .order_by(finished.desc()).limit(1)).first()
    failed = session.execute(
        sa_select(func.max(finished)).where(col(ListenRun.status) == "failed",
                                            finished <= now)).scalar_one()
    last_at = last[0] if last else None
    later_failure = failed if failed is not None and (last_at is None or failed > last_at) \
        else None
    stale = last_at is None or (now - last_at).total_seconds() > 24 * 3600
    return Monitoring(local(last_at, zone), last[1] if last else None, local(later_failure, zone),
                      stale)


# -- one department ---------------------------------------------------------------------------

def routed_summary(session: Session, department: str, since: datetime, until: datetime
                   ) -> RoutedSummary:
    """Items routed to a department in the window, counted by type, priority, state, tag, query
    group and the sentiment of their mentions."""
    where = (col(Assignment.department) == department, col(Assignment.created_at) >= since,
             col(Assignment.created_at) < until)

    def by(column: Any) -> dict[str, int]:
        rows = session.execute(sa_select(column, func.count()).where(*where)
                               .group_by(column)).all()
        return dict(sorted(((str(k or "none"), int(n)) for k, n in rows),
                           key=lambda kv: (-kv[1], kv[0])))

    tags: Counter[str] = Counter()
    # Tags are a JSON list per item; a department's items of a period are few enough to read
    # just that column (JSON functions differ between SQLite and PostgreSQL).
    for (item_tags,) in session.execute(sa_select(col(Assignment.tags)).where(*where)).all():
        tags.update(str(t) for t in set(item_tags or ()))
    mentions = sa_select(col(Assignment.mention_id)).where(*where)
    group = func.coalesce(col(SavedQuery.group), "other")
    groups = session.execute(
        sa_select(group, func.count(func.distinct(col(MentionQuery.mention_id))))
        .select_from(MentionQuery)
        .join(SavedQuery, col(SavedQuery.name) == col(MentionQuery.query_name), isouter=True)
        .where(col(MentionQuery.mention_id).in_(mentions)).group_by(group)).all()
    sentiment = dict.fromkeys(SENTIMENTS, 0)
    for label, count in session.execute(
            sa_select(col(Mention.sentiment), func.count()).where(col(Mention.id).in_(mentions))
            .group_by(col(Mention.sentiment))).all():
        sentiment[label if label in sentiment else "none"] += count
    by_type = by(col(Assignment.type))
    return RoutedSummary(
        total=sum(by_type.values()), by_type=by_type, by_priority=by(col(Assignment.priority)),
        by_state=by(col(Assignment.state)),
        tags=dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
        groups=dict(sorted(((str(g), int(n)) for g, n in groups),
                           key=lambda kv: (-kv[1], kv[0]))),
        sentiment=sentiment)


def open_items(session: Session, department: str, *, zone: ZoneInfo, now: datetime,
               limit: int = 10) -> tuple[int, int, list[RoutedItem]]:
    """A department's open items at `now` (whenever they arrived): how many, how many overdue,
    and the first few by due time (overdue first)."""
    where = [col(Assignment.department) == department, col(Assignment.state).in_(OPEN_STATES)]
    items = list(session.scalars(sa_select(Assignment).where(*where)).all())
    overdue = sum(1 for item in items if is_overdue(item, now))
    return len(items), overdue, _routed(session, where, zone, now, limit)
