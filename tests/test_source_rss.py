"""The `rss` source: realistic feeds (Dutch news in Windows-1252, Atom, YouTube, Google Alerts,
JSON Feed, RSS-Bridge), hostile ones (wrong encodings, missing guids, markup in titles, empty
documents, billion laughs, XXE), conditional GET against a real local server, and the shared
text helpers."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from pytest_httpserver import HTTPServer

from smo_cli.sources.base import FetchError, FetchResult, Item, SourceSpec, source_for
from smo_cli.sources.http import GuardedHttp
from smo_cli.sources.rss import RssSource, hashtags, parse_feed
from smo_cli.sources.text import html_to_text, normalise_lang, strip_tracking

FEEDS = Path(__file__).parent / "data" / "feeds"
FEED_URL = "https://feeds.example/news/feed.xml"


def spec(base_url: str | None = FEED_URL, **params: Any) -> SourceSpec:
    return SourceSpec(name="test-feed", kind="rss", base_url=base_url, params=params)


async def _public(host: str) -> list[str]:
    return ["93.184.216.34"]      # every test host "is" public: the guards stay on


def serve(body: bytes, content_type: str = "application/xml",
          state: Mapping[str, Any] | None = None, url: str = FEED_URL) -> FetchResult:
    """RssSource.fetch through GuardedHttp to an httpx.MockTransport answering `body`."""
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": content_type})

    async def go() -> FetchResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await RssSource().fetch(GuardedHttp(client, resolve=_public), spec(url),
                                           state or {})
    return asyncio.run(go())


def serve_file(name: str, content_type: str = "application/xml") -> list[Item]:
    return serve((FEEDS / name).read_bytes(), content_type).items


def fetch_live(httpserver: HTTPServer, state: Mapping[str, Any], path: str = "/feed.xml",
               ) -> FetchResult:
    async def go() -> FetchResult:
        async with httpx.AsyncClient(timeout=5) as client:
            http = GuardedHttp(client, allow_private=True)
            return await RssSource().fetch(http, spec(httpserver.url_for(path)), state)
    return asyncio.run(go())


# --- realistic feeds ---------------------------------------------------------------------------

def test_rss_is_a_registered_source_kind() -> None:
    assert isinstance(source_for("rss"), RssSource)


def test_dutch_news_feed_in_windows_1252_becomes_clean_items() -> None:
    items = serve_file("rss_nl_windows1252.xml", "application/rss+xml")
    first, second, third = items
    assert first.title == "Acme investeert €12 miljoen in fabriek in Roermond"
    assert first.external_id == "regionieuws-4711"
    assert first.url == "https://www.regionieuws.example/economie/2024/05/14/acme-investeert?id=4711"
    assert first.author == "Anneke de Vries"
    assert first.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert first.lang == "nl"
    assert first.text.startswith("De fabrikant maakt het geld vrij voor een nieuwe productielijn."
                                 " “Dit is goed nieuws voor de regio,”")
    assert first.hashtags == ("Economie", "Acme")      # "Werkgelegenheid in Limburg" is no tag
    assert second.url == "https://www.regionieuws.example/economie/2024/05/13/vakbond-kritisch"
    assert "trackView" not in second.text and "“onzorgvuldig”" in second.text
    assert third.title == "Coöperatie en café’s klagen over parkeerbeleid"


def test_declared_charset_in_content_type_is_used() -> None:
    # No XML declaration: only the HTTP header says ISO-8859-7; guessing would give mojibake.
    body = ("<rss version='2.0'><channel><title>Νέα</title><item><title>Η Acme στην Αθήνα"
            "</title><guid isPermaLink='false'>gr-1</guid></item></channel></rss>")
    items = serve(body.encode("iso-8859-7"), "application/rss+xml; charset=ISO-8859-7").items
    assert items[0].title == "Η Acme στην Αθήνα"


def test_feed_with_a_wrong_declared_encoding_is_still_read() -> None:
    [item] = serve_file("hostile_wrong_encoding.xml")       # says UTF-8, is Windows-1252
    assert item.title == "Café crème brûlée – nieuw op de kaart"
    assert item.text == "Prijs: € 4,50"


def test_atom_feed_entries() -> None:
    review, lyon, undated, future = serve_file("atom_blog.xml", "application/atom+xml")
    assert review.title == "Acme’s new Roadrunner widget, reviewed"
    assert review.text == "The Roadrunner is fast. Battery life: 4 hours. Verdict: 3/5."
    # A relative link is resolved against the address the feed came from.
    assert review.url == "https://feeds.example/2024/05/acme-roadrunner-review?page=2#comments"
    assert review.published_at == datetime(2024, 5, 14, 8, 15, tzinfo=UTC)
    assert (review.author, review.lang) == ("Priya Raman", "en")
    assert review.hashtags == ("reviews", "AcmeRoadrunner")
    assert lyon.text == "Acme s'installe à Lyon avec 40 employés."      # xhtml content
    assert lyon.lang == "fr"                                             # the entry's xml:lang
    assert lyon.author == "Widget Weekly"                                # inherited from <feed>
    assert lyon.published_at == datetime(2024, 5, 13, 8, 0, tzinfo=UTC)  # only <updated>
    assert undated.published_at is None
    assert future.published_at == datetime(2999, 1, 1, 9, 0, tzinfo=UTC)  # kept as claimed


def test_youtube_channel_feed_gives_videos_with_their_descriptions() -> None:
    launch, _ = serve_file("youtube_channel.xml", "application/atom+xml")
    assert launch.external_id == "yt:video:dQw4w9WgXcQ"
    assert launch.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert launch.title == "Acme Roadrunner – official launch film"
    assert launch.text.startswith("Meet the Roadrunner: our fastest widget yet. Order now:")
    assert launch.author == "Acme Corporation"
    assert launch.published_at == datetime(2024, 5, 10, 15, 0, 6, tzinfo=UTC)


def test_google_alerts_redirect_links_are_unwrapped_and_titles_plain() -> None:
    recall, stock = serve_file("google_alerts.xml", "application/atom+xml")
    assert recall.url == "https://www.consumerwatch.example/2024/05/acme-recall?ref=home"
    assert stock.url == "https://markets.example.com/news/acme-stock-jumps"
    assert recall.title == "Acme Corporation recalls 10,000 Roadrunner widgets"
    assert stock.title == "Why Acme Corporation's stock jumped today"
    assert recall.text.endswith("after reports of overheating ...")
    assert recall.author is None                                         # <name></name>
    assert recall.external_id == "tag:google.com,2013:googlealerts/feed:11863539187384412052"


def test_json_feed_items() -> None:
    post, link_post, bare = serve_file("json_feed.json", "application/feed+json")
    assert post.external_id == "https://engineering.acme.example/posts/sqlite-at-scale"
    assert post.url == "https://engineering.acme.example/posts/sqlite-at-scale"
    assert post.text == "We moved our listening store to SQLite & WAL."       # no <script>
    assert post.published_at == datetime(2024, 5, 2, 12, 30, tzinfo=UTC)
    assert (post.author, post.lang, post.hashtags) == ("Joost Bakker", "nl",
                                                        ("sqlite", "databases"))
    assert link_post.external_id == "1042"                   # a number in version 1.0 feeds
    assert link_post.url == "https://news.example.com/acme-opens-source"   # external_url
    assert link_post.text == "Link post: Acme open-sources its widget toolkit."
    assert (link_post.author, link_post.lang) == ("Acme Engineering", "en")  # the feed's
    assert (bare.external_id, bare.url, bare.published_at) == (None, None, None)


def test_json_feed_1_0_author_object() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1", "title": "t", "items": [{"id": "a",'
            b' "content_text": "hi", "author": {"name": "Ann"}, "date_published": "2024-01-02"}]}')
    [item] = serve(body, "application/json").items
    assert item.author == "Ann"
    assert item.published_at == datetime(2024, 1, 2, tzinfo=UTC)


def test_rss_bridge_feed() -> None:
    post, _ = serve_file("rss_bridge.xml", "application/atom+xml")
    assert post.url == "https://www.instagram.com/p/C6xYz12AbCd/"      # igshid removed
    assert post.text == "Proud of our Roermond team! #AcmeProud #teamwork"
    assert post.hashtags == ("AcmeProud", "teamwork")
    assert post.author == "acme"


# --- hostile and broken feeds ------------------------------------------------------------------

def test_items_without_guids_have_no_external_id_and_empty_items_are_dropped() -> None:
    thread, comment = serve_file("hostile_missing_guids.xml")
    assert thread.external_id is None
    assert thread.url == "https://forum.example/acme/t/123"
    assert thread.published_at is None                      # "not a date at all"
    assert (comment.external_id, comment.url, comment.title) == (None, None, None)
    assert comment.text == "An anonymous comment without title, link or guid."


def test_html_scripts_and_entities_in_titles_become_plain_text() -> None:
    scripted, entities = serve_file("hostile_html_titles.xml")      # bozo: &eacute; undefined
    assert scripted.title == "Acme Roadrunner review"
    assert scripted.text == "Fine text"
    assert entities.title == "Tom & Jerry – AT&T <3 Acme 😀"
    assert entities.text == "Café é done"


def test_non_permalink_guid_is_an_id_not_a_link() -> None:
    body = b"<rss version='2.0'><channel><title>t</title><item><guid>item-42</guid>" \
           b"<title>x</title></item></channel></rss>"
    [item] = serve(body).items
    assert (item.external_id, item.url) == ("item-42", None)


def test_javascript_links_are_dropped() -> None:
    body = b"<rss version='2.0'><channel><title>t</title><item><title>x</title>" \
           b"<link>javascript:alert(1)</link></item></channel></rss>"
    assert serve(body).items[0].url is None


@pytest.mark.parametrize(("name", "reason"), [
    ("empty.xml", "the document is empty"),
    ("garbage.bin", "no RSS, Atom or JSON Feed"),
    ("not_a_feed.html", "HTML page; its feed is at https://feeds.example/feed.atom"),
])
def test_a_document_that_is_not_a_feed_is_a_fetch_error(name: str, reason: str) -> None:
    with pytest.raises(FetchError, match="is not a feed") as caught:
        serve_file(name)
    assert reason in caught.value.detail


@pytest.mark.parametrize("body", [b"   \n", b'{"hello": "world"}', b"{not json", b"[" * 100_000,
                                  b"Just some text."])
def test_other_non_feeds_are_fetch_errors(body: bytes) -> None:
    with pytest.raises(FetchError, match="is not a feed"):
        serve(body)


@pytest.mark.parametrize("name", ["billion_laughs.xml", "billion_laughs_one_line.xml",
                                  "xxe_file.xml", "xxe_http.xml"])
def test_entity_bombs_and_external_entities_are_refused_fast(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(FetchError, match=r"declares XML entities .* refused"):
        serve_file(name)
    assert time.perf_counter() - started < 1


def test_external_entity_in_utf_16_is_refused_too() -> None:
    text = (FEEDS / "xxe_file.xml").read_text().replace('encoding="utf-8"', 'encoding="utf-16"')
    with pytest.raises(FetchError, match="entity 'xxe'"):
        serve(text.encode("utf-16"))


def test_a_plain_internal_entity_is_harmless_and_accepted() -> None:
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>\n<rss version="2.0">'
            b"<channel><title>t</title><item><title>Acme&nbsp;news</title><guid>n-1</guid>"
            b"</item></channel></rss>")
    assert serve(body).items[0].title == "Acme news"


@pytest.mark.parametrize("name", ["billion_laughs.xml", "billion_laughs_one_line.xml",
                                  "xxe_file.xml", "xxe_http.xml"])
def test_feedparser_alone_neither_expands_nor_fetches_entities(name: str) -> None:
    # The second line of defence, should our own check ever miss: no expansion, no file, no net.
    started = time.perf_counter()
    parsed = feedparser.parse(io.BytesIO((FEEDS / name).read_bytes()), response_headers={})
    assert time.perf_counter() - started < 2
    text = repr(parsed.entries)
    assert "lollol" not in text and "aaaaaaaaaa" not in text and "root:" not in text
    assert len(text) < 10_000


def test_external_entities_never_reach_a_live_server(httpserver: HTTPServer) -> None:
    secret = httpserver.url_for("/secret")
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{secret}">]>'
            '<rss version="2.0"><channel><title>t</title><item><title>&x;</title>'
            '<guid>x</guid></item></channel></rss>').encode()
    httpserver.expect_request("/feed.xml").respond_with_data(body)
    with pytest.raises(FetchError, match="refused"):
        fetch_live(httpserver, {})
    feedparser.parse(io.BytesIO(body), response_headers={})
    assert [entry[0].path for entry in httpserver.log] == ["/feed.xml"]


def test_a_doctype_naming_an_external_dtd_is_parsed_without_fetching_it(
        httpserver: HTTPServer) -> None:
    dtd = httpserver.url_for("/rss-0.91.dtd")
    body = (FEEDS / "rss091_netscape_doctype.xml").read_bytes().replace(
        b"http://127.0.0.1:1/rss-0.91.dtd", dtd.encode())
    httpserver.expect_request("/feed.xml").respond_with_data(body)
    [item] = fetch_live(httpserver, {}).items
    assert (item.title, item.lang) == ("Acme turns 75", "en")
    assert [entry[0].path for entry in httpserver.log] == ["/feed.xml"]


def test_a_body_naming_a_local_file_is_not_read_as_that_file(tmp_path: Path) -> None:
    # feedparser.parse(bytes) tries the bytes as a file name first; ours never get the chance.
    local = tmp_path / "local.xml"
    local.write_bytes((FEEDS / "atom_blog.xml").read_bytes())
    with pytest.raises(FetchError, match="is not a feed"):
        serve(str(local).encode())


# --- conditional GET against a real server -----------------------------------------------------

RSS = (FEEDS / "rss_nl_windows1252.xml").read_bytes()


def test_conditional_get_sends_the_etag_and_a_304_keeps_the_state(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        RSS, content_type="application/rss+xml", headers={"ETag": '"v1"'})
    httpserver.expect_ordered_request(
        "/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    first = fetch_live(httpserver, {"cursor": "kept"})
    assert len(first.items) == 3 and not first.not_modified
    assert first.state == {"cursor": "kept", "etag": '"v1"'}
    second = fetch_live(httpserver, first.state)
    assert second == FetchResult([], first.state, not_modified=True)
    httpserver.check_assertions()


def test_last_modified_is_sent_back_as_if_modified_since(httpserver: HTTPServer) -> None:
    stamp = "Tue, 14 May 2024 07:12:00 GMT"
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        RSS, headers={"Last-Modified": stamp})
    httpserver.expect_ordered_request(
        "/feed.xml", headers={"If-Modified-Since": stamp}).respond_with_data("", status=304)
    first = fetch_live(httpserver, {})
    assert first.state == {"last_modified": stamp}
    assert fetch_live(httpserver, first.state).not_modified
    httpserver.check_assertions()


def test_validators_from_an_older_answer_are_dropped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(RSS)      # no ETag this time
    result = fetch_live(httpserver, {"etag": '"old"', "last_modified": "yesterday"})
    assert result.state == {}
    assert httpserver.log[0][0].headers["If-None-Match"] == '"old"'


def test_feed_address_may_come_from_params() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://feeds.example/alt.xml"
        assert "application/rss+xml" in request.headers["accept"]
        return httpx.Response(200, content=RSS)

    async def go() -> FetchResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await RssSource().fetch(GuardedHttp(client, resolve=_public),
                                           spec(None, url="https://feeds.example/alt.xml"), {})
    assert len(asyncio.run(go()).items) == 3


def test_a_source_without_an_address_is_a_fetch_error() -> None:
    async def go() -> FetchResult:
        async with httpx.AsyncClient() as client:
            return await RssSource().fetch(GuardedHttp(client), spec(None), {})

    with pytest.raises(FetchError, match="no feed address"):
        asyncio.run(go())


def test_parse_feed_is_usable_without_fetching() -> None:
    items = parse_feed((FEEDS / "youtube_channel.xml").read_bytes(), {}, FEED_URL)
    assert [item.external_id for item in items] == ["yt:video:dQw4w9WgXcQ", "yt:video:9bZkp7q19f0"]


# --- text helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "clean"), [
    ("https://a.example/p?utm_source=x&utm_medium=y&id=3", "https://a.example/p?id=3"),
    ("https://a.example/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&ref_src=6",
     "https://a.example/p"),
    ("https://a.example/p?q=a%20b&UTM_Campaign=c&x=&y#frag", "https://a.example/p?q=a%20b&x=&y#frag"),
    ("https://www.google.com/url?rct=j&sa=t&url=https://n.example/a%3Fid%3D1%26utm_source%3Dg"
     "&ct=ga&usg=AOv", "https://n.example/a?id=1"),
    ("https://www.google.nl/url?q=https://n.example/b&sa=D", "https://n.example/b"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fn.example%2Fc%3Ffbclid%3Dx&h=AT0",
     "https://n.example/c"),
    ("https://www.google.com/url?url=javascript:alert(1)",
     "https://www.google.com/url?url=javascript:alert(1)"),
    ("https://www.google.com/search?q=acme", "https://www.google.com/search?q=acme"),
    ("not a url", "not a url"),
    ("http://[::1", "http://[::1"),
])
def test_strip_tracking(url: str, clean: str) -> None:
    assert strip_tracking(url) == clean


@pytest.mark.parametrize(("html", "text"), [
    ("<p>One</p><p>two</p>", "One two"),
    ("Fat<b>ter</b> &amp; <i>bolder</i>", "Fatter & bolder"),
    ("<script>alert('x')</script>Hi<style>p{}</style> <noscript>js off</noscript>there",
     "Hi there"),
    ("a<br/>b<br>c", "a b c"),
    ("<svg><title>icon</title></svg>Text", "Text"),
    ("tab\tand\n\nnewlines\u00a0and&nbsp;nbsp", "tab and newlines and nbsp"),
    ("ctrl\x00chars\x1b[31m", "ctrlchars[31m"),
    ("caf&eacute; &#8364; &#x1F600;", "café € 😀"),
    ("unclosed <script>document.write(1)", "unclosed"),
    ("2 < 3 and 5 > 4", "2 < 3 and 5 > 4"),
    ("", ""),
])
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(("value", "code"), [
    ("nl-NL", "nl"), ("en_US", "en"), ("EN", "en"), ("English", "en"), ("dut", "nl"),
    ("nl, en", "nl"), ("fil", "fil"), ("und", None), ("*", None), ("", None), (None, None),
    ("x-klingon", None), ("12", None),
])
def test_normalise_lang(value: str | None, code: str | None) -> None:
    assert normalise_lang(value) == code


def test_hashtags_keep_one_word_categories_once() -> None:
    assert hashtags(["#Acme", "acme", "Two words", "2024", "AcmeProud", "", None, "a&b"]) == (
        "Acme", "AcmeProud")
