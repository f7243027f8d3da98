"""`smo listen run` end to end: the CLI, a real feed server on 127.0.0.1, the workspace database.

In-process runs go through the `run` fixture; the runs that are killed or started together are
real `python -m smo_cli` processes, as cron would start them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from smo_cli.config import load_workspace
from tests.conftest import Run, workspace_engine

# --- a feed server on 127.0.0.1 -------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    etag: str | None = None         # sent, and a matching If-None-Match gets 304
    hold: threading.Event | None = None     # no answer until the test sets it (at most 10 s)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]         # lower-case names
    status: int                     # what the server answered (or is about to)


@dataclass
class FeedServer:
    """Threaded HTTP server answering the routes it is given; it remembers every request."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in list(self.requests) if r.path == path]

    def answer(self, path: str, headers: dict[str, str]) -> tuple[Route | None, int]:
        route = self.routes.get(path)
        if route is None:
            status = 404
        elif route.etag is not None and headers.get("if-none-match") == route.etag:
            status = 304
        else:
            status = route.status
        self.requests.append(Request(path, headers, status))
        return route, status


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            route, status = server.answer(self.path, headers)
            if route is not None and route.hold is not None:
                route.hold.wait(timeout=10)
            body = route.body if route is not None and status == 200 else b""
            try:
                self.send_response(status)
                if route is not None and route.etag is not None:
                    self.send_header("ETag", route.etag)
                if status == 200:
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass                # the client was killed mid-request: that is the test

        def log_message(self, format: str, *args: object) -> None:
            pass                    # keep pytest's output clean

    return Handler


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Post:
    guid: str
    title: str
    text: str


def rss(site: str, posts: Sequence[Post]) -> bytes:
    """An RSS 2.0 feed as a news site publishes it."""
    items = "".join(
        "<item>"
        f"<title>{escape(p.title)}</title>"
        f"<link>{escape(p.guid)}?utm_source=rss</link>"
        f"<guid isPermaLink=\"true\">{escape(p.guid)}</guid>"
        "<pubDate>Fri, 27 Nov 2026 08:00:00 +0000</pubDate>"
        f"<description>{escape(f'<p>{p.text}</p>')}</description>"
        "</item>" for p in posts)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(site)}</title><link>https://{site}/</link>"
            f"<language>nl</language>{items}</channel></rss>").encode()


ACME_OPENS = Post("https://nieuws.example/acme-opent-vestiging",
                  "Acme opent vestiging in Tilburg", "Er komen 120 banen bij.")
ACME_PRAISED = Post("https://nieuws.example/acme-e-bike-review",
                    "Review: de e-bike van Acme", "Fijne fiets, de app kan beter.")
WEATHER = Post("https://nieuws.example/weer", "Storm op komst", "Code oranje voor de kust.")
TRAINS = Post("https://nieuws.example/spoor", "Minder treinen", "Werk aan het spoor bij Utrecht.")
NEWS = rss("nieuws.example", [ACME_OPENS, WEATHER, ACME_PRAISED, TRAINS])


def add_feed(run: Run, feeds: FeedServer, path: str, *, name: str, route: Route) -> None:
    feeds.routes[path] = route
    added = run("sources", "add", "rss", "--url", feeds.url(path), "--name", name,
                "--allow-private")
    assert added.exit_code == 0, added.stderr


@pytest.fixture
def brand_query(run: Run) -> None:
    saved = run("queries", "add", "brand", "acme", "--group", "brand")
    assert saved.exit_code == 0, saved.stderr


