"""The Reddit adapter against a local server: OAuth + JSON search, or the public search feed."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from smo_cli.sources.base import FetchError, FetchResult, RateLimited, SourceSpec
from smo_cli.sources.http import GuardedHttp
from smo_cli.sources.reddit import RedditSource

DATA = Path(__file__).parent / "data" / "api" / "reddit"
TOKEN = "/api/v1/access_token"
APP = {"SMO_REDDIT_CLIENT_ID": "fake-client-id", "SMO_REDDIT_CLIENT_SECRET": "fake-secret"}


def recorded(name: str, content_type: str = "application/json") -> Response:
    return Response((DATA / name).read_bytes(), content_type=content_type)


def spec(server: HTTPServer, *, secrets: Mapping[str, str] = APP, **params: Any) -> SourceSpec:
    root = server.url_for("/").rstrip("/")
    return SourceSpec(name="reddit", kind="reddit", base_url=root, allow_private=True,
                      params={"auth_url": root + TOKEN, "api_url": root, **params},
                      secrets=dict(secrets))


def fetch(source_spec: SourceSpec, state: dict[str, Any] | None = None) -> FetchResult:
    async def go() -> FetchResult:
        async with httpx.AsyncClient(timeout=5.0) as client:
            http = GuardedHttp(client, allow_private=True)
            return await RedditSource().fetch(http, source_spec, state or {})

    return asyncio.run(go())


def requests(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


def created(when: str) -> float:
    return datetime.fromisoformat(when).timestamp()


def test_oauth_search_in_a_subreddit_unescapes_text_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN, method="POST").respond_with_response(recorded("token.json"))
    httpserver.expect_request("/r/espresso/search").respond_with_response(
        recorded("search_new.json"))

    result = fetch(spec(httpserver, query="acme", subreddit="r/espresso"))

    [token] = requests(httpserver, TOKEN)
    assert token.form.to_dict() == {"grant_type": "client_credentials"}
    expected = base64.b64encode(b"fake-client-id:fake-secret").decode()
    assert token.headers["Authorization"] == f"Basic {expected}"
    [search] = requests(httpserver, "/r/espresso/search")
    assert search.headers["Authorization"] == "bearer fake-reddit-token-1"
    assert search.headers["User-Agent"].startswith("smo/")
    assert search.headers["User-Agent"].endswith("(listening)")
    assert search.args.to_dict() == {"q": "acme", "sort": "new", "limit": "100", "type": "link",
                                     "restrict_sr": "1"}
    post, link = result.items
    assert post.external_id == "t3_1p8k2xq"
    assert post.url == ("https://www.reddit.com/r/espresso/comments/1p8k2xq/"
                        "acme_barista_the_milk_problem/")
    assert post.author == "u/koffieleut"
    assert post.title == "Acme Barista & the <milk> problem"
    # Someone who typed "&lt;reset&gt;" gets "&amp;lt;reset&amp;gt;" in JSON: one unescape.
    assert post.text == ("Has anyone fixed the frother? I tried the &lt;reset&gt; trick from the "
                         "manual & it didn't work.")
    assert post.published_at == datetime(2026, 11, 26, 12, 1, 44, tzinfo=UTC)
    assert link.author is None                                   # [deleted]
    assert link.text == link.title == "Acme roept Barista 3000 melkopschuimers terug"
    assert result.state == {"subject": "espresso:acme",
                            "newest_created_utc": created("2026-11-26T12:01:44+00:00")}


def test_next_poll_pages_with_after_until_older_posts(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN, method="POST").respond_with_response(recorded("token.json"))

    def search(request: Request) -> Response:
        return recorded("search_older.json" if request.args.get("after") else "search_new.json")

    httpserver.expect_request("/search").respond_with_handler(search)
    state = {"subject": ":acme", "newest_created_utc": created("2026-11-25T20:00:00+00:00")}

    result = fetch(spec(httpserver, query="acme"), state)

    first, second = requests(httpserver, "/search")
    assert "restrict_sr" not in first.args
    assert second.args["after"] == "t3_1p8hz3m"
    assert len(requests(httpserver, TOKEN)) == 1
    assert [item.external_id for item in result.items] == [
        "t3_1p8k2xq", "t3_1p8hz3m", "t3_1p7wq0d", "t3_1p6aa9z"]
    assert result.state["newest_created_utc"] == created("2026-11-26T12:01:44+00:00")


def test_a_refused_token_is_replaced_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN, method="POST").respond_with_response(recorded("token.json"))
    answers = iter([Response('{"message": "Unauthorized", "error": 401}', status=401,
                             content_type="application/json"), recorded("search_new.json")])
    httpserver.expect_request("/search").respond_with_handler(lambda _request: next(answers))

    result = fetch(spec(httpserver, query="acme"))

    assert len(requests(httpserver, TOKEN)) == 2
    assert len(result.items) == 2


def test_refused_credentials_name_the_variables(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN, method="POST").respond_with_json(
        {"message": "Unauthorized", "error": 401}, status=401)

    with pytest.raises(FetchError, match="check SMO_REDDIT_CLIENT_ID and SMO_REDDIT_CLIENT_SECRET"):
        fetch(spec(httpserver, query="acme"))


def test_without_credentials_the_public_search_feed_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search.rss").respond_with_response(
        recorded("search.rss", "application/atom+xml; charset=UTF-8"))

    result = fetch(spec(httpserver, secrets={}, query="acme"))

    [request] = requests(httpserver, "/search.rss")
    assert request.args.to_dict() == {"q": "acme", "sort": "new", "limit": "100"}
    assert request.headers["User-Agent"].startswith("smo/")
    assert requests(httpserver, TOKEN) == []
    text_post, link_post, deleted = result.items
    assert text_post.external_id == "t3_1p8k2xq"
    assert text_post.author == "u/koffieleut"
    assert text_post.title == "Acme Barista & the <milk> problem"
    # Only the post body: not "submitted by /u/… [link] [comments]".
    assert text_post.text == ("Has anyone fixed the frother? I tried the &lt;reset&gt; trick "
                              "from the manual & it didn't work.")
    assert text_post.published_at == datetime(2026, 11, 26, 12, 1, 44, tzinfo=UTC)
    assert text_post.url == ("https://www.reddit.com/r/espresso/comments/1p8k2xq/"
                             "acme_barista_the_milk_problem/")
    assert link_post.text == "Acme roept Barista 3000 melkopschuimers terug"
    assert deleted.author is None
    assert result.state["newest_created_utc"] == created("2026-11-26T12:01:44+00:00")


def test_the_feed_of_one_subreddit_is_restricted_to_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r/espresso/search.rss").respond_with_response(
        recorded("search.rss", "application/atom+xml; charset=UTF-8"))

    fetch(spec(httpserver, secrets={}, query="acme", subreddit="espresso"))

    [request] = requests(httpserver, "/r/espresso/search.rss")
    assert request.args["restrict_sr"] == "on"


def test_a_block_page_instead_of_the_feed_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search.rss").respond_with_data(
        "<!doctype html><html><head><title>Blocked</title></head><body>whoa there, pardner!"
        "</body></html>", content_type="text/html; charset=utf-8")

    with pytest.raises(FetchError, match="set SMO_REDDIT_CLIENT_ID and SMO_REDDIT_CLIENT_SECRET"):
        fetch(spec(httpserver, secrets={}, query="acme"))


def test_rate_limit_propagates(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search.rss").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "7"})

    with pytest.raises(RateLimited) as caught:
        fetch(spec(httpserver, secrets={}, query="acme"))
    assert caught.value.retry_after_seconds == 7


def test_not_a_subreddit_name_is_refused_before_any_request(httpserver: HTTPServer) -> None:
    with pytest.raises(FetchError, match="not a subreddit name"):
        fetch(spec(httpserver, query="acme", subreddit="../admin"))
    assert requests(httpserver, TOKEN) == []
    assert requests(httpserver, "/search") == []
