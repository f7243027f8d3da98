"""The Bluesky listening adapter against a local server fed recorded XRPC answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from smo_cli.sources.base import FetchError, FetchResult, RateLimited, SourceSpec
from smo_cli.sources.bluesky_listen import BlueskySource, facet_text
from smo_cli.sources.http import GuardedHttp

DATA = Path(__file__).parent / "data" / "api" / "bluesky"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
LOGIN = {"SMO_BLUESKY_HANDLE": "monitor.acme.example", "SMO_BLUESKY_APP_PASSWORD": "fake-app-pw"}


def recorded(name: str) -> bytes:
    return (DATA / name).read_bytes()


def answer(name: str, status: int = 200) -> Response:
    return Response(recorded(name), status=status, content_type="application/json")


def spec(server: HTTPServer, *, secrets: Mapping[str, str] = LOGIN, **params: Any) -> SourceSpec:
    return SourceSpec(name="acme-bsky", kind="bluesky", base_url=server.url_for("/").rstrip("/"),
                      params=params, allow_private=True, secrets=dict(secrets))


def fetch(source: BlueskySource, source_spec: SourceSpec,
          state: dict[str, Any] | None = None) -> FetchResult:
    async def go() -> FetchResult:
        async with httpx.AsyncClient(timeout=5.0) as client:
            http = GuardedHttp(client, allow_private=True)
            return await source.fetch(http, source_spec, state or {})

    return asyncio.run(go())


def requests(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


def test_first_search_logs_in_once_and_maps_posts(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_response(
        answer("create_session.json"))
    httpserver.expect_request(SEARCH).respond_with_response(answer("search_latest.json"))
    source = BlueskySource()

    result = fetch(source, spec(httpserver, query="acme"))

    [login] = requests(httpserver, CREATE)
    assert json.loads(login.get_data()) == {"identifier": "monitor.acme.example",
                                            "password": "fake-app-pw"}
    [search] = requests(httpserver, SEARCH)
    assert search.headers["Authorization"] == "Bearer fake-access-jwt-1"
    assert search.args.to_dict() == {"q": "acme", "sort": "latest", "limit": "100"}
    emma, anonymous, kees = result.items
    assert emma.external_id == "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbq2m7xkzs2c"
    assert emma.url == "https://bsky.app/profile/emma.bsky.social/post/3lbq2m7xkzs2c"
    assert emma.author == "@emma.bsky.social"
    # The tag sits after "ë", "ó", "☕" and "🎉": byte offsets, not character offsets.
    assert emma.hashtags == ("AcmeKoffie", "koffie")
    assert emma.text == ("Zoë en ik zijn dól op de nieuwe Barista 3000 ☕🎉 #AcmeKoffie review: "
                         "https://www.acme.example/nl/blog/barista-3000-review")
    assert emma.lang == "nl"
    assert emma.published_at == datetime(2026, 11, 26, 11, 2, 9, 441000, tzinfo=UTC)
    # An invalid handle: the DID stands in, in the author and in the link.
    assert anonymous.author == "@did:plc:4r7qfj3vwzw6xbs2c5ngtu2d"
    assert anonymous.url == ("https://bsky.app/profile/did:plc:4r7qfj3vwzw6xbs2c5ngtu2d"
                             "/post/3lbq2htx4fk2u")
    assert "https://example.org/vergelijking (geen reclame)" in kees.text
    # The state is a timestamp: tokens stay in memory, never in the database.
    assert result.state == {"subject": "query:acme", "since": "2026-11-26T11:02:10.218000+00:00"}
    assert "jwt" not in json.dumps(result.state)

    fetch(source, spec(httpserver, query="acme"), result.state)
    assert len(requests(httpserver, CREATE)) == 1          # one session per run


def test_next_search_pages_with_the_cursor_until_posts_are_older(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_response(
        answer("create_session.json"))

    def search(request: Request) -> Response:
        return answer("search_older.json" if request.args.get("cursor") else "search_latest.json")

    httpserver.expect_request(SEARCH).respond_with_handler(search)
    state = {"subject": "query:acme", "since": "2026-11-26T10:30:00+00:00"}

    result = fetch(BlueskySource(), spec(httpserver, query="acme"), state)

    first, second = requests(httpserver, SEARCH)
    # Ten minutes of overlap: search sorts by min(createdAt, indexedAt) and indexing lags.
    assert first.args["since"] == "2026-11-26T10:20:00.000Z"
    assert "cursor" not in first.args
    assert second.args["cursor"] == "3"
    assert len(result.items) == 5
    # A link with its own label ("hier") keeps the label; only shortened addresses are expanded.
    assert result.items[3].text.endswith("De foto's staan hier")
    assert result.state["since"] == "2026-11-26T11:02:10.218000+00:00"


def expiring_search(calls: list[str]) -> Any:
    def search(request: Request) -> Response:
        calls.append(request.headers["Authorization"])
        if len(calls) == 1:
            return answer("expired_token.json", status=400)
        return answer("search_latest.json")
    return search


def test_expired_token_is_refreshed_and_the_search_retried_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_response(
        answer("create_session.json"))
    httpserver.expect_request(REFRESH, method="POST").respond_with_response(
        answer("refresh_session.json"))
    calls: list[str] = []
    httpserver.expect_request(SEARCH).respond_with_handler(expiring_search(calls))

    result = fetch(BlueskySource(), spec(httpserver, query="acme"))

    assert calls == ["Bearer fake-access-jwt-1", "Bearer fake-access-jwt-2"]
    [refresh] = requests(httpserver, REFRESH)
    assert refresh.headers["Authorization"] == "Bearer fake-refresh-jwt-1"
    # refreshSession takes no input: a PDS answers any body, even {}, with 400 InvalidRequest.
    assert refresh.get_data() == b""
    assert len(result.items) == 3


def test_failed_refresh_logs_in_again(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_response(
        answer("create_session.json"))
    httpserver.expect_request(REFRESH, method="POST").respond_with_json(
        {"error": "ExpiredToken", "message": "Token has been revoked"}, status=400)
    calls: list[str] = []
    httpserver.expect_request(SEARCH).respond_with_handler(expiring_search(calls))

    result = fetch(BlueskySource(), spec(httpserver, query="acme"))

    assert len(requests(httpserver, CREATE)) == 2
    assert len(result.items) == 3


def test_search_without_login_says_which_variables_to_set(httpserver: HTTPServer) -> None:
    with pytest.raises(FetchError, match="set SMO_BLUESKY_HANDLE and SMO_BLUESKY_APP_PASSWORD"):
        fetch(BlueskySource(), spec(httpserver, secrets={}, query="acme"))
    assert [r for r, _ in httpserver.log if r.path.startswith("/xrpc/")] == []


def test_refused_login_names_the_variables_but_not_the_password(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_response(
        answer("bad_login.json", status=401))

    with pytest.raises(FetchError) as caught:
        fetch(BlueskySource(), spec(httpserver, query="acme"))
    assert "SMO_BLUESKY_APP_PASSWORD" in caught.value.detail
    assert "Invalid identifier or password" in caught.value.detail
    assert "fake-app-pw" not in caught.value.detail


def test_rate_limited_search_propagates(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CREATE, method="POST").respond_with_response(
        answer("create_session.json"))
    httpserver.expect_request(SEARCH).respond_with_json(
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, status=429,
        headers={"Retry-After": "30"})

    with pytest.raises(RateLimited) as caught:
        fetch(BlueskySource(), spec(httpserver, query="acme"))
    assert caught.value.retry_after_seconds == 30


def test_author_feed_is_public_and_counts_reposts_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request(FEED).respond_with_response(answer("author_feed.json"))
    appview = httpserver.url_for("/").rstrip("/")

    result = fetch(BlueskySource(), spec(httpserver, secrets={}, author="@acme.example",
                                         appview=appview))

    [request] = requests(httpserver, FEED)
    assert "Authorization" not in request.headers
    assert request.args.to_dict() == {"actor": "acme.example", "limit": "100"}
    assert [item.url.rsplit("/", 1)[-1] for item in result.items if item.url] == [
        "3k2yihcrp6f2c", "3lbq2m7xkzs2c", "3lbq2zz4pks2r", "3lbpt5xkzcs2e"]
    # The newest activity is the repost, not the reposted post.
    assert result.state == {"subject": "author:acme.example",
                            "since": "2026-11-26T11:50:00+00:00"}


def test_a_pinned_old_post_does_not_stop_the_paging(httpserver: HTTPServer) -> None:
    def feed(request: Request) -> Response:
        if request.args.get("cursor"):
            return Response('{"feed": []}', content_type="application/json")
        return answer("author_feed.json")

    httpserver.expect_request(FEED).respond_with_handler(feed)
    state = {"subject": "author:acme.example", "since": "2026-11-25T08:00:00+00:00"}

    fetch(BlueskySource(), spec(httpserver, secrets={}, author="acme.example",
                                appview=httpserver.url_for("/").rstrip("/")), state)

    assert [r.args.get("cursor") for r in requests(httpserver, FEED)] == [
        None, "2026-11-25T09:00:00.7Z"]


def test_facet_offsets_count_utf8_bytes() -> None:
    text = "Zoë ☕🎉 #Acme"
    start = len("Zoë ☕🎉 ".encode())
    assert start == 13 and text.index("#") == 7
    assert facet_text(text, start, start + 5) == "#Acme"
    # An offset that falls inside a character (or past the end) is ignored, not guessed.
    assert facet_text(text, 3, 9) is None
    assert facet_text(text, 13, 99) is None
