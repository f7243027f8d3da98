"""Reddit: posts that match a query, site-wide or in one subreddit.

With an app's client id and secret (SMO_REDDIT_CLIENT_ID / SMO_REDDIT_CLIENT_SECRET) we take an
application-only OAuth token (client credentials; kept in memory, never stored) and read the JSON
search of oauth.reddit.com, paged with `after` until the previous poll's newest post. Reddit
HTML-escapes `&`, `<` and `>` in the JSON strings, so they are unescaped exactly once. Without
credentials we read the public search feed (Atom) with feedparser, one page per poll.
Reddit throttles clients without a descriptive User-Agent, so every request carries ours.
"""

from __future__ import annotations

import base64
import calendar
import html
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smo_cli.sources.base import FetchError, FetchResult, Http, Item, Response, SourceSpec, register
from smo_cli.sources.http import USER_AGENT
from smo_cli.sources.text import markup_to_text

DEFAULT_SITE = "https://www.reddit.com"
DEFAULT_AUTH_URL = "https://www.reddit.com/api/v1/access_token"
DEFAULT_API_URL = "https://oauth.reddit.com"
ID_ENV = "SMO_REDDIT_CLIENT_ID"
SECRET_ENV = "SMO_REDDIT_CLIENT_SECRET"
PAGE_LIMIT = 100
MAX_PAGES = 5
OVERLAP_SECONDS = 600
SUBREDDIT = re.compile(r"^[A-Za-z0-9_]{2,21}$")
FULLNAME = re.compile(r"^t[1-6]_[0-9a-z]+$")
FEED_ACCEPT = "application/atom+xml, application/rss+xml;q=0.9, */*;q=0.5"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Thing(_Lenient):
    name: str                                   # the fullname: t3_abc123
    permalink: str
    created_utc: float
    author: str | None = None
    title: str | None = None
    link_title: str | None = None               # comments (t1) carry their post's title here
    selftext: str | None = None
    body: str | None = None


class _Child(_Lenient):
    kind: str
    data: _Thing


class _ListingData(_Lenient):
    after: str | None = None
    children: list[_Child] = Field(default_factory=list)


class _Listing(_Lenient):
    data: _ListingData


class _Token(_Lenient):
    access_token: str