def query_db(workspace: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` on the workspace's database (its SQLite file, or PostgreSQL)."""
    engine = workspace_engine(workspace)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def on_sqlite(workspace: Path) -> bool:
    return make_url(load_workspace(workspace).database_url).get_backend_name() == "sqlite"


def smo_process(workspace: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SMO_WORKSPACE": str(workspace)}
    return subprocess.Popen([sys.executable, "-m", "smo_cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


# --- a run, and the next one ----------------------------------------------------------------------


@pytest.mark.usefixtures("brand_query")
def test_listen_run_keeps_matching_items_and_the_next_run_is_a_conditional_get(
        run: Run, feeds: FeedServer) -> None:
    add_feed(run, feeds, "/news.xml", name="nieuws", route=Route(NEWS, etag='"v1"'))

    first = run("listen", "run")
    assert first.exit_code == 0, first.stderr
    assert "Run 1: 1 source, 2 new mentions, 0 failures, 2 routed." in first.stderr
    listed = run("mentions", "list", "-f", "json").json()
    assert sorted(m["url"] for m in listed) == sorted([ACME_OPENS.guid, ACME_PRAISED.guid])
    assert {(m["source"], tuple(m["queries"])) for m in listed} == {("nieuws", ("brand",))}

    second = run("listen", "run", "--all")
    assert second.exit_code == 0, second.stderr
    assert "Run 2: 1 source, 0 new mentions, 0 failures, 0 routed." in second.stderr
    first_request, second_request = feeds.requests_for("/news.xml")
    assert "if-none-match" not in first_request.headers
    assert second_request.headers["if-none-match"] == '"v1"'
    assert second_request.status == 304
    assert len(run("mentions", "list", "-f", "json").json()) == 2


# --- quiet runs for cron --------------------------------------------------------------------------


@pytest.mark.usefixtures("brand_query")
def test_quiet_run_prints_nothing_when_all_is_well(run: Run, feeds: FeedServer) -> None:
    add_feed(run, feeds, "/news.xml", name="nieuws", route=Route(NEWS))
    result = run("listen", "run", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert len(run("mentions", "list", "-f", "json").json()) == 2


@pytest.mark.usefixtures("brand_query")
def test_quiet_run_where_every_source_fails_shows_them_and_exits_source(
        run: Run, feeds: FeedServer) -> None:
    add_feed(run, feeds, "/broken.xml", name="broken", route=Route(b"oops", status=500))
    result = run("listen", "run", "-q")
    assert result.exit_code == 6
    assert "broken" in result.stdout
    assert "error" in result.stdout
    assert "Run 1: 1 source, 0 new mentions, 1 failure, 0 routed." in result.stderr


@pytest.mark.usefixtures("brand_query")
def test_quiet_run_where_one_of_two_sources_fails_lists_it_and_exits_ok(
        run: Run, feeds: FeedServer) -> None:
    add_feed(run, feeds, "/news.xml", name="nieuws", route=Route(NEWS))
    add_feed(run, feeds, "/broken.xml", name="broken", route=Route(b"oops", status=500))
    result = run("listen", "run", "-q")
    assert result.exit_code == 0, result.stderr
    assert "broken" in result.stdout
    assert "nieuws" not in result.stdout            # only the failures are shown
    assert "Run 1: 2 sources, 2 new mentions, 1 failure, 2 routed." in result.stderr


# --- cron's hard cases: a killed run, two runs at once ------------------------------------------


QUICK_FEEDS = {
    "/regio.xml": [ACME_OPENS, WEATHER],
    "/tech.xml": [ACME_PRAISED, ACME_OPENS, TRAINS],        # ACME_OPENS again: one mention
    "/blog.xml": [Post("https://blog.example/acme-stage", "Stage bij Acme",
                       "Mijn eerste week bij Acme.")],
}
SLOW_POST = Post("https://traag.example/acme-jaarverslag", "Acme jaarverslag", "Omzet stijgt.")


@pytest.mark.usefixtures("brand_query")
def test_a_run_killed_midway_and_run_again_stores_each_item_once(
        run: Run, feeds: FeedServer, workspace: Path) -> None:
    for path, posts in QUICK_FEEDS.items():
        add_feed(run, feeds, path, name=path.strip("/").removesuffix(".xml"),
                 route=Route(rss("quick.example", posts)))
    # The slow feed answers only once the first run has been killed (at most 10 s later).
    hold = threading.Event()
    add_feed(run, feeds, "/slow.xml", name="a-slow",
             route=Route(rss("traag.example", [SLOW_POST]), hold=hold))

    process = smo_process(workspace, "listen", "run")
    try:
        # Killed while the slow feed is still being answered and quick ones are stored.
        wait_for(lambda: bool(feeds.requests_for("/slow.xml")) and query_db(
            workspace, "SELECT COUNT(*) FROM mention")[0][0] > 0)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        hold.set()
    assert process.returncode == -signal.SIGKILL
    assert query_db(workspace, "SELECT COUNT(*) FROM mention WHERE source_name = 'a-slow'") == [
        (0,)]

    again = run("listen", "run", "--all")
    assert again.exit_code == 0, again.stderr
    expected = {ACME_OPENS.guid, ACME_PRAISED.guid, SLOW_POST.guid,
                "https://blog.example/acme-stage"}
    assert query_db(workspace, "SELECT COUNT(*), COUNT(DISTINCT dedup_key) FROM mention") == [
        (len(expected), len(expected))]
    assert {row[0] for row in query_db(workspace, "SELECT url FROM mention")} == expected
    if on_sqlite(workspace):
        assert query_db(workspace, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.usefixtures("brand_query")
def test_two_runs_started_together_one_works_and_the_other_gives_way(
        run: Run, feeds: FeedServer, workspace: Path) -> None:
    # The feed holds its answer until one process has exited: the run that got the lock is then
    # surely still going, whatever the start-up times of the two processes.
    hold = threading.Event()
    add_feed(run, feeds, "/news.xml", name="nieuws", route=Route(NEWS, hold=hold))

    processes = [smo_process(workspace, "listen", "run") for _ in range(2)]
    try:
        wait_for(lambda: any(p.poll() is not None for p in processes))
    finally:
        hold.set()
    outcomes = [(*p.communicate(timeout=30), p.returncode) for p in processes]

    assert [code for _, _, code in outcomes] == [0, 0], outcomes
    stderrs = sorted(stderr for _, stderr, _ in outcomes)
    gave_way = [s for s in stderrs if "Another listen run is going" in s]
    worked = [s for s in stderrs if "Run 1: 1 source, 2 new mentions, 0 failures, 2 routed." in s]
    assert (len(gave_way), len(worked)) == (1, 1), stderrs
    assert len(feeds.requests_for("/news.xml")) == 1
    assert query_db(workspace, "SELECT COUNT(*), COUNT(DISTINCT dedup_key) FROM mention") == [
        (2, 2)]
