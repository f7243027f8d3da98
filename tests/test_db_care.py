"""`smo db backup|restore|stats|purge`: copies that are safe during a run, restores that check
first and lose nothing, and retention that leaves tombstones and keeps open inbox items."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.migrate import HEAD_REVISION, current_revision, ensure_schema, upgrade
from smo_cli.db.models import (
    Assignment,
    AssignmentEvent,
    ListenRun,
    ListenRunSource,
    Mention,
    MentionQuery,
    OutboxMessage,
    Tombstone,
)
from smo_cli.errors import UsageError
from smo_cli.services import mentions as store
from smo_cli.services.backup import database_stats
from smo_cli.services.listening import run_lock
from smo_cli.services.retention import Limits, parse_age, purge, vacuum
from smo_cli.sources.base import Item
from tests.conftest import ON_POSTGRES, Run
from tests.test_db import _fresh_postgres_database

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=400)


class Plain:
    """No language detection or sentiment: these tests are about storage."""

    def language(self, text: str, declared: str | None) -> str | None:
        return declared

    def sentiment(self, text: str, lang: str | None) -> tuple[str | None, float | None]:
        return None, None


@pytest.fixture
def engine(workspace: Path) -> Iterator[Engine]:
    engine = make_engine(load_workspace(workspace).database_url)
    yield engine
    engine.dispose()


def item(n: int, author: str = "@klant@mastodon.social") -> Item:
    return Item(text=f"Acme bericht {n}", external_id=f"urn:acme:{n}",
                url=f"https://news.example/{n}", author=author)


def add_mentions(engine: Engine, numbers: range, when: datetime) -> list[int]:
    with transaction(engine) as session:
        outcome = store.store_items(session, [item(n) for n in numbers], source_id=None,
                                    source_name="test", kind="rss", keep_all=True,
                                    match=lambda _item, _source: ["brand"], classify=Plain(),
                                    now=when)
    return list(outcome.new_ids)


def count(engine: Engine, model: Any) -> int:
    with reading(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def file_count(path: Path, table: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


# --- backup ---------------------------------------------------------------------------------

@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_backup_while_another_thread_writes_is_intact_and_restores(
        run: Run, engine: Engine, workspace: Path, tmp_path: Path) -> None:
    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def writer() -> None:
        n = 0
        try:
            while not stop.is_set():
                n += 1
                written.extend(add_mentions(engine, range(n * 10, n * 10 + 10), NOW))
        except BaseException as exc:   # reported below: a writer must never fail here
            failures.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200 and thread.is_alive():
            time.sleep(0.01)
        target = tmp_path / "during.db"
        result = run("db", "backup", str(target), "-f", "json")
        time.sleep(0.1)      # the writer goes on after the backup
    finally:
        stop.set()
        thread.join()
    assert not failures
    assert result.exit_code == 0, result.stderr
    assert result.json()["path"] == str(target.resolve())
    connection = sqlite3.connect(target)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    connection.close()
    in_backup = file_count(target, "mention")
    assert 200 <= in_backup < count(engine, Mention)
    assert file_count(target, "mention_query") == in_backup
    assert target.stat().st_mode & 0o777 == 0o600

    restored = run("db", "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.stderr
    assert count(engine, Mention) == in_backup
    safety = next((workspace / "backups").glob("before-restore-*.db"))
    assert file_count(safety, "mention") == len(written)


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_backup_goes_to_the_backups_folder_by_default(run: Run, workspace: Path) -> None:
    first = run("db", "backup")
    second = run("db", "backup")
    assert first.exit_code == second.exit_code == 0
    made = sorted((workspace / "backups").glob("smo-*.db"))
    assert len(made) == 2                      # the same second gets a numbered name
    assert any(first.stdout.startswith(f"Backed up to {path} (") for path in made)
    assert "integrity check ok" in first.stdout


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_backup_into_a_folder_names_the_file(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert run("db", "backup", str(folder)).exit_code == 0
    assert len(list(folder.glob("smo-*.db"))) == 1


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_backup_never_overwrites_a_file(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "taken.db"
    target.write_text("mine")
    result = run("db", "backup", str(target))
    assert result.exit_code == 4
    assert len(result.stderr.strip().splitlines()) == 1
    assert target.read_text() == "mine"


def test_backup_of_postgresql_points_to_pg_dump(run: Run) -> None:
    result = run("db", "backup", env={"SMO_DATABASE_URL": "postgresql://smo@127.0.0.1:1/smo"})
    assert result.exit_code == 2
    assert "pg_dump" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- restore --------------------------------------------------------------------------------

@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_restore_refuses_a_file_that_is_not_an_smo_database(
        run: Run, engine: Engine, workspace: Path, tmp_path: Path) -> None:
    add_mentions(engine, range(3), NOW)
    text = tmp_path / "notes.db"
    text.write_text("not a database at all")
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    for path, words in ((text, "not a SQLite database"), (other, "not an smo database"),
                        (tmp_path / "missing.db", "no file")):
        result = run("db", "restore", str(path), "--yes")
        assert result.exit_code in (3, 5), result.stderr
        assert words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert count(engine, Mention) == 3
    assert not (workspace / "backups").exists()
    assert not list(workspace.glob("*.restore*"))


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_restore_refuses_a_backup_from_a_newer_smo(
        run: Run, engine: Engine, tmp_path: Path) -> None:
    backup = tmp_path / "future.db"
    assert run("db", "backup", str(backup)).exit_code == 0
    connection = sqlite3.connect(backup)
    connection.execute("UPDATE alembic_version SET version_num = '0999_future'")
    connection.commit()
    connection.close()
    add_mentions(engine, range(2), NOW)
    result = run("db", "restore", str(backup), "--yes")
    assert result.exit_code == 4
    assert "newer than this smo" in result.stderr
    assert count(engine, Mention) == 2


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_restore_of_an_older_schema_upgrades_it(run: Run, engine: Engine, tmp_path: Path) -> None:
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0010_engage")
    old.dispose()
    result = run("db", "restore", str(tmp_path / "old.db"), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "upgraded to the newest" in result.stdout
    assert current_revision(engine) == HEAD_REVISION


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_restore_warns_about_posts_scheduled_for_a_time_already_past(
        run: Run, engine: Engine, tmp_path: Path) -> None:
    from smo_cli.db.models import Post

    with transaction(engine) as session:
        session.add(Post(text="Gisteren gepland", state="scheduled",
                         scheduled_at=datetime.now(UTC) - timedelta(days=1)))
        session.add(Post(text="Morgen gepland", state="scheduled",
                         scheduled_at=datetime.now(UTC) + timedelta(days=1)))
    assert run("db", "backup", str(tmp_path / "b.db")).exit_code == 0
    result = run("db", "restore", str(tmp_path / "b.db"), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "warning: post 1 is scheduled for a time already past" in result.stderr


def test_restore_needs_yes_without_a_terminal(run: Run, engine: Engine, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    run("db", "backup", str(backup))
    add_mentions(engine, range(2), NOW)
    result = run("db", "restore", str(backup))
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert count(engine, Mention) == 2


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_restore_asks_on_a_terminal(run: Run, engine: Engine, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli._options.interactive", lambda: True)
    backup = tmp_path / "b.db"
    run("db", "backup", str(backup))
    add_mentions(engine, range(2), NOW)
    declined = run("db", "restore", str(backup), input="n\n")
    assert declined.exit_code == 0
    assert "Nothing restored" in declined.stdout
    assert count(engine, Mention) == 2
    accepted = run("db", "restore", str(backup), input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert count(engine, Mention) == 0


@pytest.mark.skipif(ON_POSTGRES, reason="backup and restore are for the SQLite file")
def test_restore_waits_for_a_listen_run(run: Run, engine: Engine, workspace: Path,
                                        tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    run("db", "backup", str(backup))
    add_mentions(engine, range(2), NOW)
    with run_lock(workspace):
        result = run("db", "restore", str(backup), "--yes")
    assert result.exit_code == 4
    assert "listen run" in result.stderr
    assert count(engine, Mention) == 2


# --- stats ----------------------------------------------------------------------------------

def test_stats_counts_rows_and_the_span_of_mentions(run: Run, engine: Engine) -> None:
    add_mentions(engine, range(3), OLD)
    add_mentions(engine, range(10, 12), NOW)
    stats = run("db", "stats", "-f", "json").json()
    assert stats["tables"]["mention"] == 5
    assert stats["tables"]["mention_query"] == 5
    assert stats["oldest_mention"] == OLD.isoformat()
    assert stats["newest_mention"] == NOW.isoformat()
    assert stats["size_bytes"] > 0
    if ON_POSTGRES:     # no write-ahead log file of its own: the server's WAL is shared
        assert (stats["backend"], stats["wal_bytes"]) == ("postgresql", None)
    else:
        assert stats["backend"] == "sqlite"
        assert stats["wal_bytes"] >= 0
    table = run("db", "stats")
    assert "mention" in table.stdout
    assert "Mentions first seen:" in table.stdout


# --- purge ----------------------------------------------------------------------------------

@pytest.fixture
def aged(engine: Engine, workspace: Path) -> dict[str, Any]:
    return make_aged(engine, workspace)


def make_aged(engine: Engine, workspace: Path) -> dict[str, Any]:
    """Old and new mentions (one old one with an open item, two with closed ones), sent and
    pending messages, run records and log files, with hand-made dates."""
    old_ids = add_mentions(engine, range(0, 6), OLD)
    new_ids = add_mentions(engine, range(100, 103), NOW)
    with transaction(engine) as session:
        items = [Assignment(mention_id=old_ids[0], rule_id="r", state="new"),
                 Assignment(mention_id=old_ids[1], rule_id="r", state="closed"),
                 Assignment(mention_id=old_ids[2], rule_id="r", state="closed")]
        session.add_all(items)
        session.flush()
        session.add(AssignmentEvent(assignment_id=items[1].id or 0, action="closed"))
        session.add_all([
            OutboxMessage(key="old-sent", assignment_id=items[1].id, channel="c",
                          delivery="immediate", state="sent", sent_at=OLD),
            OutboxMessage(key="old-alert", channel="c", delivery="alert", state="sent",
                          sent_at=OLD),
            OutboxMessage(key="old-pending", channel="c", delivery="immediate"),
            OutboxMessage(key="new-sent", channel="c", delivery="immediate", state="sent",
                          sent_at=NOW),
        ])
        runs = [ListenRun(started_at=OLD, status="ok"), ListenRun(started_at=OLD, status="failed"),
                ListenRun(started_at=NOW, status="ok")]
        session.add_all(runs)
        session.flush()
        session.add(ListenRunSource(run_id=runs[0].id or 0, source_name="a", outcome="ok"))
    logs = workspace / "logs"
    logs.mkdir()
    (logs / "old.log").write_text("x" * 100)
    (logs / "new.log").write_text("y")
    stamp = (NOW - timedelta(days=60)).timestamp()
    os.utime(logs / "old.log", (stamp, stamp))
    return {"old": old_ids, "new": new_ids}


def test_purge_dry_run_counts_and_changes_nothing(run: Run, engine: Engine,
                                                  aged: dict[str, Any], workspace: Path) -> None:
    result = run("db", "purge", "--dry-run", "-f", "json")
    assert result.exit_code == 0, result.stderr
    lines = {line["kind"]: line for line in result.json()}
    assert (lines["mentions"]["deleted"], lines["mentions"]["kept"]) == (5, 1)
    assert lines["deliveries"]["deleted"] == 2
    assert lines["runs"]["deleted"] == 2
    assert lines["logs"]["deleted"] == 1
    assert "Dry run" in result.stderr
    assert count(engine, Mention) == 9
    assert count(engine, Tombstone) == 0
    assert count(engine, OutboxMessage) == 4
    assert (workspace / "logs" / "old.log").exists()


def test_purge_uses_the_retention_settings_and_leaves_tombstones(
        run: Run, engine: Engine, aged: dict[str, Any], workspace: Path) -> None:
    result = run("db", "purge")
    assert result.exit_code == 0, result.stderr
    assert "1 kept: they have open inbox items" in result.stdout
    with reading(engine) as session:
        left = set(session.exec(select(col(Mention.id))))
        keys = set(session.exec(select(col(Tombstone.dedup_key))))
        items = session.exec(select(Assignment)).all()
        messages = set(session.exec(select(col(OutboxMessage.key))))
        runs = session.exec(select(ListenRun).order_by(col(ListenRun.id))).all()
    assert left == {aged["old"][0], *aged["new"]}
    assert keys == {f"guid:urn:acme:{n}" for n in range(1, 6)}
    assert [(i.mention_id, i.state) for i in items] == [(aged["old"][0], "new")]
    assert count(engine, AssignmentEvent) == 0
    assert count(engine, MentionQuery) == 4
    assert messages == {"old-pending", "new-sent"}
    assert [(r.status, r.started_at) for r in runs] == [("ok", NOW)]
    assert count(engine, ListenRunSource) == 0
    assert not (workspace / "logs" / "old.log").exists()
    assert (workspace / "logs" / "new.log").exists()


def test_a_purged_mention_is_not_stored_again(engine: Engine, aged: dict[str, Any],
                                              workspace: Path) -> None:
    purge(engine, workspace, Limits.uniform(180), now=NOW)
    assert add_mentions(engine, range(0, 6), NOW) == []
    assert count(engine, Mention) == 4


def test_purge_older_than_applies_to_every_kind_in_small_batches(
        engine: Engine, aged: dict[str, Any], workspace: Path) -> None:
    lines = {line.kind: line for line in purge(engine, workspace, Limits.uniform(parse_age("1y")),
                                               now=NOW, batch=2)}
    assert lines["mentions"].deleted == 5
    assert lines["runs"].deleted == 2
    assert count(engine, Tombstone) == 5


def test_the_last_good_run_stays_whatever_its_age(engine: Engine, workspace: Path) -> None:
    with transaction(engine) as session:
        session.add_all([ListenRun(started_at=OLD, status="ok"),
                         ListenRun(started_at=OLD + timedelta(hours=1), status="failed")])
    purge(engine, workspace, Limits.uniform(30), now=NOW)
    with reading(engine) as session:
        assert [r.status for r in session.exec(select(ListenRun))] == ["ok"]


def test_purge_keeps_everything_younger_than_the_limit(run: Run, engine: Engine,
                                                       aged: dict[str, Any]) -> None:
    result = run("db", "purge", "--older-than", "2y", "--vacuum")
    assert result.exit_code == 0, result.stderr
    assert count(engine, Mention) == 9
    assert "Vacuumed" in result.stderr


@pytest.mark.parametrize(("text", "days"), [("180d", 180), ("12w", 84), ("6m", 180),
                                            ("1y", 365), (" 2Y ", 730)])
def test_ages_in_days_weeks_months_and_years(text: str, days: int) -> None:
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["180", "3x", "-1d", "0d", "d", "1.5y"])
def test_a_bad_age_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_age(text)


def test_a_bad_age_on_the_command_line_is_one_line_and_deletes_nothing(
        run: Run, engine: Engine, aged: dict[str, Any]) -> None:
    result = run("db", "purge", "--older-than", "soon")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert count(engine, Mention) == 9


@pytest.mark.postgres
def test_purge_and_vacuum_on_postgresql(workspace: Path) -> None:
    for url in _fresh_postgres_database():
        engine = make_engine(url)
        try:
            ensure_schema(engine)
            aged = make_aged(engine, workspace)
            lines = {line.kind: line for line in purge(engine, workspace, Limits.uniform(365),
                                                       now=NOW, batch=2)}
            vacuum(engine)
            assert (lines["mentions"].deleted, lines["mentions"].kept) == (5, 1)
            assert count(engine, Tombstone) == 5
            assert count(engine, Mention) == 1 + len(aged["new"])
            assert add_mentions(engine, range(0, 6), NOW) == []
            stats = database_stats(engine, "postgresql")
            assert stats.tables["tombstone"] == 5
            assert stats.size_bytes and stats.wal_bytes is None
        finally:
            engine.dispose()
