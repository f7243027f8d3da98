"""One engine factory for SQLite and PostgreSQL, and the unit-of-work session helpers.

SQLite gets WAL, a busy timeout and foreign keys on every connection; a writer's transaction starts
with BEGIN IMMEDIATE so two writers queue on the lock instead of failing half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

from smo_cli.errors import InvalidData

WRITER_OPTION = "smo_writer"
SQLITE_BUSY_TIMEOUT_MS = 10_000


URL_HINT = "e.g. sqlite:////path/smo.db or postgresql://user@host/db"


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise InvalidData("database URL is not valid", hint=URL_HINT) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise InvalidData(f"unsupported database {parsed.drivername!r}",
                          hint="smo works with SQLite and PostgreSQL (psycopg); " + URL_HINT)
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ImportError:
        raise InvalidData("the PostgreSQL driver is not installed",
                          hint="pip install 'smo-cli[postgres]'") from None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writer = connection.get_execution_options().get(WRITER_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine.execution_options(**{WRITER_OPTION: True}),
                 expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
