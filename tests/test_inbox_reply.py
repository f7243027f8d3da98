"""`smo inbox reply`: a real reply to Mastodon and Bluesky mentions (against the local fake
servers), a manual response for other sources, and every published reply to an inbox item
recorded as that item's response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.models import Assignment, AssignmentEvent, Mention, Post, Source
from smo_cli.services.inbox_reply import reply
from tests.conftest import Outcome, Run
from tests.test_publish_servers import SECRETS, FakeBluesky, FakeMastodon, engage_config

OFFICER = "sanne.devries@acme-installatie.example"          # officer.email of the example
TOOT = "https://social.example/users/klant/statuses/109999"     # resolved by FakeMastodon
SKEET = "at://did:plc:klantklantklantklant/app.bsky.feed.post/3lvraag"
ROOT = "at://did:plc:startstartstartstart/app.bsky.feed.post/3lroot"
ARTICLE = "https://blog.example/2026/12/koffiemachines"
ANSWER = "Dank voor uw vraag! We nemen vandaag contact met u op."
NOW = datetime(2030, 12, 2, 8, 30, tzinfo=UTC)


@pytest.fixture
def engine(workspace: Path) -> Iterator[Engine]:
    made = make_engine(load_workspace(workspace, {}).database_url)
    yield made
    made.dispose()


@pytest.fixture
def smo(run: Run, workspace: Path, httpserver: HTTPServer) -> Run:
    """`smo` with a Mastodon and a Bluesky posting account on the local server."""
    engage_config(workspace, httpserver)

    def invoke(*args: str) -> Outcome:
        return run(*args, env=SECRETS)
    return invoke


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs `webbrowser.open` was asked to open (none is, for real)."""
    opened: list[str] = []

    def open_url(url: str, *_: object, **__: object) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    return opened


def inbox_item(engine: Engine, kind: str, *, external_id: str | None, url: str,
               with_source: bool = True, state: str = "new") -> int:
    """An inbox item for a mention from a source of `kind`; without the source (deleted, or
    an import), the kind is only in the mention's key, as listening stores it."""
    with transaction(engine) as session:
        source = Source(name=f"{kind}-klanten", kind=kind) if with_source else None
        if source is not None:
            session.add(source)
            session.flush()
        mention = Mention(source_id=source.id if source else None, source_name=f"{kind}-klanten",
                          dedup_key=f"{kind}:{external_id}" if external_id else f"url:{url}",
                          external_id=external_id, url=url, text="Werkt de Barista 3000 op 110 V?",
                          content_hash="x")
        session.add(mention)
        session.flush()
        item = Assignment(mention_id=mention.id or 0, rule_id="vragen", state=state)
        session.add(item)
        session.flush()
        return item.id or 0


def item_and_events(engine: Engine, item_id: int) -> tuple[Assignment, list[AssignmentEvent]]:
    with reading(engine) as session:
        item = session.get(Assignment, item_id)
        assert item is not None
        return item, list(session.exec(select(AssignmentEvent).where(
            col(AssignmentEvent.assignment_id) == item_id).order_by(col(AssignmentEvent.id))))


def post_count(engine: Engine) -> int:
    with reading(engine) as session:
        return len(session.exec(select(Post)).all())


def ok(outcome: Outcome) -> Outcome:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome


# --- Mastodon and Bluesky: a real reply ---------------------------------------------------------

def test_a_mastodon_mention_is_answered_on_the_status_resolved_on_our_instance(
        smo: Run, engine: Engine, httpserver: HTTPServer) -> None:
    mastodon = FakeMastodon(httpserver)
    item_id = inbox_item(engine, "mastodon", external_id=TOOT,
                         url="https://social.example/@klant/109999")

    result = ok(smo("inbox", "reply", str(item_id), ANSWER))

    [search] = mastodon.requests("/api/v2/search")
    assert (search.args["q"], search.args["resolve"]) == (TOOT, "true")
    [status] = mastodon.statuses
    assert status["body"]["in_reply_to_id"] == "555"         # the id on our instance
    assert status["body"]["status"] == ANSWER
    assert f"Replied on acme-mastodon: {status['url']}" in result.stdout
    item, events = item_and_events(engine, item_id)
    assert item.state == "responded" and item.responded_at is not None
    assert item.responded_by == OFFICER
    assert (events[-1].action, events[-1].actor, events[-1].detail) == (
        "responded", OFFICER, f"replied on acme-mastodon: {status['url']}")
    with reading(engine) as session:
        [post] = session.exec(select(Post)).all()
    assert (post.reply_to, post.reply_url, post.state) == (item_id, TOOT, "published")


