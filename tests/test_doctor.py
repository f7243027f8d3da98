"""`smo doctor`: each check's ok / warning / critical, its advice, the exit code, and that
secrets are named but never shown. Rows are written straight into the workspace's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import Session

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, transaction
from smo_cli.db.migrate import upgrade
from smo_cli.db.models import (
    Account,
    AccountSnapshot,
    ListenRun,
    Mention,
    OutboxMessage,
    Post,
    Source,
)
from smo_cli.db.types import utcnow
from smo_cli.services import doctor
from tests.conftest import Run
from tests.smtp_server import Inbox, free_port, smtp_server

__all__ = ["smtp_server"]   # the fixture, used by name

TOKENS = {"SMO_MASTODON_TOKEN": "masto-s3cret-token", "SMO_BLUESKY_APP_PASSWORD": "bsky-s3cret"}
NOW = utcnow()


@contextmanager
def database(workspace: Path) -> Iterator[Session]:
    engine = make_engine(load_workspace(workspace).database_url)
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def checks(workspace: Path, env: dict[str, str] | None = None, **options: Any
           ) -> dict[str, doctor.Check]:
    found = doctor.diagnose(workspace, {**TOKENS, **(env or {})}, now=NOW, **options)
    return {c.check: c for c in found}


def add_channels(workspace: Path, *lines: str) -> None:
    config = workspace / "smo.yaml"
    text = config.read_text(encoding="utf-8")
    extra = "".join(f"  - {line}\n" for line in lines)
    config.write_text(text.replace("channels:\n", f"channels:\n{extra}"), encoding="utf-8")


def source(name: str, kind: str = "rss", *, days_old: int = 30, **fields: Any) -> Source:
    return Source(name=name, kind=kind, base_url="https://feeds.example/x",
                  created_at=NOW - timedelta(days=days_old), **fields)


def mention(source_row: Source, key: str, seen: datetime) -> Mention:
    return Mention(source_id=source_row.id, source_name=source_row.name, dedup_key=key,
                   text="Acme", content_hash=key, first_seen_at=seen)


def outbox(key: str, **fields: Any) -> OutboxMessage:
    values: dict[str, Any] = {"channel": "files", "delivery": "immediate",
                              "recipients": ["sales@acme.example"], "next_attempt_at": NOW,
                              "created_at": NOW}
    return OutboxMessage(key=key, **{**values, **fields})


# --- the command --------------------------------------------------------------------------------


def test_a_fresh_workspace_with_its_secrets_is_healthy_and_exits_0(run: Run) -> None:
    result = run("doctor", "-f", "json", env=TOKENS)
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = result.json()
    assert all(set(r) == {"check", "status", "detail", "advice"} for r in rows)
    assert {r["status"] for r in rows} == {"ok"}
    assert [r["check"] for r in rows][:2] == ["config", "database"]
    assert "secret: account acme-mastodon" in {r["check"] for r in rows}
    assert result.stderr.strip().endswith("0 warnings, 0 critical.")


def test_a_critical_check_exits_6_and_secret_values_are_never_shown(run: Run) -> None:
    result = run("doctor", env={"SMO_MASTODON_TOKEN": "masto-s3cret-token"})
    assert result.exit_code == 6
    assert "SMO_BLUESKY_APP_PASSWORD not set" in result.stdout
    assert "SMO_MASTODON_TOKEN set" in result.stdout
    assert "masto-s3cret-token" not in result.stdout + result.stderr
    assert result.stderr.strip().endswith("1 critical.")


def test_quiet_prints_only_what_is_not_ok(run: Run) -> None:
    assert run("doctor", "-q", env=TOKENS).stdout == ""
    result = run("doctor", "-q", env={"SMO_MASTODON_TOKEN": "x"})
    assert result.exit_code == 6
    assert "SMO_BLUESKY_APP_PASSWORD" in result.stdout and "config" not in result.stdout


def test_bad_smo_yaml_is_one_critical_check_naming_the_key(run: Run, workspace: Path) -> None:
    config = workspace / "smo.yaml"
    config.write_text(config.read_text().replace("timezone: Europe/Amsterdam",
                                                 "timezone: Mars/Olympus"), encoding="utf-8")
    result = run("doctor", "-f", "json")
    assert result.exit_code == 6
    [row] = result.json()
    assert (row["check"], row["status"]) == ("config", "critical")
    assert "business_hours.timezone" in row["detail"] and "Mars/Olympus" in row["detail"]


# --- database -----------------------------------------------------------------------------------


def test_database_behind_missing_unreachable_or_newer(workspace: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    upgrade(engine, "0001_initial")
    engine.dispose()
    behind = checks(workspace, {"SMO_DATABASE_URL": f"sqlite:///{old}"})["database"]
    assert behind.status == "warning" and "migrations pending" in behind.detail
    assert "smo db upgrade" in behind.advice

    missing = checks(workspace, {"SMO_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert missing["database"].status == "warning"
    assert not (tmp_path / "none.db").exists()          # the doctor did not create it

    down = checks(workspace, {"SMO_DATABASE_URL": "postgresql://smo:pw@127.0.0.1:9/smo"})
    assert down["database"].status == "critical"
    assert "cannot use the database" in down["database"].detail
    assert "pw" not in down["database"].detail

    engine = make_engine(f"sqlite:///{old}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    engine.dispose()
    newer = checks(workspace, {"SMO_DATABASE_URL": f"sqlite:///{old}"})["database"]
    assert (newer.status, newer.advice) == ("critical", "upgrade smo")


# --- secrets ------------------------------------------------------------------------------------


def test_channel_secrets_as_the_channels_read_them(workspace: Path, tmp_path: Path) -> None:
    add_channels(workspace, "{name: mail, kind: smtp, host: 127.0.0.1, from: smo@acme.example}",
                 "{name: chat, kind: slack, url_env: SMO_SLACK_URL}",
                 "{name: hook, kind: webhook, url_env: SMO_HOOK_URL, secret_env: SMO_HOOK_KEY}")
    url_file = tmp_path / "slack-url"
    url_file.write_text("https://hooks.slack.example/T0/B0/s3cret-path")
    found = checks(workspace, {"SMO_SMTP_USER": "smo", "SMO_HOOK_URL": "https://h.example/in",
                               "SMO_SLACK_URL_FILE": str(url_file)})
    assert (found["secret: channel mail"].status,
            found["secret: channel mail"].detail) == ("critical", "SMO_SMTP_PASSWORD not set")
    chat = found["secret: channel chat"]
    assert chat.status == "critical"
    assert chat.advice == "SMO_SLACK_URL_FILE is set, but this one is read from SMO_SLACK_URL only"
    assert found["secret: channel hook"].detail == "SMO_HOOK_KEY not set"
    no_login = checks(workspace)["secret: channel mail"]
    assert (no_login.status, no_login.detail) == ("ok", "no login (SMO_SMTP_USER not set)")


def test_engage_secrets_may_come_from_a_file(workspace: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("from-a-file\n")
    found = doctor.diagnose(workspace, {"SMO_MASTODON_TOKEN_FILE": str(token)}, now=NOW)
    by_name = {c.check: c for c in found}
    assert by_name["secret: account acme-mastodon"].status == "ok"
    bluesky = by_name["secret: account acme-bluesky"]
    assert bluesky.status == "critical"
    assert "SMO_BLUESKY_APP_PASSWORD_FILE" in bluesky.advice
    assert all("from-a-file" not in f"{c.detail} {c.advice}" for c in found)


def test_source_secrets_only_where_the_source_needs_them(workspace: Path) -> None:
    with database(workspace) as session:
        session.add_all([
            source("masto-mentions", "mastodon", params={"notifications": True}),
            source("masto-tag", "mastodon", params={"tag": "acme"}),
            source("bsky-search", "bluesky", params={"query": "acme"}),
            source("reddit-acme", "reddit", params={"query": "acme"})])
    found = checks(workspace, {"SMO_BLUESKY_HANDLE": "acme.bsky.social",
                               "SMO_REDDIT_CLIENT_ID": "id"})
    assert found["secret: source masto-mentions"].detail == "SMO_MASTODON_TOKEN set"
    assert "secret: source masto-tag" not in found
    assert found["secret: source bsky-search"].status == "ok"
    reddit = found["secret: source reddit-acme"]
    assert (reddit.status, reddit.detail) == ("warning",
                                              "SMO_REDDIT_CLIENT_SECRET not set, the other one is")
    without = doctor.diagnose(workspace, {}, now=NOW)
    assert {c.check: c.status for c in without}["secret: source bsky-search"] == "critical"


# --- jobs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ago", "status"), [(timedelta(minutes=5), "ok"),
                                             (timedelta(hours=3), "warning"),
                                             (timedelta(days=2), "critical")])
def test_listen_job_age(workspace: Path, ago: timedelta, status: str) -> None:
    with database(workspace) as session:
        session.add(source("nieuws"))
        session.add(ListenRun(started_at=NOW - ago - timedelta(minutes=1),
                              finished_at=NOW - ago, status="partial"))
        session.add(ListenRun(started_at=NOW - timedelta(minutes=1), finished_at=NOW,
                              status="failed"))        # a failed run is not a success
    listen = checks(workspace)["job: listen"]
    assert listen.status == status
    assert listen.detail == f"last completed {doctor.age(ago)} ago"


def test_jobs_never_run_and_last_successes(workspace: Path) -> None:
    with database(workspace) as session:
        session.add(source("nieuws"))
        account = Account(platform="mastodon", handle="@acme@mastodon.example")
        session.add(account)
        session.add(outbox("sent-1", state="sent", sent_at=NOW - timedelta(hours=5)))
    found = checks(workspace)
    assert found["job: listen"].status == "warning"
    assert "never" in found["job: inventory-check"].detail
    assert found["job: outbox"].detail == "last message sent 5 h ago"
    assert found["job: publish-due"].detail == "nothing published yet"
    with database(workspace) as session:
        session.add(AccountSnapshot(account_id=account.id or 0, status="ok",
                                    checked_at=NOW - timedelta(days=3)))
    assert checks(workspace)["job: inventory-check"].status == "ok"


# --- sources, outbox, posts ---------------------------------------------------------------------


def test_suspended_and_stale_sources(workspace: Path) -> None:
    with database(workspace) as session:
        fresh, quiet, young = source("fresh"), source("quiet"), source("young", days_old=2)
        broken = source("broken", suspended=True, failures=3, last_error="HTTP 500")
        session.add_all([fresh, quiet, young, broken, source("off", enabled=False)])
        session.flush()
        session.add(mention(fresh, "a", NOW - timedelta(days=1)))
        session.add(mention(quiet, "b", NOW - timedelta(days=20)))
    found = checks(workspace)
    assert found["source broken"].status == "warning"
    assert "suspended after 3 failures: HTTP 500" in found["source broken"].detail
    assert found["source broken"].advice == "fix the cause, then `smo sources enable broken`"
    assert (found["source quiet"].status, found["source quiet"].detail) == (
        "warning", "no new items for 20 days")
    assert {"source fresh", "source young", "source off"}.isdisjoint(found)
    assert "source quiet" not in checks(workspace, stale_days=30)


def test_all_sources_suspended_is_critical(workspace: Path) -> None:
    with database(workspace) as session:
        session.add(source("broken", suspended=True, failures=3))
    assert checks(workspace)["source broken"].status == "critical"


def test_failed_retrying_and_waiting_outbox_messages(workspace: Path) -> None:
    with database(workspace) as session:
        session.add_all([
            outbox("old-failure", state="failed", created_at=NOW - timedelta(days=30)),
            outbox("retrying", attempts=4, last_error="smtp.acme.example: 451 try later"),
            outbox("waiting", next_attempt_at=NOW - timedelta(hours=2)),
            outbox("digest", delivery="digest", next_attempt_at=NOW - timedelta(hours=5)),
            outbox("due-now", next_attempt_at=NOW - timedelta(minutes=10))])
    found = checks(workspace)
    assert found["outbox: failed"].status == "warning"       # older than a week
    assert found["outbox: retrying"].status == "critical"
    assert "451 try later" in found["outbox: retrying"].detail
    assert (found["outbox: waiting"].status, found["outbox: waiting"].detail) == (
        "critical", "1 messages due more than 60 min ago")
    with database(workspace) as session:
        session.add(outbox("new-failure", state="failed", last_error="550 no such user"))
    assert checks(workspace)["outbox: failed"].status == "critical"


def test_failed_overdue_and_stuck_posts(workspace: Path) -> None:
    with database(workspace) as session:
        session.add_all([
            Post(text="on time", state="scheduled", scheduled_at=NOW + timedelta(hours=1)),
            Post(text="just due", state="scheduled", scheduled_at=NOW - timedelta(minutes=5))])
    assert checks(workspace)["posts"].status == "ok"
    with database(workspace) as session:
        session.add_all([
            Post(text="late", state="scheduled", scheduled_at=NOW - timedelta(hours=1)),
            Post(text="retry later", state="scheduled", scheduled_at=NOW - timedelta(hours=1),
                 retry_at=NOW + timedelta(minutes=5)),
            Post(text="stuck", state="publishing", claimed_at=NOW - timedelta(minutes=20)),
            Post(text="failed", state="failed", updated_at=NOW - timedelta(hours=1))])
    found = checks(workspace)
    assert found["posts: overdue"].detail == "1 scheduled posts are more than 15 min late"
    assert found["posts: stuck"].status == "critical"
    assert found["posts: failed"].status == "critical"
    assert "posts" not in found


# --- network ------------------------------------------------------------------------------------


def test_network_ehlo_and_webhooks_without_showing_their_urls(
        run: Run, workspace: Path, smtp_server: tuple[Inbox, int], httpserver: HTTPServer,
) -> None:
    inbox, port = smtp_server
    closed = free_port()
    add_channels(workspace,
                 f"{{name: mail, kind: smtp, host: 127.0.0.1, port: {port}, security: none, "
                 "from: smo@acme.example}",
                 f"{{name: down, kind: smtp, host: 127.0.0.1, port: {closed}, security: none, "
                 "from: smo@acme.example}",
                 "{name: chat, kind: slack, url_env: SMO_SLACK_URL}",
                 "{name: gone, kind: webhook, url_env: SMO_GONE_URL}")
    httpserver.expect_request("/hooks/s3cret-path", method="HEAD").respond_with_data(
        "", status=405)
    httpserver.expect_request("/hooks/s3cret-path", method="GET").respond_with_data(
        "invalid_payload", status=400)
    env = {**TOKENS, "SMO_SLACK_URL": httpserver.url_for("/hooks/s3cret-path"),
           "SMO_GONE_URL": f"http://127.0.0.1:{closed}/s3cret-too"}

    result = run("doctor", "--network", "-f", "json", env=env)
    rows = {r["check"]: r for r in result.json()}
    assert rows["network: mail"]["status"] == "ok"
    assert rows["network: mail"]["detail"].startswith(f"127.0.0.1:{port} EHLO answered 250")
    assert inbox.envelopes == []                                 # nothing was sent
    assert rows["network: down"]["status"] == "critical"
    assert rows["network: chat"] == {"check": "network: chat", "status": "ok",
                                     "detail": "localhost answered HTTP 400", "advice": ""}
    assert rows["network: gone"]["status"] == "critical"
    assert "s3cret" not in result.stdout + result.stderr
    assert result.exit_code == 6
    assert "network: mail" not in {r["check"] for r in run("doctor", "-f", "json",
                                                           env=env).json()}
