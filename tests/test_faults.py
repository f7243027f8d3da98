"""Load and faults, as cron meets them: overlapping runs, the inbox used while a run writes, a
run killed half-way, a read-only database and a full disk.

The runs are real `python -m smo_cli` processes against a feed server on 127.0.0.1 (the one of
test_listen_e2e.py); counts are read through SQLAlchemy, so these tests run on PostgreSQL too,
except those about the SQLite file itself.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from smo_cli.cli._context import AppContext
from smo_cli.cli.app import app
from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine
from tests.conftest import Run, sqlite_only
from tests.test_listen_e2e import (
    NEWS,
    FeedServer,
    Post,
    Route,
    add_feed,
    brand_query,
    feeds,
    rss,
    smo_process,
    wait_for,
)

__all__ = ["brand_query", "feeds"]      # fixtures, used by name

LOCKED = "database is locked"


@pytest.fixture
def db(workspace: Path) -> Iterator[Engine]:
    """The workspace's database (SQLite file or PostgreSQL), for counting what was stored."""
    engine = make_engine(load_workspace(workspace).database_url)
    yield engine
    engine.dispose()


def rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def one(engine: Engine, sql: str) -> Any:
    return rows(engine, sql)[0][0]


def posts(prefix: str, count: int) -> list[Post]:
    return [Post(f"https://{prefix}.example/acme-{i}", f"Acme bericht {i}",
                 f"Acme doet iets nieuws, nummer {i}.") for i in range(count)]


def no_duplicates(engine: Engine) -> None:
    assert rows(engine, "SELECT COUNT(*), COUNT(DISTINCT dedup_key) FROM mention") == [
        (one(engine, "SELECT COUNT(*) FROM mention"),) * 2]
    assert one(engine, "SELECT COUNT(*) FROM (SELECT mention_id, rule_id FROM assignment "
                       "GROUP BY mention_id, rule_id HAVING COUNT(*) > 1) AS twice") == 0


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


# --- overlapping runs ---------------------------------------------------------------------------


@pytest.mark.usefixtures("brand_query")
def test_two_runs_started_at_once_one_takes_the_lock_and_the_other_says_so(
        run: Run, feeds: FeedServer, workspace: Path, db: Engine) -> None:
    hold = threading.Event()        # the feed answers once one run has given way
    add_feed(run, feeds, "/news.xml", name="nieuws", route=Route(NEWS, hold=hold))
    processes = [smo_process(workspace, "listen", "run") for _ in range(2)]
    try:
        wait_for(lambda: any(p.poll() is not None for p in processes), timeout=30)
    finally:
        hold.set()
    outcomes = [finish(p) for p in processes]

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    gave_way = [err for _, _, err in outcomes if "Another listen run is going" in err]
    assert len(gave_way) == 1 and "holds the lock" in gave_way[0]
    assert len(feeds.requests_for("/news.xml")) == 1
    assert one(db, "SELECT COUNT(*) FROM mention") == 2
    assert rows(db, "SELECT status FROM listen_run") == [("ok",)]
    no_duplicates(db)


# --- the inbox while a run writes ---------------------------------------------------------------


FEEDS, PER_FEED = 40, 40


def keep_writing(feeds: FeedServer, holds: dict[str, threading.Event], db: Engine,
                 busy: Callable[[], bool]) -> int:
    """Release the held feeds one by one, each once the previous one is stored, for as long as
    `busy()`; returns how many sources the run stored meanwhile. Every source is stored in its
    own write transaction, so the run writes the whole time."""
    stored = 0
    while busy():
        waiting = [r.path for r in list(feeds.requests)
                   if r.path in holds and not holds[r.path].is_set()]
        if not waiting:
            time.sleep(0.01)
            continue
        before = one(db, "SELECT COUNT(*) FROM mention")
        holds[waiting[0]].set()
        deadline = time.monotonic() + 15
        while busy() and time.monotonic() < deadline:
            if one(db, "SELECT COUNT(*) FROM mention") > before:
                stored += 1
                break
            time.sleep(0.01)
    return stored


