"""Apply the Alembic migrations shipped in the package, cheaply when there is nothing to do.

Opening a workspace reads `alembic_version` with one query; Alembic itself is imported only when
the database is behind (a new workspace, or an upgraded smo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from smo_cli.db.engine import WRITER_OPTION
from smo_cli.errors import Conflict, DatabaseUnavailable, InvalidData

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in db/migrations/versions; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0013_report_indexes"
SCRIPT_LOCATION = "smo_cli.db:migrations"


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision; None for a database smo has not set up yet."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if _is_missing_table(exc):
            return None
        raise unavailable(engine, exc) from None
    except DBAPIError as exc:
        raise unavailable(engine, exc) from None


def _is_missing_table(exc: DBAPIError) -> bool:
    # SQLite says "no such table"; PostgreSQL raises SQLSTATE 42P01 (undefined_table).
    return "no such table" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "42P01"


def unavailable(engine: Engine, exc: DBAPIError) -> DatabaseUnavailable:
    reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    where = engine.url.render_as_string(hide_password=True)
    return DatabaseUnavailable(f"cannot use the database {where}: {reason}",
                               hint="check SMO_DATABASE_URL / database_url, and that the server "
                               "runs or the file is an smo database")


def ensure_schema(engine: Engine) -> bool:
    """Upgrade to head when behind; returns True when migrations ran."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return False
    if current is not None and current not in known_revisions():
        raise Conflict(f"the database is at schema {current}, newer than this smo "
                       f"(which knows up to {HEAD_REVISION})", hint="upgrade smo")
    try:
        upgrade(engine)
    except DBAPIError as exc:
        raise unavailable(engine, exc) from None
    return True


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate in one writer transaction (BEGIN IMMEDIATE on SQLite, so processes opening a new
    workspace at once queue instead of failing).

    On SQLite, foreign keys are off while migrating: a batch migration rebuilds a table by
    dropping it, which would otherwise cascade-delete the rows of every child table. The keys
    are checked before commit instead.
    """
    from alembic import command

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # On the driver connection: through SQLAlchemy it would open a transaction, and SQLite
        # ignores this pragma inside one.
        raw: Any = connection.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            writer = connection.execution_options(**{WRITER_OPTION: True})
            with writer.begin():
                config = alembic_config()
                config.attributes["connection"] = writer
                command.upgrade(config, revision)
                if sqlite:
                    broken = writer.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise InvalidData(f"migration to {revision} left {len(broken)} rows "
                                          "pointing at missing parents; nothing was changed")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def status(engine: Engine) -> SchemaStatus:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    head = script.get_current_head() or HEAD_REVISION
    pending = [
        rev.revision
        for rev in reversed(list(script.walk_revisions(current or "base", head)))
        if rev.revision != current
    ]
    return SchemaStatus(current=current, head=head, pending=pending)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config
