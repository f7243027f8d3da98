"""Mention figures aggregated in SQL, shared by the strategy's "where we stand", the KPIs and the
reports, so that a share of voice or a net sentiment is computed one way everywhere.

A mention counts at its publication time, or when it has none, at the time smo first saw it. The
counts run as two queries, one per index: mentions published in the window (the index on
`published_at`), and unpublished mentions first seen in it (the index on `first_seen_at`). One
query with OR, or with COALESCE over both columns, reads three times as many rows on a table of
a million mentions (SQLite either scans it or walks every unpublished mention).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType
from sqlmodel import Session, col

from smo_cli.db.models import Mention, MentionQuery, SavedQuery

SENTIMENTS = ("positive", "neutral", "negative", "none")
# Formulas are shown with the signs people write them with (ruff takes them for look-alikes).
TIMES, MINUS = "\u00d7", "\u2212"
OWN_GROUPS = ("brand", "product", "person", "campaign")    # share of voice: ours ...
COMPETITOR_GROUP = "competitor"                            # ... against theirs


class unindexed(FunctionElement[Any]):
    """A column the planner must not look up by index: SQLite's unary `+`, as is elsewhere.

    `published_at IS NULL` would otherwise lead SQLite to walk the index on `published_at`
    through every unpublished mention ever stored, instead of the window's `first_seen_at`
    range (it has no statistics on how many NULLs there are).
    """

    type = NullType()

    inherit_cache = True
    name = "unindexed"


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def window_parts(since: datetime, until: datetime) -> tuple[list[ColumnElement[bool]], ...]:
    """The two disjoint parts of a window, each answered by one index: published in it, and
    unpublished but first seen in it."""
    published, seen = col(Mention.published_at), col(Mention.first_seen_at)
    return ([published >= since, published < until],
            [unindexed(published).is_(None), seen >= since, seen < until])


def mention_in(since: datetime, until: datetime) -> ColumnElement[bool]:
    """A mention's time in [since, until): published then, or unpublished and seen then."""
    published, seen = col(Mention.published_at), col(Mention.first_seen_at)
    return or_(and_(published >= since, published < until),
               and_(published.is_(None), seen >= since, seen < until))


def sentiment_counts(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Mentions of the window per sentiment label (`none`: not scored, or a label smo does not
    know)."""
    scored = SENTIMENTS[:-1]
    label = col(Mention.sentiment)
    # A sum per label rather than GROUP BY, which sorts the window's index entries into a
    # temporary B-tree first: a month of 85,000 mentions is counted in half the time.
    sums = [func.count(), *(func.sum(case((label == name, 1), else_=0)) for name in scored)]
    counts = dict.fromkeys(SENTIMENTS, 0)
    for part in window_parts(since, until):
        total, *found = session.execute(select(*sums).where(*part)).one()
        for name, count in zip(scored, found, strict=True):
            counts[name] += int(count or 0)
        counts["none"] += int(total) - sum(int(count or 0) for count in found)
    return counts


def net_sentiment(counts: dict[str, int]) -> float | None:
    """(positive - negative) / mentions with a sentiment x 100, in points from -100 to +100."""
    scored = counts["positive"] + counts["neutral"] + counts["negative"]
    return (counts["positive"] - counts["negative"]) / scored * 100 if scored else None


def positive_share(counts: dict[str, int]) -> float | None:
    scored = counts["positive"] + counts["neutral"] + counts["negative"]
    return counts["positive"] / scored * 100 if scored else None


def group_sentiment(session: Session, since: datetime, until: datetime
                    ) -> dict[str, dict[str, int]]:
    """Per query group, its mentions of the window per sentiment. A mention matched by two
    queries of one group counts once for that group; queries no longer saved count as `other`."""
    group = func.coalesce(col(SavedQuery.group), "other")
    label = func.coalesce(col(Mention.sentiment), "none")
    rows = session.execute(
        select(group, label, func.count(func.distinct(col(Mention.id))))
        .select_from(Mention)
        .join(MentionQuery, col(MentionQuery.mention_id) == col(Mention.id))
        .join(SavedQuery, col(SavedQuery.name) == col(MentionQuery.query_name), isouter=True)
        .where(mention_in(since, until)).group_by(group, label)).all()
    found: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SENTIMENTS, 0))
    for name, sentiment, count in rows:
        found[str(name)][sentiment if sentiment in SENTIMENTS else "none"] += int(count)
    return dict(found)


def per_query_counts(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    rows = session.execute(
        select(col(MentionQuery.query_name), func.count())
        .join(Mention, col(Mention.id) == col(MentionQuery.mention_id))
        .where(mention_in(since, until)).group_by(col(MentionQuery.query_name))).all()
    return {str(name): int(count) for name, count in sorted(rows)}


def voice_counts(session: Session, since: datetime, until: datetime) -> tuple[int, int]:
    """(ours, theirs): mentions of the window matched by a query of our groups, and by a
    competitor query. A mention matched by both counts on both sides."""
    groups = dict(session.execute(select(col(SavedQuery.name), col(SavedQuery.group))).all())
    own = [name for name, group in groups.items() if group in OWN_GROUPS]
    theirs = [name for name, group in groups.items() if group == COMPETITOR_GROUP]

    def matched(names: list[str]) -> ColumnElement[int]:
        if not names:
            return func.sum(0)
        # One seek to the mention's few links, then their names are compared: quicker than
        # a seek per name of the list.
        hit = exists().where(col(MentionQuery.mention_id) == col(Mention.id),
                             unindexed(col(MentionQuery.query_name)).in_(names))
        return func.sum(case((hit, 1), else_=0))

    ours = competitors = 0
    for part in window_parts(since, until):
        mine, other = session.execute(select(matched(own), matched(theirs)).where(*part)).one()
        ours, competitors = ours + int(mine or 0), competitors + int(other or 0)
    return ours, competitors


def share_of_voice(ours: int, theirs: int) -> float | None:
    """ours / (ours + theirs) x 100: 100% when competitors have no mention and we do; None
    when neither has one (nothing was said)."""
    return ours / (ours + theirs) * 100 if ours or theirs else None