@pytest.mark.usefixtures("brand_query")
def test_ten_inbox_commands_while_a_run_writes_are_never_locked_out(
        run: Run, feeds: FeedServer, workspace: Path, db: Engine) -> None:
    add_feed(run, feeds, "/first.xml", name="eerste", route=Route(rss("a.example",
                                                                      posts("a", 10))))
    assert run("listen", "run").exit_code == 0
    assert one(db, "SELECT COUNT(*) FROM assignment") == 10
    holds = {f"/f{i:02d}.xml": threading.Event() for i in range(FEEDS)}
    for i, (path, hold) in enumerate(holds.items()):
        add_feed(run, feeds, path, name=f"feed-{i:02d}",
                 route=Route(rss(f"f{i}.example", posts(f"f{i}", PER_FEED)), hold=hold))

    writer = smo_process(workspace, "listen", "run", "--all")
    commands = [
        *(["inbox", "list", "-f", "json"] for _ in range(4)),
        *(["inbox", "assign", str(item), "--dept", "sales"] for item in (1, 2, 3)),
        *(["inbox", "note", str(item), f"gebeld ({item})"] for item in (4, 5, 6))]
    try:
        wait_for(lambda: bool(feeds.requests_for("/f00.xml")), timeout=30)
        inbox = [smo_process(workspace, *command) for command in commands]
        stored = keep_writing(feeds, holds, db, lambda: any(p.poll() is None for p in inbox))
        still_held = sum(not hold.is_set() for hold in holds.values())
        results = [finish(p) for p in inbox]
    finally:
        for hold in holds.values():
            hold.set()
    ran = finish(writer)

    assert stored >= 1 and still_held >= 1, (stored, still_held)    # they really overlapped
    assert ran[0] == 0, ran
    for (code, _, err), command in zip(results, commands, strict=True):
        assert (code, err) == (0, ""), command
        assert LOCKED not in err
    assert one(db, "SELECT COUNT(*) FROM mention") == 10 + FEEDS * PER_FEED
    assert one(db, "SELECT COUNT(*) FROM assignment") == 10 + FEEDS * PER_FEED
    no_duplicates(db)
    assert rows(db, "SELECT id FROM assignment WHERE department = 'sales' ORDER BY id") == [
        (1,), (2,), (3,)]
    assert one(db, "SELECT COUNT(*) FROM assignment_event WHERE action = 'note'") == 3


# --- a run killed half-way ----------------------------------------------------------------------


@pytest.mark.usefixtures("brand_query")
def test_a_run_killed_during_a_slow_feed_and_restarted_stores_each_item_once(
        run: Run, feeds: FeedServer, workspace: Path, db: Engine) -> None:
    quick = posts("snel", 20)
    add_feed(run, feeds, "/quick.xml", name="snel", route=Route(rss("snel.example", quick)))
    slow = posts("traag", 3)
    hold = threading.Event()            # the slow feed answers only after the kill
    add_feed(run, feeds, "/slow.xml", name="traag", route=Route(rss("traag.example", slow),
                                                                hold=hold))
    process = smo_process(workspace, "listen", "run")
    try:
        wait_for(lambda: bool(feeds.requests_for("/slow.xml"))
                 and one(db, "SELECT COUNT(*) FROM mention") > 0, timeout=30)
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        hold.set()
    assert process.returncode == -signal.SIGKILL
    assert rows(db, "SELECT status FROM listen_run") == [("running",)]

    again = run("listen", "run", "--all")
    assert again.exit_code == 0, again.stderr
    assert one(db, "SELECT COUNT(*) FROM mention") == len(quick) + len(slow)
    no_duplicates(db)
    assert rows(db, "SELECT status FROM listen_run ORDER BY id") == [("killed",), ("ok",)]
    if db.dialect.name == "sqlite":
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]


# --- a read-only database and a full disk (the SQLite file) -------------------------------------


def database_file(workspace: Path) -> Path:
    return Path(make_url(load_workspace(workspace, {}).database_url).database or "")


def read_only_url(workspace: Path) -> str:
    """The same file opened read-only, as SQLite sees a file it may not write (which chmod
    cannot show to root, who writes anyway)."""
    return f"sqlite:///file:{database_file(workspace)}?mode=ro&uri=true"


@sqlite_only
@pytest.mark.parametrize("command", [("listen", "run", "-q"),
                                     ("inventory", "add", "@acme@mastodon.social", "-p",
                                      "mastodon")])
