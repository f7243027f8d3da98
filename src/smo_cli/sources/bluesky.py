"""Bluesky: an actor's public counts and newest post through the public AppView (no login).

`app.bsky.actor.getProfile` gives the counts; `app.bsky.feed.getAuthorFeed` with limit=1 gives the
newest post. XRPC errors come back as {"error": "...", "message": "..."} and become a clear failure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import httpx
from pydantic import BaseModel, ConfigDict, Field

from smo_cli.sources.profiles import ProfileFacts
from smo_cli.sources.web import RemoteFailure, ensure_ok, fetch, parse_json, parse_when

PROFILE_PATH = "/xrpc/app.bsky.actor.getProfile"
AUTHOR_FEED_PATH = "/xrpc/app.bsky.feed.getAuthorFeed"
PROFILE_WEB_URL = "https://bsky.app/profile/{handle}"

_JSON = {"Accept": "application/json"}


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BlueskyProfile(_Lenient):
    """app.bsky.actor.defs#profileViewDetailed, the parts we use (the counts are optional)."""

    did: str
    handle: str
    followers_count: int | None = Field(default=None, alias="followersCount")
    follows_count: int | None = Field(default=None, alias="followsCount")
    posts_count: int | None = Field(default=None, alias="postsCount")


class _PostRecord(_Lenient):
    created_at: str | None = Field(default=None, alias="createdAt")


class _PostView(_Lenient):
    indexed_at: str | None = Field(default=None, alias="indexedAt")
    record: _PostRecord = Field(default_factory=_PostRecord)


class _Reason(_Lenient):
    # reasonRepost carries when the author reposted; reasonPin has no time.
    indexed_at: str | None = Field(default=None, alias="indexedAt")


class _FeedViewPost(_Lenient):
    post: _PostView
    reason: _Reason | None = None


class AuthorFeed(_Lenient):
    feed: list[_FeedViewPost]


async def get_profile(client: httpx.AsyncClient, appview_url: str, actor: str) -> ProfileFacts:
    """Public facts of `actor` (a handle or DID) from the AppView at `appview_url`."""
    base = appview_url.rstrip("/")
    try:
        fetched = await fetch(client, base + PROFILE_PATH, params={"actor": actor}, headers=_JSON)
        ensure_ok(fetched)
        profile = parse_json(fetched, BlueskyProfile)
    except RemoteFailure as failure:
        return failure.facts()
    facts = ProfileFacts(
        status="ok",
        followers=profile.followers_count,
        following=profile.follows_count,
        posts=profile.posts_count,
        final_url=PROFILE_WEB_URL.format(handle=profile.handle),
    )
    try:
        newest = await _newest_post_at(client, base, profile.did)
    except RemoteFailure as failure:
        # The counts are still worth recording; say why the date is missing.
        return replace(facts, detail=f"newest post unknown: {failure.detail}")
    return replace(facts, last_post_at=newest)


async def _newest_post_at(client: httpx.AsyncClient, base: str, actor: str) -> datetime | None:
    params: dict[str, str | int] = {"actor": actor, "limit": 1, "filter": "posts_no_replies"}
    fetched = await fetch(client, base + AUTHOR_FEED_PATH, params=params, headers=_JSON)
    ensure_ok(fetched)
    feed = parse_json(fetched, AuthorFeed).feed
    times = [when for item in feed if (when := _activity_at(item)) is not None]
    return max(times, default=None)


def _activity_at(item: _FeedViewPost) -> datetime | None:
    # A repost is activity of the author at the repost's time, not at the original post's.
    if item.reason is not None and item.reason.indexed_at:
        return parse_when(item.reason.indexed_at)
    # indexedAt is when the network saw the post; createdAt is the client's claim (it can be
    # in the future or, for imported posts, years back), so it is only the fallback.
    return parse_when(item.post.indexed_at) or parse_when(item.post.record.created_at)

