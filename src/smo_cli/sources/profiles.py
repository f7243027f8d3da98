"""Public facts about one presence account, and the dispatcher that picks the adapter per platform.

`fetch_profile` is the boundary the inventory check calls: whatever the remote side does (no answer,
an HTTP error, a malformed payload), it answers with a `ProfileFacts` instead of raising.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx

from smo_cli.config import InventorySettings

Status = Literal["ok", "unreachable", "error", "unsupported"]
FailureStatus = Literal["unreachable", "error", "unsupported"]

FEED_PLATFORMS = frozenset({"youtube", "blog"})
# Bluesky makes two requests and a feed page leads to a second fetch: allow a few round trips.
DEADLINE_ROUND_TRIPS = 3


@dataclass(frozen=True)
class ProfileFacts:
    """What one check learned about an account.

    status: ok (answered), unreachable (no answer: network, timeout, 5xx, rate limit), error (the
    server answered but refused or the payload made no sense: 4xx, malformed data) or unsupported
    (nothing public to ask for this platform and address). `last_post_at` is an aware UTC datetime.
    """

    status: Status
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    last_post_at: datetime | None = None
    final_url: str | None = None
    detail: str | None = None

    @classmethod
    def failure(cls, status: FailureStatus, detail: str,
                final_url: str | None = None) -> ProfileFacts:
        return cls(status=status, final_url=final_url, detail=detail)


async def fetch_profile(client: httpx.AsyncClient, account_platform: str, handle: str,
                        url: str | None, settings: InventorySettings) -> ProfileFacts:
    """Ask the right public source about one account; never raises for a remote failure."""
    deadline = settings.timeout_seconds * DEADLINE_ROUND_TRIPS
    try:
        # A per-account deadline: httpx's timeouts bound each read, not a server that drips bytes.
        async with asyncio.timeout(deadline):
            return await _dispatch(client, account_platform, handle, url, settings)
    except TimeoutError:
        return ProfileFacts.failure("unreachable", f"no complete answer within {deadline:g}s",
                                    final_url=url)


async def _dispatch(client: httpx.AsyncClient, platform: str, handle: str, url: str | None,
                    settings: InventorySettings) -> ProfileFacts:
    # The adapters import ProfileFacts from this module, and feedparser is only needed for feeds:
    # importing them here avoids the cycle and keeps `import profiles` light.
    from smo_cli.sources import bluesky, feeds, mastodon, web

    url = url.strip() if url and url.strip() else None
    if platform == "mastodon":
        target = mastodon_target(handle, url)
        if target is None:
            return ProfileFacts.failure(
                "unsupported", "no Mastodon server known: give the handle as @user@server "
                "or add the profile URL")
        instance, username = target
        return await mastodon.lookup_account(client, instance, username)
    if platform == "bluesky":
        actor = handle.strip().removeprefix("@")
        if not actor:
            return ProfileFacts.failure("unsupported", "no Bluesky handle")
        return await bluesky.get_profile(client, settings.bluesky_appview, actor)
    if url is None:
        return ProfileFacts.failure("unsupported", f"no URL and no public API for {platform}")
    if not _is_http_url(url):
        return ProfileFacts.failure("error", f"not an http(s) URL: {url[:100]}")
    if platform in FEED_PLATFORMS:
        return await feeds.newest_entry(client, url)
    return await web.reachability(client, url)


def mastodon_target(handle: str, url: str | None) -> tuple[str, str] | None:
    """(instance base URL, username) for a Mastodon account, or None when no server is known.

    The profile URL wins over the handle's domain: with a split WebFinger domain (@acme@acme.com
    served by social.acme.com) only the URL names the server that answers the API.
    """
    username, _, domain = handle.strip().removeprefix("@").partition("@")
    if not username:
        return None
    if url is not None and _is_http_url(url):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}", username
    if domain:
        return f"https://{domain}", username
    return None


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