def test_a_read_only_database_is_one_line_and_exit_6(run: Run, workspace: Path,
                                                     command: tuple[str, ...]) -> None:
    result = run(*command, env={"SMO_DATABASE_URL": read_only_url(workspace)})
    assert result.exit_code == 6
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and "readonly database" in result.stderr
    assert "Traceback" not in result.stderr


@sqlite_only
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a file whatever its mode")
def test_a_database_file_without_write_permission_is_one_line_and_exit_6(
        workspace: Path) -> None:
    path = database_file(workspace)
    path.chmod(0o444)
    try:
        code, _, err = finish(smo_process(workspace, "inventory", "add", "@acme@m.example",
                                          "-p", "mastodon"))
    finally:
        path.chmod(0o644)
    assert code == 6 and len(err.splitlines()) == 1 and err.startswith("error: ")
    assert "readonly" in err or "unable to open" in err      # at the write, or at the open


@sqlite_only
def test_a_read_only_database_hint_does_not_blame_another_writer(
        run: Run, workspace: Path) -> None:
    result = run("listen", "run", env={"SMO_DATABASE_URL": read_only_url(workspace)})
    assert "another smo may be writing" not in result.stderr
    assert "cannot be written" in result.stderr


def big_import(tmp_path: Path, count: int = 3000) -> Path:
    sheet = tmp_path / "accounts.csv"
    sheet.write_text("platform,handle,owner,purpose\n" + "".join(
        f"mastodon,@acct{i}@mastodon.example,company,{'een lang doel ' * 20}\n"
        for i in range(count)), encoding="utf-8")
    return sheet


def _file_size_limit(limit: int) -> None:
    # The kernel refuses writes past RLIMIT_FSIZE (EFBIG), like a disk that is full; ignoring
    # SIGXFSZ turns the default kill into that error for the process to handle.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@sqlite_only
def test_a_disk_that_refuses_writes_is_one_line_and_the_database_stays_whole(
        workspace: Path, tmp_path: Path, db: Engine) -> None:
    sheet = big_import(tmp_path)
    limit = database_file(workspace).stat().st_size + 200_000
    process = subprocess.run(
        [sys.executable, "-m", "smo_cli", "inventory", "import", str(sheet)],
        env={**os.environ, "SMO_WORKSPACE": str(workspace)}, capture_output=True, text=True,
        timeout=120, preexec_fn=lambda: _file_size_limit(limit), check=False)
    assert process.returncode == 6, process.stderr
    assert len(process.stderr.splitlines()) == 1, process.stderr
    assert process.stderr.startswith("error: database error: disk I/O error")
    assert one(db, "SELECT COUNT(*) FROM account") == 0       # all or nothing
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


@sqlite_only
@pytest.mark.usefixtures("brand_query")
def test_a_full_database_is_one_line_and_a_listen_run_reports_what_was_not_stored(
        run: Run, workspace: Path, tmp_path: Path, feeds: FeedServer, db: Engine) -> None:
    """SQLite's answer to a full disk (SQLITE_FULL), made with PRAGMA max_page_count on every
    connection of an engine given to the command (the pragma does not outlive a connection)."""
    add_feed(run, feeds, "/big.xml", name="groot", route=Route(rss("b.example",
                                                                   posts("b", 600))))
    pages = one(db, "PRAGMA page_count")
    full = make_engine(load_workspace(workspace, {}).database_url)

    @event.listens_for(full, "connect")
    def _cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 3}")

    def invoke(*args: str) -> tuple[int, str, str]:
        context = AppContext(env={"SMO_WORKSPACE": str(workspace)}, cwd=tmp_path, _engine=full)
        result = CliRunner().invoke(app, list(args), obj=context)
        return result.exit_code, result.stdout, result.stderr

    try:
        code, _, err = invoke("inventory", "import", str(big_import(tmp_path)))
        assert code == 6
        assert err.splitlines() == [err.strip()] and "database or disk is full" in err
        code, out, err = invoke("listen", "run", "-q")
        assert code == 6                                # the only source could not be stored
        assert "groot" in out and "database or disk is full" in out
        assert "Run 1: 1 source, 0 new mentions, 1 failure" in err
    finally:
        full.dispose()
    assert one(db, "SELECT COUNT(*) FROM mention") == 0
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    again = run("listen", "run", "--all")               # room again: the next run catches up
    assert again.exit_code == 0, again.stderr
    assert one(db, "SELECT COUNT(*) FROM mention") == 600
