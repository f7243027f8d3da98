"""`publish-due`, the state machine that publishes each post exactly once: concurrent runs,
partial failures retried on the failed account only, retries with the same key, stuck posts
reported, and failures told to the officer through the outbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import select
from werkzeug import Response

from smo_cli.config import Workspace, load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.models import OutboxMessage, Post, PostDelivery
from smo_cli.services.engage import Draft, check_draft, create_post
from smo_cli.services.engage_publish import (
    MAX_ATTEMPTS,
    PublishReport,
    _claim,
    find_stuck,
    publish_due,
)
from tests.conftest import Run, workspace_engine
from tests.test_publish_servers import SECRETS, FakeBluesky, FakeMastodon, engage_config

NOW = datetime(2030, 12, 2, 8, 30, tzinfo=UTC)
TEXT = "Wij zoeken een servicemonteur in Utrecht! #vacature https://acme.example/vacatures"


@pytest.fixture
def setup(workspace: Path, httpserver: HTTPServer) -> Iterator[tuple[Workspace, Engine]]:
    engage_config(workspace, httpserver)
    loaded = load_workspace(workspace, {})
    engine = make_engine(loaded.database_url)
    yield loaded, engine
    engine.dispose()


def schedule(setup: tuple[Workspace, Engine], *, text: str = TEXT,
             to: str = "mastodon,bluesky", at: datetime = NOW) -> int:
    workspace, engine = setup
    with transaction(engine) as session:
        checked = check_draft(session, workspace, Draft(text=text, to=to),
                              now=at - timedelta(minutes=5))
        checked.at = at
        return create_post(session, checked, state="scheduled").id or 0


def publish(setup: tuple[Workspace, Engine], now: datetime = NOW,
            env: dict[str, str] = SECRETS) -> PublishReport:
    return publish_due(setup[1], setup[0], env, now=now)


def state(setup: tuple[Workspace, Engine], post_id: int) -> tuple[str, dict[str, str]]:
    with reading(setup[1]) as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post.state, {d.account: d.state for d in session.exec(
            select(PostDelivery).where(PostDelivery.post_id == post_id))}


def test_nothing_before_its_time_everything_once_after(
        setup: tuple[Workspace, Engine], httpserver: HTTPServer) -> None:
    mastodon, bluesky = FakeMastodon(httpserver), FakeBluesky(httpserver)
    post_id = schedule(setup)

    early = publish(setup, NOW - timedelta(minutes=1))
    assert early.outcomes == [] and httpserver.log == []
    first = publish(setup)
    second = publish(setup, NOW + timedelta(hours=1))

    assert [(o.account, o.result) for o in first.outcomes] == [
        ("acme-mastodon", "published"), ("acme-bluesky", "published")]
    assert second.outcomes == [] and first.ok
    assert len(mastodon.statuses) == 1 and len(bluesky.records) == 1
    assert state(setup, post_id) == ("published", {"acme-mastodon": "published",
                                                   "acme-bluesky": "published"})


def test_two_runs_at_once_publish_once(setup: tuple[Workspace, Engine],
                                       httpserver: HTTPServer) -> None:
    mastodon, bluesky = FakeMastodon(httpserver), FakeBluesky(httpserver)
    ids = [schedule(setup, text=f"Bericht {n}") for n in range(3)]
    workspace = setup[0]
    start = threading.Barrier(2)
    reports: list[PublishReport] = []

    def cron_run() -> None:
        engine = make_engine(workspace.database_url)     # another process, as far as the
        try:                                              # database can tell
            start.wait()
            reports.append(publish_due(engine, workspace, SECRETS, now=NOW))
        finally:
            engine.dispose()

    runs = [threading.Thread(target=cron_run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)

    assert len(reports) == 2
    assert sorted(o.post for r in reports for o in r.outcomes) == sorted(ids * 2)
    assert len(mastodon.statuses) == 3 and len(bluesky.records) == 3
    assert len(mastodon.requests("/api/v1/statuses", "POST")) == 3


def test_a_claim_is_taken_by_one_run_only(setup: tuple[Workspace, Engine],
                                          httpserver: HTTPServer) -> None:
    post_id = schedule(setup)
    workspace, engine = setup
    assert _claim(engine, workspace, post_id, NOW) is not None
    assert _claim(engine, workspace, post_id, NOW) is None


def test_a_partial_failure_is_retried_on_the_failed_account_only(
        setup: tuple[Workspace, Engine], httpserver: HTTPServer) -> None:
    mastodon, bluesky = FakeMastodon(httpserver), FakeBluesky(httpserver)
    bluesky.record_failures.append(Response('{"error": "InternalServerError"}', status=502))
    post_id = schedule(setup)

    first = publish(setup)
    assert [(o.account, o.result) for o in first.outcomes] == [
        ("acme-mastodon", "published"), ("acme-bluesky", "retry")]
    assert first.ok                                 # a retry is not a failure (yet)
    assert state(setup, post_id) == ("scheduled", {"acme-mastodon": "published",
                                                   "acme-bluesky": "retry"})
    assert publish(setup, NOW + timedelta(seconds=30)).outcomes == []     # not yet

    second = publish(setup, NOW + timedelta(minutes=2))

    assert [(o.account, o.result) for o in second.outcomes] == [("acme-bluesky", "published")]
    assert len(mastodon.requests("/api/v1/statuses", "POST")) == 1
    # The retry looked for the first attempt's record before posting again.
    assert len(bluesky.requests("com.atproto.repo.getRecord")) == 1
    assert len(bluesky.records) == 1
    assert state(setup, post_id)[0] == "published"


def test_a_mastodon_retry_sends_the_same_idempotency_key(setup: tuple[Workspace, Engine],
                                                          httpserver: HTTPServer) -> None:
    mastodon = FakeMastodon(httpserver)
    mastodon.status_failures.append(Response("", status=503, headers={"Retry-After": "90"}))
    post_id = schedule(setup, to="mastodon")

    publish(setup)
    with reading(setup[1]) as session:
        post = session.get(Post, post_id)
        assert post is not None and post.retry_at == NOW + timedelta(seconds=90)
    publish(setup, NOW + timedelta(seconds=90))

    keys = [r.headers["Idempotency-Key"] for r in mastodon.requests("/api/v1/statuses", "POST")]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith(f"smo-post-{post_id}-")
    assert len(mastodon.statuses) == 1 and state(setup, post_id)[0] == "published"


def test_retrying_ends_in_failure_after_the_last_attempt(setup: tuple[Workspace, Engine],
                                                         httpserver: HTTPServer) -> None:
    mastodon = FakeMastodon(httpserver)
    mastodon.status_failures.extend(Response("", status=500) for _ in range(MAX_ATTEMPTS))
    post_id = schedule(setup, to="mastodon")
    moment = NOW
    for _ in range(MAX_ATTEMPTS):
        report = publish(setup, moment)
        moment += timedelta(hours=6)
    assert report.failed_posts == [post_id] and not report.ok
    assert state(setup, post_id) == ("failed", {"acme-mastodon": "failed"})


def test_one_accounts_problem_holds_back_the_others(setup: tuple[Workspace, Engine],
                                                     httpserver: HTTPServer) -> None:
    mastodon, bluesky = FakeMastodon(httpserver, max_characters=50), FakeBluesky(httpserver)
    post_id = schedule(setup)

    report = publish(setup)

    assert mastodon.requests("/api/v1/statuses") == [] and bluesky.records == {}
    assert [o.detail for o in report.outcomes] == [
        "acme-mastodon: text is 75 characters (links count as 23); this Mastodon server "
        "allows 50",
        "acme-bluesky: not sent, because acme-mastodon: text is 75 characters (links count as "
        "23); this Mastodon server allows 50"]
    assert state(setup, post_id) == ("failed", {"acme-mastodon": "failed",
                                                "acme-bluesky": "failed"})


def test_a_failure_is_loud_and_told_to_the_officer_then_fixed(
        run: Run, workspace: Path, httpserver: HTTPServer) -> None:
    engage_config(workspace, httpserver)
    mastodon, bluesky = FakeMastodon(httpserver), FakeBluesky(httpserver)
    wrong = {**SECRETS, "ACME_MASTODON_TOKEN": "revoked"}
    assert run("engage", "post", TEXT, "--to", "mastodon,bluesky", env=wrong).exit_code == 6

    listed = run("engage", "list", "-f", "json").json()[0]
    assert listed["state"] == "failed"
    assert "acme-mastodon: localhost refused the access token (401" in listed["last_error"]
    [mail] = (workspace / "outbox").glob("smo-engage-1-failed-*.eml")
    message = message_from_bytes(mail.read_bytes())
    assert message["To"] == "sanne.devries@acme-installatie.example"
    assert message["Subject"] == "smo: bericht 1 is niet gepubliceerd"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes) and b"smo engage schedule 1 --at now" in body
    # The token is checked before anything is sent: Bluesky did not get it alone.
    assert bluesky.records == {} and mastodon.statuses == []

    assert run("engage", "schedule", "1", "--at", "now").exit_code == 0
    fixed = run("engage", "publish-due", "-f", "json", env=SECRETS)

    assert fixed.exit_code == 0, fixed.stderr
    assert [(r["account"], r["result"]) for r in fixed.json()] == [
        ("acme-mastodon", "published"), ("acme-bluesky", "published")]
    assert len(mastodon.statuses) == 1 and len(bluesky.records) == 1


def test_a_stuck_post_is_reported_and_left_alone(
        run: Run, workspace: Path, httpserver: HTTPServer) -> None:
    engage_config(workspace, httpserver)
    mastodon = FakeMastodon(httpserver)
    assert run("engage", "draft", "Vastgelopen", "--to", "mastodon").exit_code == 0
    engine = workspace_engine(workspace)
    cut_off = datetime.now(UTC) - timedelta(minutes=20)
    with transaction(engine) as session:
        post = session.get(Post, 1)
        assert post is not None
        post.state, post.claimed_at, post.scheduled_at = "publishing", cut_off, cut_off
        session.add(PostDelivery(post_id=1, account="acme-mastodon", platform="mastodon",
                                 state="sending", idempotency_key="smo-post-1-fixed-key",
                                 attempts=1, started_at=cut_off))
    engine.dispose()

    reported = run("engage", "publish-due", "-q", env=SECRETS)
    again = run("engage", "publish-due", "-q", env=SECRETS)

    assert reported.exit_code == 6 and again.exit_code == 6
    assert "post 1 is stuck: publishing since" in reported.stderr
    assert "acme-mastodon" in reported.stderr
    assert httpserver.log == []                    # never retried on its own
    assert len(list((workspace / "outbox").glob("smo-engage-1-stuck-*.eml"))) == 1

    busy = run("engage", "edit", "1", "--text", "Anders")
    assert busy.exit_code == 4
    assert run("engage", "schedule", "1", "--at", "now").exit_code == 0   # the officer decides
    done = run("engage", "publish-due", env=SECRETS)
    assert done.exit_code == 0, done.stderr
    [request] = mastodon.requests("/api/v1/statuses", "POST")
    assert request.headers["Idempotency-Key"] == "smo-post-1-fixed-key"


def test_a_publishing_post_that_is_not_stuck_cannot_be_rescheduled(
        setup: tuple[Workspace, Engine], run: Run) -> None:
    post_id = schedule(setup, at=datetime.now(UTC) + timedelta(minutes=1))
    workspace, engine = setup
    assert _claim(engine, workspace, post_id, datetime.now(UTC) + timedelta(minutes=2))
    result = run("engage", "schedule", str(post_id), "--at", "now")
    assert result.exit_code == 4 and "being published right now" in result.stderr


def test_failures_without_a_channel_still_exit_non_zero(
        setup: tuple[Workspace, Engine], httpserver: HTTPServer, workspace: Path) -> None:
    FakeMastodon(httpserver)
    text = (workspace / "smo.yaml").read_text(encoding="utf-8")
    (workspace / "smo.yaml").write_text(text.replace("delivery:\n  channel: files\n", ""),
                                        encoding="utf-8")
    loaded = load_workspace(workspace, {})
    post_id = schedule((loaded, setup[1]), to="mastodon")
    report = publish_due(setup[1], loaded, {"ACME_MASTODON_TOKEN": "revoked"}, now=NOW)
    assert report.failed_posts == [post_id] and report.messages == 0
    assert report.unmessaged is not None and "delivery.channel" in report.unmessaged
    with reading(setup[1]) as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_stats_keep_a_dated_snapshot(run: Run, workspace: Path, httpserver: HTTPServer) -> None:
    engage_config(workspace, httpserver)
    mastodon, bluesky = FakeMastodon(httpserver), FakeBluesky(httpserver)
    assert run("engage", "post", "Tel mij", "--to", "mastodon,bluesky",
               env=SECRETS).exit_code == 0
    [rkey] = bluesky.records
    uri = f"at://{bluesky.records[rkey]['repo']}/app.bsky.feed.post/{rkey}"
    bluesky.posts[uri] = {"uri": uri, "cid": "c", "record": {}, "likeCount": 5,
                          "repostCount": 1, "replyCount": 0, "quoteCount": 0}

    rows = run("engage", "stats", "-f", "json", env=SECRETS).json()

    assert [(r["account"], r["likes"], r["reposts"]) for r in rows] == [
        ("acme-mastodon", 7, 3), ("acme-bluesky", 5, 1)]
    assert all(r["detail"] == "" for r in rows)
    assert len(mastodon.statuses) == 1


@pytest.mark.parametrize("content", [None, b"p\xe4ss"], ids=["missing", "not-utf8"])
def test_an_unreadable_secret_file_fails_that_account_not_the_run(
        setup: tuple[Workspace, Engine], httpserver: HTTPServer, tmp_path: Path,
        content: bytes | None) -> None:
    FakeMastodon(httpserver)
    FakeBluesky(httpserver)
    ids = [schedule(setup, text=f"Bericht {n}") for n in range(3)]
    secret_file = tmp_path / "bluesky-password"
    if content is not None:
        secret_file.write_bytes(content)
    env = {"ACME_MASTODON_TOKEN": SECRETS["ACME_MASTODON_TOKEN"],
           "ACME_BLUESKY_PASSWORD_FILE": str(secret_file)}
    report = publish(setup, env=env)
    assert sorted(report.failed_posts) == ids          # failed loudly, not left publishing
    assert find_stuck(setup[1], NOW + timedelta(hours=1)) == []
    assert all(state(setup, i)[0] == "failed" for i in ids)
    errors = {o.account: o.detail for o in report.outcomes if o.result == "failed"}
    assert "ACME_BLUESKY_PASSWORD_FILE" in (errors.get("acme-bluesky") or "")
