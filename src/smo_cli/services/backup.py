"""`smo db backup|restore|stats`: copies of the SQLite database made and put back safely.

A backup uses SQLite's online backup API in one step: one read transaction, so it is a
consistent snapshot even while a listen run writes (WAL readers never block the writer). Every
copy is checked with `PRAGMA integrity_check` before it gets its final name, and is stored as a
single self-contained file (rollback journal mode, no -wal beside it).

A restore never renames a file over the live database: another process may hold it open, and
its -wal would then be replayed onto the wrong file. The checked copy is written into the live
database through the backup API instead, as one write transaction that readers see all at once.
PostgreSQL has its own tools for this (pg_dump, pg_restore); smo says so rather than pretend.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from smo_cli.db.engine import SQLITE_BUSY_TIMEOUT_MS, URL_HINT, make_engine
from smo_cli.db.migrate import HEAD_REVISION, current_revision, ensure_schema, known_revisions
from smo_cli.db.models import Mention, load_all, table_of
from smo_cli.db.types import utcnow
from smo_cli.errors import (
    AlreadyExists,
    Conflict,
    DatabaseUnavailable,
    InvalidData,
    NotFound,
    UsageError,
)

SQLITE_HEADER = b"SQLite format 3\x00"
BACKUP_FOLDER = "backups"
PG_HINT = "for PostgreSQL use pg_dump and pg_restore (or your provider's snapshots)"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    revision: str | None


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    revision: str
    safety_backup: BackupResult | None
    upgraded: bool                 # the copy was older than this smo and has been migrated
    overdue_posts: list[int] = field(default_factory=list)   # scheduled, due before now


@dataclass(frozen=True)
class DatabaseStats:
    database: str
    backend: str
    revision: str | None
    size_bytes: int | None
    wal_bytes: int | None
    oldest_mention: datetime | None
    newest_mention: datetime | None
    tables: dict[str, int]


def sqlite_file(database_url: str, action: str) -> Path:
    """The database file behind a SQLite URL; a usage error for anything else."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        raise InvalidData("database URL is not valid", hint=URL_HINT) from None
    if url.get_backend_name() != "sqlite":
        raise UsageError(f"`smo db {action}` works on a SQLite database, and this workspace "
                         f"uses {url.get_backend_name()}", hint=PG_HINT)
    if not url.database or url.database == ":memory:":
        raise UsageError(f"`smo db {action}` needs a database file, not an in-memory database")
    return Path(url.database).expanduser().resolve()


def default_backup_path(workspace_root: Path, now: datetime | None = None,
                        prefix: str = "smo") -> Path:
    """`<workspace>/backups/smo-YYYYMMDD-HHMMSS.db`, numbered when that name is taken."""
    return backup_name(workspace_root / BACKUP_FOLDER, now, prefix)


def backup_name(folder: Path, now: datetime | None = None, prefix: str = "smo") -> Path:
    """A new file name in `folder` carrying the time (UTC) of the backup."""
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{prefix}-{stamp}.db"
    number = 2
    while path.exists():
        path = folder / f"{prefix}-{stamp}-{number}.db"
        number += 1
    return path


def backup_database(database_url: str, dest: Path) -> BackupResult:
    """Copy the live database to `dest` (which must not exist) and check the copy."""
    source = sqlite_file(database_url, "backup")
    if not source.is_file():
        raise NotFound(f"there is no database at {source} yet",
                       hint="it is created by the first smo command that needs it")
    dest = dest.expanduser().resolve()
    if dest.is_dir():
        dest = backup_name(dest)
    if dest == source:
        raise UsageError("the backup cannot replace the database itself",
                         hint="name another file")
    if dest.exists():
        raise AlreadyExists(f"{dest} already exists", hint="name a new file")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {dest.parent}: {exc.strerror or exc}") from None
    partial = dest.with_name(dest.name + ".partial")
    with _removed_on_error(partial):
        copy_sqlite(source, partial, readonly=False)
        # A backup holds personal data: readable by its owner only.
        partial.chmod(0o600)
        revision = _revision_of(partial)
        partial.replace(dest)
    return BackupResult(path=dest, size=dest.stat().st_size, revision=revision)


def copy_sqlite(source: Path, target: Path, *, readonly: bool) -> None:
    """Snapshot `source` into a new file `target` with the backup API, then check it.

    `readonly` opens the source without any chance of writing to it (a file the user named);
    the live database is opened normally, so closing it tidies its -wal as usual.
    """
    if target.exists():
        target.unlink()
    src = _connect(source, readonly=readonly)
    try:
        dst = _connect(target, readonly=False)
        try:
            src.backup(dst)
            # One self-contained file: a copy in WAL mode would want a -wal file beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in dst.execute("PRAGMA integrity_check")]
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(source, exc) from None
    finally:
        src.close()
    if problems != ["ok"]:
        raise InvalidData(f"{source} fails the integrity check: {problems[0]}",
                          hint="use another backup")


