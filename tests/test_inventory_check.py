"""`inventory check` against a real local HTTP server: Mastodon, Bluesky, feeds, pages, failures.

Payloads follow the platforms' API documentation: the Mastodon Account entity returned by
GET /api/v1/accounts/lookup, and Bluesky's app.bsky.actor.getProfile / app.bsky.feed.getAuthorFeed.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from werkzeug import Request, Response

from smo_cli.config import InventorySettings, load_workspace
from smo_cli.db.engine import make_engine, transaction
from smo_cli.db.models.inventory import Account, AccountSnapshot
from smo_cli.errors import NotFound
from smo_cli.services.inventory import latest_snapshots
from smo_cli.services.inventory_check import CheckOutcome, check_accounts
from smo_cli.sources import web
from smo_cli.sources.feeds import youtube_feed_url
from smo_cli.sources.profiles import mastodon_target

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TEN_DAYS_AGO = NOW - timedelta(days=10)
A_HUNDRED_AND_TWENTY_DAYS_AGO = NOW - timedelta(days=120)
BSKY_DID = "did:plc:3jpt2mvvsumj2r7eqk4gzzjz"
BSKY_HANDLE = "acme-installatie.bsky.social"


@dataclass
class Db:
    engine: Engine
    settings: InventorySettings

    def add(self, platform: str, handle: str, url: str | None = None) -> int:
        with transaction(self.engine) as session:
            account = Account(platform=platform, handle=handle, url=url)
            session.add(account)
            session.flush()
            assert account.id is not None
            return account.id

    def check(self, **kwargs: Any) -> list[CheckOutcome]:
        with transaction(self.engine) as session:
            return check_accounts(session, self.settings, now=kwargs.pop("now", NOW), **kwargs)

    def snapshots(self) -> list[AccountSnapshot]:
        with Session(self.engine) as session:
            query = select(AccountSnapshot).order_by(col(AccountSnapshot.account_id))
            return list(session.exec(query).all())


@pytest.fixture
def db(workspace: Path, httpserver: HTTPServer) -> Iterator[Db]:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    settings = ws.settings.inventory.model_copy(
        update={"bluesky_appview": httpserver.url_for("/").rstrip("/"), "timeout_seconds": 2.0})
    yield Db(engine, settings)
    engine.dispose()


# --- realistic payloads --------------------------------------------------------------------------


def mastodon_account(username: str, *, followers: int, following: int, statuses: int,
                     last_status_at: str | None) -> dict[str, Any]:
    return {
        "id": "109302841474513217",
        "username": username,
        "acct": username,
        "display_name": "Acme Installatietechniek",
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": "2022-11-08T00:00:00.000Z",
        "note": "<p>Installatietechniek uit Utrecht. Warmtepompen, zonnepanelen, service.</p>",
        "url": f"https://mastodon.example/@{username}",
        "uri": f"https://mastodon.example/users/{username}",
        "avatar": "https://files.mastodon.example/accounts/avatars/109/302/841/original/a1.png",
        "avatar_static": "https://files.mastodon.example/accounts/avatars/109/302/841/original/a1.png",
        "header": "https://files.mastodon.example/accounts/headers/109/302/841/original/h1.jpg",
        "header_static": "https://files.mastodon.example/accounts/headers/109/302/841/original/h1.jpg",
        "followers_count": followers,
        "following_count": following,
        "statuses_count": statuses,
        "last_status_at": last_status_at,
        "hide_collections": False,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [
            {
                "name": "Website",
                "value": '<a href="https://www.acme-installatie.example" rel="me">acme</a>',
                "verified_at": "2022-11-09T12:00:00.000+00:00",
            }
        ],
    }


BLUESKY_PROFILE = {
    "did": BSKY_DID,
    "handle": BSKY_HANDLE,
    "displayName": "Acme Installatietechniek",
    "description": "Warmtepompen en zonnepanelen in de regio Utrecht.",
    "avatar": f"https://cdn.bsky.app/img/avatar/plain/{BSKY_DID}/bafkreia@jpeg",
    "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
    "labels": [],
    "createdAt": "2023-09-14T08:00:21.000Z",
    "indexedAt": "2024-02-01T09:12:44.114Z",
    "viewer": {"muted": False, "blockedBy": False},
    "followersCount": 642,
    "followsCount": 120,
    "postsCount": 318,
}


def bluesky_author_feed(created_at: datetime) -> dict[str, Any]:
    stamp = created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "feed": [
            {
                "post": {
                    "uri": f"at://{BSKY_DID}/app.bsky.feed.post/3lbq7xkz2sc2a",
                    "cid": "bafyreihq5lkkx3o7b2wbjk6v5yq4rlywh6o6m4y2n6nn6v7vhlyq7m4k5a",
                    "author": {"did": BSKY_DID, "handle": BSKY_HANDLE,
                               "displayName": "Acme Installatietechniek", "labels": []},
                    "record": {
                        "$type": "app.bsky.feed.post",
                        "createdAt": stamp,
                        "langs": ["nl"],
                        "text": "Nieuwe warmtepomp geplaatst in Houten.",
                    },
                    "replyCount": 2,
                    "repostCount": 5,
                    "likeCount": 31,
                    "quoteCount": 0,
                    "indexedAt": stamp,
                    "viewer": {"threadMuted": False, "embeddingDisabled": False},
                    "labels": [],
                }
            }
        ],
        "cursor": stamp,
    }


RSS_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Acme blog</title>
    <link>https://www.acme-installatie.example/blog</link>
    <description>Nieuws van Acme Installatietechniek</description>
    <language>nl</language>
    <item>
      <title>Subsidie voor warmtepompen in 2027</title>
      <link>https://www.acme-installatie.example/blog/subsidie-2027</link>
      <guid isPermaLink="true">https://www.acme-installatie.example/blog/subsidie-2027</guid>
      <pubDate>Sat, 21 Nov 2026 09:30:00 +0100</pubDate>
    </item>
    <item>
      <title>Onderhoud voor de winter</title>
      <link>https://www.acme-installatie.example/blog/onderhoud</link>
      <guid isPermaLink="true">https://www.acme-installatie.example/blog/onderhoud</guid>
      <pubDate>Mon, 02 Nov 2026 10:00:00 +0100</pubDate>
    </item>
  </channel>
</rss>
"""

ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Acme engineering</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-08-05T08:00:00Z</updated>
  <author><name>Acme</name></author>
  <entry>
    <title>Older post, edited later</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <link href="https://tech.acme-installatie.example/older"/>
    <published>2026-07-01T08:00:00Z</published>
    <updated>2026-08-03T12:00:00Z</updated>
  </entry>
  <entry>
    <title>First post</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b</id>
    <link href="https://tech.acme-installatie.example/first"/>
    <published>2026-06-01T08:00:00Z</published>
    <updated>2026-06-01T08:00:00Z</updated>
  </entry>
