"""The listening store on PostgreSQL: the same code, the same exactly-once guarantees."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.migrate import ensure_schema
from smo_cli.db.models import Mention, MentionQuery, Source
from smo_cli.services import queries
from smo_cli.services.listening import run_listen
from smo_cli.sources.base import FetchResult
from tests.test_db import _fresh_postgres_database
from tests.test_listening import NOW, SCRIPT, item

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    SCRIPT.answers.clear()
    for url in _fresh_postgres_database():
        engine = make_engine(url)
        ensure_schema(engine)
        with transaction(engine) as session:
            queries.add_query(session, name="brand", text="acme", group="brand")
            session.add(Source(name="a", kind="scripted", base_url="https://feeds.example"))
        yield engine
        engine.dispose()


def listen(engine: Engine) -> Any:
    return run_listen(engine, {}, now=lambda: NOW, every_source=True)


def test_items_are_stored_once_with_their_queries(pg_engine: Engine) -> None:
    SCRIPT.answers["a"] = [FetchResult([item(1), item(2)], {"etag": "x"}),
                           FetchResult([item(2), item(3, "Acme nu nog beter")], {})]
    assert listen(pg_engine).new == 2
    assert listen(pg_engine).new == 1
    with reading(pg_engine) as session:
        stored = session.exec(select(Mention).order_by(col(Mention.id))).all()
        links = session.exec(select(MentionQuery)).all()
        source = session.exec(select(Source)).one()
    assert [m.external_id for m in stored] == ["urn:post:1", "urn:post:2", "urn:post:3"]
    assert {link.query_name for link in links} == {"brand"} and len(links) == 3
    assert stored[0].hashtags == [] and stored[0].published_at is not None
    assert source.state == {}


def test_two_runs_together_store_each_item_once(pg_engine: Engine) -> None:
    batch = [item(n) for n in range(40)]
    SCRIPT.answers["a"] = [FetchResult(batch, {}), FetchResult(batch, {})]
    threads = [threading.Thread(target=listen, args=(pg_engine,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with reading(pg_engine) as session:
        assert len(session.exec(select(Mention)).all()) == 40


def test_routing_writes_the_inbox_once_on_postgresql(pg_engine: Engine, workspace: Path) -> None:
    from smo_cli.config import load_workspace
    from smo_cli.db.models import Assignment
    from smo_cli.services import routing

    SCRIPT.answers["a"] = [FetchResult([item(1), item(2)], {})]
    listen(pg_engine)
    ws = load_workspace(workspace)
    with transaction(pg_engine) as session:
        book = routing.load_rules(ws, session)
        assert routing.route_pending(session, ws, book) == 2
        assert routing.route_pending(session, ws, book) == 0
    with reading(pg_engine) as session:
        items = session.exec(select(Assignment)).all()
    assert [(i.rule_id, i.person) for i in items] == [
        ("default", "sanne.devries@acme-installatie.example")] * 2