def test_a_bluesky_mention_gets_root_and_parent_references(
        smo: Run, engine: Engine, httpserver: HTTPServer) -> None:
    bluesky = FakeBluesky(httpserver)
    bluesky.posts[SKEET] = {"uri": SKEET, "cid": "bafyvraag", "record": {
        "text": "Werkt de Barista 3000 op 110 V?",
        "reply": {"root": {"uri": ROOT, "cid": "bafyroot"},
                  "parent": {"uri": ROOT, "cid": "bafyroot"}}}}
    # No source row: the kind comes from the mention's key (a deleted source).
    item_id = inbox_item(engine, "bluesky", external_id=SKEET, with_source=False,
                         url="https://bsky.app/profile/klant.example/post/3lvraag")

    result = ok(smo("inbox", "reply", str(item_id), ANSWER, "--by", "Jan@Acme.example"))

    [create] = bluesky.requests("com.atproto.repo.createRecord")
    record = create.get_json()["record"]
    assert record["reply"] == {"root": {"uri": ROOT, "cid": "bafyroot"},
                               "parent": {"uri": SKEET, "cid": "bafyvraag"}}
    assert "Replied on acme-bluesky: https://bsky.app/profile/acme.test/post/" in result.stdout
    item, events = item_and_events(engine, item_id)
    assert item.responded_at is not None and item.responded_by == "jan@acme.example"
    assert events[-1].detail is not None
    assert events[-1].detail.startswith("replied on acme-bluesky: https://bsky.app/")


def test_a_second_reply_keeps_the_first_response_time(
        smo: Run, workspace: Path, engine: Engine, httpserver: HTTPServer) -> None:
    FakeMastodon(httpserver)
    item_id = inbox_item(engine, "mastodon", external_id=TOOT, url=TOOT)
    loaded = load_workspace(workspace, {})

    first = reply(engine, loaded, SECRETS, item_id, ANSWER, now=NOW)
    later = reply(engine, loaded, SECRETS, item_id, "Aanvulling: ook op 120 V niet.",
                  now=NOW + timedelta(hours=2))

    assert first.recorded and later.recorded and first.url != later.url
    item, events = item_and_events(engine, item_id)
    assert item.responded_at == NOW
    assert [e.detail for e in events if e.action == "responded"] == [
        f"replied on acme-mastodon: {first.url}", f"replied on acme-mastodon: {later.url}"]


def test_a_dry_run_shows_the_requests_and_records_nothing(
        smo: Run, engine: Engine, httpserver: HTTPServer, browser: list[str]) -> None:
    FakeMastodon(httpserver)
    toot = inbox_item(engine, "mastodon", external_id=TOOT, url=TOOT)
    article = inbox_item(engine, "rss", external_id=None, url=ARTICLE)

    shown = ok(smo("inbox", "reply", str(toot), ANSWER, "--dry-run"))
    manual = ok(smo("inbox", "reply", str(article), ANSWER, "--dry-run"))

    [preview] = json.loads(shown.stdout)
    search, status = preview["requests"]
    assert search["params"]["q"] == TOOT
    assert status["json"]["in_reply_to_id"] == "(id of the post answered)"
    assert ARTICLE in manual.stdout and "nothing was recorded" in manual.stderr
    assert httpserver.log == [] and post_count(engine) == 0 and browser == []
    for item_id in (toot, article):
        item, events = item_and_events(engine, item_id)
        assert item.responded_at is None and events == []


# --- other sources: a manual response -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["rss", "hackernews", "import"])
def test_other_sources_get_the_link_the_text_and_a_manual_response(
        smo: Run, engine: Engine, httpserver: HTTPServer, browser: list[str], kind: str) -> None:
    item_id = inbox_item(engine, kind, external_id="hn:42" if kind == "hackernews" else None,
                         url=ARTICLE, with_source=kind != "import")

    result = ok(smo("inbox", "reply", str(item_id), ANSWER))

    assert f"Answer at: {ARTICLE}" in result.stdout and ANSWER in result.stdout
    assert httpserver.log == [] and post_count(engine) == 0
    assert browser == []                        # stdout is not a terminal under the runner
    item, events = item_and_events(engine, item_id)
    assert item.state == "responded" and item.responded_by == OFFICER
    assert (events[-1].action, events[-1].detail) == ("responded", f"manual reply: {ANSWER}")


