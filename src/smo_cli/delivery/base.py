"""The delivery protocol: one outbox message, the result of one attempt, and a channel that sends.

Channels never print and never touch the database; the outbox (in services) decides what to send,
calls `Channel.send` and records the `DeliveryResult`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

_UNSAFE_KEY = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail, such as a training invitation's calendar entry."""

    filename: str
    content_type: str                 # e.g. "text/calendar; method=REQUEST"
    content: bytes


@dataclass(frozen=True)
class Message:
    """One outbox message, already decided and rendered."""

    key: str                          # stable idempotency key, e.g. "outbox-42"
    recipients: tuple[str, ...]       # e-mail addresses (smtp, file); webhooks ignore them
    subject: str
    text: str                         # plain-text body
    html: str | None                  # HTML body, rendered and escaped by the caller, or None
    data: Mapping[str, Any] = field(default_factory=dict)  # structured fields for webhooks
    attachments: tuple[Attachment, ...] = ()  # e-mail channels attach them; webhooks skip them


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one attempt. `ok=False, permanent=False` means: retry later."""

    ok: bool
    permanent: bool = False           # True: do not retry (unknown hook, auth refused, ...)
    detail: str | None = None


class Channel(Protocol):
    name: str
    kind: str

    def send(self, message: Message) -> DeliveryResult: ...


def safe_key(key: str) -> str:
    """The key reduced to `[A-Za-z0-9._-]`, usable as a file name and a Message-ID left part."""
    cleaned = _UNSAFE_KEY.sub("_", key).lstrip(".")
    return cleaned or "message"


def sent(detail: str | None = None) -> DeliveryResult:
    return DeliveryResult(ok=True, detail=detail)


def retry(detail: str) -> DeliveryResult:
    return DeliveryResult(ok=False, permanent=False, detail=detail)


def give_up(detail: str) -> DeliveryResult:
    return DeliveryResult(ok=False, permanent=True, detail=detail)
