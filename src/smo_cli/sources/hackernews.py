"""Hacker News: stories and comments that match a query, through the Algolia HN Search API.

`search_by_date` answers newest first; the next poll asks only for items created after the newest
`created_at_i` seen, less a margin (Algolia indexes an item some time after it was created, so a
strict `>` on the last second would lose late arrivals; the pipeline drops the duplicates).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smo_cli.sources.base import FetchError, FetchResult, Http, Item, SourceSpec, register
from smo_cli.sources.http import USER_AGENT
from smo_cli.sources.text import markup_to_text

DEFAULT_API = "https://hn.algolia.com/api/v1"
ITEM_URL = "https://news.ycombinator.com/item?id={id}"
HITS_PER_PAGE = 100
MAX_PAGES = 5
OVERLAP_SECONDS = 600
# In Algolia's HN index a comma ANDs tags and parentheses OR them: stories or comments.
TAGS = "(story,comment)"


class _Hit(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    object_id: str = Field(alias="objectID")
    created_at_i: int
    author: str | None = None
    title: str | None = None
    url: str | None = None
    story_text: str | None = None
    comment_text: str | None = None
    story_title: str | None = None
    tags: list[str] = Field(default_factory=list, alias="_tags")


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    hits: list[_Hit]
    nb_pages: int = Field(default=1, alias="nbPages")


class HackerNewsSource:
    """params: `query`; spec.base_url: the Algolia HN API (default hn.algolia.com/api/v1)."""

    kind = "hackernews"

    async def fetch(self, http: Http, spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
        query = str(spec.params.get("query") or "").strip()
        if not query:
            raise FetchError("a Hacker News source needs a query")
        base = (spec.base_url or DEFAULT_API).rstrip("/")
        last = state.get("last_created_at_i") if state.get("query") == query else None
        params: dict[str, str | int] = {"query": query, "tags": TAGS,
                                        "hitsPerPage": HITS_PER_PAGE}
        if isinstance(last, int):
            params["numericFilters"] = f"created_at_i>{max(0, last - OVERLAP_SECONDS)}"
        hits: list[_Hit] = []
        # The first poll takes the newest page only: no backfill of years of comments.
        for page in range(MAX_PAGES if isinstance(last, int) else 1):
            response = await http.get(f"{base}/search_by_date", params={**params, "page": page},
                                      headers={"Accept": "application/json",
                                               "User-Agent": USER_AGENT})
            try:
                result = _Page.model_validate_json(response.body)
            except ValidationError:
                raise FetchError("the HN search answered with something that is not a list "
                                 "of hits") from None
            hits.extend(result.hits)
            if page + 1 >= result.nb_pages:
                break
        newest = max([hit.created_at_i for hit in hits] +
                     ([last] if isinstance(last, int) else []), default=None)
        state_out: dict[str, Any] = {"query": query}
        if newest is not None:
            state_out["last_created_at_i"] = newest
        items: list[Item] = []
        seen: set[str] = set()
        for hit in hits:                            # new hits shift the pages while we read
            if hit.object_id not in seen:
                seen.add(hit.object_id)
                items.append(_item(hit))
        return FetchResult(items=items, state=state_out)


def _item(hit: _Hit) -> Item:
    is_comment = "comment" in hit.tags or hit.comment_text is not None
    title = hit.title or hit.story_title or None
    body = markup_to_text(hit.comment_text or hit.story_text or "")
    # A story points at what it links to (Ask HN has no link: its own page); a comment at itself.
    own_page = ITEM_URL.format(id=hit.object_id)
    return Item(
        text=body or title or "",
        external_id=f"hn:{hit.object_id}",
        url=own_page if is_comment else (hit.url or own_page),
        author=hit.author,
        title=title,
        published_at=datetime.fromtimestamp(hit.created_at_i, UTC),
    )


register("hackernews", HackerNewsSource)
