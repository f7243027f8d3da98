"""Bluesky listening: a full-text search (needs a login) or one author's feed (public).

`query`: app.bsky.feed.searchPosts with sort=latest on spec.base_url (the PDS or entryway,
https://bsky.social by default) with an app-password session. `author`: app.bsky.feed.getAuthorFeed
on the public AppView (params["appview"]). Both page with the cursor until they pass the newest
`indexedAt` of the previous poll (less a margin, because search sorts by min(createdAt, indexedAt)
and indexing lags), or after MAX_PAGES; the first poll takes one page.

Secrets never reach the database: the session's JWTs live in memory (a SessionCache) for the
run only; the source state holds nothing but a timestamp. An ExpiredToken answer is met with
refreshSession and one retry; when that fails, with a new login. That session (XrpcSession) is
also what publishing signs in with (services.engage_clients hands it to publish.bluesky).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smo_cli.sources.base import FetchError, FetchResult, Http, Item, Response, SourceSpec, register
from smo_cli.sources.http import USER_AGENT
from smo_cli.sources.web import parse_when

DEFAULT_SERVICE = "https://bsky.social"
DEFAULT_APPVIEW = "https://public.api.bsky.app"
HANDLE_ENV = "SMO_BLUESKY_HANDLE"
PASSWORD_ENV = "SMO_BLUESKY_APP_PASSWORD"
PAGE_LIMIT = 100
MAX_PAGES = 5
OVERLAP = timedelta(minutes=10)
TAG_FEATURE = "app.bsky.richtext.facet#tag"
LINK_FEATURE = "app.bsky.richtext.facet#link"
PIN_REASON = "app.bsky.feed.defs#reasonPin"

_M = TypeVar("_M", bound="BaseModel")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Author(_Lenient):
    did: str
    handle: str = "handle.invalid"


class _ByteSlice(_Lenient):
    byte_start: int = Field(alias="byteStart")
    byte_end: int = Field(alias="byteEnd")


class _Feature(_Lenient):
    type: str = Field(default="", alias="$type")
    tag: str | None = None
    uri: str | None = None


class _Facet(_Lenient):
    index: _ByteSlice
    features: list[_Feature] = Field(default_factory=list)


class _Record(_Lenient):
    text: str = ""
    created_at: str | None = Field(default=None, alias="createdAt")
    langs: list[str] = Field(default_factory=list)
    facets: list[Any] = Field(default_factory=list)      # validated one by one in _item
    tags: list[str] = Field(default_factory=list)


class _Post(_Lenient):
    uri: str
    author: _Author
    record: _Record
    indexed_at: str | None = Field(default=None, alias="indexedAt")


class _Reason(_Lenient):
    type: str = Field(default="", alias="$type")
    indexed_at: str | None = Field(default=None, alias="indexedAt")


class _FeedEntry(_Lenient):
    post: _Post
    reason: _Reason | None = None


class _Page(_Lenient):
    posts: list[Any] = Field(default_factory=list)        # searchPosts
    feed: list[Any] = Field(default_factory=list)         # getAuthorFeed
    cursor: str | None = None


class _Session(_Lenient):
    access_jwt: str = Field(alias="accessJwt")
    refresh_jwt: str = Field(alias="refreshJwt")
    did: str = ""


class _XrpcError(_Lenient):
    error: str | None = None
    message: str | None = None


# Sessions by (service, handle), in memory only: one login per account and run. createSession
# is limited (about 100 a day per account at bsky.social): sources of one account share a cache.
SessionCache = dict[tuple[str, str], _Session]


class Login(NamedTuple):
    service: str
    handle: str
    password: str


class LoginRefused(FetchError):
    """createSession said no: a wrong handle or app password (retrying will not help)."""


class _Answer(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def body(self) -> bytes: ...


_A = TypeVar("_A", bound=_Answer)


class XrpcSession:
    """One account's app-password session: created on first use, shared through the cache,
    renewed on ExpiredToken with refreshSession (a new login when that is refused too)."""

    def __init__(self, http: Http, login: Login, sessions: SessionCache, *, hint: str) -> None:
        self._http = http
        self._login = login
        self._sessions = sessions
        self._hint = hint                   # how to fix a refused login, for this caller

    async def did(self) -> str:
        return (await self._current()).did

    async def call(self, send: Callable[[str], Awaitable[_A]]) -> _A:
        """`send(access_jwt)`, and once more with a renewed token if the first says ExpiredToken.
        The answer comes back whatever its status: the caller judges it."""
        response = await send((await self._current()).access_jwt)
        if response.status_code >= 400 and _error_of(response.body).error == "ExpiredToken":
            response = await send((await self._refresh()).access_jwt)
        return response

    async def _current(self) -> _Session:
        session = self._sessions.get((self._login.service, self._login.handle))
        return session if session is not None else await self._create()

    async def _create(self) -> _Session:
        login = self._login
        response = await self._http.post_json(
            f"{login.service}/xrpc/com.atproto.server.createSession",
            {"identifier": login.handle, "password": login.password},
            headers=_headers(None), accept=(400, 401))
        if response.status_code >= 400:
            raise LoginRefused(f"Bluesky refused the login of {login.handle} "
                               f"({_describe(response)}): {self._hint}")
        session = self._sessions[login.service, login.handle] = _parse(response, _Session)
        return session

    async def _refresh(self) -> _Session:
        # refreshSession takes no input: the PDS refuses any body, `{}` included, hence a
        # bodyless POST. If the refresh token is refused too, a fresh login does the job.
        login = self._login
        current = await self._current()
        response = await self._http.post_form(
            f"{login.service}/xrpc/com.atproto.server.refreshSession", None,
            headers=_headers(current.refresh_jwt), accept=(400, 401))
        if response.status_code < 400:
            renewed = _parse(response, _Session)
            if not renewed.did:
                renewed = renewed.model_copy(update={"did": current.did})
            self._sessions[login.service, login.handle] = renewed
            return renewed
        return await self._create()


class BlueskySource:
    """params: `query` (searchPosts, with a session) or `author` (getAuthorFeed, public)."""

    kind = "bluesky"

    def __init__(self, sessions: SessionCache | None = None) -> None:
        self._sessions: SessionCache = sessions if sessions is not None else {}

    async def fetch(self, http: Http, spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
        query = str(spec.params.get("query") or "").strip()
        actor = str(spec.params.get("author") or "").strip().lstrip("@")
        if bool(query) == bool(actor):
            raise FetchError("a Bluesky source needs exactly one of query or author")
        subject = f"query:{query}" if query else f"author:{actor}"
        since = parse_when(state.get("since")) if state.get("subject") == subject else None
        floor = since - OVERLAP if since is not None else None
        params: dict[str, str | int] = {"limit": PAGE_LIMIT}
        get: Getter
        if query:
            login = _login(spec)
            url = f"{login.service}/xrpc/app.bsky.feed.searchPosts"
            params.update(q=query, sort="latest")
            if floor is not None:
                params["since"] = floor.strftime("%Y-%m-%dT%H:%M:%S.000Z")

            async def get(page: Mapping[str, str | int]) -> Response:
                return await self._authed_get(http, login, url, page)
        else:
            appview = str(spec.params.get("appview") or DEFAULT_APPVIEW).rstrip("/")
            url = f"{appview}/xrpc/app.bsky.feed.getAuthorFeed"
            params["actor"] = actor

            async def get(page: Mapping[str, str | int]) -> Response:
                return await _public_get(http, url, page)
        rows = await _walk(get, params, floor)
        items: list[Item] = []
        uris: set[str] = set()
        newest = max([at for _, at, _ in rows if at is not None] + ([since] if since else []),
                     default=None)
        for post, _, _ in rows:
            if post.uri not in uris:                # a repost and its original count once
                uris.add(post.uri)
                items.append(_item(post))
        new_state: dict[str, Any] = {"subject": subject}
        if newest is not None:
            new_state["since"] = newest.isoformat()
        return FetchResult(items=items, state=new_state)

    async def _authed_get(self, http: Http, login: Login, url: str,
                          params: Mapping[str, str | int]) -> Response:
        session = XrpcSession(http, login, self._sessions,
                              hint=f"check {HANDLE_ENV} and {PASSWORD_ENV} (an app password)")
        response = await session.call(lambda jwt: http.get(
            url, params=params, headers=_headers(jwt), accept=(400, 401)))
        if response.status_code < 400:
            return response
        raise FetchError(f"Bluesky search failed: {_describe(response)}")


Getter = Callable[[Mapping[str, str | int]], Awaitable[Response]]
# A post as listed: (post, when it entered the listing, when the listing sorts it).
_Row = tuple[_Post, datetime | None, datetime | None]


async def _walk(get: Getter, params: dict[str, str | int], floor: datetime | None) -> list[_Row]:
    rows: list[_Row] = []
    # The first poll takes one page: no backfill of the whole history.
    for _ in range(1 if floor is None else MAX_PAGES):
        page = _parse(await get(params), _Page)
        new = _rows(page)
        rows.extend(new)
        if not page.cursor or (floor is not None and any(
                sort_at is not None and sort_at < floor for _, _, sort_at in new)):
            break
        params["cursor"] = page.cursor
    return rows


def _rows(page: _Page) -> list[_Row]:
    rows: list[_Row] = []
    # Records are user data of any shape: one odd post is skipped, not the whole page.
    for post in filter(None, (_valid(_Post, raw) for raw in page.posts)):
        rows.append((post, parse_when(post.indexed_at), _sort_at(post)))
    for entry in filter(None, (_valid(_FeedEntry, raw) for raw in page.feed)):
        reason = entry.reason
        if reason is None:
            rows.append((entry.post, parse_when(entry.post.indexed_at), _sort_at(entry.post)))
        elif reason.type == PIN_REASON:
            rows.append((entry.post, None, None))   # pinned: old on purpose, says nothing of age
        else:
            reposted_at = parse_when(reason.indexed_at)     # a repost is listed by its own time
            rows.append((entry.post, reposted_at, reposted_at))
    return rows


async def _public_get(http: Http, url: str, params: Mapping[str, str | int]) -> Response:
    response = await http.get(url, params=params, headers=_headers(None), accept=(400,))
    if response.status_code == 400:
        raise FetchError(f"Bluesky author feed: {_describe(response)}")
    return response


def _login(spec: SourceSpec) -> Login:
    handle = (spec.secrets.get(HANDLE_ENV) or "").strip().lstrip("@")
    password = spec.secrets.get(PASSWORD_ENV) or ""
    if not handle or not password:
        raise FetchError(f"Bluesky search needs a login: set {HANDLE_ENV} and {PASSWORD_ENV} "
                         "(an app password from Settings → Privacy and security → App passwords)")
    return Login((spec.base_url or DEFAULT_SERVICE).rstrip("/"), handle, password)


def _headers(bearer: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return headers


def _parse(response: Response, model: type[_M]) -> _M:
    try:
        return model.model_validate_json(response.body)
    except ValidationError:
        raise FetchError(f"{urlsplit(response.url).hostname} sent an answer that is not the "
                         "Bluesky response expected") from None


def _valid(model: type[_M], raw: Any) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _error_of(body: bytes) -> _XrpcError:
    try:
        return _XrpcError.model_validate_json(body)
    except ValidationError:
        return _XrpcError()


def _describe(response: Response) -> str:
    error = _error_of(response.body)
    detail = ": ".join(part for part in (error.error, error.message) if part)
    return f"HTTP {response.status_code}" + (f" {detail}" if detail else "")


def _sort_at(post: _Post) -> datetime | None:
    # Search and feeds sort by min(createdAt, indexedAt): a backdated post sorts by its claim.
    times = [t for t in (parse_when(post.record.created_at), parse_when(post.indexed_at)) if t]
    return min(times) if times else None


def _item(post: _Post) -> Item:
    record = post.record
    facets = list(filter(None, (_valid(_Facet, raw) for raw in record.facets)))
    handle = post.author.handle
    who = handle if handle and handle != "handle.invalid" else post.author.did
    rkey = post.uri.rstrip("/").rsplit("/", 1)[-1]
    tags = [f.tag or (_covered(record.text, facet) or "").lstrip("#")
            for facet in facets for f in facet.features if f.type == TAG_FEATURE]
    return Item(
        text=expand_links(record.text, facets),
        external_id=post.uri,
        url=f"https://bsky.app/profile/{who}/post/{rkey}",
        author=f"@{who}",
        published_at=parse_when(record.created_at) or parse_when(post.indexed_at),
        lang=record.langs[0] if record.langs else None,
        hashtags=tuple(dict.fromkeys(tag for tag in [*tags, *record.tags] if tag)),
    )


def facet_text(text: str, byte_start: int, byte_end: int) -> str | None:
    """The text a facet covers: its offsets count UTF-8 bytes, not characters."""
    data = text.encode("utf-8")
    if not 0 <= byte_start < byte_end <= len(data):
        return None
    try:
        return data[byte_start:byte_end].decode("utf-8")
    except UnicodeDecodeError:                      # an offset inside a character
        return None


def _covered(text: str, facet: _Facet) -> str | None:
    return facet_text(text, facet.index.byte_start, facet.index.byte_end)


def expand_links(text: str, facets: list[_Facet]) -> str:
    """The text with each shortened link ("acme.nl/blog/lan...") replaced by its full URI.

    Apps shorten long links in the text and keep the full address in a link facet; the full
    address is what `url:` and `site:` queries look for. Link text that is not a shortening of
    its URI (a custom label) stays as written.
    """
    data = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        shown = _covered(text, facet)
        for feature in facet.features:
            if (feature.type == LINK_FEATURE and feature.uri and shown is not None
                    and shown != feature.uri and _shortens(shown, feature.uri)):
                spans.append((facet.index.byte_start, facet.index.byte_end, feature.uri))
    out = bytearray()
    position = 0
    for start, end, uri in sorted(spans):
        if start < position:
            continue                                # overlapping facets: keep the first
        out += data[position:start] + uri.encode("utf-8")
        position = end
    out += data[position:]
    return out.decode("utf-8")


def _shortens(shown: str, uri: str) -> bool:
    def core(value: str) -> str:
        for prefix in ("https://", "http://", "www."):
            value = value.removeprefix(prefix)
        return value

    stem = core(shown.rstrip(".…").strip())
    return bool(stem) and core(uri).startswith(stem)


register("bluesky", BlueskySource)
