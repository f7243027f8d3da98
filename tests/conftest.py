"""Shared fixtures: a socket guard, a fresh migrated workspace per test, and a CLI runner.

With `SMO_TEST_DATABASE_URL` naming a PostgreSQL server (postgresql://user:pw@127.0.0.1:5432/
postgres; the user needs CREATEDB), every workspace gets its own fresh PostgreSQL database instead
of the SQLite file, so the whole suite runs against PostgreSQL (`make test-postgres`). Tests that
are about the SQLite file itself (backups, PRAGMAs, its locking) skip there: `sqlite_only`, or
`pytest.mark.skipif(ON_POSTGRES, reason=...)`. Tests open a workspace's database with
`workspace_engine(workspace)`, never by the path of its smo.db (there is none on PostgreSQL); a
second workspace gets a database of its own from `another_workspace`.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from smo_cli.cli._context import AppContext
from smo_cli.cli.app import app
from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine
from smo_cli.db.migrate import ensure_schema
from smo_cli.services.workspace import create_workspace

EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "examples" / "acme" / "smo.yaml"
ENV_TEST_DATABASE = "SMO_TEST_DATABASE_URL"
# Read once at collection: skip markers are decided before any fixture runs.
ON_POSTGRES = bool(os.environ.get(ENV_TEST_DATABASE, "").strip())
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="about the SQLite file itself; "
                                 "SMO_TEST_DATABASE_URL runs the workspace on PostgreSQL")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return True
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, tuple) and not _is_local(address[0]):
        raise RuntimeError(f"test tried to reach {address[0]}: tests never leave 127.0.0.1")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_local(host if isinstance(host, str) else host.decode()):
        raise socket.gaierror(f"test tried to resolve {host}: tests never leave 127.0.0.1")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated workspace (the Acme example's smo.yaml) copied for every test."""
    root = tmp_path_factory.mktemp("template") / "ws"
    create_workspace(root, org="Acme", lang="en", env={})
    shutil.copy(EXAMPLE_CONFIG, root / "smo.yaml")
    return root


def _autocommit(admin: Engine, statement: str) -> None:
    with admin.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        # A test database need not survive a crash of the server: not waiting for the WAL
        # flush makes CREATE and DROP DATABASE about three times faster (~0.15 s a test).
        connection.exec_driver_sql("SET synchronous_commit = off")
        connection.exec_driver_sql(statement)


def _database_url(admin: Engine, name: str) -> str:
    return admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine | None]:
    """An engine on SMO_TEST_DATABASE_URL's server (None on SQLite) for creating databases."""
    url = os.environ.get(ENV_TEST_DATABASE, "").strip()
    if not url:
        yield None
        return
    if make_url(url).get_backend_name() != "postgresql":
        raise pytest.UsageError(f"{ENV_TEST_DATABASE} must name a PostgreSQL server")
    admin = make_engine(url)
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: Engine | None) -> Iterator[str | None]:
    """A migrated PostgreSQL database that each test's database is copied from (CREATE DATABASE
    ... TEMPLATE), so the migrations run once per session, as the SQLite file is copied."""
    if postgres_admin is None:
        yield None
        return
    name = f"smo_template_{uuid.uuid4().hex[:12]}"
    _autocommit(postgres_admin, f'CREATE DATABASE "{name}"')
    try:
        engine = make_engine(_database_url(postgres_admin, name))
        try:
            ensure_schema(engine)
        finally:
            engine.dispose()        # a template must have no open connections when copied
        yield name
    finally:
        _drop_database(postgres_admin, name)


def fresh_postgres_database(admin: Engine, template: str | None = None) -> Iterator[str]:
    """Create a uniquely named database (a copy of `template` if given), yield its URL, drop it.

    The same recipe as tests/test_db.py's `_fresh_postgres_database`, on the server of the
    engine given; WITH (FORCE) closes connections a test left open.
    """
    name = f"smo_test_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    _autocommit(admin, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _database_url(admin, name)
    finally:
        _drop_database(admin, name)


