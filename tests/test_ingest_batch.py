"""store_items stores a batch with a few statements: what a user sees must not depend on that."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.migrate import ensure_schema
from smo_cli.db.models import Mention, MentionQuery, Tombstone, table_of
from smo_cli.services import mentions, queries
from smo_cli.services.listening import CLASSIFIER
from smo_cli.sources.base import Item
from tests.test_db import _fresh_postgres_database

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, workspace: Path) -> Iterator[Engine]:
    """The workspace's SQLite database, or a fresh PostgreSQL one (SMO_TEST_POSTGRES_URL)."""
    urls = ([load_workspace(workspace).database_url] if request.param == "sqlite"
            else _fresh_postgres_database())
    for url in urls:
        engine = make_engine(url)
        ensure_schema(engine)
        with transaction(engine) as session:
            queries.add_query(session, name="brand", text="acme OR #acme", group="brand")
            queries.add_query(session, name="service", text="acme AND (service OR storing)",
                              group="product")
            queries.set_exclude(session, "vacature*")
        yield engine
        engine.dispose()


def item(n: int, text: str = "Acme doet het goed", **kwargs: Any) -> Item:
    return Item(text=f"{text} ({n})", external_id=f"urn:post:{n}",
                url=f"https://news.example/{n}", published_at=NOW - timedelta(minutes=n),
                **kwargs)


def store(engine: Engine, items: list[Item], *, source: str = "feed", keep_all: bool = False,
          match: mentions.Matcher | None = None) -> mentions.StoreOutcome:
    with transaction(engine) as session:
        matcher = match or queries.matcher_for(queries.query_set(session), "rss")
        return mentions.store_items(session, items, source_id=None, source_name=source,
                                    kind="rss", keep_all=keep_all, match=matcher,
                                    classify=CLASSIFIER, now=NOW)


def stored(engine: Engine) -> list[Mention]:
    with reading(engine) as session:
        return list(session.exec(select(Mention).order_by(col(Mention.id))).all())


def links(engine: Engine) -> dict[str, list[str]]:
    with reading(engine) as session:
        rows = session.exec(select(Mention.external_id, MentionQuery.query_name)
                            .join(MentionQuery, col(MentionQuery.mention_id) == Mention.id)
                            .order_by(col(MentionQuery.query_name))).all()
    found: dict[str, list[str]] = {}
    for external_id, name in rows:
        found.setdefault(str(external_id), []).append(name)
    return found


def test_an_item_twice_in_one_batch_is_stored_once(engine: Engine) -> None:
    tracked = replace(item(2), url="https://news.example/2?utm_source=rss", external_id=None)
    plain = replace(item(2), external_id=None)
    outcome = store(engine, [item(1), item(1), tracked, plain])
    assert (outcome.fetched, outcome.new) == (4, 2)
    assert [m.url for m in stored(engine)] == ["https://news.example/1", "https://news.example/2"]


def test_an_item_of_an_earlier_batch_is_a_duplicate(engine: Engine) -> None:
    first = store(engine, [item(1), item(2)])
    second = store(engine, [item(2), item(3), item(1)], source="other")
    assert (first.new, second.new, second.duplicate) == (2, 1, 2)
    assert [m.external_id for m in stored(engine)] == ["urn:post:1", "urn:post:2", "urn:post:3"]
    assert second.new_ids == (stored(engine)[2].id,)


def test_tombstoned_items_are_skipped(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Tombstone(dedup_key="guid:urn:post:2", reason="erased on request"))
    outcome = store(engine, [item(1), item(2), item(3)])
    assert (outcome.new, outcome.duplicate) == (2, 1)
    assert [m.external_id for m in stored(engine)] == ["urn:post:1", "urn:post:3"]


def test_an_edited_item_is_updated_not_alerted_again(engine: Engine) -> None:
    store(engine, [item(1), item(2)])
    outcome = store(engine, [item(1, "Acme service is echt slecht, ik ben boos"), item(2), item(3)])
    assert (outcome.new, outcome.updated, outcome.duplicate) == (1, 1, 1)
    first = stored(engine)[0]
    assert outcome.new_ids == (stored(engine)[2].id,)            # the edit raises no alert
    assert (first.text, first.updated_at) == ("Acme service is echt slecht, ik ben boos (1)", NOW)
    assert (first.lang, first.sentiment) == ("nl", "negative")   # was positive
    assert links(engine)["urn:post:1"] == ["brand", "service"]    # matches of the new text


def test_query_links_are_stored_for_every_new_mention(engine: Engine) -> None:
    outcome = store(engine, [item(1), item(2, "Acme service is top"), item(3, "Geen merk"),
                             item(4, "Acme zoekt monteurs: vacature")], keep_all=True)
    assert (outcome.new, outcome.dropped) == (4, 0)
    assert links(engine) == {"urn:post:1": ["brand"], "urn:post:2": ["brand", "service"]}


def test_items_that_match_nothing_are_dropped_unless_kept(engine: Engine) -> None:
    outcome = store(engine, [item(1), item(2, "Geen merk")])
    assert (outcome.new, outcome.dropped) == (1, 1)
    assert [m.external_id for m in stored(engine)] == ["urn:post:1"]


def test_a_batch_larger_than_one_statement_keeps_item_order(engine: Engine) -> None:
    count = 2 * mentions.CHUNK + 7
    outcome = store(engine, [item(n) for n in range(count)])
    rows = stored(engine)
    assert outcome.new == count and len(rows) == count
    assert [m.external_id for m in rows] == [f"urn:post:{n}" for n in range(count)]
    assert list(outcome.new_ids) == [m.id for m in rows]
    assert len(links(engine)) == count


def test_a_mention_stored_meanwhile_by_another_run_counts_as_duplicate(engine: Engine) -> None:
    """Between our look-up and our INSERT another run stores item 2: ON CONFLICT keeps its row,
    and this batch neither counts it as new nor links queries to it."""

    def match_and_race(found: Item, source_name: str) -> list[str]:
        if found.external_id == "urn:post:2":
            values = {"source_name": "racer", "dedup_key": "guid:urn:post:2", "text": "first",
                      "hashtags": [], "first_seen_at": NOW, "content_hash": "x"}
            session.execute(insert(table_of(Mention)), values)
        return matcher(found, source_name)

    with transaction(engine) as session:
        matcher = queries.matcher_for(queries.query_set(session), "rss")
        outcome = mentions.store_items(session, [item(1), item(2), item(3)], source_id=None,
                                       source_name="feed", kind="rss", keep_all=False,
                                       match=match_and_race, classify=CLASSIFIER, now=NOW)
    assert (outcome.new, outcome.duplicate) == (2, 1)
    by_key = {m.dedup_key: m for m in stored(engine)}
    assert {key: m.source_name for key, m in by_key.items()} == {
        "guid:urn:post:1": "feed", "guid:urn:post:2": "racer", "guid:urn:post:3": "feed"}
    assert set(outcome.new_ids) == {by_key["guid:urn:post:1"].id, by_key["guid:urn:post:3"].id}
    assert set(links(engine)) == {"urn:post:1", "urn:post:3"}
