"""What every platform client shares: the post going out, the result coming back, the errors,
and the two seams through which a client reaches the network.

A client never opens a connection itself. It gets a `Transport` (the guarded HTTP client of
sources.http, adapted by services.engage_clients: private-address refusal, body cap, timeouts,
our User-Agent) and, for Bluesky, a `Session` (the app-password session listening uses too).
The import layers keep publish and sources apart, so the two meet only there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

# --- the post -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaFile:
    path: Path
    alt: str


@dataclass(frozen=True)
class Outgoing:
    """One post for one account, as the service hands it to a client.

    `key` and `created_at` stay the same over every attempt of the same delivery: Mastodon gets
    the key as its Idempotency-Key, Bluesky the time as createdAt and as the record key, so an
    attempt after a crash can find (or is deduplicated against) the first one.
    """

    text: str
    key: str
    created_at: datetime                      # aware UTC
    media: tuple[MediaFile, ...] = ()
    langs: tuple[str, ...] = ()
    reply_to: str | None = None               # URL or at:// URI of the post answered
    earlier_attempt: bool = False             # an attempt before this one may have succeeded


@dataclass(frozen=True)
class Published:
    remote_id: str                            # Mastodon status id; Bluesky record key
    uri: str                                  # ActivityPub URI; at:// URI
    url: str | None = None                    # the page people open
    cid: str | None = None                    # Bluesky only: pins the version answered


@dataclass(frozen=True)
class Identity:
    """Who a token or app password signs in as (`accounts check`)."""

    handle: str
    detail: str = ""


@dataclass(frozen=True)
class Counts:
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0


@dataclass(frozen=True)
class Preview:
    """The requests a post would make, for --dry-run: nothing here has been sent."""

    account: str
    platform: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Publisher(Protocol):
    """One configured account on one platform."""

    account: str
    platform: str

    async def verify(self) -> Identity:
        """Sign in (or check the token) and say as whom; raises AuthFailed when refused."""

    async def problems(self, post: Outgoing) -> list[str]:
        """What keeps the post from being accepted (length, media, alt text); [] when fine."""

    def preview(self, post: Outgoing) -> Preview:
        """The request bodies, offline (no sign-in, no look-ups)."""

    async def publish(self, post: Outgoing) -> Published: ...

    async def counts(self, published: Published) -> Counts: ...


# --- errors -------------------------------------------------------------------------------------


class PublishError(Exception):
    """A failure phrased for the officer (one line). Permanent unless `retryable`."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())[:500]
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class NotValid(PublishError):
    """Refused before sending: too long, an image without alt text, a missing file."""


class AuthFailed(PublishError):
    """The platform refused the token or app password (401/403, a refused login)."""


class Rejected(PublishError):
    """The platform refused the post itself (422 and other 4xx), with its reason."""


class RetryLater(PublishError):
    """Rate limited, a server error or no answer: the same request may succeed later."""

    retryable = True


# --- the network seams --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One HTTP request. `files` makes a multipart body (name → (filename, bytes, type))."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str | int] | None = None
    json: Any = None
    content: bytes | None = None
    data: Mapping[str, str] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None


@dataclass(frozen=True)
class Reply:
    url: str
    status_code: int
    headers: Mapping[str, str]                # lower-case names
    body: bytes
    retry_after: float | None = None          # from Retry-After, when the server sent one


class Transport(Protocol):
    async def send(self, call: Call) -> Reply:
        """Every HTTP status comes back as a Reply; a refused address raises NotValid, no
        answer at all raises RetryLater."""


class Session(Protocol):
    """A signed-in Bluesky session (sources.bluesky_listen.XrpcSession)."""

    async def did(self) -> str: ...

    async def call(self, send: Callable[[str], Awaitable[Reply]]) -> Reply:
        """`send(access_jwt)`; once more with a renewed token after ExpiredToken."""
