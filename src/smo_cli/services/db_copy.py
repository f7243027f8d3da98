"""`smo db copy --to URL`: move a workspace's records to another database, typically from the
SQLite file to a shared PostgreSQL server.

The target gets the schema through the same migrations as any new database, and must be empty:
copying into a database that already holds records would mix two histories. Tables are copied
parent before child (the order of the foreign keys) through the models' own column types, so
dates, JSON and booleans arrive as the target stores them. It is one transaction on the target:
a failure half-way leaves it empty, so the copy can simply be run again. The source is read in
one read transaction too, a consistent snapshot even while a listen run writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Integer, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import SQLModel

from smo_cli.config import redact
from smo_cli.db.engine import URL_HINT, WRITER_OPTION, make_engine
from smo_cli.db.migrate import current_revision, ensure_schema
from smo_cli.db.models import load_all
from smo_cli.errors import Conflict, DatabaseUnavailable, InvalidData, UsageError

CHUNK = 1_000          # rows read and written at a time


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int


@dataclass(frozen=True)
class CopyResult:
    target: str                    # the URL, password hidden
    revision: str | None
    tables: list[TableCopy]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def copy_tables() -> list[Table]:
    """Every table, parents before children."""
    load_all()
    return list(SQLModel.metadata.sorted_tables)


def copy_database(source: Engine, target_url: str) -> CopyResult:
    """Copy every row of `source` into the empty database at `target_url`."""
    shown = redact(target_url)
    if _same_database(source, target_url):
        raise UsageError("the target is the database this workspace already uses",
                         hint="name another database")
    target = make_engine(target_url)
    try:
        tables = copy_tables()
        if current_revision(target) is not None:
            # An smo database already: refuse before migrating it, not after.
            present = set(inspect(target).get_table_names())
            with target.connect() as probe:
                _refuse_rows(probe, [t for t in tables if t.name in present], shown)
        ensure_schema(target)
        with target.connect() as writer:
            # BEGIN IMMEDIATE on a SQLite target: nobody else writes into it meanwhile.
            writer = writer.execution_options(**{WRITER_OPTION: True})
            with writer.begin():
                _refuse_rows(writer, tables, shown)
                copied = _copy_all(source, writer, tables)
                if writer.dialect.name == "postgresql":
                    _reset_sequences(writer, tables)
                _verify(writer, copied)
        return CopyResult(target=shown, revision=current_revision(target), tables=copied)
    except DBAPIError as exc:
        reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
        raise DatabaseUnavailable(f"copying to {shown} failed, nothing was written: {reason}",
                                  hint="fix the cause and run the copy again") from None
    finally:
        target.dispose()


def _same_database(source: Engine, target_url: str) -> bool:
    try:
        target = make_url(target_url)
    except (ArgumentError, ValueError):
        raise InvalidData("the target database URL is not valid", hint=URL_HINT) from None
    mine = source.url
    if target.get_backend_name() != mine.get_backend_name():
        return False
    if target.get_backend_name() == "sqlite":
        return bool(target.database and mine.database) and \
            Path(target.database or "").resolve() == Path(mine.database or "").resolve()
    return (target.host, target.port, target.database) == (mine.host, mine.port, mine.database)


def _refuse_rows(writer: Connection, tables: list[Table], shown: str) -> None:
    for table in tables:
        if writer.execute(select(func.count()).select_from(table)).scalar_one():
            raise Conflict(f"{shown} already holds records (table {table.name})",
                           hint="copy only into an empty database")


def _copy_all(source: Engine, writer: Connection, tables: list[Table]) -> list[TableCopy]:
    copied: list[TableCopy] = []
    with source.connect() as reader, reader.begin():
        for table in tables:
            rows = 0
            order = list(table.primary_key.columns)
            result = reader.execution_options(stream_results=True, yield_per=CHUNK).execute(
                select(table).order_by(*order))
            for chunk in result.partitions(CHUNK):
                writer.execute(table.insert(), [dict(row._mapping) for row in chunk])
                rows += len(chunk)
            copied.append(TableCopy(table.name, rows))
    return copied


def _reset_sequences(writer: Connection, tables: list[Table]) -> None:
    """Rows came with their ids, so PostgreSQL's id sequences still stand at 1: move each past
    the largest id copied, or the next insert would collide with a copied row."""
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = writer.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
            if sequence is None:
                continue
            writer.execute(text(
                f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                f'"{table.name}"), 1), (SELECT MAX("{column.name}") FROM "{table.name}") '
                "IS NOT NULL)"), {"s": sequence})


def _verify(writer: Connection, copied: list[TableCopy]) -> None:
    tables = {t.name: t for t in copy_tables()}
    for done in copied:
        found = writer.execute(select(func.count()).select_from(tables[done.table])).scalar_one()
        if found != done.rows:
            raise Conflict(f"table {done.table}: copied {done.rows} rows but the target holds "
                           f"{found}; nothing was written", hint="run the copy again")
