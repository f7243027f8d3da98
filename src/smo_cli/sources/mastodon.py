"""Mastodon: an account's public counts through the unauthenticated account lookup.

`GET /api/v1/accounts/lookup?acct=USERNAME` answers with an Account entity; we keep the counts,
the date of the last status and the profile URL.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict

from smo_cli.sources.profiles import ProfileFacts
from smo_cli.sources.web import RemoteFailure, ensure_ok, fetch, parse_json, parse_when

LOOKUP_PATH = "/api/v1/accounts/lookup"


class MastodonAccount(BaseModel):
    """The part of the Account entity we use; the rest is ignored."""

    model_config = ConfigDict(extra="ignore")

    followers_count: int
    following_count: int
    statuses_count: int
    # A date ("2026-11-20") since Mastodon 3.1, a full timestamp before; null if it never posted.
    last_status_at: str | None = None
    url: str | None = None


async def lookup_account(client: httpx.AsyncClient, instance_url: str, acct: str) -> ProfileFacts:
    """Public facts of `acct` on the server at `instance_url` (e.g. https://mastodon.social)."""
    endpoint = instance_url.rstrip("/") + LOOKUP_PATH
    try:
        fetched = await fetch(client, endpoint, params={"acct": acct},
                              headers={"Accept": "application/json"})
        ensure_ok(fetched)
        account = parse_json(fetched, MastodonAccount)
    except RemoteFailure as failure:
        return failure.facts()
    return ProfileFacts(
        status="ok",
        followers=_count(account.followers_count),
        following=_count(account.following_count),
        posts=_count(account.statuses_count),
        last_post_at=parse_when(account.last_status_at),
        final_url=account.url,
    )


def _count(value: int) -> int | None:
    # Some servers report -1 when the owner hides the number; unknown is not zero.
    return value if value >= 0 else None
