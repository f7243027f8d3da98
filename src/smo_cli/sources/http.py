"""The guarded HTTP client every listening source fetches through.

Guards, in the order they apply to each hop:
- only http and https; a host that resolves to a private, loopback or link-local address is
  refused unless the source allows private addresses (internal listening), and every redirect
  hop is checked again, so a public feed cannot redirect us into the intranet;
- at most 5 redirects; at most 15 MiB of body, counted after decompression;
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
from collections.abc import Awaitable, Callable, Container, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from smo_cli.sources.base import FetchError, Gone, RateLimited, Refused, Response

MAX_BODY_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 6 * 3600.0
PER_HOST_CONCURRENCY = 2

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
        request = self._client.build_request("GET", url, params=params, headers=headers)
        return await self._send(request, accept)

    async def post_json(self, url: str, payload: Mapping[str, Any], *,
                        headers: Mapping[str, str] | None = None,
                        accept: Container[int] = ()) -> Response:
        request = self._client.build_request("POST", url, json=dict(payload), headers=headers)
        return await self._send(request, accept)

    async def _send(self, request: httpx.Request, accept: Container[int]) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            host = await self._check(request.url)
            waited = self._policy.remaining_pause(host)
            if waited > 0:
                raise RateLimited(f"{host} asked us to wait ({waited:.0f} s left)", waited)
            async with self._policy.slot(host):
                response = await self._exchange(request, host)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                target = urljoin(str(request.url), response.headers["location"])
                method = "GET" if response.status_code == 303 else request.method
                request = self._client.build_request(
                    method, target, headers={k: v for k, v in request.headers.items()
                                             if k.lower() not in ("host", "content-length")},
                    content=request.content if method != "GET" else None)
                continue
            return self._judge(response, host, accept)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {request.url.host}")

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
        except httpx.DecodingError:
            raise FetchError(f"{host} sent a body that cannot be decoded") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{host} broke off: {exc or type(exc).__name__}") from None
        finally:
            await response.aclose()
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Response(str(response.url), response.status_code, headers, body)

    async def _read_capped(self, response: httpx.Response, host: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise FetchError(f"{host} sent more than {self._max_body // 1024 // 1024} MiB")
        chunks: list[bytes] = []
        size = 0
        # Counted after decompression: a small gzip body can unpack to gigabytes.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_body:
                raise FetchError(f"{host} sent more than {self._max_body // 1024 // 1024} MiB")
            chunks.append(chunk)
        return b"".join(chunks)

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


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
