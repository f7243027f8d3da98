"""Blogs and YouTube channels: the date of the newest entry in their RSS, Atom or JSON feed.

The account URL may be the feed itself or an HTML page that announces its feed with
`<link rel="alternate" type="application/rss+xml" href="...">`. A YouTube channel URL maps straight
to the channel's public video feed.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from smo_cli.sources.profiles import ProfileFacts
from smo_cli.sources.web import Fetched, RemoteFailure, ensure_ok, fetch

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
YOUTUBE_CHANNEL = re.compile(r"^/channel/(UC[A-Za-z0-9_-]{22})/?")
YOUTUBE_FEED = "https://www.youtube.com/feeds/videos.xml?channel_id={channel_id}"
# Markers looked for near the start of a body to tell a feed from a page whatever its label says.
FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf")
HTML_MARKERS = (b"<!doctype html", b"<html")
SNIFF_BYTES = 1024
CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


async def newest_entry(client: httpx.AsyncClient, url: str) -> ProfileFacts:
    """The newest entry date of the feed at `url`, or of the feed the page at `url` links to."""
    try:
        return await _newest_entry(client, url)
    except RemoteFailure as failure:
        return failure.facts()


async def _newest_entry(client: httpx.AsyncClient, url: str) -> ProfileFacts:
    youtube_feed = youtube_feed_url(url)
    fetched = await _get(client, youtube_feed or url)
    # For a YouTube channel the officer knows the channel page, not its feed address.
    final_url = url if youtube_feed else fetched.url
    detail: str | None = None
    if _is_html(fetched):
        feed_url = discover_feed(_text(fetched), fetched.url)
        if feed_url is None:
            raise RemoteFailure("error", f"no RSS or Atom feed announced on {fetched.url}",
                                final_url=final_url)
        fetched = await _get(client, feed_url)
        detail = f"feed: {fetched.url}"
    parsed = await _parse(fetched)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "not RSS, Atom or JSON Feed"
        raise RemoteFailure("error", f"{fetched.url} is not a readable feed: {reason}",
                            final_url=final_url)
    dates = [when for entry in parsed.entries if (when := _entry_time(entry)) is not None]
    if not parsed.entries:
        detail = "the feed has no entries"
    return ProfileFacts(status="ok", last_post_at=max(dates, default=None),
                        final_url=final_url, detail=detail)


def youtube_feed_url(url: str) -> str | None:
    """The public video feed of a https://www.youtube.com/channel/UC... URL, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    match = YOUTUBE_CHANNEL.match(parts.path)
    if (parts.hostname or "").lower() not in YOUTUBE_HOSTS or match is None:
        return None
    return YOUTUBE_FEED.format(channel_id=match.group(1))


def discover_feed(html: str, base_url: str) -> str | None:
    """The first RSS/Atom/JSON feed a page announces, as an absolute URL."""
    finder = _FeedLinks()
    try:
        finder.feed(html)
        finder.close()
    except AssertionError:
        # html.parser still raises this on some broken markup (e.g. "<![foo"); keep what we found.
        pass
    for href in finder.links:
        try:
            return urljoin(base_url, href)
        except ValueError:  # e.g. "//[::1" (an unbalanced IPv6 bracket): try the next one
            continue
    return None


class _FeedLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.links.append(values["href"])


async def _get(client: httpx.AsyncClient, url: str) -> Fetched:
    fetched = await fetch(client, url, headers={"Accept": ACCEPT})
    ensure_ok(fetched)
    return fetched


def _is_html(fetched: Fetched) -> bool:
    head = fetched.body[:SNIFF_BYTES].lstrip().lower()
    if any(marker in head for marker in FEED_MARKERS):
        return False
    if any(marker in head for marker in HTML_MARKERS):
        return True
    if head.startswith(b"{"):
        return False
    return "html" in fetched.headers.get("content-type", "").lower()


def _text(fetched: Fetched) -> str:
    match = CHARSET.search(fetched.headers.get("content-type", ""))
    charset = match.group(1) if match else "utf-8"
    try:
        return fetched.body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return fetched.body.decode("utf-8", errors="replace")


async def _parse(fetched: Fetched) -> Any:
    # In a BytesIO: given bytes or a str, feedparser first tries them as a URL or file name
    # and would read that file itself. In a thread: a 5 MB feed takes a moment to parse.
    headers = dict(fetched.headers.items())
    headers.setdefault("content-location", fetched.url)
    return await asyncio.to_thread(feedparser.parse, io.BytesIO(fetched.body),
                                   response_headers=headers)


def _entry_time(entry: Any) -> datetime | None:
    """The later of an entry's published and updated times (feedparser gives them in UTC)."""
    # `in` first: feedparser's get("updated_parsed") falls back to published with a warning.
    times = [_from_struct(entry.get(key)) for key in ("published_parsed", "updated_parsed")
             if key in entry]
    known = [when for when in times if when is not None]
    return max(known, default=None)


def _from_struct(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except ValueError:  # e.g. year 0 from a broken date
        return None

