"""The Mastodon client against a local server answering like Mastodon: request bodies, the
Idempotency-Key, media with alt text, replies, limits and every kind of refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
    NotValid,
    Outgoing,
    Published,
    Publisher,
    Rejected,
    RetryLater,
)
from smo_cli.services.engage_clients import connections, guarded
from tests.test_publish_servers import MASTODON_TOKEN, PNG, SECRETS, FakeMastodon

WHEN = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def account(server: HTTPServer, **changes: Any) -> EngageAccount:
    values: dict[str, Any] = {"name": "acme-mastodon", "platform": "mastodon",
                              "instance": server.url_for("/").rstrip("/"),
                              "allow_private": True, "secret_env": "ACME_MASTODON_TOKEN"}
    return EngageAccount.model_validate({**values, **changes})


def on(server: HTTPServer, step: Callable[[Publisher], Any], *,
       env: dict[str, str] = SECRETS, **changes: Any) -> Any:
    """Run one client step with a fresh client, as one command would."""
    async def go() -> Any:
        async with connections(env) as links:
            chosen = account(server, **changes)
            return await guarded(chosen.name, step(links.publisher(chosen)))
    return asyncio.run(go())


def outgoing(text: str = "Wij zoeken een servicemonteur in Utrecht! #vacature", **changes: Any
             ) -> Outgoing:
    values: dict[str, Any] = {"text": text, "key": "smo-post-1-acme-mastodon-abc",
                              "created_at": WHEN, "langs": ("nl",)}
    return Outgoing(**{**values, **changes})


def test_a_status_is_posted_with_its_idempotency_key_and_language(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)

    published = on(httpserver, lambda p: p.publish(outgoing()))

    [request] = fake.requests("/api/v1/statuses", "POST")
    assert request.headers["Authorization"] == f"Bearer {MASTODON_TOKEN}"
    assert request.headers["Idempotency-Key"] == "smo-post-1-acme-mastodon-abc"
    assert request.headers["User-Agent"].startswith("smo/")
    assert json.loads(request.get_data()) == {
        "status": "Wij zoeken een servicemonteur in Utrecht! #vacature", "language": "nl"}
    assert published == Published(remote_id="110000", uri=f"{fake.base}/users/acme/statuses/110000",
                                  url=f"{fake.base}/@acme/110000")


def test_a_retry_after_a_server_error_sends_the_same_key_and_posts_once(
        httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)
    fake.status_failures.append(Response("busy", status=503, headers={"Retry-After": "30"}))

    with pytest.raises(RetryLater) as first:
        on(httpserver, lambda p: p.publish(outgoing()))
    second = on(httpserver, lambda p: p.publish(outgoing()))
    third = on(httpserver, lambda p: p.publish(outgoing()))     # the answer was lost, say

    assert first.value.retry_after == 30
    keys = [r.headers["Idempotency-Key"] for r in fake.requests("/api/v1/statuses", "POST")]
    assert keys == ["smo-post-1-acme-mastodon-abc"] * 3
    assert len(fake.statuses) == 1 and second == third


def test_an_image_is_uploaded_with_its_alt_text_and_waited_for(
        httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.publish.mastodon.MEDIA_POLL_SECONDS", 0.01)
    fake = FakeMastodon(httpserver, media_polls=2)
    image = tmp_path / "monteur.png"
    image.write_bytes(PNG)
    alt = "Monteur Jan bij een warmtepomp, duim omhoog"

    on(httpserver, lambda p: p.publish(outgoing(media=(MediaFile(image, alt),))))

    assert fake.media["200"] | {"bytes": None, "polls": None} == {
        "description": alt, "filename": "monteur.png", "type": "image/png", "bytes": None,
        "polls": None}
    assert fake.media["200"]["bytes"] == PNG
    # 202 on upload, then 206 twice and 200 with a url: only then is the status made.
    assert len(fake.requests("/api/v1/media/200")) == 3
    assert fake.statuses[0]["body"]["media_ids"] == ["200"]


def test_a_reply_finds_the_remote_post_through_search(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)
    target = "https://social.example/@klant/109999"

    on(httpserver, lambda p: p.publish(outgoing("@klant@social.example Dank je!",
                                                reply_to=target)))

    [search] = fake.requests("/api/v2/search")
    assert search.args.to_dict() == {"q": target, "resolve": "true", "type": "statuses",
                                     "limit": "1"}
    assert fake.statuses[0]["body"]["in_reply_to_id"] == "555"


def test_a_reply_to_a_vanished_post_is_rejected(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)
    with pytest.raises(Rejected, match="cannot find the post to answer"):
        on(httpserver, lambda p: p.publish(outgoing(reply_to="https://social.example/@k/1")))
    assert fake.statuses == []


def test_a_refused_token_is_an_auth_error_naming_the_variable(httpserver: HTTPServer) -> None:
    FakeMastodon(httpserver)
    with pytest.raises(AuthFailed) as caught:
        on(httpserver, lambda p: p.publish(outgoing()),
           env={"ACME_MASTODON_TOKEN": "a-revoked-token"})
    assert "401" in caught.value.message and "ACME_MASTODON_TOKEN" in caught.value.message
    assert "a-revoked-token" not in caught.value.message


def test_a_missing_token_says_which_variable_to_set(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)
    with pytest.raises(AuthFailed, match=r"set ACME_MASTODON_TOKEN \(or ACME_MASTODON_TOKEN_FILE"):
        on(httpserver, lambda p: p.publish(outgoing()), env={})
    assert fake.server.log == []


def test_a_token_file_works_like_the_variable(httpserver: HTTPServer, tmp_path: Path) -> None:
    FakeMastodon(httpserver)
    token = tmp_path / "token"
    token.write_text(MASTODON_TOKEN + "\n")
    who = on(httpserver, lambda p: p.verify(), env={"ACME_MASTODON_TOKEN_FILE": str(token)})
    assert who.handle == "@acme@localhost"


def test_422_carries_the_servers_reason(httpserver: HTTPServer) -> None:
    # The instance says 1000, but the server enforces 500: its 422 says so.
    FakeMastodon(httpserver, max_characters=1000)
    with pytest.raises(Rejected) as caught:
        on(httpserver, lambda p: p.publish(outgoing("x" * 600)))
    assert caught.value.message == ("acme-mastodon: localhost refused the post: Validation "
                                    "failed: Text character limit of 500 exceeded")


def test_the_instance_limit_is_checked_before_anything_is_sent(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver, max_characters=100)
    text = "Onze monteurs " * 10 + "https://www.acme-installatie.example/" + "a" * 200
    with pytest.raises(NotValid, match="this Mastodon server allows 100"):
        on(httpserver, lambda p: p.publish(outgoing(text)))
    assert fake.requests("/api/v1/statuses") == []


def test_429_waits_until_the_rate_limit_reset(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)
    reset = (datetime.now(UTC) + timedelta(seconds=120)).isoformat().replace("+00:00", "Z")
    fake.status_failures.append(Response('{"error": "Too many requests"}', status=429,
                                         headers={"X-RateLimit-Reset": reset,
                                                  "Retry-After": "5"}))
    fake.status_failures.append(Response('{"error": "Too many requests"}', status=429,
                                         headers={"Retry-After": "30"}))
    with pytest.raises(RetryLater) as by_reset:
        on(httpserver, lambda p: p.publish(outgoing()))
    with pytest.raises(RetryLater) as by_retry_after:
        on(httpserver, lambda p: p.publish(outgoing()))
    assert by_reset.value.retry_after is not None and 110 < by_reset.value.retry_after <= 120
    assert by_retry_after.value.retry_after == 30


def test_counts_come_from_the_status(httpserver: HTTPServer) -> None:
    FakeMastodon(httpserver)
    counts = on(httpserver, lambda p: p.counts(Published("110000", "uri")))
    assert counts == Counts(likes=7, reposts=3, replies=2, quotes=0)


def test_a_local_server_is_refused_unless_the_account_allows_it(httpserver: HTTPServer) -> None:
    fake = FakeMastodon(httpserver)
    with pytest.raises(NotValid, match="allow_private: true"):
        on(httpserver, lambda p: p.verify(), allow_private=False)
    assert fake.server.log == []
