"""The guarded HTTP client every listening source fetches through.

Guards, in the order they apply to each hop:
- only http and https; a host that resolves to a private, loopback or link-local address is
  refused unless the source allows private addresses (internal listening), and every redirect
  hop is checked again, so a public feed cannot redirect us into the intranet;
- at most 5 redirects; credentials (Authorization, Cookie) never follow a redirect to another
  origin;
- at most 15 MiB of body, counted while decompressing (we undo gzip/deflate ourselves with a bound
  on the output, so a gzip bomb stops at the cap in memory too; stacked encodings are refused);
- a per-host bound on parallel requests, and a per-host pause after 429/503 (Retry-After in
  seconds or as an HTTP date), shared by all sources of one run; a paused host is not a failure;
- 410 Gone and other errors become typed FetchErrors with one line for the officer.

(A name could resolve to another address between our check and httpx's connect; a determined DNS
rebinding attack is out of reach of this check. Internal listening should use --allow-private.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from smo_cli import __version__
from smo_cli.sources.base import FetchError, Gone, RateLimited, Refused, Response

USER_AGENT = f"smo/{__version__} (listening)"
MAX_BODY_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 6 * 3600.0
PER_HOST_CONCURRENCY = 2
# Only what _Inflater undoes; httpx would add br/zstd when those packages happen to be installed.
ACCEPT_ENCODING = "gzip, deflate"
# Never carried to another origin by a redirect (httpx's own rule, which we bypass by redirecting
# ourselves): a feed or API host must not hand our tokens to whoever it redirects to.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global


@dataclass
class HostPolicy:
    """What all sources of one run share per host: a concurrency bound and rate-limit pauses."""

    per_host: int = PER_HOST_CONCURRENCY
    clock: Callable[[], float] = time.monotonic
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _paused_until: dict[str, float] = field(default_factory=dict)

    def slot(self, host: str) -> asyncio.Semaphore:
        return self._slots.setdefault(host, asyncio.Semaphore(self.per_host))

    def pause(self, host: str, seconds: float) -> None:
        until = self.clock() + seconds
        self._paused_until[host] = max(until, self._paused_until.get(host, 0.0))

    def remaining_pause(self, host: str) -> float:
        return max(0.0, self._paused_until.get(host, 0.0) - self.clock())


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Retry-After as seconds: a number, or an HTTP date; unusable values give the default."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:       # "-0000" gives a naive datetime: it is UTC, not local time
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return min(max(0.0, when.timestamp() - current), MAX_RETRY_AFTER)


class GuardedHttp:
    """The `Http` an adapter gets: one per source, sharing the client and the host policy."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool = False,
                 policy: HostPolicy | None = None, resolve: Resolver = system_resolve,
                 max_body: int = MAX_BODY_BYTES) -> None:
        self._client = client
        self._allow_private = allow_private
        self._policy = policy or HostPolicy()
        self._resolve = resolve
        self._max_body = max_body

    async def get(self, url: str, *, params: Mapping[str, str | int] | None = None,
                  headers: Mapping[str, str] | None = None,
                  accept: Container[int] = ()) -> Response:
        """GET with every guard; 2xx, 304 and the `accept`ed statuses come back as a Response."""
        request = self._build("GET", url, params=params, headers=headers)
        return await self._send(request, accept)

    async def post_json(self, url: str, payload: Mapping[str, Any], *,
                        headers: Mapping[str, str] | None = None,
                        accept: Container[int] = ()) -> Response:
        request = self._build("POST", url, json=dict(payload), headers=headers)
        return await self._send(request, accept)

    async def post_form(self, url: str, data: Mapping[str, str] | None = None, *,
                        headers: Mapping[str, str] | None = None,
                        accept: Container[int] = ()) -> Response:
        """POST a form, or no body at all when `data` is None (Bluesky's refreshSession)."""
        request = self._build("POST", url, data=dict(data) if data is not None else None,
                              headers=headers)
        return await self._send(request, accept)

    def _build(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        try:
            request = self._client.build_request(method, url, **kwargs)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise Refused(f"not a valid address: {url!r} ({exc})") from None
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        return request

    async def _send(self, request: httpx.Request, accept: Container[int]) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            host = await self._check(request.url)
            # Bounds and pauses are per server: host and port (two services may share a host).
            server = host if request.url.port is None else f"{host}:{request.url.port}"
            waited = self._policy.remaining_pause(server)
            if waited > 0:
                raise RateLimited(f"{server} asked us to wait ({waited:.0f} s left)", waited)
            async with self._policy.slot(server):
                response = await self._exchange(request, host)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                request = self._redirect(request, response)
                continue
            return self._judge(response, server, accept)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {request.url.host}")

    def _redirect(self, request: httpx.Request, response: Response) -> httpx.Request:
        location = response.headers["location"]
        try:
            target = httpx.URL(urljoin(str(request.url), location))
        except (httpx.InvalidURL, ValueError):
            raise FetchError(f"{request.url.host} redirected to a broken address: "
                             f"{location[:100]!r}") from None
        method = "GET" if response.status_code == 303 else request.method
        dropped = {"host", "content-length"}
        if method != request.method:
            dropped.add("content-type")
        if not _same_origin(request.url, target):
            dropped |= CREDENTIAL_HEADERS
        headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
        content = request.content if method != "GET" else None
        return self._build(method, str(target), headers=headers, content=content)

    async def _check(self, url: httpx.URL) -> str:
        if url.scheme not in ("http", "https"):
            raise Refused(f"not an http(s) address: {url}")
        host = url.host
        if not host:
            raise Refused(f"no host in {url}")
        if self._allow_private:
            return host
        try:
            addresses = [host] if _is_ip(host) else await self._resolve(host)
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from None
        if not addresses or any(is_private(a) for a in addresses):
            raise Refused(f"{host} is a private or local address; add the source with "
                          "--allow-private for internal listening")
        return host

    async def _exchange(self, request: httpx.Request, host: str) -> Response:
        try:
            response = await self._client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise FetchError(f"{host} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot reach {host}: {exc or type(exc).__name__}") from None
        try:
            body = await self._read_capped(response, host)
        except zlib.error:
            raise FetchError(f"{host} sent a body that cannot be decoded") from None
        except httpx.TimeoutException:
            raise FetchError(f"{host} did not finish sending in time") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{host} broke off: {exc or type(exc).__name__}") from None
        finally:
            await response.aclose()
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Response(str(response.url), response.status_code, headers, body)

    async def _read_capped(self, response: httpx.Response, host: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise FetchError(f"{host} sent more than {_size(self._max_body)}")
        too_large = FetchError(f"{host} sent more than {_size(self._max_body)}")
        if response.is_stream_consumed:
            # Built in memory (httpx.MockTransport): httpx has read and decoded it already.
            if len(response.content) > self._max_body:
                raise too_large
            return response.content
        inflater = _Inflater.for_encoding(response.headers.get("content-encoding", ""), host)
        chunks: list[bytes] = []
        size = 0
        # Raw bytes, inflated here with a bound on the output: httpx would inflate each network
        # chunk in full first (a 64 KiB chunk of a gzip bomb is 64 MiB; of a double gzip, GiBs).
        async for raw in response.aiter_raw():
            chunk = inflater.inflate(raw, self._max_body - size + 1)
            size += len(chunk)
            if size > self._max_body:
                raise too_large
            chunks.append(chunk)
        tail = inflater.flush()
        if size + len(tail) > self._max_body:
            raise too_large
        return b"".join([*chunks, tail])

    def _judge(self, response: Response, host: str, accept: Container[int]) -> Response:
        code = response.status_code
        if 200 <= code < 300 or code == 304 or code in accept:
            return response
        if code in (429, 503):
            seconds = retry_after_seconds(response.headers.get("retry-after"))
            self._policy.pause(host, seconds)
            raise RateLimited(f"{host} answered {code}; retrying after {seconds:.0f} s", seconds)
        if code == 410:
            raise Gone(f"{host} says the address is gone (410)")
        reason = httpx.codes.get_reason_phrase(code) or "unexpected status"
        raise FetchError(f"HTTP {code} {reason} from {host}")


class _Inflater:
    """Content-Encoding undone with a limit on each step's output."""

    def __init__(self, wbits: int | None) -> None:
        self._wbits = wbits
        self._zlib = zlib.decompressobj(wbits) if wbits is not None else None
        self._first = True

    @classmethod
    def for_encoding(cls, header: str, host: str) -> _Inflater:
        codings = [c.strip().lower() for c in header.split(",")
                   if c.strip() and c.strip().lower() != "identity"]
        if not codings:
            return cls(None)
        if len(codings) > 1:
            raise FetchError(f"{host} sent a body encoded several times ({header}); refused")
        if codings[0] in ("gzip", "x-gzip"):
            return cls(zlib.MAX_WBITS | 16)
        if codings[0] == "deflate":
            return cls(zlib.MAX_WBITS)
        raise FetchError(f"{host} sent a body in an encoding we did not ask for ({header})")

    def inflate(self, data: bytes, limit: int) -> bytes:
        """At most `limit` (≥ 1) bytes of output. zlib stops when it reaches `limit` and keeps the
        rest of the input aside, so a caller passing "room left + 1" sees an overflow as a
        chunk one byte too long, having held no more than that in memory."""
        if self._zlib is None:
            return data
        try:
            out = self._zlib.decompress(data, limit)
        except zlib.error:
            if not (self._first and self._wbits == zlib.MAX_WBITS):
                raise
            # "deflate" is zlib-wrapped by the standard, raw by some servers: as httpx does.
            self._wbits, self._zlib = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)
            return self.inflate(data, limit)
        self._first = False
        return out

    def flush(self) -> bytes:
        return self._zlib.flush() if self._zlib is not None else b""


def _same_origin(old: httpx.URL, new: httpx.URL) -> bool:
    if old.host != new.host:
        return False
    if old.scheme == new.scheme:
        return old.port == new.port
    # http → https on the same host with default ports is an upgrade, not a new origin.
    return (old.scheme, new.scheme) == ("http", "https") and old.port in (None, 80) \
        and new.port in (None, 443)


def _size(limit: int) -> str:
    return f"{limit // 1024 // 1024} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
