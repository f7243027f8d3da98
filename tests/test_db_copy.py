"""`smo db copy --to URL`: every record into another, empty database (SQLite → SQLite always,
SQLite → PostgreSQL when SMO_TEST_POSTGRES_URL names a server), counts checked, ids preserved,
and a target that already holds records refused without touching it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.migrate import HEAD_REVISION, current_revision
from smo_cli.db.models import (
    Assignment,
    Mention,
    MentionQuery,
    OutboxMessage,
    Person,
    PolicyAck,
    Tombstone,
)
from smo_cli.errors import Conflict
from smo_cli.services.db_copy import copy_tables
from tests.conftest import Run
from tests.test_db import _fresh_postgres_database

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


@pytest.fixture
def source(workspace: Path) -> Iterator[Engine]:
    """The workspace's SQLite database with rows in tables that depend on each other."""
    engine = make_engine(load_workspace(workspace).database_url)
    with transaction(engine) as session:
        mentions = [Mention(source_name="feed", dedup_key=f"url:https://n.example/{n}",
                            text=f"Acme {n} — één", hashtags=["acme"], first_seen_at=NOW,
                            content_hash=str(n), author="@jan@mastodon.social")
                    for n in range(2_500)]          # more than one chunk
        session.add_all(mentions)
        session.flush()
        session.add_all([MentionQuery(mention_id=m.id or 0, query_name="brand")
                         for m in mentions[:10]])
        session.add(Assignment(mention_id=mentions[0].id or 0, rule_id="r", state="new",
                               tags=["klacht"], sla_due_at=NOW))
        session.add(OutboxMessage(key="alert", channel="mail", delivery="alert",
                                  payload={"subject": "ALERT", "text": "piek"}))
        session.add(Person(email="jan@acme.nl", name="Jan"))
        session.add(PolicyAck(email="jan@acme.nl", lang="nl", version=1,
                              acknowledged_on=date(2026, 1, 5), source="cli"))
        session.add(Tombstone(dedup_key="url:https://gone.example", reason="erased"))
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in copy_tables()}


def check_copy(run: Run, source: Engine, target_url: str) -> None:
    result = run("db", "copy", "--to", target_url, "--yes", "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["table"]: r["rows"] for r in result.json()}
    assert rows == counts(source)
    assert rows["mention"] == 2_500
    assert "the counts match" in result.stderr
    target = make_engine(target_url)
    try:
        assert counts(target) == rows
        assert current_revision(target) == HEAD_REVISION
        with reading(target) as session:
            first = session.exec(select(Mention).order_by(col(Mention.id))).first()
            item = session.exec(select(Assignment)).one()
            alert = session.exec(select(OutboxMessage)).one()
        assert first is not None
        assert (first.text, first.hashtags, first.first_seen_at) == ("Acme 0 — één", ["acme"],
                                                                     NOW)
        assert (item.mention_id, item.tags, item.sla_due_at) == (first.id, ["klacht"], NOW)
        assert alert.payload == {"subject": "ALERT", "text": "piek"}
        # Ids came along; the next new row must not collide with a copied one.
        with transaction(target) as session:
            session.add(Mention(source_name="feed", dedup_key="url:https://n.example/new",
                                text="new", content_hash="x"))
            session.add(Person(email="els@acme.nl", name="Els"))
        assert counts(target)["mention"] == 2_501
    finally:
        target.dispose()
    again = run("db", "copy", "--to", target_url, "--yes")
    assert again.exit_code == 4
    assert "already holds records" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_copy_to_another_sqlite_file(run: Run, source: Engine, tmp_path: Path) -> None:
    check_copy(run, source, f"sqlite:///{tmp_path / 'copy.db'}")


@pytest.mark.postgres
def test_copy_to_postgresql(run: Run, source: Engine) -> None:
    for url in _fresh_postgres_database():
        check_copy(run, source, url)


def test_copy_refuses_a_target_with_records_and_leaves_it_alone(
        run: Run, source: Engine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    target = make_engine(url)
    try:
        from smo_cli.db.migrate import ensure_schema

        ensure_schema(target)
        with transaction(target) as session:
            session.add(Person(email="other@example.org", name="Other"))
        result = run("db", "copy", "--to", url, "--yes")
        assert result.exit_code == 4
        assert "table person" in result.stderr
        assert counts(target)["person"] == 1
        assert counts(target)["mention"] == 0
    finally:
        target.dispose()


@pytest.mark.parametrize(("url", "code"), [("mysql://smo@127.0.0.1/smo", 5),
                                           ("not a url", 5)])
def test_copy_to_an_unsupported_database_is_one_line(run: Run, source: Engine, url: str,
                                                     code: int) -> None:
    result = run("db", "copy", "--to", url, "--yes")
    assert result.exit_code == code
    assert len(result.stderr.strip().splitlines()) == 1


def test_copy_to_the_database_itself_is_refused(run: Run, source: Engine) -> None:
    result = run("db", "copy", "--to", str(source.url), "--yes")
    assert result.exit_code == 2
    assert "already uses" in result.stderr


def test_copy_needs_a_target(run: Run) -> None:
    assert run("db", "copy").exit_code == 2


def test_a_failed_copy_leaves_the_target_empty(run: Run, source: Engine, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from smo_cli.services import db_copy

    url = f"sqlite:///{tmp_path / 'half.db'}"

    def broken(writer: object, copied: object) -> None:
        raise Conflict("counts differ (simulated)")

    monkeypatch.setattr(db_copy, "_verify", broken)
    result = run("db", "copy", "--to", url, "--yes")
    assert result.exit_code == 4
    target = make_engine(url)
    try:
        assert set(counts(target).values()) == {0}
    finally:
        target.dispose()
    monkeypatch.undo()
    assert run("db", "copy", "--to", url, "--yes").exit_code == 0
