"""Webhooks: generic signed JSON, Slack, Microsoft Teams Workflows and Mattermost.

The URL is a secret: it is read from the environment and never appears in a result detail. The
generic flavour signs the exact body: `X-Smo-Signature: sha256=<hex HMAC-SHA256>` with the secret
from `secret_env`, and sends `Idempotency-Key: <message key>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx

from smo_cli.delivery import payloads
from smo_cli.delivery.base import DeliveryResult, Message, give_up, retry, sent
from smo_cli.errors import InvalidData

Flavour = Literal["generic", "slack", "teams", "mattermost"]
FLAVOURS: tuple[Flavour, ...] = ("generic", "slack", "teams", "mattermost")
SIGNATURE_HEADER = "X-Smo-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "smo-cli"
RETRYABLE_STATUS = frozenset({408, 425, 429})
REDACTED = "<webhook url>"

_BUILDERS: dict[str, Callable[[str, str, Mapping[str, Any]], dict[str, Any]]] = {
    "slack": payloads.slack_payload,
    "teams": payloads.teams_payload,
    "mattermost": payloads.mattermost_payload,
}


def sign(body: bytes, secret: str) -> str:
    """The signature header value for a body: `sha256=<hex>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    """For receivers and tests: does the header match the body (constant-time)?"""
    return hmac.compare_digest(sign(body, secret), header)


def read_secret(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name)
    if not value:
        raise InvalidData(f"{what}: environment variable {name} is not set",
                          hint=f"export {name}=... before running smo")
    return value


class WebhookChannel:
    def __init__(self, url_env_name_or_url: str, env: Mapping[str, str],
                 flavour: Flavour = "generic", secret_env: str | None = None, *,
                 name: str | None = None, timeout: float = 10.0,
                 client: httpx.Client | None = None) -> None:
        if flavour not in FLAVOURS:
            raise InvalidData(f"unknown webhook flavour {flavour!r}",
                              hint=f"use one of {', '.join(FLAVOURS)}")
        self.kind: str = "webhook" if flavour == "generic" else flavour
        self.name = name or self.kind
        self.flavour = flavour
        what = f"channel {self.name}"
        if url_env_name_or_url.lower().startswith(("https://", "http://")):
            self._url = url_env_name_or_url
        else:
            self._url = read_secret(env, url_env_name_or_url, what)
            if not self._url.lower().startswith(("https://", "http://")):
                raise InvalidData(f"{what}: {url_env_name_or_url} is not an http(s) URL")
        self._secret = read_secret(env, secret_env, what) if secret_env else None
        self.timeout = timeout
        self._client = client

    def __repr__(self) -> str:  # never show the URL
        return f"WebhookChannel(name={self.name!r}, flavour={self.flavour!r})"

    def request(self, message: Message) -> tuple[bytes, dict[str, str]]:
        """The exact body and headers that `send` posts (also for --dry-run)."""
        if self.flavour == "generic":
            payload = payloads.generic_payload(message.key, message.subject, message.text,
                                               message.data)
        else:
            payload = _BUILDERS[self.flavour](message.subject, message.text, message.data)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                          default=str).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                   IDEMPOTENCY_HEADER: message.key}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        return body, headers

    def send(self, message: Message) -> DeliveryResult:
        body, headers = self.request(message)
        try:
            if self._client is not None:
                response = self._client.post(self._url, content=body, headers=headers,
                                             timeout=self.timeout)
            else:
                with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                    response = client.post(self._url, content=body, headers=headers)
        except httpx.TimeoutException:
            return retry(f"{self.name}: timed out after {self.timeout:g}s")
        except httpx.HTTPError as exc:
            return retry(f"{self.name}: {type(exc).__name__}: {self._redact(str(exc))}")
        return self._classify(response)

    def _classify(self, response: httpx.Response) -> DeliveryResult:
        status = response.status_code
        if 200 <= status < 300:
            return sent(f"{self.name}: HTTP {status}")
        reply = self._redact(response.text[:200].strip())
        detail = f"{self.name}: HTTP {status}" + (f" {reply}" if reply else "")
        if status in RETRYABLE_STATUS or status >= 500:
            after = response.headers.get("Retry-After")
            return retry(detail + (f" (retry after {after})" if after else ""))
        return give_up(detail)

    def _redact(self, text: str) -> str:
        url = httpx.URL(self._url)
        for secret in (self._url, str(url), url.raw_path.decode("ascii", "replace")):
            if len(secret) > 1:
                text = text.replace(secret, REDACTED)
        return text