</feed>
"""

HTML_WITH_FEED = """<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <title>Blog | Acme Installatietechniek</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="alternate" type="application/rss+xml" title="Acme blog" href="/blog/feed.xml">
  <link rel="alternate" type="application/rss+xml" title="Reacties" href="/comments/feed.xml">
</head>
<body><h1>Blog</h1></body>
</html>
"""


def serve_json(server: HTTPServer, path: str, payload: Any, *, status: int = 200,
               query: dict[str, str] | None = None) -> None:
    server.expect_request(path, query_string=query).respond_with_json(payload, status=status)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- happy paths ---------------------------------------------------------------------------------


def test_check_records_mastodon_followers_and_last_post(db: Db, httpserver: HTTPServer) -> None:
    serve_json(httpserver, "/api/v1/accounts/lookup",
               mastodon_account("acme", followers=1289, following=311, statuses=874,
                                last_status_at=TEN_DAYS_AGO.date().isoformat()),
               query={"acct": "acme"})
    account_id = db.add("mastodon", "@acme@mastodon.example", httpserver.url_for("/@acme"))

    [outcome] = db.check()

    assert outcome.account_id == account_id
    assert (outcome.status, outcome.followers, outcome.posts) == ("ok", 1289, 874)
    assert outcome.last_post_at == datetime(2026, 11, 21, tzinfo=UTC)
    assert outcome.dormant is False
    assert outcome.final_url == "https://mastodon.example/@acme"
    [snapshot] = db.snapshots()
    assert (snapshot.account_id, snapshot.status) == (account_id, "ok")
    assert (snapshot.followers, snapshot.following, snapshot.posts) == (1289, 311, 874)
    assert snapshot.last_post_at == datetime(2026, 11, 21, tzinfo=UTC)
    assert snapshot.checked_at == NOW
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"].startswith("smo/")


def test_check_records_bluesky_counts_and_newest_post(db: Db, httpserver: HTTPServer) -> None:
    serve_json(httpserver, "/xrpc/app.bsky.actor.getProfile", BLUESKY_PROFILE,
               query={"actor": BSKY_HANDLE})
    serve_json(httpserver, "/xrpc/app.bsky.feed.getAuthorFeed",
               bluesky_author_feed(TEN_DAYS_AGO),
               query={"actor": BSKY_DID, "limit": "1", "filter": "posts_no_replies"})
    db.add("bluesky", f"@{BSKY_HANDLE}")

    [outcome] = db.check()

    assert (outcome.status, outcome.followers, outcome.posts) == ("ok", 642, 318)
    assert outcome.last_post_at == TEN_DAYS_AGO
    assert outcome.final_url == f"https://bsky.app/profile/{BSKY_HANDLE}"
    assert outcome.dormant is False
    [snapshot] = db.snapshots()
    assert (snapshot.followers, snapshot.following, snapshot.posts) == (642, 120, 318)


def test_account_silent_for_120_days_is_dormant_and_one_silent_for_10_days_is_not(
    db: Db, httpserver: HTTPServer
) -> None:
    for username, last in (("active", TEN_DAYS_AGO), ("quiet", A_HUNDRED_AND_TWENTY_DAYS_AGO)):
        serve_json(httpserver, "/api/v1/accounts/lookup",
                   mastodon_account(username, followers=10, following=1, statuses=5,
                                    last_status_at=last.date().isoformat()),
                   query={"acct": username})
    db.add("mastodon", "@active@mastodon.example", httpserver.url_for("/@active"))
    db.add("mastodon", "@quiet@mastodon.example", httpserver.url_for("/@quiet"))

    outcomes = db.check()

    assert [(o.handle, o.dormant) for o in outcomes] == [
        ("@active@mastodon.example", False), ("@quiet@mastodon.example", True)]


def test_check_reads_newest_item_date_from_rss_feed(db: Db, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/blog/feed.xml").respond_with_data(
        RSS_FEED, content_type="application/rss+xml; charset=utf-8")
    db.add("blog", "Acme blog", httpserver.url_for("/blog/feed.xml"))

    [outcome] = db.check()

    assert outcome.status == "ok"
    assert outcome.last_post_at == datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
    assert outcome.dormant is False


def test_check_takes_latest_of_published_and_updated_in_atom_feed(
    db: Db, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/atom").respond_with_data(
        ATOM_FEED, content_type="application/atom+xml")
    db.add("blog", "Acme engineering", httpserver.url_for("/atom"))

    [outcome] = db.check()

    assert outcome.status == "ok"
    assert outcome.last_post_at == datetime(2026, 8, 3, 12, 0, tzinfo=UTC)
    assert outcome.dormant is True


def test_check_follows_feed_link_announced_by_html_page(db: Db, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/blog").respond_with_data(
        HTML_WITH_FEED, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/blog/feed.xml").respond_with_data(
        RSS_FEED, content_type="application/rss+xml")
    db.add("blog", "Acme blog", httpserver.url_for("/blog"))

    [outcome] = db.check()

    assert outcome.status == "ok"
    assert outcome.last_post_at == datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
    assert outcome.final_url == httpserver.url_for("/blog")
    assert outcome.detail == f"feed: {httpserver.url_for('/blog/feed.xml')}"


def test_website_check_follows_redirects_and_records_final_url(
    db: Db, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/nl/")})
    httpserver.expect_request("/nl/").respond_with_data("<html>Welkom</html>",
                                                        content_type="text/html")
    db.add("website", "acme-installatie.example", httpserver.url_for("/"))

    [outcome] = db.check()

    assert (outcome.status, outcome.final_url) == ("ok", httpserver.url_for("/nl/"))
    assert outcome.last_post_at is None and outcome.dormant is False


# --- failures ------------------------------------------------------------------------------------


def test_one_failing_account_does_not_stop_the_others(db: Db, httpserver: HTTPServer) -> None:
    serve_json(httpserver, "/api/v1/accounts/lookup",
               mastodon_account("acme", followers=1289, following=311, statuses=874,
                                last_status_at="2026-11-21"),
               query={"acct": "acme"})
    serve_json(httpserver, "/api/v1/accounts/lookup", {"error": "Record not found"},
               status=404, query={"acct": "gone"})
    httpserver.expect_request("/api/v1/accounts/lookup", query_string={"acct": "broken"}) \
        .respond_with_data('{"followers_count": 12, "following_', content_type="application/json")
    serve_json(httpserver, "/xrpc/app.bsky.actor.getProfile",
               {"error": "InvalidRequest", "message": "Profile not found"}, status=400,
               query={"actor": "nobody.bsky.social"})
    httpserver.expect_request("/down").respond_with_data("Internal Server Error", status=500)
    httpserver.expect_request("/missing").respond_with_data("Not Found", status=404)
    closed = f"http://127.0.0.1:{free_port()}/"
    ids = {
        "good": db.add("mastodon", "@acme@mastodon.example", httpserver.url_for("/@acme")),
        "gone": db.add("mastodon", "@gone@mastodon.example", httpserver.url_for("/@gone")),
        "broken": db.add("mastodon", "@broken@mastodon.example", httpserver.url_for("/@broken")),
        "bsky": db.add("bluesky", "@nobody.bsky.social"),
        "down": db.add("website", "down", httpserver.url_for("/down")),
        "missing": db.add("blog", "missing", httpserver.url_for("/missing")),
        "closed": db.add("website", "closed", closed),
        "linkedin": db.add("linkedin", "Acme Installatietechniek"),
    }
    seen: list[int] = []

    outcomes = {o.account_id: o for o in db.check(on_done=lambda o: seen.append(o.account_id))}

    assert sorted(seen) == sorted(ids.values())
    status = {name: outcomes[i].status for name, i in ids.items()}
    assert status == {"good": "ok", "gone": "error", "broken": "error", "bsky": "error",
                      "down": "unreachable", "missing": "error", "closed": "unreachable",
                      "linkedin": "unsupported"}
    detail = {name: outcomes[i].detail or "" for name, i in ids.items()}
    assert detail["good"] == ""
    assert "HTTP 404" in detail["gone"] and "Record not found" in detail["gone"]
    assert "not valid JSON" in detail["broken"]
    assert "Profile not found (InvalidRequest)" in detail["bsky"]
    assert "HTTP 500" in detail["down"]
    assert "HTTP 404" in detail["missing"]
    assert "cannot reach 127.0.0.1" in detail["closed"]
    assert "no URL" in detail["linkedin"]
    assert all("\n" not in text and len(text) <= 200 for text in detail.values())
    assert outcomes[ids["good"]].followers == 1289
    stored = {s.account_id: s.status for s in db.snapshots()}
    assert stored == {i: status[name] for name, i in ids.items()}


def test_slow_server_is_reported_unreachable(db: Db, httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response(json.dumps({}), content_type="application/json")

    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_handler(slow)
    account_id = db.add("mastodon", "@slow@mastodon.example", httpserver.url_for("/@slow"))
    db.settings = db.settings.model_copy(update={"timeout_seconds": 0.2})

    [outcome] = db.check(account_id=account_id)

    assert outcome.status == "unreachable"
    assert outcome.detail == "localhost did not answer in time"


def test_oversized_body_is_refused(db: Db, httpserver: HTTPServer,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "MAX_BODY_BYTES", 1024)
    httpserver.expect_request("/huge.xml").respond_with_data(
        RSS_FEED * 10, content_type="application/rss+xml")
    db.add("blog", "huge", httpserver.url_for("/huge.xml"))

    [outcome] = db.check()

    assert outcome.status == "error"
    assert outcome.detail is not None and "sent more than" in outcome.detail


def test_html_page_without_feed_link_is_an_error(db: Db, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/about").respond_with_data(
        "<!doctype html><html><head><title>Over ons</title></head></html>",
        content_type="text/html")
    db.add("blog", "about", httpserver.url_for("/about"))

    [outcome] = db.check()

    assert outcome.status == "error"
    assert outcome.detail == f"no RSS or Atom feed announced on {httpserver.url_for('/about')}"


# --- selection and history -----------------------------------------------------------------------


def test_check_one_account_by_id_leaves_the_others_alone(db: Db, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data("ok")
    db.add("website", "first", httpserver.url_for("/"))
    second = db.add("website", "second", httpserver.url_for("/"))

    outcomes = db.check(account_id=second)

    assert [o.account_id for o in outcomes] == [second]
    assert [s.account_id for s in db.snapshots()] == [second]
    assert len(httpserver.log) == 1


def test_check_unknown_account_id_raises_not_found(db: Db) -> None:
    with pytest.raises(NotFound, match="no account with id 999"):
        db.check(account_id=999)
    assert db.snapshots() == []


def test_latest_snapshots_returns_the_newest_per_account(db: Db, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data("ok")
    first = db.add("website", "first", httpserver.url_for("/"))
    second = db.add("website", "second", httpserver.url_for("/"))
    db.check(now=NOW - timedelta(days=7))
    db.check(now=NOW, account_id=first)

    with Session(db.engine) as session:
        latest = latest_snapshots(session)

    assert {key: value.checked_at for key, value in latest.items()} == {
        first: NOW, second: NOW - timedelta(days=7)}


# --- address rules -------------------------------------------------------------------------------


def test_youtube_channel_url_maps_to_its_video_feed() -> None:
    channel = "UCBJycsmduvYEL83R_U4JriQ"
    assert youtube_feed_url(f"https://www.youtube.com/channel/{channel}") == (
        f"https://www.youtube.com/feeds/videos.xml?channel_id={channel}")
    assert youtube_feed_url("https://www.youtube.com/@acme") is None
    assert youtube_feed_url(f"https://example.com/channel/{channel}") is None


def test_mastodon_server_comes_from_profile_url_then_from_handle() -> None:
    assert mastodon_target("@acme@acme.example", "https://social.acme.example/@acme") == (
        "https://social.acme.example", "acme")
    assert mastodon_target("@acme@mastodon.social", None) == ("https://mastodon.social", "acme")
    assert mastodon_target("acme", None) is None
