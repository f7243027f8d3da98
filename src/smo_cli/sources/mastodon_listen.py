"""Mastodon listening: a hashtag, one account, the officer's own mentions, or a full-text search.

Timelines are polled with `min_id`: the server answers with the page *immediately newer* than the
cursor (newest first inside the page) and a `Link: <...min_id=X>; rel="prev"` header whose `min_id`
is the cursor for the page after it. We follow "prev" until a page comes back empty, so a busy tag
is read completely, oldest pages first; the first poll only takes the newest page. Search has no
Link header: it is paged with `offset` and the cursor is the highest status id seen.

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from smo_cli.sources.base import (
    FetchError,
    FetchResult,
    Http,
    Item,
    Response,
    SourceSpec,
    register,
)
from smo_cli.sources.http import USER_AGENT
from smo_cli.sources.text import markup_to_text
from smo_cli.sources.web import parse_when

TOKEN_ENV = "SMO_MASTODON_TOKEN"
PAGE_LIMIT = 40          # the largest page Mastodon serves
MAX_PAGES = 10           # per poll; the cursor keeps the rest for the next poll

Mode = Literal["tag", "account", "notifications", "search"]
MODES: tuple[Mode, ...] = ("tag", "account", "notifications", "search")

_M = TypeVar("_M", bound="BaseModel")


# --- payloads ---------------------------------------------------------------------------------

class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Account(_Lenient):
    id: str
    acct: str


class _Tag(_Lenient):
    name: str


class _Status(_Lenient):
    id: str
    uri: str
    url: str | None = None
    created_at: str | None = None
    account: _Account
    content: str = ""
    spoiler_text: str = ""
    language: str | None = None
    tags: list[_Tag] = Field(default_factory=list)
    reblog: _Status | None = None


class _Notification(_Lenient):
    id: str
    type: str
    status: _Status | None = None


class _SearchResult(_Lenient):
    statuses: list[_Status] = Field(default_factory=list)


_STATUSES = TypeAdapter(list[_Status])
_NOTIFICATIONS = TypeAdapter(list[_Notification])


# --- the adapter ------------------------------------------------------------------------------

class MastodonSource:
    """Listens on one instance (spec.base_url).

    spec.params: exactly one of `tag`, `account` (a handle), `notifications` (true: the
    officer's mentions) or `search` (text); the last two need the token in SMO_MASTODON_TOKEN.
    """

    kind = "mastodon"

    async def fetch(self, http: Http, spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
        mode, value = _mode(spec.params)
        if not spec.base_url:
            raise FetchError(f"source {spec.name}: no Mastodon instance URL")
        token = spec.secrets.get(TOKEN_ENV) or None
        if mode in ("notifications", "search") and token is None:
            raise FetchError(f"Mastodon {mode} needs an access token: set {TOKEN_ENV} "
                             "(a token with the read scope, from Preferences → Development)")
        api = _Api(http, spec.base_url.rstrip("/"), token)
        subject = f"{mode}:{value}"
        # A cursor belongs to one timeline: after an edit of the source, start afresh.
        same = state.get("subject") == subject
        min_id = state.get("min_id") if same and isinstance(state.get("min_id"), str) else None
        new_state: dict[str, Any] = {"subject": subject}

        params: dict[str, str | int] = {}
        if mode == "search":
            statuses, cursor = await _search(api, value, min_id)
        else:
            if mode == "tag":
                path = f"/api/v1/timelines/tag/{quote(value.lstrip('#'), safe='')}"
            elif mode == "account":
                cached = state.get("account_id") if same else None
                account_id = cached if isinstance(cached, str) else await _lookup(api, value)
                new_state["account_id"] = account_id
                path = f"/api/v1/accounts/{quote(account_id, safe='')}/statuses"
            else:
                path, params = "/api/v1/notifications", {"types[]": "mention"}
            statuses, cursor = await _timeline(api, path, params, min_id,
                                               notifications=mode == "notifications")
        if cursor is not None:
            new_state["min_id"] = cursor
        host = urlsplit(api.base).hostname or ""
        return FetchResult(items=_items(statuses, host), state=new_state)


@dataclass(frozen=True)
class _Api:
    http: Http
    base: str
    token: str | None

    async def get(self, path: str, params: Mapping[str, str | int], *,
                  missing: str = "") -> Response:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            # Also for public timelines: some servers only show them to signed-in users.
            headers["Authorization"] = f"Bearer {self.token}"
        response = await self.http.get(self.base + path, params=params, headers=headers,
                                       accept=(401, 403, 404))
        host = urlsplit(self.base).hostname
        if response.status_code in (401, 403):
            raise FetchError(f"{host} refused the request ({response.status_code}): check "
                             f"{TOKEN_ENV} and that the token has the read scope")
        if response.status_code == 404:
            raise FetchError(missing or f"{host} has no {path}")
        return response


def _mode(params: Mapping[str, Any]) -> tuple[Mode, str]:
    given = [mode for mode in MODES if params.get(mode) not in (None, "", False)]
    if len(given) != 1:
        raise FetchError("a Mastodon source needs exactly one of tag, account, notifications, "
                         f"search (got {', '.join(given) or 'none'})")
    mode = given[0]
    value = params[mode]
    return mode, ("mentions" if mode == "notifications" else str(value).strip())


async def _lookup(api: _Api, handle: str) -> str:
    acct = handle.strip().lstrip("@")
    host = urlsplit(api.base).hostname
    response = await api.get("/api/v1/accounts/lookup", {"acct": acct}, missing=(
        f"{host} does not know the account @{acct}; use the account's own server as the "
        "instance, or search for it once on this server"))
    return _parse(response, _Account, "account").id


async def _timeline(api: _Api, path: str, params: Mapping[str, str | int], min_id: str | None,
                    *, notifications: bool) -> tuple[list[_Status], str | None]:
    found: list[_Status] = []
    cursor = min_id
    # First poll: the newest page only (no backfill of the whole history).
    for _ in range(1 if min_id is None else MAX_PAGES):
        query = {**params, "limit": PAGE_LIMIT}
        if cursor is not None:
            query["min_id"] = cursor
        response = await api.get(path, query)
        ids, statuses = _page(response, notifications)
        if not ids:
            break                                   # caught up; an empty page has no Link header
        found.extend(statuses)
        newer = _prev_min_id(response.headers.get("link")) or max(ids, key=_id_order)
        if newer == cursor:
            break                                   # a server that does not move the cursor
        cursor = newer
    return found, cursor


async def _search(api: _Api, text: str, min_id: str | None) -> tuple[list[_Status], str | None]:
    query: dict[str, str | int] = {"q": text, "type": "statuses", "limit": PAGE_LIMIT}
    if min_id is not None:
        query["min_id"] = min_id
    found: list[_Status] = []
    for page in range(1 if min_id is None else MAX_PAGES):
        if page:
            query["offset"] = page * PAGE_LIMIT     # offset needs a user token; we have one
        response = await api.get("/api/v2/search", query)
        statuses = _parse(response, _SearchResult, "search result").statuses
        found.extend(statuses)
        if len(statuses) < PAGE_LIMIT:
            break
    ids = [status.id for status in found]
    if min_id is not None:
        ids.append(min_id)
    return found, max(ids, key=_id_order) if ids else None


def _page(response: Response, notifications: bool) -> tuple[list[str], list[_Status]]:
    try:
        if notifications:
            entries = _NOTIFICATIONS.validate_json(response.body)
            return ([n.id for n in entries],
                    [n.status for n in entries if n.type == "mention" and n.status is not None])
        statuses = _STATUSES.validate_json(response.body)
    except ValidationError:
        raise FetchError(f"{urlsplit(response.url).hostname} sent a page that is not a list of "
                         "Mastodon statuses") from None
    return [s.id for s in statuses], statuses


def _parse(response: Response, model: type[_M], what: str) -> _M:
    try:
        return model.model_validate_json(response.body)
    except ValidationError:
        raise FetchError(f"{urlsplit(response.url).hostname} sent something that is not a "
                         f"Mastodon {what}") from None


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]+)"?')


def _prev_min_id(link_header: str | None) -> str | None:
    """The min_id of the `rel="prev"` link: the cursor for the next newer page."""
    for url, rel in _LINK.findall(link_header or ""):
        if "prev" in rel.split():
            values = parse_qs(urlsplit(url).query).get("min_id")
            return values[0] if values else None
    return None


def _id_order(status_id: str) -> tuple[int, str]:
    # Ids are numbers as strings: a longer id is newer; never cast (they may overflow or not be
    # numbers at all on other servers).
    return len(status_id), status_id


def _items(statuses: list[_Status], host: str) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for status in statuses:
        original = status.reblog or status          # a boost is the boosted status, once
        if original.uri in seen:
            continue
        seen.add(original.uri)
        items.append(_item(original, host))
    return items


def _item(status: _Status, host: str) -> Item:
    text = markup_to_text(status.content)
    warning = status.spoiler_text.strip()
    if warning:
        text = f"{warning}\n\n{text}" if text else warning
    return Item(
        text=text,
        external_id=status.uri,
        url=status.url or (status.uri if status.uri.startswith("http") else None),
        author=_full_handle(status.account.acct, host),
        published_at=parse_when(status.created_at),
        lang=status.language or None,
        hashtags=tuple(tag.name for tag in status.tags),
    )


def _full_handle(acct: str, host: str) -> str:
    # `acct` is "user" for accounts of the instance itself, "user@domain" for remote ones.
    acct = acct.lstrip("@")
    return f"@{acct}" if "@" in acct or not host else f"@{acct}@{host}"


register("mastodon", MastodonSource)
