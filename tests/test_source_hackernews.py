"""The Hacker News adapter against a local server fed recorded Algolia answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from smo_cli.sources.base import FetchResult, RateLimited, SourceSpec
from smo_cli.sources.hackernews import HackerNewsSource
from smo_cli.sources.http import GuardedHttp

DATA = Path(__file__).parent / "data" / "api" / "hackernews"
SEARCH = "/api/v1/search_by_date"
NEWEST_SEEN = 1795694300                           # created_at_i of the newest recorded hit


def recorded(name: str) -> Response:
    return Response((DATA / name).read_bytes(), content_type="application/json")


def spec(server: HTTPServer, query: str = "acme") -> SourceSpec:
    return SourceSpec(name="hn", kind="hackernews", base_url=server.url_for("/api/v1"),
                      params={"query": query}, allow_private=True)


def fetch(source_spec: SourceSpec, state: dict[str, Any] | None = None) -> FetchResult:
    async def go() -> FetchResult:
        async with httpx.AsyncClient(timeout=5.0) as client:
            http = GuardedHttp(client, allow_private=True)
            return await HackerNewsSource().fetch(http, source_spec, state or {})

    return asyncio.run(go())


def requests(server: HTTPServer) -> list[Request]:
    # Only our calls: a request another test abandoned may still reach the shared server.
    return [request for request, _ in server.log if request.path == SEARCH]


def test_first_poll_reads_the_newest_page_of_stories_and_comments(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_response(recorded("search_newest.json"))

    result = fetch(spec(httpserver))

    [request] = requests(httpserver)
    # "(story,comment)" ORs the tags; "story,comment" would AND them and find nothing.
    assert request.args.to_dict() == {"query": "acme", "tags": "(story,comment)",
                                      "hitsPerPage": "100", "page": "0"}
    comment, story, ask = result.items
    assert comment.external_id == "hn:46112398"
    assert comment.url == "https://news.ycombinator.com/item?id=46112398"
    assert comment.title == "Acme recalls Barista 3000 milk frothers"
    assert comment.author == "tptacek_fan"
    assert comment.text == (
        "I've had an Acme Barista for a year. The firmware is closed, but "
        "https://github.com/example/acme-re documents the serial protocol.\n\n"
        "Works fine with Home Assistant & no cloud.")
    assert comment.published_at == datetime(2026, 11, 26, 11, 58, 20, tzinfo=UTC)
    assert story.url == "https://www.acme.example/en/recall"
    assert story.text == story.title == "Acme recalls Barista 3000 milk frothers"
    assert ask.url == "https://news.ycombinator.com/item?id=46110520"
    assert ask.text == ("Thinking about applying. How is the engineering culture > marketing "
                        "culture there?\n\nRemote-friendly?")
    assert result.state == {"query": "acme", "last_created_at_i": NEWEST_SEEN}


def test_next_poll_filters_on_creation_time_and_reads_every_page(httpserver: HTTPServer) -> None:
    def search(request: Request) -> Response:
        return recorded(f"search_since_page{request.args['page']}.json")

    httpserver.expect_request(SEARCH).respond_with_handler(search)

    result = fetch(spec(httpserver), {"query": "acme", "last_created_at_i": NEWEST_SEEN})

    first, second = requests(httpserver)
    # Ten minutes of overlap for hits Algolia indexes late; the pipeline drops the repeats.
    assert first.args["numericFilters"] == f"created_at_i>{NEWEST_SEEN - 600}"
    assert [first.args["page"], second.args["page"]] == ["0", "1"]
    # A hit that moved to the next page while we read comes once.
    assert [item.external_id for item in result.items] == ["hn:46113020", "hn:46112990",
                                                           "hn:46112398"]
    assert result.state["last_created_at_i"] == 1795695600


def test_a_new_query_starts_without_the_old_time_filter(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_response(recorded("search_newest.json"))

    fetch(spec(httpserver, query="acme barista"), {"query": "acme",
                                                   "last_created_at_i": NEWEST_SEEN})

    assert "numericFilters" not in requests(httpserver)[0].args


def test_rate_limit_propagates(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(
        {"message": "Too many requests", "status": 429}, status=429)

    with pytest.raises(RateLimited) as caught:
        fetch(spec(httpserver))
    assert caught.value.retry_after_seconds == 60      # no Retry-After: the default pause