def restore_database(database_url: str, candidate: Path, *, workspace_root: Path,
                     now: datetime | None = None) -> RestoreResult:
    """Replace the live database by the backup `candidate`, keeping a safety backup first.

    The candidate is copied next to the live database and checked there (a SQLite file, intact,
    an smo schema this smo knows); only then is anything replaced. The listen run lock is held
    while replacing, so a cron run cannot write into the middle of it.
    """
    from smo_cli.services.listening import run_lock

    live = sqlite_file(database_url, "restore")
    candidate = _candidate(candidate, live)
    staging = live.with_name(live.name + ".restore")
    with _removed_on_error(staging):
        copy_sqlite(candidate, staging, readonly=True)
        revision = _known(candidate, _revision_of(staging))
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(run_lock(workspace_root))
            except Conflict:
                raise Conflict("a listen run is writing to the database",
                               hint="restore when it has finished") from None
            safety = (backup_database(database_url,
                                      default_backup_path(workspace_root, now, "before-restore"))
                      if live.is_file() else None)
            _write_into(staging, live)
    staging.unlink()
    engine = make_engine(database_url)
    try:
        upgraded = ensure_schema(engine)
        overdue = _overdue_posts(engine, now or utcnow())
    finally:
        engine.dispose()
    return RestoreResult(restored_from=candidate, revision=revision, safety_backup=safety,
                         upgraded=upgraded, overdue_posts=overdue)


def _overdue_posts(engine: Engine, now: datetime) -> list[int]:
    """Posts the backup has as scheduled for a time already past: some may have been published
    since the backup was taken, and the next publish-due would send them again."""
    from smo_cli.db.models import Post

    with engine.connect() as connection:
        posts = table_of(Post)
        rows = connection.execute(select(posts.c.id).where(
            posts.c.state == "scheduled", posts.c.scheduled_at < now).order_by(posts.c.id))
        return [int(row[0]) for row in rows]


def check_backup(database_url: str, candidate: Path) -> str:
    """The schema revision of a backup fit to restore; an error saying what is wrong with it.

    Read-only: nothing is copied or changed (`restore_database` checks its own copy again).
    """
    candidate = _candidate(candidate, sqlite_file(database_url, "restore"))
    connection = _connect(candidate, readonly=True)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(candidate, exc) from None
    finally:
        connection.close()
    if problems != ["ok"]:
        raise InvalidData(f"{candidate} fails the integrity check: {problems[0]}",
                          hint="use another backup")
    return _known(candidate, _revision_of(candidate))


def _candidate(path: Path, live: Path) -> Path:
    path = path.expanduser().resolve()
    if not path.is_file():
        raise NotFound(f"there is no file {path}")
    if path == live:
        raise UsageError("that file is the live database itself", hint="name a backup file")
    _check_header(path)
    return path


def _known(candidate: Path, revision: str | None) -> str:
    if revision is None:
        raise InvalidData(f"{candidate} is a SQLite database but not an smo database "
                          "(it has no schema revision)", hint="name an smo backup")
    if revision not in known_revisions():
        raise Conflict(f"{candidate} is at schema {revision}, newer than this smo "
                       f"(which knows up to {HEAD_REVISION})", hint="upgrade smo first")
    return revision


def _write_into(staging: Path, live: Path) -> None:
    """Put the staged copy into the live database as one write transaction."""
    src = _connect(staging, readonly=True)
    try:
        dst = _connect(live, readonly=False)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(live, exc) from None
    finally:
        src.close()


def database_stats(engine: Engine, database: str) -> DatabaseStats:
    """Rows per table, the size on disk, and the span of the stored mentions."""
    load_all()
    from sqlmodel import SQLModel

    backend = engine.dialect.name
    tables: dict[str, int] = {}
    with engine.connect() as connection:
        for table in sorted(SQLModel.metadata.sorted_tables, key=lambda t: t.name):
            tables[table.name] = connection.execute(
                select(func.count()).select_from(table)).scalar_one()
        seen = table_of(Mention).c.first_seen_at
        oldest, newest = connection.execute(select(func.min(seen), func.max(seen))).one()
        size = wal = None
        if backend == "postgresql":
            size = connection.execute(
                text("SELECT pg_database_size(current_database())")).scalar_one()
    if backend == "sqlite":
        path = Path(engine.url.database or "").resolve()
        size = _size(path)
        wal = _size(path.with_name(path.name + "-wal")) or 0
    return DatabaseStats(database=database, backend=backend, revision=current_revision(engine),
                         size_bytes=size, wal_bytes=wal, oldest_mention=oldest,
                         newest_mention=newest, tables=tables)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    try:
        if readonly:
            return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=timeout)
        return sqlite3.connect(path, timeout=timeout)
    except sqlite3.Error as exc:
        raise _sqlite_error(path, exc) from None


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as stream:
            header = stream.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        raise InvalidData(f"{path} is not a SQLite database", hint="name an smo backup file")


def _revision_of(path: Path) -> str | None:
    """The smo schema revision stored in a database file; None when it has none."""
    connection = _connect(path, readonly=True)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return str(row[0]) if row else None


def _sqlite_error(path: Path, exc: sqlite3.Error) -> Exception:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if "not a database" in reason or "malformed" in reason:
        return InvalidData(f"{path} is not a usable SQLite database ({reason})",
                           hint="name an smo backup file")
    return DatabaseUnavailable(f"cannot copy {path}: {reason}",
                               hint="check free disk space and permissions; another smo may be "
                               "writing, try again")


@contextlib.contextmanager
def _removed_on_error(path: Path) -> Iterator[None]:
    """A half-written copy never stays behind to be mistaken for a good one."""
    try:
        yield
    except BaseException:
        for leftover in (path, path.with_name(path.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
