"""The `rss` source: any RSS, Atom or JSON Feed, from blogs and news to Google Alerts, YouTube
channel feeds, RSS-Bridge and intranet feeds.

One conditional GET per poll (ETag / Last-Modified kept in the state); the body is parsed from its
BYTES, never from a string feedparser could take for a file name or URL, with the response's
Content-Type so a declared charset wins over guessing. XML that declares entities which expand or
load other documents is refused before any parser sees it. JSON Feed (which feedparser 6.0 does
not read) is parsed here.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.parsers import expat

import feedparser

from smo_cli.sources.base import FetchError, FetchResult, Http, Item, SourceSpec, register
from smo_cli.sources.text import fold_whitespace, html_to_text, normalise_lang, strip_tracking

ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf")
HTML_MARKERS = (b"<!doctype html", b"<html")
SNIFF_BYTES = 1024
# A category is a hashtag when it is one word: "AcmeProud" or "#teamwork", not "Binnenland & Co".
_TAG = re.compile(r"^#?(\w[\w-]{0,99})$")


class RssSource:
    """Fetches one feed; the state remembers the validators for the next conditional GET."""

    kind = "rss"

    async def fetch(self, http: Http, spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
        url = feed_url(spec)
        headers = {"Accept": ACCEPT}
        if state.get("etag"):
            headers["If-None-Match"] = str(state["etag"])
        if state.get("last_modified"):
            headers["If-Modified-Since"] = str(state["last_modified"])
        response = await http.get(url, headers=headers)
        if response.status_code == 304:
            return FetchResult([], dict(state), not_modified=True)
        # In a thread: a large feed takes a moment to parse and must not stall the other sources.
        items = await asyncio.to_thread(parse_feed, response.body, response.headers, response.url)
        # Validators from an older answer must not outlive it: keep only what this one sent.
        new_state = {k: v for k, v in state.items() if k not in ("etag", "last_modified")}
        for key, header in (("etag", "etag"), ("last_modified", "last-modified")):
            if response.headers.get(header):
                new_state[key] = response.headers[header]
        return FetchResult(items, new_state)


def feed_url(spec: SourceSpec) -> str:
    url = spec.base_url or spec.params.get("url")
    if not isinstance(url, str) or not url.strip():
        raise FetchError(f"source {spec.name} has no feed address (add it with --url)")
    return url.strip()


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> list[Item]:
    """Items of the RSS, Atom or JSON Feed document `body` fetched from `url`.

    A document that is no feed raises FetchError; a broken (bozo) feed that still yields entries
    is data and is accepted.
    """
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise FetchError(f"{url} is not a feed: the document is empty")
    if start.startswith(b"{"):
        return parse_json_feed(body, url)
    head = start[:SNIFF_BYTES].lower()
    if not any(marker in head for marker in FEED_MARKERS) and any(m in head for m in HTML_MARKERS):
        raise FetchError(_html_page_message(body, url))
    _refuse_entity_declarations(body, url)
    # Bytes in a BytesIO: given bytes or str, feedparser first tries them as a file name.
    # No Content-Location: feedparser would turn relative guids into URLs; links are joined below.
    parser_headers = {k: v for k, v in headers.items() if k in ("content-type", "content-language")}
    parsed = feedparser.parse(io.BytesIO(body), response_headers=parser_headers)
    if not parsed.get("version") and not parsed.entries:
        raise FetchError(f"{url} is not a feed: no RSS, Atom or JSON Feed in it")
    feed, version = parsed.feed, parsed.get("version") or ""
    items = (_entry_item(entry, feed, version, url) for entry in parsed.entries)
    return [item for item in items if item is not None]


def _entry_item(entry: Any, feed: Any, version: str, base: str) -> Item | None:
    title = html_to_text(entry.get("title") or "") or None
    text = _entry_text(entry) or title or ""
    link = _entry_link(entry, base)
    external_id = fold_whitespace(entry.get("id") or "") or None
    if not (text or link or external_id):
        return None          # an empty <item/>: nothing to store, nothing to deduplicate on
    return Item(
        text=text,
        external_id=external_id,
        url=link,
        author=_entry_author(entry, feed, version),
        title=title,
        published_at=_entry_time(entry),
        lang=_entry_lang(entry, feed),
        hashtags=hashtags(tag.get("term") or tag.get("label") for tag in entry.get("tags") or []),
    )


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    # Several <content> elements happen (text and HTML): the HTML one carries the most.
    html = [c for c in contents if "html" in (c.get("type") or "")]
    for detail in (*html, *contents, entry.get("summary_detail") or {}):
        text = html_to_text(detail.get("value") or "")
        if text:
            return text
    return ""


def _entry_link(entry: Any, base: str) -> str | None:
    link = entry.get("link") or ""
    if entry.get("guidislink") and link == entry.get("id") and not _is_http(link):
        return None          # an RSS guid like "item-42" is no address, whatever isPermaLink says
    absolute = urljoin(base, link.strip()) if link.strip() else ""
    return strip_tracking(absolute) if _is_http(absolute) else None


def _entry_author(entry: Any, feed: Any, version: str) -> str | None:
    name = (entry.get("author_detail") or {}).get("name") or entry.get("author") or ""
    if not name and version.startswith("atom"):
        # Atom: an entry without <author> is written by the feed's author (RFC 4287 4.2.1).
        name = (feed.get("author_detail") or {}).get("name") or feed.get("author") or ""
    return fold_whitespace(name) or None


def _entry_time(entry: Any) -> datetime | None:
    # dict.get: FeedParserDict's own get("updated_parsed") silently falls back to published.
    for key in ("published_parsed", "updated_parsed"):
        value = dict.get(entry, key)
        if isinstance(value, time.struct_time):
            try:
                return datetime(*value[:6], tzinfo=UTC)   # feedparser gives UTC
            except ValueError:                            # e.g. year 0 from a broken date
                continue
    return None


def _entry_lang(entry: Any, feed: Any) -> str | None:
    contents = entry.get("content") or []
    for detail in (*contents, entry.get("summary_detail"), entry.get("title_detail")):
        code = normalise_lang((detail or {}).get("language"))
        if code:
            return code
    return normalise_lang(feed.get("language"))


def hashtags(terms: Iterable[object]) -> tuple[str, ...]:
    """Categories that look like hashtags, without '#', each once (case-insensitive)."""
    found: dict[str, str] = {}
    for term in terms:
        match = _TAG.match(term.strip()) if isinstance(term, str) else None
        if match and any(ch.isalpha() for ch in match.group(1)):
            found.setdefault(match.group(1).lower(), match.group(1))
    return tuple(found.values())


def parse_json_feed(body: bytes, url: str) -> list[Item]:
    """Items of a JSON Feed 1.0/1.1 document (https://jsonfeed.org/version/1.1)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):     # RecursionError: [[[[…]]]] nested too deep
        raise FetchError(f"{url} is not a feed: not valid JSON") from None
    if (not isinstance(doc, dict) or not isinstance(doc.get("items"), list)
            or not str(doc.get("version", "")).startswith(JSON_FEED_VERSION)):
        raise FetchError(f"{url} is not a feed: JSON without a JSON Feed version and items")
    feed_author = _json_author(doc)
    feed_lang = doc.get("language")
    items = (_json_item(raw, url, feed_author, feed_lang) for raw in doc["items"]
             if isinstance(raw, dict))
    return [item for item in items if item is not None]


def _json_item(raw: dict[str, Any], base: str, feed_author: str | None,
               feed_lang: object) -> Item | None:
    def text_of(key: str) -> str:
        value = raw.get(key)
        return value if isinstance(value, str) else ""

    ident = raw.get("id")
    external_id = (fold_whitespace(str(ident)) or None
                   if isinstance(ident, str | int) and not isinstance(ident, bool) else None)
    title = html_to_text(text_of("title")) or None
    text = (html_to_text(text_of("content_html")) or fold_whitespace(text_of("content_text"))
            or fold_whitespace(text_of("summary")) or title or "")
    link_value = (text_of("url") or text_of("external_url")).strip()
    link = urljoin(base, link_value) if link_value else ""
    if not (text or link or external_id):
        return None
    tags = raw.get("tags")
    lang = raw.get("language") if isinstance(raw.get("language"), str) else feed_lang
    return Item(
        text=text,
        external_id=external_id,
        url=strip_tracking(link) if _is_http(link) else None,
        author=_json_author(raw) or feed_author,     # 1.1: items inherit the feed's authors
        title=title,
        published_at=_iso_time(raw.get("date_published")) or _iso_time(raw.get("date_modified")),
        lang=normalise_lang(lang) if isinstance(lang, str) else None,
        hashtags=hashtags(tags if isinstance(tags, list) else ()),
    )


def _json_author(obj: Mapping[str, Any]) -> str | None:
    authors = obj.get("authors")
    candidates = [*(authors if isinstance(authors, list) else ()), obj.get("author")]  # 1.1, 1.0
    for author in candidates:
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            name = fold_whitespace(author["name"])
            if name:
                return name
    return None


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # A date without a zone is taken as UTC, as feedparser does for RSS and Atom.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class _PrologOver(Exception):
    """The root element started: no entity can be declared after this point."""


def _refuse_entity_declarations(body: bytes, url: str) -> None:
    """FetchError when the DTD declares entities that nest (billion laughs) or point at other
    documents (XXE: file:///etc/passwd, http://intranet/…), before any parser expands them.

    feedparser and expat defuse these too (no external fetching, an amplification limit); this
    check makes the refusal explicit and independent of the expat version Python links against.
    Only the prolog is read: expat stops at the root element.
    """
    def on_entity(name: str, is_parameter: int, value: str | None, _base: str | None,
                  system_id: str | None, public_id: str | None, notation: str | None) -> None:
        if is_parameter or system_id or public_id or notation or (value and "&" in value):
            raise FetchError(f"{url} declares XML entities that expand or load other documents "
                             f"(entity {name!r}); refused")

    def on_root(*_: object) -> None:
        raise _PrologOver

    parser = expat.ParserCreate()
    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_root
    try:
        parser.Parse(body, True)
    except (_PrologOver, expat.ExpatError):
        return               # broken XML is feedparser's to judge (it may still yield entries)


def _html_page_message(body: bytes, url: str) -> str:
    from smo_cli.sources.feeds import discover_feed  # only needed on this error path

    found = discover_feed(body.decode("utf-8", errors="replace"), url)
    where = f"its feed is at {found}" if found else "give the address of its RSS or Atom feed"
    return f"{url} is not a feed but an HTML page; {where}"


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


register("rss", RssSource)
