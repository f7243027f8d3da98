"""Mentions: turning fetched items into stored, matched, classified mentions, exactly once.

Every item gets a dedup key — the platform's own id, then the feed guid, then the normalised
link, then a hash of the text — and is inserted with ON CONFLICT DO NOTHING, so a run killed
half-way and run again, or two sources bringing the same post, store it once. Tombstones keep
purged mentions out for good. An edited post (same key, new text) updates the stored text and
does not count as new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from smo_cli.db.models import Mention, MentionQuery, Tombstone, table_of
from smo_cli.db.types import utcnow
from smo_cli.sources.base import Item

# A claimed date this far ahead of our clock is a source error, recorded as such.
FUTURE_TOLERANCE = timedelta(minutes=10)
PLATFORM_KINDS = {"mastodon", "bluesky", "hackernews", "reddit"}

Matcher = Callable[[Item, str], list[str]]


class Classifier(Protocol):
    """Language and sentiment, asked separately: sentiment only for mentions that are kept."""

    def language(self, text: str, declared: str | None) -> str | None: ...

    def sentiment(self, text: str, lang: str | None) -> tuple[str | None, float | None]: ...


@dataclass(frozen=True)
class StoreOutcome:
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    updated: int = 0
    dropped: int = 0          # matched no query on a source that is not keep-all
    new_ids: tuple[int, ...] = ()


def normalise(item: Item) -> Item:
    """The same link whatever campaign it was shared from: tracking parameters go, wrappers
    (Google Alerts, Facebook's l.php) are unwrapped. Every source, so keys agree across them."""
    if not item.url:
        return item
    from smo_cli.sources.text import strip_tracking

    url = strip_tracking(item.url)
    return item if url == item.url else replace(item, url=url)


def dedup_key(item: Item, *, source_name: str, kind: str) -> str:
    """The strongest identity an item has, as one string."""
    if kind == "import" and item.url:
        # Exports of other tools: their ids differ per tool and per export; the link does not.
        return f"url:{item.url.strip()}"[:600]
    if item.external_id:
        ident = item.external_id.strip()
        if kind in PLATFORM_KINDS:
            return f"{kind}:{ident}"[:600]
        # Feed guids that are URLs or URNs are global; bare ones ("42") only mean something
        # within their own feed.
        if ":" in ident:
            return f"guid:{ident}"[:600]
        return f"guid:{source_name}:{ident}"[:600]
    if item.url:
        return f"url:{item.url.strip()}"[:600]
    return "text:" + _digest(" ".join((item.title or "", item.text)).lower().split())


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256(" ".join(parts).encode("utf-8")).hexdigest()


def content_hash(item: Item) -> str:
    return _digest([item.title or "", item.text])


def published_fields(item: Item, now: datetime) -> tuple[datetime | None, str | None]:
    """The claimed date, and a note when it is missing or in the future (kept, but flagged)."""
    if item.published_at is None:
        return None, "missing"
    if item.published_at > now + FUTURE_TOLERANCE:
        return item.published_at, "future"
    return item.published_at, None


def store_items(session: Session, items: Sequence[Item], *, source_id: int | None,
                source_name: str, kind: str, keep_all: bool, match: Matcher,
                classify: Classifier, now: datetime | None = None) -> StoreOutcome:
    """Store one source's items; the caller's transaction makes it all-or-nothing."""
    now = now or utcnow()
    by_key: dict[str, Item] = {}
    for item in items:
        item = normalise(item)
        by_key.setdefault(dedup_key(item, source_name=source_name, kind=kind), item)
    keys = list(by_key)
    gone = {key for chunk in _chunks(keys) for key in session.scalars(
        select(col(Tombstone.dedup_key)).where(col(Tombstone.dedup_key).in_(chunk)))}
    existing = {m.dedup_key: m for chunk in _chunks(keys) for m in session.scalars(
        select(Mention).where(col(Mention.dedup_key).in_(chunk)))}
    rows: list[dict[str, Any]] = []
    matched: list[list[str]] = []
    duplicate = updated = dropped = 0
    for key, item in by_key.items():
        if key in gone:
            duplicate += 1
            continue
        known = existing.get(key)
        if known is not None:
            # Only the source that brought a mention can edit it: two feeds carrying the same
            # item in other words would otherwise overwrite each other on every run.
            if known.source_name == source_name and known.content_hash != content_hash(item):
                _apply_edit(session, known, item, match, source_name, classify, now)
                updated += 1
            else:
                duplicate += 1
            continue
        # Language first: a query may ask for `lang:nl`, and most sources declare none.
        # Sentiment only for what is kept: most items of a broad source are dropped.
        text = " ".join(filter(None, (item.title, item.text)))
        lang = classify.language(text, item.lang)
        if lang != item.lang:
            item = replace(item, lang=lang)
        queries = match(item, source_name)
        if not queries and not keep_all:
            dropped += 1
            continue
        rows.append(_row(item, key, source_id, source_name, classify.sentiment(text, lang), now))
        matched.append(queries)
    ids = _insert_new(session, rows)
    new_ids: list[int] = []
    links: list[dict[str, Any]] = []
    for row, queries in zip(rows, matched, strict=True):
        mention_id = ids.get(row["dedup_key"])
        if mention_id is None:          # a concurrent run stored it first
            duplicate += 1
            continue
        new_ids.append(mention_id)
        links.extend({"mention_id": mention_id, "query_name": name}
                     for name in sorted(set(queries)))
    if links:
        session.execute(insert(table_of(MentionQuery)), links)
    session.flush()
    return StoreOutcome(fetched=len(items), new=len(new_ids), duplicate=duplicate,
                        updated=updated, dropped=dropped, new_ids=tuple(new_ids))


# Keys per IN (...) and rows per INSERT: far below SQLite's 32,766 and PostgreSQL's 65,535
# bound parameters, whatever the size of an import.
CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows, skipping keys another run stored meanwhile; the ids of those inserted,
    by dedup key. One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING per chunk: with one
    statement per row, SQLAlchemy's work per statement cost more than the rest of storing."""
    table = table_of(Mention)
    dialect = session.get_bind().dialect
    statement: Any
    if dialect.name == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedup_key"])
    elif dialect.name == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedup_key"])
    else:
        statement = insert(table)
    statement = statement.returning(table.c.dedup_key, table.c.id)
    # A dialect that cannot return rows from a multi-row INSERT gets one row per statement.
    size = CHUNK if dialect.insert_executemany_returning else 1
    ids: dict[str, int] = {}
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        found = session.execute(statement, chunk if size > 1 else chunk[0])
        ids.update((key, int(mention_id)) for key, mention_id in found)
    return ids


def _row(item: Item, key: str, source_id: int | None, source_name: str,
         verdict: tuple[str | None, float | None], now: datetime) -> dict[str, Any]:
    sentiment, score = verdict
    published_at, note = published_fields(item, now)
    return {
        "source_id": source_id, "source_name": source_name, "dedup_key": key,
        "external_id": item.external_id[:500] if item.external_id else None,
        "url": item.url[:2000] if item.url else None,
        "author": item.author[:300] if item.author else None,
        "title": item.title[:1000] if item.title else None, "text": item.text,
        "hashtags": list(item.hashtags), "lang": item.lang, "sentiment": sentiment,
        "sentiment_score": score, "published_at": published_at, "published_note": note,
        "first_seen_at": now, "content_hash": content_hash(item), "updated_at": None,
    }


def _apply_edit(session: Session, mention: Mention, item: Item, match: Matcher,
                source_name: str, classify: Classifier, now: datetime) -> None:
    """An edited post: new text, language, sentiment and matches; same mention, no new alert."""
    text = " ".join(filter(None, (item.title, item.text)))
    item = replace(item, lang=classify.language(text, item.lang))
    mention.text = item.text
    mention.title = item.title[:1000] if item.title else None
    mention.author = item.author[:300] if item.author else mention.author
    mention.lang = item.lang
    mention.sentiment, mention.sentiment_score = classify.sentiment(text, item.lang)
    if item.published_at is not None:
        mention.published_at, mention.published_note = published_fields(item, now)
    mention.content_hash = content_hash(item)
    mention.updated_at = now
    assert mention.id is not None
    current = set(session.scalars(select(col(MentionQuery.query_name))
                                  .where(col(MentionQuery.mention_id) == mention.id)).all())
    for name in set(match(item, source_name)) - current:
        session.add(MentionQuery(mention_id=mention.id, query_name=name))


MENTION_COLUMNS = ("id", "source", "external_id", "url", "author", "title", "text",
                   "published_at", "first_seen_at", "lang", "sentiment", "sentiment_score",
                   "queries")


@dataclass(frozen=True)
class MentionFilter:
    query: str | None = None
    group: str | None = None
    source: str | None = None
    sentiment: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None          # `search`: words that must all appear (case-insensitive)
    unrouted: bool = False
    limit: int | None = None


def list_mentions(session: Session, flt: MentionFilter) -> list[dict[str, Any]]:
    """Mentions, newest first, as plain records with the names of the queries they matched."""
    from smo_cli.db.models import SavedQuery

    statement = select(Mention).order_by(col(Mention.first_seen_at).desc(), col(Mention.id).desc())
    if flt.query:
        statement = statement.where(col(Mention.id).in_(
            select(col(MentionQuery.mention_id)).where(col(MentionQuery.query_name) == flt.query)))
    if flt.group:
        names = select(col(SavedQuery.name)).where(col(SavedQuery.group) == flt.group)
        statement = statement.where(col(Mention.id).in_(
            select(col(MentionQuery.mention_id)).where(col(MentionQuery.query_name).in_(names))))
    if flt.source:
        statement = statement.where(col(Mention.source_name) == flt.source)
    if flt.sentiment:
        statement = statement.where(col(Mention.sentiment) == flt.sentiment)
    if flt.unrouted:
        statement = statement.where(col(Mention.routed_at).is_(None))
    if flt.lang:
        statement = statement.where(col(Mention.lang) == flt.lang)
    if flt.since:
        statement = statement.where(col(Mention.first_seen_at) >= flt.since)
    if flt.until:
        statement = statement.where(col(Mention.first_seen_at) < flt.until)
    for word in (flt.text or "").split():
        # The officer's words are words: % and _ are not wildcards here.
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        statement = statement.where(col(Mention.text).ilike(like, escape="\\")
                                    | col(Mention.title).ilike(like, escape="\\"))
    if flt.limit:
        statement = statement.limit(flt.limit)
    found = list(session.scalars(statement).all())
    return [record(m, names) for m, names in zip(found, _query_names(session, found),
                                                  strict=True)]


def _query_names(session: Session, found: Sequence[Mention]) -> list[list[str]]:
    ids = [m.id for m in found]
    by_id: dict[int, list[str]] = {i: [] for i in ids if i is not None}
    if by_id:
        for mention_id, name in session.execute(
                select(col(MentionQuery.mention_id), col(MentionQuery.query_name))
                .where(col(MentionQuery.mention_id).in_(list(by_id)))
                .order_by(col(MentionQuery.query_name))):
            by_id[mention_id].append(name)
    return [by_id.get(m.id or 0, []) for m in found]


def record(mention: Mention, query_names: list[str]) -> dict[str, Any]:
    return {"id": mention.id, "source": mention.source_name, "external_id": mention.external_id,
            "url": mention.url, "author": mention.author, "title": mention.title,
            "text": mention.text, "published_at": mention.published_at,
            "first_seen_at": mention.first_seen_at, "lang": mention.lang,
            "sentiment": mention.sentiment, "sentiment_score": mention.sentiment_score,
            "queries": query_names}


def get_mention(session: Session, mention_id: int) -> dict[str, Any]:
    from smo_cli.errors import NotFound

    mention = session.get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"no mention with id {mention_id}", hint="see `smo mentions list`")
    shown = record(mention, _query_names(session, [mention])[0])
    shown.update({"hashtags": mention.hashtags, "published_note": mention.published_note,
                  "updated_at": mention.updated_at, "dedup_key": mention.dedup_key})
    return shown
