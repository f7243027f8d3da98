"""The contract every listening source keeps: fetch with state → items + new state.

An adapter turns one platform's answers into `Item`s (plain text, aware UTC dates, the platform's
own id) and says what to remember for the next poll (ETag, `min_id`, a cursor). It never touches
the database and never decides what is new: the pipeline does that with the dedup key.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from smo_cli.errors import InvalidData


@dataclass(frozen=True)
class Item:
    """One post, article or comment as a source gives it, already normalised."""

    text: str                               # plain text, markup stripped, entities decoded
    external_id: str | None = None          # Mastodon uri, at:// uri, HN objectID, Reddit fullname,
                                            # feed guid: the strongest dedup key
    url: str | None = None                  # without tracking parameters
    author: str | None = None
    title: str | None = None
    published_at: datetime | None = None    # as the source claims it (aware UTC), or None
    lang: str | None = None                 # as the source declares it
    hashtags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """What an adapter needs to know about one configured source."""

    name: str
    kind: str
    base_url: str | None
    params: Mapping[str, Any]
    allow_private: bool = False
    secrets: Mapping[str, str] = field(default_factory=dict)   # from the environment only


@dataclass(frozen=True)
class FetchResult:
    items: list[Item]
    state: dict[str, Any]                   # the whole new state (replaces the old one)
    not_modified: bool = False              # 304: nothing changed since the last poll


class FetchError(Exception):
    """A failure of one source's fetch, phrased for the officer (one line)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = " ".join(detail.split())[:500]


class RateLimited(FetchError):
    """429/503 with (or without) Retry-After: wait, it is not the source's fault."""

    def __init__(self, detail: str, retry_after_seconds: float) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class Gone(FetchError):
    """410 Gone: the feed or account is no more; the source is disabled."""


class Refused(FetchError):
    """We will not fetch this (a private address without --allow-private, a bad scheme)."""


class Http(Protocol):
    """The guarded HTTP client adapters use (see sources.http.GuardedHttp)."""

    async def get(self, url: str, *, params: Mapping[str, str | int] | None = None,
                  headers: Mapping[str, str] | None = None,
                  accept: Container[int] = ()) -> Response:
        """2xx and 304 come back (and statuses in `accept`); others raise a FetchError."""

    async def post_json(self, url: str, payload: Mapping[str, Any], *,
                        headers: Mapping[str, str] | None = None,
                        accept: Container[int] = ()) -> Response: ...

    async def post_form(self, url: str, data: Mapping[str, str] | None = None, *,
                        headers: Mapping[str, str] | None = None,
                        accept: Container[int] = ()) -> Response:
        """POST a form, or no body at all when `data` is None."""


@dataclass(frozen=True)
class Response:
    url: str                                # after redirects
    status_code: int
    headers: Mapping[str, str]              # lower-case names
    body: bytes


class Source(Protocol):
    kind: str

    async def fetch(self, http: Http, spec: SourceSpec,
                    state: Mapping[str, Any]) -> FetchResult: ...


SourceFactory = Callable[[], Source]
_REGISTRY: dict[str, SourceFactory] = {}


def register(kind: str, factory: SourceFactory) -> None:
    _REGISTRY[kind] = factory


def known_kinds() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def source_for(kind: str) -> Source:
    """The adapter for a kind; an unknown kind is InvalidData listing the known ones."""
    _load_builtin()
    try:
        return _REGISTRY[kind]()
    except KeyError:
        raise InvalidData(f"unknown source kind {kind!r}",
                          hint=f"known kinds: {', '.join(sorted(_REGISTRY))}") from None


_loaded = False


def _load_builtin() -> None:
    # Imported on first use, so commands that never fetch do not pay for feedparser & co.
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in ("rss", "mastodon_listen", "bluesky_listen", "hackernews", "reddit"):
        try:
            importlib.import_module(f"smo_cli.sources.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"smo_cli.sources.{module}":
                raise
