"""The Bluesky client against a local PDS: the session (created, refreshed on ExpiredToken),
the post record with facets at byte offsets, images, replies, and no double post on a retry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from smo_cli.config import EngageAccount
from smo_cli.publish.base import (
    AuthFailed,
    Counts,
    MediaFile,
    Outgoing,
    Published,
    Publisher,
    Rejected,
    RetryLater,
)
from smo_cli.publish.bluesky import tid
from smo_cli.services.engage_clients import connections, guarded
from tests.test_publish_servers import (
    BLUESKY_DID,
    BLUESKY_HANDLE,
    BLUESKY_PASSWORD,
    PNG,
    SECRETS,
    FakeBluesky,
)

WHEN = datetime(2026, 12, 1, 8, 30, 0, 250000, tzinfo=UTC)
KEY = "smo-post-1-acme-bluesky-abc"
CREATE = "com.atproto.repo.createRecord"


def on(server: HTTPServer, *steps: Callable[[Publisher], Any],
       env: dict[str, str] = SECRETS) -> list[Any]:
    """Run steps on one client (one command): they share its session."""
    async def go() -> list[Any]:
        results = []
        async with connections(env) as links:
            chosen = EngageAccount.model_validate({
                "name": "acme-bluesky", "platform": "bluesky", "handle": BLUESKY_HANDLE,
                "service": server.url_for("/").rstrip("/"), "allow_private": True,
                "secret_env": "ACME_BLUESKY_PASSWORD"})
            publisher = links.publisher(chosen)
            for step in steps:
                results.append(await guarded(chosen.name, step(publisher)))
        return results
    return asyncio.run(go())


def outgoing(text: str = "Nieuw: de Barista 3000", **changes: Any) -> Outgoing:
    values: dict[str, Any] = {"text": text, "key": KEY, "created_at": WHEN, "langs": ("nl",)}
    return Outgoing(**{**values, **changes})


def test_the_post_record_has_facets_at_byte_offsets_after_accents_and_emoji(
        httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    text = ("Zoë en Renée zijn dól op koffie ☕🎉 #AcmeKoffie met @sanne.bsky.social "
            "en @niemand.example: https://acme.example/barista")

    [published] = on(httpserver, lambda p: p.publish(outgoing(text)))

    [login] = fake.requests("com.atproto.server.createSession")
    assert json.loads(login.get_data()) == {"identifier": BLUESKY_HANDLE,
                                            "password": BLUESKY_PASSWORD}
    [create] = fake.requests(CREATE)
    assert create.headers["Authorization"] == "Bearer access-1"
    body = json.loads(create.get_data())
    rkey = tid(WHEN, KEY)
    assert (body["repo"], body["collection"], body["rkey"]) == (
        BLUESKY_DID, "app.bsky.feed.post", rkey)
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["createdAt"] == "2026-12-01T08:30:00.250Z"
    assert record["langs"] == ["nl"]
    data = text.encode("utf-8")
    spans = [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in record["facets"]]
    assert [data[a:b].decode() for a, b in spans] == [
        "#AcmeKoffie", "@sanne.bsky.social", "https://acme.example/barista"]
    # ë, é, ó: two bytes each; ☕ three; 🎉 four. The tag starts at character 35, byte 43.
    assert text.index("#AcmeKoffie") == 35 and spans[0] == (43, 54)
    assert [f["features"][0] for f in record["facets"]] == [
        {"$type": "app.bsky.richtext.facet#tag", "tag": "AcmeKoffie"},
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:sannesannesannesanne"},
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://acme.example/barista"}]
    assert published == Published(
        remote_id=rkey, uri=f"at://{BLUESKY_DID}/app.bsky.feed.post/{rkey}",
        url=f"https://bsky.app/profile/{BLUESKY_HANDLE}/post/{rkey}", cid="bafyreicid1")


def test_an_expired_token_is_refreshed_and_the_call_retried_once(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)

    def expire_then_publish(publisher: Publisher) -> Any:
        fake.expire_next = True
        return publisher.publish(outgoing())

    on(httpserver, lambda p: p.verify(), expire_then_publish)

    [refresh] = fake.requests("com.atproto.server.refreshSession")
    assert refresh.headers["Authorization"] == "Bearer refresh-1" and refresh.get_data() == b""
    assert [r.headers["Authorization"] for r in fake.requests(CREATE)] == [
        "Bearer access-1", "Bearer access-2"]
    assert len(fake.records) == 1
    assert len(fake.requests("com.atproto.server.createSession")) == 1


def test_an_image_is_uploaded_as_a_blob_and_embedded_with_its_alt_text(
        httpserver: HTTPServer, tmp_path: Path) -> None:
    fake = FakeBluesky(httpserver)
    image = tmp_path / "pand.png"
    image.write_bytes(PNG)

    on(httpserver, lambda p: p.publish(outgoing(media=(MediaFile(image, "Ons nieuwe pand"),))))

    [upload] = fake.requests("com.atproto.repo.uploadBlob")
    assert upload.headers["Content-Type"] == "image/png" and upload.get_data() == PNG
    [record] = [r["record"] for r in fake.records.values()]
    assert record["embed"] == {"$type": "app.bsky.embed.images", "images": [
        {"alt": "Ons nieuwe pand", "image": fake.blobs[0]}]}


def test_a_reply_points_at_the_thread_root_and_the_parent(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    sanne = "did:plc:sannesannesannesanne"
    parent = f"at://{sanne}/app.bsky.feed.post/3lparent"
    root = "at://did:plc:klantklantklantklant/app.bsky.feed.post/3lroot"
    fake.posts[parent] = {"uri": parent, "cid": "bafyparent", "record": {
        "text": "Werkt de Barista 3000 ook op 110 V?",
        "reply": {"root": {"uri": root, "cid": "bafyroot"},
                  "parent": {"uri": root, "cid": "bafyroot"}}}}

    on(httpserver, lambda p: p.publish(outgoing(
        "Nee, alleen op 230 V.", reply_to="https://bsky.app/profile/sanne.bsky.social/post/3lparent")))

    [record] = [r["record"] for r in fake.records.values()]
    assert record["reply"] == {"root": {"uri": root, "cid": "bafyroot"},
                               "parent": {"uri": parent, "cid": "bafyparent"}}
    [lookup] = fake.requests("app.bsky.feed.getPosts")
    assert lookup.args.getlist("uris") == [parent]


def test_a_reply_to_a_thread_start_uses_it_as_root_too(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    parent = f"at://{BLUESKY_DID}/app.bsky.feed.post/3lstart"
    fake.posts[parent] = {"uri": parent, "cid": "bafystart", "record": {"text": "Vraag?"}}
    on(httpserver, lambda p: p.publish(outgoing("Antwoord.", reply_to=parent)))
    [record] = [r["record"] for r in fake.records.values()]
    assert record["reply"]["root"] == record["reply"]["parent"] == {"uri": parent,
                                                                     "cid": "bafystart"}


def test_a_reply_to_a_deleted_post_is_rejected(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    with pytest.raises(Rejected, match="cannot be found"):
        on(httpserver, lambda p: p.publish(outgoing(reply_to=f"at://{BLUESKY_DID}/"
                                                    "app.bsky.feed.post/3lgone")))
    assert fake.records == {}


def test_a_retry_finds_the_earlier_post_instead_of_posting_twice(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    [first] = on(httpserver, lambda p: p.publish(outgoing()))
    # The answer to that createRecord was lost: the next attempt looks before it posts.
    [again] = on(httpserver, lambda p: p.publish(outgoing(earlier_attempt=True)))

    assert len(fake.requests(CREATE)) == 1 and len(fake.records) == 1
    [look] = fake.requests("com.atproto.repo.getRecord")
    assert look.args.to_dict() == {"repo": BLUESKY_DID, "collection": "app.bsky.feed.post",
                                   "rkey": tid(WHEN, KEY)}
    assert again.uri == first.uri


def test_a_retry_posts_when_the_earlier_attempt_left_nothing(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    on(httpserver, lambda p: p.publish(outgoing(earlier_attempt=True)))
    assert len(fake.requests("com.atproto.repo.getRecord")) == 1
    assert len(fake.records) == 1


def test_a_refused_login_is_an_auth_error_without_the_password(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    with pytest.raises(AuthFailed) as caught:
        on(httpserver, lambda p: p.publish(outgoing()),
           env={"ACME_BLUESKY_PASSWORD": "wrong-app-password"})
    assert "Invalid identifier or password" in caught.value.message
    assert "ACME_BLUESKY_PASSWORD" in caught.value.message
    assert "wrong-app-password" not in caught.value.message
    assert fake.records == {}


def test_rate_limits_and_server_errors_mean_later(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    fake.record_failures.append(Response('{"error": "RateLimitExceeded"}', status=429,
                                         headers={"Retry-After": "45"}))
    fake.record_failures.append(Response("bad gateway", status=502))
    with pytest.raises(RetryLater) as limited:
        on(httpserver, lambda p: p.publish(outgoing()))
    with pytest.raises(RetryLater) as broken:
        on(httpserver, lambda p: p.publish(outgoing()))
    assert limited.value.retry_after == 45
    assert "answered 502" in broken.value.message


def test_counts_come_from_get_posts(httpserver: HTTPServer) -> None:
    fake = FakeBluesky(httpserver)
    uri = f"at://{BLUESKY_DID}/app.bsky.feed.post/3lmine"
    fake.posts[uri] = {"uri": uri, "cid": "bafy", "record": {"text": "x"}, "likeCount": 12,
                       "repostCount": 4, "replyCount": 1, "quoteCount": 2}
    [counts] = on(httpserver, lambda p: p.counts(Published("3lmine", uri)))
    assert counts == Counts(likes=12, reposts=4, replies=1, quotes=2)


def test_verify_says_who_signed_in(httpserver: HTTPServer) -> None:
    FakeBluesky(httpserver)
    [who] = on(httpserver, lambda p: p.verify())
    assert (who.handle, who.detail) == (f"@{BLUESKY_HANDLE}", BLUESKY_DID)
