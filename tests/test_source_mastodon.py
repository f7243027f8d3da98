"""The Mastodon listening adapter against a local server fed recorded API answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from smo_cli.sources.base import FetchError, FetchResult, RateLimited, SourceSpec
from smo_cli.sources.http import GuardedHttp
from smo_cli.sources.mastodon_listen import MastodonSource
from smo_cli.sources.text import markup_to_text

DATA = Path(__file__).parent / "data" / "api" / "mastodon"
TAG_PATH = "/api/v1/timelines/tag/acme"
NEWEST = "117682167342706745"
NEWER = "117682571182092345"


def recorded(name: str) -> bytes:
    return (DATA / name).read_bytes()


def page(body: bytes, *, prev: str | None = None, older: str | None = None,
         url: str = "https://mastodon.example" + TAG_PATH) -> Response:
    links = []
    if older:
        links.append(f'<{url}?max_id={older}>; rel="next"')
    if prev:
        links.append(f'<{url}?min_id={prev}>; rel="prev"')
    headers = {"Link": ", ".join(links)} if links else {}
    return Response(body, status=200, headers=headers, content_type="application/json")


def spec(server: HTTPServer, token: str | None = None, **params: Any) -> SourceSpec:
    return SourceSpec(name="acme-masto", kind="mastodon", base_url=server.url_for("/").rstrip("/"),
                      params=params, allow_private=True,
                      secrets={"SMO_MASTODON_TOKEN": token} if token else {})


def fetch(source_spec: SourceSpec, state: dict[str, Any] | None = None,
          source: MastodonSource | None = None) -> FetchResult:
    async def go() -> FetchResult:
        async with httpx.AsyncClient(timeout=5.0) as client:
            http = GuardedHttp(client, allow_private=True)
            return await (source or MastodonSource()).fetch(http, source_spec, state or {})

    return asyncio.run(go())


def requests(server: HTTPServer) -> list[Request]:
    # Only API calls: a request another test abandoned may still reach the shared server.
    return [request for request, _ in server.log if request.path.startswith("/api/")]


def test_first_poll_takes_the_newest_page_and_keeps_the_prev_cursor(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TAG_PATH).respond_with_response(
        page(recorded("tag_newest.json"), prev=NEWEST, older="117681980201054265"))

    result = fetch(spec(httpserver, tag="#acme"))

    [request] = requests(httpserver)
    assert request.args.to_dict() == {"limit": "40"}
    assert request.headers["User-Agent"].startswith("smo/")
    assert "Authorization" not in request.headers
    assert result.state == {"subject": "tag:#acme", "min_id": NEWEST}
    jan, sanne = result.items
    assert jan.external_id == "https://social.example/users/jan/statuses/117682167342706745"
    assert jan.url == "https://social.example/@jan/117682167342706745"
    assert jan.author == "@jan@social.example"
    assert jan.text == (
        'De nieuwe #acme Barista 3000 is "best" goed, maar de melkopschuimer lekt.\n'
        "Review: https://www.acme.example/nl/blog/barista-3000-review\n\n#koffie")
    assert jan.lang == "nl"
    assert jan.hashtags == ("acme", "koffie")
    assert jan.published_at == datetime(2026, 11, 26, 10, 2, 47, 900000, tzinfo=UTC)
    # A local account's acct has no domain: the instance's host completes the handle.
    assert sanne.author == "@sanne@localhost"
    assert sanne.text == ("Klacht over levering\n\nMijn bestelling bij #Acme is al twee weken "
                          "onderweg & niemand reageert op mijn mails.")


def test_next_poll_follows_prev_links_until_an_empty_page(httpserver: HTTPServer) -> None:
    def timeline(request: Request) -> Response:
        if request.args.get("min_id") == NEWEST:
            return page(recorded("tag_newer.json"), prev=NEWER, older="117682510233612345")
        return page(b"[]")                          # caught up: no Link header at all

    httpserver.expect_request(TAG_PATH).respond_with_handler(timeline)

    result = fetch(spec(httpserver, tag="acme"), {"subject": "tag:acme", "min_id": NEWEST})

    assert [r.args.get("min_id") for r in requests(httpserver)] == [NEWEST, NEWER]
    assert [item.author for item in result.items] == ["@pat@fosstodon.example",
                                                      "@acme_support@localhost"]
    assert result.state == {"subject": "tag:acme", "min_id": NEWER}


def test_nothing_new_keeps_the_cursor(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TAG_PATH).respond_with_response(page(b"[]"))

    result = fetch(spec(httpserver, tag="acme"), {"subject": "tag:acme", "min_id": NEWER})

    assert result.items == []
    assert result.state == {"subject": "tag:acme", "min_id": NEWER}


def test_an_edited_source_does_not_reuse_another_timelines_cursor(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TAG_PATH).respond_with_response(page(recorded("tag_newest.json")))

    result = fetch(spec(httpserver, tag="acme"), {"subject": "tag:koffie", "min_id": NEWER})

    assert "min_id" not in requests(httpserver)[0].args
    # Without a Link header the newest id on the page is the cursor.
    assert result.state["min_id"] == NEWEST


def test_account_boosts_count_once_and_the_lookup_is_cached(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_data(
        recorded("account_lookup.json"), content_type="application/json")
    statuses_path = "/api/v1/accounts/109348573920145781/statuses"
    httpserver.expect_request(statuses_path).respond_with_response(
        page(recorded("account_statuses.json"), prev="117682667520012345"))

    first = fetch(spec(httpserver, account="@acme"))

    lookup, _ = requests(httpserver)
    assert lookup.args["acct"] == "acme"
    # A boost of someone else's post is that post; a self-boost and the post itself are one.
    assert [item.external_id for item in first.items] == [
        "https://other.example/users/fan/statuses/117682576000012345",
        "https://mastodon.example/users/acme/statuses/117682176655372345",
    ]
    assert first.items[0].author == "@fan@other.example"
    assert first.items[0].text == "Drie maanden elke dag een perfecte cappuccino. Dank je, Acme! ☕"
    assert first.state["account_id"] == "109348573920145781"

    httpserver.clear_log()
    fetch(spec(httpserver, account="@acme"), first.state)
    assert [r.path for r in requests(httpserver)] == [statuses_path]


def test_unknown_account_names_the_server_and_a_way_out(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_json(
        {"error": "Record not found"}, status=404)

    with pytest.raises(FetchError, match=r"does not know the account @nobody@elsewhere\.example"):
        fetch(spec(httpserver, account="nobody@elsewhere.example"))


@pytest.mark.parametrize("params", [{"notifications": True}, {"search": "acme"}])
def test_mentions_and_search_without_token_say_which_variable_to_set(
    httpserver: HTTPServer, params: dict[str, Any]
) -> None:
    with pytest.raises(FetchError, match="set SMO_MASTODON_TOKEN"):
        fetch(spec(httpserver, **params))
    assert requests(httpserver) == []


def test_notifications_ask_for_mentions_with_the_token_and_page_by_notification_id(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/api/v1/notifications").respond_with_response(
        page(recorded("notifications.json"), prev="98765432", older="98765410"))

    result = fetch(spec(httpserver, token="fake-token", notifications=True))

    [request] = requests(httpserver)
    assert request.headers["Authorization"] == "Bearer fake-token"
    assert request.args.getlist("types[]") == ["mention"]
    # The cursor is a notification id, not a status id: only the Link header knows it.
    assert result.state["min_id"] == "98765432"
    assert [item.author for item in result.items] == ["@pat@fosstodon.example",
                                                      "@jan@social.example"]
    assert result.items[1].text == "@social komen jullie ook naar de Horecava in januari?"


def test_search_polls_from_the_highest_status_id(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/search").respond_with_data(
        recorded("search.json"), content_type="application/json")

    result = fetch(spec(httpserver, token="fake-token", search="acme barista"),
                   {"subject": "search:acme barista", "min_id": "117682000000000000"})

    [request] = requests(httpserver)
    assert request.args.to_dict() == {"q": "acme barista", "type": "statuses", "limit": "40",
                                      "min_id": "117682000000000000"}
    assert len(result.items) == 2
    assert result.state["min_id"] == NEWER


def test_rate_limit_propagates_with_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TAG_PATH).respond_with_data(
        '{"error":"Too many requests"}', status=429, headers={"Retry-After": "120"},
        content_type="application/json")

    with pytest.raises(RateLimited) as caught:
        fetch(spec(httpserver, tag="acme"))
    assert caught.value.retry_after_seconds == 120


@pytest.mark.parametrize("params", [{}, {"tag": "acme", "search": "acme"}])
def test_exactly_one_kind_of_timeline_is_required(
    httpserver: HTTPServer, params: dict[str, Any]
) -> None:
    with pytest.raises(FetchError, match="exactly one of tag, account, notifications, search"):
        fetch(spec(httpserver, **params))


def test_markup_to_text_decodes_entities_once_and_drops_scripts() -> None:
    html = "<p>A &amp;amp; B<script>alert(1)</script></p><ul><li>één</li><li>twee</li></ul>"
    assert markup_to_text(html) == "A &amp; B\n\néén\ntwee"


def test_markup_to_text_can_keep_only_one_element() -> None:
    html = ('<table><tr><td><img src="x"></td><td><div class="md"><p>post <b>body</b></p>'
            '<div><p>nested</p></div></div> submitted by <a>/u/x</a></td></tr></table>')
    assert markup_to_text(html, only_class="md") == "post body\n\nnested"