def test_on_a_terminal_the_link_opens_in_the_browser(
        smo: Run, engine: Engine, browser: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli.inbox._on_terminal", lambda: True)
    item_id = inbox_item(engine, "rss", external_id=None, url=ARTICLE)
    ok(smo("inbox", "reply", str(item_id), ANSWER))
    assert browser == [ARTICLE]


def test_to_is_refused_for_a_source_smo_cannot_post_to(smo: Run, engine: Engine) -> None:
    item_id = inbox_item(engine, "rss", external_id=None, url=ARTICLE)
    refused = smo("inbox", "reply", str(item_id), ANSWER, "--to", "acme-mastodon")
    assert refused.exit_code == 2 and "cannot post to" in refused.stderr
    assert item_and_events(engine, item_id)[0].responded_at is None


# --- closed items, accounts ---------------------------------------------------------------------

def test_a_closed_item_is_not_answered(smo: Run, engine: Engine, httpserver: HTTPServer) -> None:
    FakeMastodon(httpserver)
    item_id = inbox_item(engine, "mastodon", external_id=TOOT, url=TOOT, state="closed")

    refused = smo("inbox", "reply", str(item_id), ANSWER)

    assert refused.exit_code == 4 and f"inbox item {item_id} is closed" in refused.stderr
    assert "smo inbox reopen" in refused.stderr
    assert httpserver.log == [] and post_count(engine) == 0


def test_a_reply_posted_to_a_closed_item_leaves_it_closed_and_noted(
        smo: Run, engine: Engine, httpserver: HTTPServer) -> None:
    mastodon = FakeMastodon(httpserver)
    item_id = inbox_item(engine, "mastodon", external_id=TOOT, url=TOOT, state="closed")

    ok(smo("engage", "post", ANSWER, "--to", "acme-mastodon", "--reply-to", str(item_id)))

    [status] = mastodon.statuses
    item, events = item_and_events(engine, item_id)
    assert item.state == "closed" and item.responded_at is None
    assert [(e.action, e.detail) for e in events] == [
        ("note", f"replied on acme-mastodon: {status['url']} (the item is closed and stays "
                 "closed)")]


def test_without_a_posting_account_one_line_names_engage_accounts(
        run: Run, workspace: Path, engine: Engine) -> None:
    path = workspace / "smo.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["engage"] = {"accounts": []}
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    item_id = inbox_item(engine, "mastodon", external_id=TOOT, url=TOOT)

    refused = run("inbox", "reply", str(item_id), ANSWER)

    assert refused.exit_code == 5
    [line] = refused.stderr.splitlines()
    assert "no Mastodon account to reply from" in line and "engage.accounts in smo.yaml" in line
    item, events = item_and_events(engine, item_id)
    assert item.responded_at is None and events == [] and post_count(engine) == 0


def test_to_picks_one_of_several_accounts_on_the_platform(
        smo: Run, workspace: Path, engine: Engine, httpserver: HTTPServer) -> None:
    mastodon = FakeMastodon(httpserver)
    path = workspace / "smo.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["engage"]["accounts"].append({**settings["engage"]["accounts"][0],
                                           "name": "sanne-mastodon", "owner": "officer"})
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    item_id = inbox_item(engine, "mastodon", external_id=TOOT, url=TOOT)

    ambiguous = smo("inbox", "reply", str(item_id), ANSWER)
    wrong = smo("inbox", "reply", str(item_id), ANSWER, "--to", "acme-bluesky")
    chosen = ok(smo("inbox", "reply", str(item_id), ANSWER, "--to", "sanne-mastodon"))

    assert ambiguous.exit_code == 2 and "acme-mastodon, sanne-mastodon" in ambiguous.stderr
    assert wrong.exit_code == 2 and "one Mastodon account" in wrong.stderr
    assert "Replied on sanne-mastodon:" in chosen.stdout and len(mastodon.statuses) == 1