class RedditSource:
    """params: `query`, optional `subreddit`, `auth_url`, `api_url`; spec.base_url: the site."""

    kind = "reddit"

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str] = {}      # in memory only: tokens are secrets

    async def fetch(self, http: Http, spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
        query = str(spec.params.get("query") or "").strip()
        if not query:
            raise FetchError("a Reddit source needs a query")
        subreddit = _subreddit(spec.params.get("subreddit"))
        subject = f"{subreddit or ''}:{query}"
        newest = state.get("newest_created_utc") if state.get("subject") == subject else None
        last = float(newest) if isinstance(newest, int | float) else None
        client_id = spec.secrets.get(ID_ENV) or ""
        secret = spec.secrets.get(SECRET_ENV) or ""
        if client_id and secret:
            things = await self._search_json(http, spec, client_id, secret, query, subreddit, last)
            items = [_json_item(thing) for thing in things]
            times = [thing.created_utc for thing in things]
        else:
            items = await _search_feed(http, spec, query, subreddit)
            times = [item.published_at.timestamp() for item in items if item.published_at]
        new_state: dict[str, Any] = {"subject": subject}
        top = max([*times, *([last] if last is not None else [])], default=None)
        if top is not None:
            new_state["newest_created_utc"] = top
        return FetchResult(items=_unique(items), state=new_state)

    async def _search_json(self, http: Http, spec: SourceSpec, client_id: str, secret: str,
                           query: str, subreddit: str | None,
                           last: float | None) -> list[_Thing]:
        api = str(spec.params.get("api_url") or DEFAULT_API_URL).rstrip("/")
        url = f"{api}/r/{subreddit}/search" if subreddit else f"{api}/search"
        params: dict[str, str | int] = {"q": query, "sort": "new", "limit": PAGE_LIMIT,
                                        "type": "link"}
        if subreddit:
            params["restrict_sr"] = "1"
        floor = None if last is None else last - OVERLAP_SECONDS
        things: list[_Thing] = []
        for _ in range(1 if floor is None else MAX_PAGES):
            response = await self._authed_get(http, spec, client_id, secret, url, params)
            try:
                listing = _Listing.model_validate_json(response.body).data
            except ValidationError:
                raise FetchError("Reddit answered the search with something that is not a "
                                 "listing") from None
            page = [child.data for child in listing.children]
            things.extend(page)
            if not listing.after or (floor is not None and
                                     any(t.created_utc < floor for t in page)):
                break
            params["after"] = listing.after
        return things

    async def _authed_get(self, http: Http, spec: SourceSpec, client_id: str, secret: str,
                          url: str, params: Mapping[str, str | int]) -> Response:
        auth_url = str(spec.params.get("auth_url") or DEFAULT_AUTH_URL)
        key = (auth_url, client_id)
        for attempt in range(2):
            token = self._tokens.get(key) or await _token(http, auth_url, client_id, secret)
            self._tokens[key] = token
            response = await http.get(url, params=params, accept=(401,), headers={
                "Authorization": f"bearer {token}", "Accept": "application/json",
                "User-Agent": USER_AGENT})
            if response.status_code != 401:
                return response
            del self._tokens[key]                   # expired (they last a day): take a new one
            if attempt:
                break
        raise FetchError(f"Reddit refused our token twice: check {ID_ENV} and {SECRET_ENV}")


async def _token(http: Http, auth_url: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
    response = await http.post_form(
        auth_url, {"grant_type": "client_credentials"}, accept=(400, 401, 403),
        headers={"Authorization": f"Basic {basic}", "Accept": "application/json",
                 "User-Agent": USER_AGENT})
    if response.status_code >= 400:
        raise FetchError(f"Reddit refused the app credentials (HTTP {response.status_code}): "
                         f"check {ID_ENV} and {SECRET_ENV}")
    try:
        return _Token.model_validate_json(response.body).access_token
    except ValidationError:
        # 200 with {"error": "..."} happens too (e.g. an unsupported grant for this app type).
        raise FetchError(f"Reddit gave no token for these app credentials: check {ID_ENV} "
                         f"and {SECRET_ENV} (the app must be a 'script' or 'web app')") from None


async def _search_feed(http: Http, spec: SourceSpec, query: str,
                       subreddit: str | None) -> list[Item]:
    site = (spec.base_url or DEFAULT_SITE).rstrip("/")
    url = f"{site}/r/{subreddit}/search.rss" if subreddit else f"{site}/search.rss"
    params: dict[str, str | int] = {"q": query, "sort": "new", "limit": PAGE_LIMIT}
    if subreddit:
        params["restrict_sr"] = "on"
    response = await http.get(url, params=params,
                              headers={"Accept": FEED_ACCEPT, "User-Agent": USER_AGENT})
    # A BytesIO, never bare bytes (feedparser tries those as a file name), and only the
    # content type: a Content-Location would turn relative guids into URLs.
    content_type = {k: v for k, v in response.headers.items() if k == "content-type"}
    parsed = feedparser.parse(io.BytesIO(response.body), response_headers=content_type)
    if not parsed.entries and (parsed.bozo or "html" in response.headers.get("content-type", "")):
        # Reddit answers blocked anonymous clients with an HTML page and status 200.
        raise FetchError(f"Reddit did not send its search feed (blocked?); set {ID_ENV} and "
                         f"{SECRET_ENV} to search through the API")
    return [_feed_item(entry) for entry in parsed.entries]


def _subreddit(value: Any) -> str | None:
    name = str(value or "").strip().removeprefix("/").removeprefix("r/").strip("/")
    if not name:
        return None
    if not SUBREDDIT.match(name):
        raise FetchError(f"not a subreddit name: {value!r}")
    return name


def _json_item(thing: _Thing) -> Item:
    title = _unescape(thing.title or thing.link_title)
    text = _unescape(thing.body if thing.body is not None else thing.selftext)
    return Item(
        text=text or title or "",
        external_id=thing.name,
        url=DEFAULT_SITE + thing.permalink,
        author=_user(thing.author),
        title=title,
        published_at=datetime.fromtimestamp(thing.created_utc, UTC),
    )


def _feed_item(entry: Any) -> Item:
    entry_id = str(entry.get("id") or "")
    title = str(entry.get("title") or "") or None
    contents = entry.get("content") or []
    markup = str(contents[0].get("value") or "") if contents else ""
    # The post itself is the <div class="md">; the rest is "submitted by … [link] [comments]".
    text = markup_to_text(markup, only_class="md")
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return Item(
        text=text or title or "",
        external_id=entry_id if FULLNAME.match(entry_id) else None,
        url=str(entry.get("link") or "") or None,
        author=_user(str(entry.get("author") or "")),
        title=title,
        published_at=datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None,
    )


def _unescape(value: str | None) -> str | None:
    # Once: "&amp;lt;" is what someone who typed "&lt;" gets, and must stay "&lt;".
    return html.unescape(value) if value is not None else None


def _user(name: str | None) -> str | None:
    name = (name or "").strip().removeprefix("/").removeprefix("u/")
    return f"u/{name}" if name and name != "[deleted]" else None


def _unique(items: list[Item]) -> list[Item]:
    seen: set[str] = set()
    out: list[Item] = []
    for item in items:
        key = item.external_id or item.url or item.text
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


register("reddit", RedditSource)
