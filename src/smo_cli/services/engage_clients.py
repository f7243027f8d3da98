"""The platform clients of publish/, connected to the network the way listening connects.

Posting goes through the guarded HTTP client of sources.http (private addresses refused unless
the account says `allow_private: true`, redirects checked hop by hop, credentials never carried
to another origin, a body cap, timeouts, our User-Agent), with one generic `send` added for
multipart uploads and raw blobs. Bluesky signs in with the XrpcSession that listening uses.
The import layers keep publish/ and sources/ apart; this module is where the two meet, and
where the failures of the one become the errors of the other.

Secrets come from the environment (or `NAME_FILE`) when a client is built, live in memory for
the command only and never appear in a message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx

from smo_cli.config import EngageAccount, secret
from smo_cli.errors import SmoError
from smo_cli.publish.base import (
    AuthFailed,
    Call,
    NotValid,
    Publisher,
    PublishError,
    Reply,
    RetryLater,
)
from smo_cli.publish.bluesky import BlueskyClient
from smo_cli.publish.mastodon import MastodonClient
from smo_cli.sources.base import FetchError, RateLimited, Refused
from smo_cli.sources.bluesky_listen import Login, LoginRefused, SessionCache, XrpcSession
from smo_cli.sources.http import (
    USER_AGENT,
    GuardedHttp,
    HostPolicy,
    Resolver,
    retry_after_seconds,
    system_resolve,
)

TIMEOUT_SECONDS = 30.0          # an image upload to a slow instance takes a while
EVERY_STATUS = range(100, 600)  # the clients judge statuses themselves

_T = TypeVar("_T")


class PublishHttp(GuardedHttp):
    """GuardedHttp with the one request shape posting needs: any method and body, every status
    returned. Transport failures become publish errors."""

    def __init__(self, client: httpx.AsyncClient, account: str, *, allow_private: bool,
                 policy: HostPolicy, resolve: Resolver) -> None:
        super().__init__(client, allow_private=allow_private, policy=policy, resolve=resolve)
        self._account = account

    async def send(self, call: Call) -> Reply:
        try:
            request = self._build(call.method, call.url, params=call.params,
                                  headers={"User-Agent": USER_AGENT, **call.headers},
                                  json=call.json, content=call.content, data=call.data,
                                  files=call.files)
            if call.files:
                request.read()          # in memory, so a redirect can send the body again
            response = await self._send(request, EVERY_STATUS)
        except FetchError as exc:
            raise publish_error(self._account, exc) from None
        wait = response.headers.get("retry-after")
        return Reply(response.url, response.status_code, response.headers, response.body,
                     retry_after=retry_after_seconds(wait) if wait else None)


def publish_error(account: str, exc: FetchError) -> PublishError:
    """A failure of the guarded client (or of a Bluesky login) as the publish error it is."""
    if isinstance(exc, LoginRefused):
        return AuthFailed(f"{account}: {exc.detail}")
    if isinstance(exc, Refused):
        reason = exc.detail.split(";")[0]
        return NotValid(f"{account}: {reason}; for a server on a private network set "
                        "`allow_private: true` on the account in smo.yaml")
    if isinstance(exc, RateLimited):
        return RetryLater(f"{account}: {exc.detail}", retry_after=exc.retry_after_seconds)
    return RetryLater(f"{account}: {exc.detail}")


async def guarded(account: str, step: Awaitable[_T]) -> _T:
    """Await one client step; a failure that escaped as a sources error becomes a publish error
    (the Bluesky session signs in through the guarded client's own methods)."""
    try:
        return await step
    except FetchError as exc:
        raise publish_error(account, exc) from None


def secret_hint(account: EngageAccount) -> str:
    name = account.secret_name
    if account.platform == "mastodon":
        return (f"check {name}: an access token with write:statuses and write:media "
                "(Preferences → Development → New application)")
    return (f"check {name}: an app password (Settings → Privacy and security → App passwords) "
            f"for {account.handle}")


class Connections:
    """The publishers of one command: one HTTP client, one host policy, one session cache."""

    def __init__(self, client: httpx.AsyncClient, env: Mapping[str, str], *,
                 resolve: Resolver = system_resolve,
                 sessions: SessionCache | None = None) -> None:
        self._client = client
        self._env = env
        self._resolve = resolve
        self._policy = HostPolicy()
        self._sessions: SessionCache = sessions if sessions is not None else {}
        self._built: dict[str, Publisher] = {}

    def publisher(self, account: EngageAccount) -> Publisher:
        """The client for an account; AuthFailed when its secret is not set."""
        if account.name not in self._built:
            self._built[account.name] = self._build(account)
        return self._built[account.name]

    def _build(self, account: EngageAccount) -> Publisher:
        try:
            value = secret(self._env, account.secret_name)
        except SmoError as exc:
            # An unreadable *_FILE fails this account's deliveries like a refused token does;
            # raised as it is, it would stop the run with every claimed post left publishing.
            raise AuthFailed(f"{account.name}: {exc.message}") from None
        if not value:
            what = "access token" if account.platform == "mastodon" else "app password"
            raise AuthFailed(f"{account.name}: no {what}: set {account.secret_name} "
                             f"(or {account.secret_name}_FILE); {secret_hint(account)}")
        http = PublishHttp(self._client, account.name, allow_private=account.allow_private,
                           policy=self._policy, resolve=self._resolve)
        if account.platform == "mastodon":
            assert account.instance is not None          # the config requires it
            return MastodonClient(http, account=account.name, instance=account.instance,
                                  token=value, token_hint=secret_hint(account))
        assert account.handle is not None
        service = account.service.rstrip("/")
        login = Login(service, account.handle.lstrip("@"), value)
        session = XrpcSession(http, login, self._sessions, hint=secret_hint(account))
        return BlueskyClient(http, session, account=account.name, service=service,
                             handle=login.handle)


@asynccontextmanager
async def connections(env: Mapping[str, str], *,
                      transport: httpx.AsyncBaseTransport | None = None,
                      resolve: Resolver = system_resolve) -> AsyncIterator[Connections]:
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_SECONDS,
                                 headers={"User-Agent": USER_AGENT}) as client:
        yield Connections(client, env, resolve=resolve)


class _Offline:
    """Transport and session of a dry run: whatever tries to reach a server is a bug here."""

    async def send(self, call: Call) -> Reply:
        raise NotValid(f"a dry run sends nothing (not even {call.method} {call.url})")

    async def did(self) -> str:
        raise NotValid("a dry run does not sign in")

    async def call(self, send: Callable[[str], Awaitable[Reply]]) -> Reply:  # noqa: ARG002
        raise NotValid("a dry run does not sign in")


def offline_publisher(account: EngageAccount) -> Publisher:
    """A client that can only preview: no secret needed, no network reachable."""
    offline = _Offline()
    if account.platform == "mastodon":
        return MastodonClient(offline, account=account.name, instance=account.instance or "",
                              token="", token_hint="")
    return BlueskyClient(offline, offline, account=account.name, service=account.service,
                         handle=account.handle or "")
