"""Webhook channels against a local pytest-httpserver: payloads, signature, status handling."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from smo_cli.delivery import Message, WebhookChannel
from smo_cli.delivery.webhook import verify
from smo_cli.errors import InvalidData

DATA = {"title": "Storing <bij> Acme & co", "url": "https://social.example/@jan/1",
        "department": "it", "type": "complaint", "priority": "high", "due": "2025-03-04 12:00",
        "id": 7}
MESSAGE = Message(key="outbox-7", recipients=(), subject="Klacht: storing", text="De app is stuk",
                  html=None, data=DATA)


def _env(server: HTTPServer, path: str = "/hook/T0K3N") -> dict[str, str]:
    return {"SMO_HOOK_URL": server.url_for(path), "SMO_HOOK_SECRET": "s3cret"}


def _posted(server: HTTPServer) -> Any:
    assert len(server.log) == 1
    return json.loads(server.log[0][0].get_data())


def test_generic_is_signed_with_an_idempotency_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook/T0K3N", method="POST").respond_with_data("ok")
    channel = WebhookChannel("SMO_HOOK_URL", _env(httpserver), "generic", "SMO_HOOK_SECRET")

    result = channel.send(MESSAGE)

    assert result.ok, result.detail
    request = httpserver.log[0][0]
    assert request.headers["Idempotency-Key"] == "outbox-7"
    assert verify(request.get_data(), "s3cret", request.headers["X-Smo-Signature"])
    assert not verify(request.get_data() + b" ", "s3cret", request.headers["X-Smo-Signature"])
    body = _posted(httpserver)
    assert body["subject"] == "Klacht: storing" and body["data"]["title"] == DATA["title"]


def test_slack_blocks_escape_mrkdwn(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook/T0K3N").respond_with_data("ok")
    assert WebhookChannel("SMO_HOOK_URL", _env(httpserver), "slack").send(MESSAGE).ok
    body = _posted(httpserver)
    assert body["text"] == "Klacht: storing"
    assert [b["type"] for b in body["blocks"]] == ["section", "context"]
    section = body["blocks"][0]["text"]["text"]
    assert "Storing &lt;bij&gt; Acme &amp; co" in section
    assert "<https://social.example/@jan/1|" in section
    assert "Priority: high" in body["blocks"][1]["elements"][0]["text"]


def test_teams_adaptive_card(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook/T0K3N").respond_with_data("", status=202)
    assert WebhookChannel("SMO_HOOK_URL", _env(httpserver), "teams").send(MESSAGE).ok
    body = _posted(httpserver)
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0] == {"type": "TextBlock", "text": DATA["title"], "weight": "Bolder",
                               "size": "Medium", "wrap": True}
    assert card["actions"][0]["url"] == DATA["url"]


def test_mattermost_markdown(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook/T0K3N").respond_with_data("ok")
    message = Message(key="k", recipients=(), subject="s", text="zie [hier](javascript:x)",
                      html=None, data=DATA)
    assert WebhookChannel("SMO_HOOK_URL", _env(httpserver), "mattermost").send(message).ok
    text = _posted(httpserver)["text"]
    assert text.startswith("#### [Storing \\<bij\\> Acme & co](<https://social.example/@jan/1>)")
    assert "\\[hier\\]\\(javascript:x\\)" in text


def test_javascript_url_is_not_linked(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook/T0K3N").respond_with_data("ok")
    message = Message(key="k", recipients=(), subject="s", text="t", html=None,
                      data={**DATA, "url": "javascript:alert(1)"})
    assert WebhookChannel("SMO_HOOK_URL", _env(httpserver), "slack").send(message).ok
    assert "javascript:" not in json.dumps(_posted(httpserver))


@pytest.mark.parametrize(("status", "permanent"), [(429, False), (500, False), (503, False),
                                                  (400, True), (401, True), (403, True),
                                                  (404, True), (410, True)])
def test_status_classification(httpserver: HTTPServer, status: int, permanent: bool) -> None:
    httpserver.expect_request("/hook/T0K3N").respond_with_data(
        "no_service at " + httpserver.url_for("/hook/T0K3N"), status=status)
    result = WebhookChannel("SMO_HOOK_URL", _env(httpserver), "slack").send(MESSAGE)
    assert not result.ok and result.permanent is permanent
    assert result.detail is not None and str(status) in result.detail
    assert "T0K3N" not in result.detail


def test_429_then_success(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/hook/T0K3N").respond_with_data("slow down", status=429)
    httpserver.expect_ordered_request("/hook/T0K3N").respond_with_data("ok")
    channel = WebhookChannel("SMO_HOOK_URL", _env(httpserver), "generic", "SMO_HOOK_SECRET")
    first, second = channel.send(MESSAGE), channel.send(MESSAGE)
    assert (first.ok, first.permanent, second.ok) == (False, False, True)
    keys = {r.headers["Idempotency-Key"] for r, _ in httpserver.log}
    assert keys == {"outbox-7"}


def test_unreachable_is_retryable_and_hides_the_url(httpserver: HTTPServer) -> None:
    env = {"SMO_HOOK_URL": "http://127.0.0.1:1/hook/T0K3N"}
    result = WebhookChannel("SMO_HOOK_URL", env, "slack", timeout=2).send(MESSAGE)
    assert not result.ok and not result.permanent
    assert result.detail is not None and "T0K3N" not in result.detail
    assert "T0K3N" not in repr(WebhookChannel("SMO_HOOK_URL", env, "slack"))


def test_missing_env_names_the_variable_only() -> None:
    with pytest.raises(InvalidData, match="SMO_HOOK_URL"):
        WebhookChannel("SMO_HOOK_URL", {}, "slack")
    with pytest.raises(InvalidData, match="SMO_HOOK_SECRET"):
        WebhookChannel("SMO_HOOK_URL", {"SMO_HOOK_URL": "https://h/x"}, "generic",
                       "SMO_HOOK_SECRET")
