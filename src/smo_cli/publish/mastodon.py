"""Posting to Mastodon with an access token (Preferences → Development → New application, scopes
read:accounts, read:search, read:statuses, write:media, write:statuses).

- The character limit is the instance's (GET /api/v2/instance, configuration.statuses), 500
  when it does not say; links count as `characters_reserved_per_url` (23).
- Images: POST /api/v2/media with the alt text as `description`. 200 means ready; 202 means
  the server is still processing it, so we poll GET /api/v1/media/:id until it has a url (a
  bounded number of times) before attaching it.
- POST /api/v1/statuses carries an Idempotency-Key: the server answers a repeat of the same key
  (kept for about an hour) with the status it already made, so a retry cannot post twice.
- A reply to a post on another server needs that post's id *on our server*: GET /api/v2/search
  with resolve=true fetches it from its home and gives the local id.
- Errors: 401/403 are the token's fault, 422 carries the server's reason, 429 and 5xx mean
  later (X-RateLimit-Reset, else Retry-After).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smo_cli.publish.base import (
    AuthFailed,
    Call,
    Counts,
    Identity,
    NotValid,
    Outgoing,
    Preview,
    Published,
    Rejected,
    Reply,
    RetryLater,
    Transport,
)
from smo_cli.publish.text import (
    MASTODON_ALT_LIMIT,
    MASTODON_DEFAULT_LIMIT,
    MASTODON_IMAGE_BYTES,
    MASTODON_URL_LENGTH,
    MAX_IMAGES,
    Image,
    mastodon_text_problems,
    media_problems,
)

MEDIA_POLLS = 30                 # GET /api/v1/media/:id at most this often …
MEDIA_POLL_SECONDS = 1.0         # … this far apart, before giving up for now
DEFAULT_RETRY_SECONDS = 60.0

_M = TypeVar("_M", bound=BaseModel)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _StatusLimits(_Lenient):
    max_characters: int = MASTODON_DEFAULT_LIMIT
    max_media_attachments: int = MAX_IMAGES
    characters_reserved_per_url: int = MASTODON_URL_LENGTH


class _MediaLimits(_Lenient):
    image_size_limit: int = MASTODON_IMAGE_BYTES
    description_limit: int = MASTODON_ALT_LIMIT


class _Configuration(_Lenient):
    statuses: _StatusLimits = Field(default_factory=_StatusLimits)
    media_attachments: _MediaLimits = Field(default_factory=_MediaLimits)


class _Instance(_Lenient):
    configuration: _Configuration = Field(default_factory=_Configuration)


class _Account(_Lenient):
    id: str
    acct: str
    url: str | None = None


class _Status(_Lenient):
    id: str
    uri: str
    url: str | None = None
    favourites_count: int = 0
    reblogs_count: int = 0
    replies_count: int = 0
    quotes_count: int = 0


class _Media(_Lenient):
    id: str
    url: str | None = None


class _Search(_Lenient):
    statuses: list[_Status] = Field(default_factory=list)


class MastodonClient:
    """One Mastodon account: `instance` is its server, `token` its access token."""

    platform = "mastodon"

    def __init__(self, transport: Transport, *, account: str, instance: str, token: str,
                 token_hint: str, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.account = account
        self._transport = transport
        self._base = instance.rstrip("/")
        self._host = urlsplit(self._base).hostname or self._base
        self._token = token
        self._hint = token_hint            # how to fix a refused token, e.g. the variable
        self._sleep = sleep
        self._now = now
        self._limits: _Configuration | None = None

    # --- the Publisher protocol ---------------------------------------------------------------

    async def verify(self) -> Identity:
        reply = await self._call("GET", "/api/v1/accounts/verify_credentials")
        me = self._parse(reply, _Account, "account")
        return Identity(handle=f"@{me.acct}@{self._host}", detail=me.url or "")

    async def problems(self, post: Outgoing) -> list[str]:
        limits = await self._configuration()
        problems = mastodon_text_problems(post.text, limits.statuses.max_characters,
                                          limits.statuses.characters_reserved_per_url)
        if len(post.media) > limits.statuses.max_media_attachments:
            problems.append(f"{len(post.media)} images; this server allows "
                            f"{limits.statuses.max_media_attachments}")
        problems += media_problems(post.media, max_bytes=limits.media_attachments.image_size_limit,
                                   alt_limit=limits.media_attachments.description_limit)[0]
        return problems

    def preview(self, post: Outgoing) -> Preview:
        requests: list[dict[str, Any]] = [
            {"method": "POST", "url": f"{self._base}/api/v2/media", "file": str(m.path),
             "description": m.alt} for m in post.media]
        if post.reply_to:
            requests.append({"method": "GET", "url": f"{self._base}/api/v2/search",
                             "params": {"q": post.reply_to, "resolve": "true",
                                        "type": "statuses", "limit": 1}})
        requests.append({"method": "POST", "url": f"{self._base}/api/v1/statuses",
                         "headers": {"Idempotency-Key": post.key},
                         "json": self._status_body(
                             post, [f"(media {n + 1})" for n in range(len(post.media))],
                             "(id of the post answered)" if post.reply_to else None)})
        return Preview(self.account, self.platform, requests,
                       ["the character limit is checked against the server when published"])

    async def publish(self, post: Outgoing) -> Published:
        problems = await self.problems(post)
        if problems:
            raise NotValid(f"{self.account}: {'; '.join(problems)}")
        limits = await self._configuration()
        reply_id = await self._resolve(post.reply_to) if post.reply_to else None
        _, images = media_problems(post.media, max_bytes=limits.media_attachments.image_size_limit,
                                   alt_limit=limits.media_attachments.description_limit)
        media_ids = [await self._upload(image) for image in images]
        reply = await self._call("POST", "/api/v1/statuses",
                                 json=self._status_body(post, media_ids, reply_id),
                                 headers={"Idempotency-Key": post.key})
        status = self._parse(reply, _Status, "status")
        return Published(remote_id=status.id, uri=status.uri, url=status.url)

    async def counts(self, published: Published) -> Counts:
        reply = await self._call("GET", f"/api/v1/statuses/{quote(published.remote_id, safe='')}")
        status = self._parse(reply, _Status, "status")
        return Counts(likes=status.favourites_count, reposts=status.reblogs_count,
                      replies=status.replies_count, quotes=status.quotes_count)

    # --- the steps ----------------------------------------------------------------------------

    @staticmethod
    def _status_body(post: Outgoing, media_ids: list[str],
                     reply_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"status": post.text}
        if post.langs:
            body["language"] = post.langs[0]
        if media_ids:
            body["media_ids"] = media_ids
        if reply_id is not None:
            body["in_reply_to_id"] = reply_id
        return body

    async def _configuration(self) -> _Configuration:
        if self._limits is None:
            reply = await self._call("GET", "/api/v2/instance", accept=(404,))
            # A server older than Mastodon 4.0 has no v2 instance: the defaults hold there.
            self._limits = (_Configuration() if reply.status_code == 404
                            else self._parse(reply, _Instance, "instance").configuration)
        return self._limits

    async def _resolve(self, target: str) -> str:
        reply = await self._call("GET", "/api/v2/search", params={
            "q": target, "resolve": "true", "type": "statuses", "limit": 1})
        found = self._parse(reply, _Search, "search result").statuses
        if not found:
            raise Rejected(f"{self.account}: {self._host} cannot find the post to answer "
                           f"({target[:200]}); it may have been deleted")
        return found[0].id

    async def _upload(self, image: Image) -> str:
        reply = await self._call("POST", "/api/v2/media", data={"description": image.alt},
                                 files={"file": (image.path.name, image.data, image.mime)})
        media = self._parse(reply, _Media, "media attachment")
        # 202: the server is still processing the file, and a status may only use it once it
        # is done; GET /api/v1/media/:id answers 206 until then, 200 with a url after.
        processing = reply.status_code == 202 and media.url is None
        polls = 0
        while processing:
            if polls >= MEDIA_POLLS:
                raise RetryLater(f"{self.account}: {self._host} is still processing "
                                 f"{image.path.name}; trying again later")
            polls += 1
            await self._sleep(MEDIA_POLL_SECONDS)
            reply = await self._call("GET", f"/api/v1/media/{quote(media.id, safe='')}",
                                     accept=(206,))
            media = self._parse(reply, _Media, "media attachment")
            processing = reply.status_code == 206 or media.url is None
        return media.id

    async def _call(self, method: str, path: str, *, accept: tuple[int, ...] = (),
                    **request: Any) -> Reply:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self._token}",
                   **request.pop("headers", {})}
        reply = await self._transport.send(Call(method, self._base + path, headers=headers,
                                                **request))
        if reply.status_code < 300 or reply.status_code in accept:
            return reply
        raise self._error(reply)

    def _error(self, reply: Reply) -> Exception:
        code = reply.status_code
        reason = _reason(reply.body)
        where = f"{self.account}: {self._host}"
        if code in (401, 403):
            return AuthFailed(f"{where} refused the access token ({code}"
                              f"{': ' + reason if reason else ''}); {self._hint}")
        if code == 429:
            wait = self._reset_seconds(reply.headers.get("x-ratelimit-reset"))
            if wait is None:
                wait = reply.retry_after if reply.retry_after is not None \
                    else DEFAULT_RETRY_SECONDS
            return RetryLater(f"{where} is rate limiting us; trying again in {wait:.0f} s",
                              retry_after=wait)
        if code >= 500:
            wait = reply.retry_after if reply.retry_after is not None else DEFAULT_RETRY_SECONDS
            return RetryLater(f"{where} answered {code}; trying again later", retry_after=wait)
        if code == 422:
            return Rejected(f"{where} refused the post: {reason or 'validation failed'}")
        return Rejected(f"{where} answered {code}{': ' + reason if reason else ''}")

    def _reset_seconds(self, value: str | None) -> float | None:
        """X-RateLimit-Reset is an ISO 8601 time; seconds from now until then."""
        if not value:
            return None
        try:
            reset = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if reset.tzinfo is None:
            reset = reset.replace(tzinfo=UTC)
        return max(1.0, (reset - self._now()).total_seconds())

    def _parse(self, reply: Reply, model: type[_M], what: str) -> _M:
        try:
            return model.model_validate_json(reply.body)
        except ValidationError:
            raise RetryLater(f"{self.account}: {self._host} sent something that is not a "
                             f"Mastodon {what}") from None


def _reason(body: bytes) -> str:
    """The `error` text Mastodon puts in error answers, as one plain line."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return " ".join(str(error).split())[:300] if error else ""
