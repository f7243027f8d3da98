"""Posting to Bluesky with an app password, through the account's PDS (or the bsky.social
entryway), over XRPC.

- Sign-in, renewal on ExpiredToken and the one retry are the Session's (shared with listening).
- A post is an app.bsky.feed.post record made with com.atproto.repo.createRecord: text,
  createdAt, langs, facets (links, mentions resolved to DIDs with resolveHandle, hashtags; UTF-8
  byte offsets), images uploaded with uploadBlob and embedded with their alt text, and for a
  reply the {root, parent} references of the post answered (found with getPosts).
- Bluesky has no idempotency key. We choose the record key ourselves: a TID made from the
  delivery's first attempt time and its key. An attempt after one that may have succeeded first
  asks the PDS for that record (getRecord, which reads the repository itself and so sees a post
  made a second ago, unlike a feed); if it is there, that is the post, and nothing is sent.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

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
    Session,
    Transport,
)
from smo_cli.publish.text import (
    BLUESKY_ALT_GRAPHEMES,
    BLUESKY_IMAGE_BYTES,
    LINK,
    MENTION,
    TAG,
    Span,
    bluesky_text_problems,
    media_problems,
    spans,
)

POST = "app.bsky.feed.post"
WEB = "https://bsky.app"
DEFAULT_RETRY_SECONDS = 60.0
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_UNRESOLVED = "(resolved when published)"

_M = TypeVar("_M", bound=BaseModel)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Ref(_Lenient):
    uri: str
    cid: str


class _ReplyRefs(_Lenient):
    root: _Ref
    parent: _Ref


class _Record(_Lenient):
    reply: _ReplyRefs | None = None


class _PostView(_Lenient):
    uri: str
    cid: str
    record: _Record = Field(default_factory=_Record)
    like_count: int = Field(default=0, alias="likeCount")
    repost_count: int = Field(default=0, alias="repostCount")
    reply_count: int = Field(default=0, alias="replyCount")
    quote_count: int = Field(default=0, alias="quoteCount")


class _Posts(_Lenient):
    posts: list[_PostView] = Field(default_factory=list)


class _Did(_Lenient):
    did: str


class _SessionInfo(_Lenient):
    handle: str
    did: str


class _Blob(_Lenient):
    blob: dict[str, Any]


class _Error(_Lenient):
    error: str | None = None
    message: str | None = None


def tid(moment: datetime, key: str) -> str:
    """A record key in TID form (microseconds since 1970, then a 10-bit clock id), the same for
    the same moment and key: base32-sortable, 13 characters."""
    micros = int(moment.timestamp() * 1_000_000)
    clock = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big") % 1024
    value = (micros << 10) | clock
    out = []
    for _ in range(13):
        out.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def created_at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"


def facets(text: str, dids: dict[str, str]) -> list[dict[str, Any]]:
    """app.bsky.richtext.facet entries for the text; a mention whose handle is not in `dids`
    (not resolved) is left out, as the Bluesky apps do."""
    out: list[dict[str, Any]] = []
    for span in spans(text):
        feature = _feature(span, dids)
        if feature is not None:
            out.append({"index": {"byteStart": span.byte_start, "byteEnd": span.byte_end},
                        "features": [feature]})
    return out


def _feature(span: Span, dids: dict[str, str]) -> dict[str, Any] | None:
    if span.kind == "link":
        return {"$type": LINK, "uri": span.value}
    if span.kind == "tag":
        return {"$type": TAG, "tag": span.value}
    did = dids.get(span.value)
    return {"$type": MENTION, "did": did} if did else None


class BlueskyClient:
    """One Bluesky account: `service` is its PDS (or https://bsky.social), `handle` its name."""

    platform = "bluesky"

    def __init__(self, transport: Transport, session: Session, *, account: str, service: str,
                 handle: str) -> None:
        self.account = account
        self._transport = transport
        self._session = session
        self._service = service.rstrip("/")
        self._host = urlsplit(self._service).hostname or self._service
        self._handle = handle.lstrip("@")

    # --- the Publisher protocol ---------------------------------------------------------------

    async def verify(self) -> Identity:
        reply = await self._authed("GET", "com.atproto.server.getSession")
        info = self._parse(reply, _SessionInfo, "session")
        return Identity(handle=f"@{info.handle}", detail=info.did)

    async def problems(self, post: Outgoing) -> list[str]:
        return bluesky_text_problems(post.text) + media_problems(
            post.media, max_bytes=BLUESKY_IMAGE_BYTES, alt_limit=BLUESKY_ALT_GRAPHEMES)[0]

    def preview(self, post: Outgoing) -> Preview:
        mentions = {s.value: f"{_UNRESOLVED}: @{s.value}" for s in spans(post.text)
                    if s.kind == "mention"}
        record = self._record(post, facets(post.text, mentions), None, None)
        if post.media:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"alt": m.alt, "image": f"(uploaded from {m.path})"} for m in post.media]}
        if post.reply_to:
            record["reply"] = {"root": _UNRESOLVED, "parent": f"{_UNRESOLVED}: {post.reply_to}"}
        requests: list[dict[str, Any]] = [
            {"method": "POST", "url": self._url("com.atproto.repo.uploadBlob"),
             "file": str(m.path)} for m in post.media]
        requests.append({"method": "POST", "url": self._url("com.atproto.repo.createRecord"),
                         "json": {"repo": f"(the DID of @{self._handle})", "collection": POST,
                                  "rkey": tid(post.created_at, post.key), "record": record}})
        return Preview(self.account, self.platform, requests)

    async def publish(self, post: Outgoing) -> Published:
        problems = await self.problems(post)
        if problems:
            raise NotValid(f"{self.account}: {'; '.join(problems)}")
        repo = await self._session.did()
        rkey = tid(post.created_at, post.key)
        if post.earlier_attempt:
            earlier = await self._find(repo, rkey)
            if earlier is not None:
                return earlier
        dids = await self._resolve_mentions(post.text)
        reply = await self._reply_refs(post.reply_to) if post.reply_to else None
        embed = await self._images(post)
        record = self._record(post, facets(post.text, dids), embed, reply)
        answer = await self._authed("POST", "com.atproto.repo.createRecord", json={
            "repo": repo, "collection": POST, "rkey": rkey, "record": record})
        made = self._parse(answer, _Ref, "record reference")
        return self._published(made.uri, made.cid)

    async def counts(self, published: Published) -> Counts:
        reply = await self._authed("GET", "app.bsky.feed.getPosts",
                                   params={"uris": published.uri})
        found = self._parse(reply, _Posts, "post list").posts
        if not found:
            raise Rejected(f"{self.account}: the post {published.uri} is gone")
        view = found[0]
        return Counts(likes=view.like_count, reposts=view.repost_count,
                      replies=view.reply_count, quotes=view.quote_count)

    # --- the steps ----------------------------------------------------------------------------

    def _record(self, post: Outgoing, found: list[dict[str, Any]], embed: dict[str, Any] | None,
                reply: dict[str, Any] | None) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST, "text": post.text,
                                  "createdAt": created_at(post.created_at)}
        if post.langs:
            record["langs"] = list(post.langs)
        if found:
            record["facets"] = found
        if embed is not None:
            record["embed"] = embed
        if reply is not None:
            record["reply"] = reply
        return record

    async def _find(self, repo: str, rkey: str) -> Published | None:
        reply = await self._authed("GET", "com.atproto.repo.getRecord", accept=(400, 404),
                                   params={"repo": repo, "collection": POST, "rkey": rkey})
        if reply.status_code >= 400:
            if _error(reply).error in (None, "RecordNotFound", "NotFound") or \
                    reply.status_code == 404:
                return None
            raise self._failure(reply)
        found = self._parse(reply, _Ref, "record")
        return self._published(found.uri, found.cid)

    def _published(self, uri: str, cid: str) -> Published:
        rkey = uri.rsplit("/", 1)[-1]
        return Published(remote_id=rkey, uri=uri, cid=cid,
                         url=f"{WEB}/profile/{self._handle}/post/{rkey}")

    async def _resolve_mentions(self, text: str) -> dict[str, str]:
        dids: dict[str, str] = {}
        for span in spans(text):
            if span.kind != "mention" or span.value in dids:
                continue
            did = await self._did_of(span.value)
            if did is not None:
                dids[span.value] = did
        return dids

    async def _did_of(self, handle: str) -> str | None:
        reply = await self._transport.send(Call(
            "GET", self._url("com.atproto.identity.resolveHandle"),
            headers={"Accept": "application/json"}, params={"handle": handle}))
        if reply.status_code == 400:
            return None                             # no such handle: the text stays plain
        if reply.status_code >= 300:
            raise self._failure(reply)
        return self._parse(reply, _Did, "DID").did

    async def _reply_refs(self, target: str) -> dict[str, Any]:
        uri = await self._at_uri(target)
        reply = await self._authed("GET", "app.bsky.feed.getPosts", params={"uris": uri})
        found = self._parse(reply, _Posts, "post list").posts
        if not found:
            raise Rejected(f"{self.account}: the post to answer ({target[:200]}) cannot be "
                           "found; it may have been deleted")
        parent = found[0]
        # The root is the thread's first post: the parent's own root, or the parent itself.
        root = parent.record.reply.root if parent.record.reply else _Ref(uri=parent.uri,
                                                                          cid=parent.cid)
        return {"root": {"uri": root.uri, "cid": root.cid},
                "parent": {"uri": parent.uri, "cid": parent.cid}}

    async def _at_uri(self, target: str) -> str:
        """at://… as given, or made from a bsky.app link (its handle resolved to a DID)."""
        target = target.strip()
        if target.startswith("at://"):
            actor, _, rest = target.removeprefix("at://").partition("/")
        else:
            parts = [unquote(p) for p in urlsplit(target).path.split("/") if p]
            if len(parts) != 4 or parts[0] != "profile" or parts[2] != "post":
                raise NotValid(f"{self.account}: {target[:200]} is not a Bluesky post link "
                               "(https://bsky.app/profile/HANDLE/post/ID or at://…)")
            actor, rest = parts[1], f"{POST}/{parts[3]}"
        if not actor.startswith("did:"):
            did = await self._did_of(actor)
            if did is None:
                raise Rejected(f"{self.account}: the handle {actor} in {target[:200]} does "
                               "not exist")
            actor = did
        return f"at://{actor}/{rest}"

    async def _images(self, post: Outgoing) -> dict[str, Any] | None:
        _, images = media_problems(post.media, max_bytes=BLUESKY_IMAGE_BYTES,
                                   alt_limit=BLUESKY_ALT_GRAPHEMES)
        if not images:
            return None
        embedded = []
        for image in images:
            reply = await self._authed("POST", "com.atproto.repo.uploadBlob",
                                       content=image.data, content_type=image.mime)
            embedded.append({"alt": image.alt,
                             "image": self._parse(reply, _Blob, "blob reference").blob})
        return {"$type": "app.bsky.embed.images", "images": embedded}

    async def _authed(self, method: str, nsid: str, *, accept: tuple[int, ...] = (),
                      content_type: str | None = None, **request: Any) -> Reply:
        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type

        async def send(jwt: str) -> Reply:
            return await self._transport.send(Call(
                method, self._url(nsid), headers={**headers, "Authorization": f"Bearer {jwt}"},
                **request))

        reply = await self._session.call(send)
        if reply.status_code < 300 or reply.status_code in accept:
            return reply
        raise self._failure(reply)

    def _url(self, nsid: str) -> str:
        return f"{self._service}/xrpc/{quote(nsid)}"

    def _failure(self, reply: Reply) -> Exception:
        code = reply.status_code
        error = _error(reply)
        detail = ": ".join(part for part in (error.error, error.message) if part)
        where = f"{self.account}: {self._host}"
        if code in (401, 403) or error.error in ("ExpiredToken", "InvalidToken", "AuthMissing"):
            return AuthFailed(f"{where} refused the session ({code}"
                              f"{': ' + detail if detail else ''})")
        if code == 429 or code >= 500:
            wait = _reset_seconds(reply.headers.get("ratelimit-reset"))
            if wait is None:
                wait = reply.retry_after if reply.retry_after is not None \
                    else DEFAULT_RETRY_SECONDS
            what = "is rate limiting us" if code == 429 else f"answered {code}"
            return RetryLater(f"{where} {what}; trying again in {wait:.0f} s", retry_after=wait)
        return Rejected(f"{where} refused the request ({code}{': ' + detail if detail else ''})")

    def _parse(self, reply: Reply, model: type[_M], what: str) -> _M:
        try:
            return model.model_validate_json(reply.body)
        except ValidationError:
            raise RetryLater(f"{self.account}: {self._host} sent something that is not a "
                             f"Bluesky {what}") from None


def _error(reply: Reply) -> _Error:
    try:
        data = json.loads(reply.body)
    except ValueError:
        return _Error()
    if not isinstance(data, dict):
        return _Error()
    return _Error(error=_line(data.get("error")), message=_line(data.get("message")))


def _line(value: Any) -> str | None:
    return " ".join(str(value).split())[:300] if value else None


def _reset_seconds(value: str | None) -> float | None:
    """RateLimit-Reset on Bluesky is a Unix time in seconds."""
    if not value or not value.strip().isdigit():
        return None
    return max(1.0, int(value.strip()) - time.time())
