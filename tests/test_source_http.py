"""GuardedHttp against a real local server (pytest-httpserver) and, for the address guards, an
httpx.MockTransport with an injected resolver: statuses, Retry-After, redirects, body caps,
timeouts, and refusals of private addresses."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from smo_cli.sources.base import FetchError, Gone, RateLimited, Refused, Response
from smo_cli.sources.http import GuardedHttp, HostPolicy, retry_after_seconds

T = TypeVar("T")
PUBLIC = {"feeds.example": ["93.184.216.34"], "cdn.example": ["151.101.1.1"],
          "intranet.example": ["10.1.2.3"]}


async def fake_resolve(host: str) -> list[str]:
    """DNS for tests: public-looking names map to public addresses, nothing leaves the machine."""
    try:
        return PUBLIC[host]
    except KeyError:
        raise OSError(f"unknown test host {host}") from None


def run_with(make: Callable[[GuardedHttp], Awaitable[T]], *, timeout: float = 5.0,
             **options: Any) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await make(GuardedHttp(client, **options))
    return asyncio.run(go())


def get(url: str, **options: Any) -> Response:
    options.setdefault("allow_private", True)
    return run_with(lambda http: http.get(url), **options)


def mock_get(handler: Callable[[httpx.Request], httpx.Response], url: str,
             headers: Mapping[str, str] | None = None) -> Response:
    """A GET through the guards (no --allow-private) to an httpx.MockTransport."""
    async def go() -> Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await GuardedHttp(client, resolve=fake_resolve).get(url, headers=headers)
    return asyncio.run(go())


def test_get_returns_status_lowercase_headers_and_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"<rss/>", content_type="application/rss+xml", headers={"ETag": '"v1"'})
    response = get(httpserver.url_for("/feed"))
    assert (response.status_code, response.body) == (200, b"<rss/>")
    assert response.headers["etag"] == '"v1"'
    assert response.url == httpserver.url_for("/feed")


def test_429_with_retry_after_seconds_is_rate_limited_and_pauses_the_host(
        httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"})
    policy = HostPolicy()

    async def two_sources_one_host() -> list[RateLimited]:
        errors = []
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(2):   # each source gets its own GuardedHttp; the run shares a policy
                with pytest.raises(RateLimited) as caught:
                    await GuardedHttp(client, allow_private=True, policy=policy).get(
                        httpserver.url_for("/feed"))
                errors.append(caught.value)
        return errors

    first, second = asyncio.run(two_sources_one_host())
    assert first.retry_after_seconds == 120
    assert "429" in first.detail
    assert 110 < second.retry_after_seconds <= 120
    assert "asked us to wait" in second.detail
    assert len(httpserver.log) == 1


def test_429_with_retry_after_http_date_waits_until_that_date(httpserver: HTTPServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    httpserver.expect_request("/feed").respond_with_data(
        "", status=429, headers={"Retry-After": when})
    with pytest.raises(RateLimited) as caught:
        get(httpserver.url_for("/feed"))
    assert 85 <= caught.value.retry_after_seconds <= 91


def test_503_without_retry_after_is_rate_limited_for_the_default_time(
        httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("maintenance", status=503)
    with pytest.raises(RateLimited) as caught:
        get(httpserver.url_for("/feed"))
    assert caught.value.retry_after_seconds == 60


def test_retry_after_date_without_zone_is_read_as_utc() -> None:
    now = 1_700_000_000.0        # 2023-11-14 22:13:20 UTC
    assert retry_after_seconds("Tue, 14 Nov 2023 22:15:20 -0000", now=now) == 120
    assert retry_after_seconds("soon", now=now) == 60


def test_410_is_gone(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=410)
    with pytest.raises(Gone, match="gone"):
        get(httpserver.url_for("/feed"))


def test_500_is_a_fetch_error_naming_the_status(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("oops", status=500)
    with pytest.raises(FetchError, match="HTTP 500 Internal Server Error") as caught:
        get(httpserver.url_for("/feed"))
    assert not isinstance(caught.value, RateLimited | Gone | Refused)


def _redirect_chain(httpserver: HTTPServer, hops: int) -> None:
    for hop in range(hops):
        httpserver.expect_request(f"/r{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/r{hop + 1}"})
    httpserver.expect_request(f"/r{hops}").respond_with_data("<rss/>")


def test_five_redirects_are_followed(httpserver: HTTPServer) -> None:
    _redirect_chain(httpserver, 5)
    response = get(httpserver.url_for("/r0"))
    assert response.body == b"<rss/>"
    assert response.url.endswith("/r5")


def test_a_chain_of_six_redirects_is_a_fetch_error(httpserver: HTTPServer) -> None:
    _redirect_chain(httpserver, 6)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        get(httpserver.url_for("/r0"))
    assert len(httpserver.log) == 6          # the seventh address is never asked for


def test_body_over_the_cap_is_a_fetch_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 2048)
    with pytest.raises(FetchError, match="sent more than 1024 bytes"):
        get(httpserver.url_for("/big"), max_body=1024)


def test_streamed_body_without_length_over_the_cap_is_a_fetch_error(
        httpserver: HTTPServer) -> None:
    def stream(_request: Request) -> WerkzeugResponse:
        return WerkzeugResponse((b"y" * 512 for _ in range(8)), content_type="application/xml")

    httpserver.expect_request("/stream").respond_with_handler(stream)
    with pytest.raises(FetchError, match="sent more than 1024 bytes"):
        get(httpserver.url_for("/stream"), max_body=1024)


def test_gzip_body_is_inflated(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(b"<rss>" + b" " * 5000 + b"</rss>"), headers={"Content-Encoding": "gzip"})
    assert get(httpserver.url_for("/gz"), max_body=10_000).body.startswith(b"<rss>     ")


def test_raw_deflate_body_is_inflated(httpserver: HTTPServer) -> None:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = packer.compress(b"<feed/>") + packer.flush()
    httpserver.expect_request("/deflate").respond_with_data(
        raw, headers={"Content-Encoding": "deflate"})
    assert get(httpserver.url_for("/deflate")).body == b"<feed/>"


def test_gzip_bomb_stops_at_the_cap_without_inflating_it_in_memory(
        httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)   # 200 MiB in ~200 KiB
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, content_type="application/rss+xml", headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FetchError, match="sent more than 1 MiB"):
            get(httpserver.url_for("/bomb"), max_body=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 16 * 1024 * 1024


def test_a_body_encoded_twice_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/twice").respond_with_data(
        gzip.compress(gzip.compress(b"<rss/>")), headers={"Content-Encoding": "gzip, gzip"})
    with pytest.raises(FetchError, match="encoded several times"):
        get(httpserver.url_for("/twice"))


def test_a_body_that_is_not_the_gzip_it_claims_is_a_fetch_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/fake").respond_with_data(
        b"<rss/> not gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="cannot be decoded"):
        get(httpserver.url_for("/fake"))


def test_a_server_slower_than_the_timeout_is_a_fetch_error_quickly(
        httpserver: HTTPServer) -> None:
    answered = threading.Event()

    def slow(_request: Request) -> WerkzeugResponse:
        time.sleep(0.8)
        answered.set()
        return WerkzeugResponse("<rss/>")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.perf_counter()
    with pytest.raises(FetchError, match="in time"):
        get(httpserver.url_for("/slow"), timeout=0.2)
    assert time.perf_counter() - started < 0.7
    # Let the shared server finish and log this request, or it lands in the next test's log.
    assert answered.wait(5)
    deadline = time.monotonic() + 5
    while not any(request.path == "/slow" for request, _ in httpserver.log):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_loopback_source_without_allow_private_is_refused_unasked(
        httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("<rss/>")
    for url in (f"http://127.0.0.1:{httpserver.port}/feed", httpserver.url_for("/feed")):
        with pytest.raises(Refused, match="--allow-private"):
            get(url, allow_private=False)
    assert httpserver.log == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://feeds.example/feed.xml",
                                 "gopher://127.0.0.1:70/", "http://[::1"])
def test_non_http_or_broken_addresses_are_refused(url: str) -> None:
    with pytest.raises(Refused):
        get(url, allow_private=False, resolve=fake_resolve)


def test_public_host_is_fetched_without_allow_private() -> None:
    response = mock_get(lambda _request: httpx.Response(200, content=b"<rss/>"),
                        "https://feeds.example/feed.xml")
    assert response.body == b"<rss/>"


@pytest.mark.parametrize("target", ["http://127.0.0.1/admin", "http://intranet.example/secret",
                                    "http://[::ffff:192.168.1.1]/", "http://169.254.169.254/"])
def test_public_feed_redirecting_into_a_private_address_is_refused_on_the_second_hop(
        target: str) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.host == "feeds.example":
            return httpx.Response(302, headers={"Location": target})
        return httpx.Response(200, content=b"internal secrets")

    with pytest.raises(Refused, match="private or local address"):
        mock_get(handler, "https://feeds.example/feed.xml")
    assert asked == ["https://feeds.example/feed.xml"]


def test_credentials_do_not_follow_a_redirect_to_another_host() -> None:
    seen: dict[str, httpx.Headers] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers
        if request.url.host == "feeds.example":
            return httpx.Response(301, headers={"Location": "https://cdn.example/feed.xml"})
        return httpx.Response(200, content=b"<rss/>")

    mock_get(handler, "https://feeds.example/feed.xml",
             headers={"Authorization": "Bearer s3cret", "Cookie": "session=1",
                      "If-None-Match": '"v1"'})
    assert seen["feeds.example"]["authorization"] == "Bearer s3cret"
    assert "authorization" not in seen["cdn.example"]
    assert "cookie" not in seen["cdn.example"]
    assert seen["cdn.example"]["if-none-match"] == '"v1"'


def test_credentials_follow_a_redirect_on_the_same_host() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        if request.url.path == "/old":
            return httpx.Response(308, headers={"Location": "/new"})
        return httpx.Response(200, content=b"{}")

    mock_get(handler, "https://feeds.example/old", headers={"Authorization": "Bearer t"})
    assert seen == ["Bearer t", "Bearer t"]


def test_only_encodings_we_can_bound_are_asked_for() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        return httpx.Response(200, content=b"")

    mock_get(handler, "https://feeds.example/feed.xml")
    assert seen == ["gzip, deflate"]
