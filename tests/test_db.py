"""The database layer: migrations, schema vs. models, SQLite pragmas and locking, UTC datetimes.

Tests taking `database_url` run on SQLite and, when SMO_TEST_POSTGRES_URL names a server (the CI
script starts one), on a fresh PostgreSQL database each: the same code paths on both backends.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, event, func, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    IntegrityError,
    OperationalError,
    StatementError,
)
from sqlmodel import SQLModel, col, select

from smo_cli.db import migrate
from smo_cli.db.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, reading, transaction
from smo_cli.db.migrate import HEAD_REVISION, alembic_config, current_revision, ensure_schema
from smo_cli.db.models import Account, AccountSnapshot, Person, load_all
from smo_cli.errors import InvalidData

load_all()  # every table on SQLModel.metadata, for the schema comparisons

ENV_POSTGRES = "SMO_TEST_POSTGRES_URL"
POSTGRES_SKIP = "set SMO_TEST_POSTGRES_URL (the CI script starts PostgreSQL)"
MIGRATIONS = Path(migrate.__file__).resolve().parent / "migrations"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- fixtures -------------------------------------------------------------------------------

def _fresh_postgres_database() -> Iterator[str]:
    """Create a uniquely named database on the test server, yield its URL, then drop it."""
    admin_url = os.environ.get(ENV_POSTGRES, "").strip()
    if not admin_url:
        pytest.skip(POSTGRES_SKIP)
    name = f"smo_test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(admin_url)
    try:
        with admin.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'smo.db'}"
    else:
        yield from _fresh_postgres_database()


@pytest.fixture
def blank_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    ensure_schema(blank_engine)
    return blank_engine


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'smo.db'}"


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, SQLModel.metadata)
    return differences


def _add_account_with_snapshots(engine: Engine, handle: str = "@acme@mastodon.social") -> int:
    with transaction(engine) as session:
        account = Account(platform="mastodon", handle=handle, owner="company")
        session.add(account)
        session.flush()
        assert account.id is not None
        for followers in (10, 12):
            session.add(AccountSnapshot(account_id=account.id, status="ok", followers=followers))
        return account.id


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- migrations -----------------------------------------------------------------------------

def test_blank_database_migrates_to_head_and_a_second_run_does_nothing(
    blank_engine: Engine,
) -> None:
    assert current_revision(blank_engine) is None

    assert ensure_schema(blank_engine) is True
    assert current_revision(blank_engine) == HEAD_REVISION
    assert set(SQLModel.metadata.tables) <= set(inspect(blank_engine).get_table_names())

    assert ensure_schema(blank_engine) is False
    after = migrate.status(blank_engine)
    assert after.up_to_date
    assert after.pending == []


def test_status_lists_the_pending_revisions_of_a_database_behind_head(
    blank_engine: Engine,
) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    oldest_first = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    blank = migrate.status(blank_engine)
    assert (blank.current, blank.pending, blank.up_to_date) == (None, oldest_first, False)
    migrate.upgrade(blank_engine, oldest_first[0])
    behind = migrate.status(blank_engine)
    assert (behind.current, behind.pending) == (oldest_first[0], oldest_first[1:])


def test_head_revision_constant_is_alembics_only_head_and_history_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD_REVISION]
    newest_first = list(script.walk_revisions())
    downs = [revision.down_revision for revision in newest_first]
    assert downs == [revision.revision for revision in newest_first[1:]] + [None]


def test_revisions_are_numbered_one_by_one_from_0001() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    oldest_first = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    for number, revision in enumerate(oldest_first, start=1):
        assert re.fullmatch(rf"{number:04d}_[a-z0-9_]+", revision), revision


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert _schema_differences(engine) == []


def test_older_database_with_people_upgrades_to_head_and_keeps_them(blank_engine: Engine) -> None:
    migrate.upgrade(blank_engine, "0001_initial")
    assert current_revision(blank_engine) == "0001_initial"
    assert "account" not in inspect(blank_engine).get_table_names()
    with blank_engine.begin() as connection:
        for email, name, department in [("jan@acme.nl", "Jan de Vries", "sales"),
                                        ("sanne@acme.nl", "Sanne Bakker", None)]:
            connection.execute(
                text("INSERT INTO person (email, name, department, created_at, updated_at) "
                     "VALUES (:email, :name, :department, "
                     "'2025-01-02 03:04:05', '2025-01-02 03:04:05')"),
                {"email": email, "name": name, "department": department},
            )

    assert ensure_schema(blank_engine) is True

    assert current_revision(blank_engine) == HEAD_REVISION
    assert {"account", "account_snapshot", "presence_target"} <= set(
        inspect(blank_engine).get_table_names())
    with reading(blank_engine) as session:
        people = session.exec(select(Person).order_by(col(Person.email))).all()
    assert [(p.email, p.name, p.department) for p in people] == [
        ("jan@acme.nl", "Jan de Vries", "sales"), ("sanne@acme.nl", "Sanne Bakker", None)]
    assert people[0].created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert _schema_differences(blank_engine) == []


_RECREATE_ACCOUNT = '''"""recreate account (a batch migration that copies the table)"""
import sqlalchemy as sa
from alembic import op

revision = "0099_recreate_account"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("extra", sa.String(10), nullable=True))


def downgrade() -> None:
    pass
'''


def test_batch_migration_recreating_a_parent_table_keeps_the_child_rows(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_recreate_account.py").write_text(
        _RECREATE_ACCOUNT.format(down=HEAD_REVISION), encoding="utf-8")
    engine = make_engine(sqlite_url)
    try:
        ensure_schema(engine)
        _add_account_with_snapshots(engine)
        monkeypatch.setattr(migrate, "SCRIPT_LOCATION", str(scripts))

        migrate.upgrade(engine)

        assert current_revision(engine) == "0099_recreate_account"
        assert _count(engine, "account") == 1
        assert _count(engine, "account_snapshot") == 2
    finally:
        engine.dispose()


# --- rows, constraints and types on both backends -------------------------------------------

def test_person_and_account_with_snapshots_round_trip_through_sessions(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Person(email="jan@acme.nl", name="Jan de Vries", department="sales"))
    account_id = _add_account_with_snapshots(engine)

    with reading(engine) as session:
        person = session.exec(select(Person)).one()
        account = session.get(Account, account_id)
        snapshots = session.exec(select(AccountSnapshot)
                                 .where(AccountSnapshot.account_id == account_id)
                                 .order_by(col(AccountSnapshot.id))).all()
    assert (person.email, person.name, person.department) == ("jan@acme.nl", "Jan de Vries",
                                                              "sales")
    assert person.created_at.tzinfo is UTC
    assert account is not None
    assert (account.platform, account.handle, account.owner, account.kind) == (
        "mastodon", "@acme@mastodon.social", "company", "official")
    assert [s.followers for s in snapshots] == [10, 12]


def test_deleting_an_account_cascades_to_its_snapshots(engine: Engine) -> None:
    kept = _add_account_with_snapshots(engine, handle="@kept@mastodon.social")
    gone = _add_account_with_snapshots(engine, handle="@gone@mastodon.social")
    with transaction(engine) as session:
        account = session.get(Account, gone)
        assert account is not None
        session.delete(account)  # no ORM relationship: the database does the cascade

    with reading(engine) as session:
        left = session.exec(select(AccountSnapshot.account_id)).all()
    assert left == [kept, kept]


def test_snapshot_of_an_unknown_account_is_refused(engine: Engine) -> None:
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(AccountSnapshot(account_id=424242, status="ok"))
    assert _count(engine, "account_snapshot") == 0


def test_utc_datetime_stores_aware_datetimes_as_utc_and_reads_them_back_in_utc(
    engine: Engine,
) -> None:
    summer_noon = datetime(2025, 6, 1, 12, 0, tzinfo=AMSTERDAM)  # 10:00 UTC
    with transaction(engine) as session:
        session.add(Person(email="jan@acme.nl", name="Jan", created_at=summer_noon,
                           updated_at=summer_noon))

    with reading(engine) as session:
        person = session.exec(select(Person)).one()
    assert person.created_at == summer_noon
    assert person.created_at.tzinfo is UTC
    assert person.created_at.hour == 10
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT created_at FROM person").columns(created_at=DateTime())).scalar_one()
    assert stored == datetime(2025, 6, 1, 10, 0)


def test_utc_datetime_rejects_a_naive_datetime(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), transaction(engine) as session:
        session.add(Person(email="jan@acme.nl", name="Jan", created_at=datetime(2025, 6, 1, 12)))
    with reading(engine) as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == 0


# --- SQLite: pragmas and the writer lock ----------------------------------------------------

def test_sqlite_pragmas_hold_on_every_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as first, engine.connect() as second:
            assert first.connection.dbapi_connection is not second.connection.dbapi_connection
            for connection in (first, second):
                pragma = connection.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                busy_timeout = pragma("PRAGMA busy_timeout").scalar()
                assert busy_timeout == SQLITE_BUSY_TIMEOUT_MS
                assert busy_timeout > 0
    finally:
        engine.dispose()


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=0")  # fail at once instead of queueing


def test_second_writer_is_refused_at_begin_while_the_first_holds_the_lock(
    sqlite_url: str,
) -> None:
    first = make_engine(sqlite_url)
    second = make_engine(sqlite_url)
    event.listen(second, "connect", _no_busy_wait)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    try:
        ensure_schema(first)
        with transaction(first) as session_a:
            session_a.add(Account(platform="x", handle="@first"))
            session_a.flush()

            with reading(second) as reader:  # readers are not blocked (WAL, deferred BEGIN)
                assert reader.exec(select(Account)).all() == []

            event.listen(second, "before_cursor_execute", record)
            with pytest.raises(OperationalError, match="database is locked"), \
                    transaction(second) as session_b:
                session_b.exec(select(Account)).all()  # even a read: the lock is taken at BEGIN
                session_b.add(Account(platform="x", handle="@second"))
            event.remove(second, "before_cursor_execute", record)
            assert sent == ["BEGIN IMMEDIATE"]  # B failed at its start, not half-way

        with transaction(second) as session_b:  # A committed: B may write now
            session_b.add(Account(platform="x", handle="@second"))
        with reading(first) as session:
            handles = session.exec(select(Account.handle).order_by(col(Account.id))).all()
        assert handles == ["@first", "@second"]
    finally:
        first.dispose()
        second.dispose()


# --- make_engine ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["postgresql://smo@127.0.0.1/smo",
                                 "postgresql+psycopg://smo@127.0.0.1/smo"])
def test_make_engine_uses_psycopg_for_postgresql(url: str) -> None:
    engine = make_engine(url)
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"


def test_make_engine_keeps_a_password_with_url_escaped_characters() -> None:
    engine = make_engine("postgresql://smo:p%40ss%2Fw%3Ard@127.0.0.1:5432/smo")
    assert engine.url.password == "p@ss/w:rd"
    assert engine.url.host == "127.0.0.1"


@pytest.mark.parametrize("url", ["", "not a url", "://", "postgresql://smo@127.0.0.1:port/smo"])
def test_make_engine_rejects_an_invalid_url(url: str) -> None:
    with pytest.raises(InvalidData, match="database URL is not valid"):
        make_engine(url)


@pytest.mark.parametrize("url", ["mysql://smo@127.0.0.1/smo", "postgresql+psycopg2://smo@h/smo"])
def test_make_engine_rejects_an_unsupported_backend_or_driver(url: str) -> None:
    with pytest.raises(InvalidData):
        make_engine(url)