def _drop_database(admin: Engine, name: str) -> None:
    # FORCE cannot end an autovacuum worker without pg_signal_backend (which .ci/run grants);
    # elsewhere, wait a moment for it to finish.
    for attempt in range(20):
        try:
            _autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError:
            if attempt == 19:
                raise
            time.sleep(0.25)


@pytest.fixture
def workspace_database(postgres_admin: Engine | None,
                       postgres_template: str | None) -> Iterator[str | None]:
    """The PostgreSQL URL of this test's workspace, or None when it uses its SQLite file."""
    if postgres_admin is None:
        yield None
        return
    yield from fresh_postgres_database(postgres_admin, postgres_template)


@pytest.fixture
def workspace(migrated_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              workspace_database: str | None) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(migrated_template, root)
    monkeypatch.setenv("SMO_WORKSPACE", str(root))
    if workspace_database is None:
        monkeypatch.delenv("SMO_DATABASE_URL", raising=False)
    else:
        # No stale SQLite file beside a PostgreSQL workspace: a test that opened it by mistake
        # would check an empty copy of the template and pass whatever the commands did.
        for stale in root.glob("smo.db*"):
            stale.unlink()
        # In smo.yaml, for code given an empty environment; and in the environment, so
        # subprocesses (`python -m smo_cli`) use it too, whatever smo.yaml a test writes.
        with (root / "smo.yaml").open("a", encoding="utf-8") as config:
            config.write(f"\ndatabase_url: {workspace_database}\n")
        monkeypatch.setenv("SMO_DATABASE_URL", workspace_database)
    return root


def workspace_engine(workspace: Path) -> Engine:
    """An engine on the workspace's own database, the one its commands use: its SQLite file, or
    its PostgreSQL database under SMO_TEST_DATABASE_URL. The caller disposes of it."""
    return make_engine(load_workspace(workspace).database_url)


@dataclass
class OtherWorkspace:
    """A second workspace a test creates (`smo init`) besides `workspace`."""

    root: Path
    env: dict[str, str]     # for `run(..., env=...)`: its own database on PostgreSQL, else {}


@pytest.fixture
def another_workspace(tmp_path: Path,
                      postgres_admin: Engine | None) -> Iterator[OtherWorkspace]:
    """Where a second workspace goes, with a database of its own: its SQLite file, or a fresh,
    empty PostgreSQL database under SMO_TEST_DATABASE_URL (`smo init` migrates it); without
    one it would share the first workspace's database there."""
    root = tmp_path / "ws2"
    if postgres_admin is None:
        yield OtherWorkspace(root, {})
        return
    for url in fresh_postgres_database(postgres_admin):
        yield OtherWorkspace(root, {"SMO_DATABASE_URL": url})


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)


Run = Callable[..., Outcome]


@pytest.fixture
def run(workspace: Path, tmp_path: Path, workspace_database: str | None) -> Iterator[Run]:
    """Invoke `smo` in-process with an injected context, as a user in the workspace would."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None,
               cwd: Path | None = None) -> Outcome:
        # The test's own SMO_DATABASE_URL or SMO_DATABASE_URL_FILE wins over the PostgreSQL one.
        chosen = {"SMO_DATABASE_URL", "SMO_DATABASE_URL_FILE"} & set(env or {})
        database = ({"SMO_DATABASE_URL": workspace_database}
                    if workspace_database and not chosen else {})
        environment = {"SMO_WORKSPACE": str(workspace), **database, **(env or {})}
        context = AppContext(env=environment, cwd=cwd or tmp_path)
        result = runner.invoke(app, list(args), input=input, obj=context,
                               env={k: v for k, v in environment.items() if k.startswith("SMO_")})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    old_cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield invoke
    finally:
        os.chdir(old_cwd)


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the real user's smo data folder or workspace."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("SMO_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMO_DATABASE_URL_FILE", raising=False)
