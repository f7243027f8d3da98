"""Plain web pages (reachability), and the GET helper every adapter shares.

The helper follows redirects, caps the body it reads, and turns transport failures into a
`RemoteFailure` already phrased for the officer; adapters turn that into a `ProfileFacts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from smo_cli.sources.profiles import FailureStatus, ProfileFacts

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_DETAIL_CHARS = 200

Model = TypeVar("Model", bound=BaseModel)


class RemoteFailure(Exception):
    """A remote failure with its status and a one-line detail for the officer."""

    def __init__(self, status: FailureStatus, detail: str, final_url: str | None = None) -> None:
        super().__init__(detail)
        self.status: FailureStatus = status
        self.detail = one_line(detail)
        self.final_url = final_url

    def facts(self) -> ProfileFacts:
        return ProfileFacts.failure(self.status, self.detail, final_url=self.final_url)


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status_code: int
    headers: httpx.Headers
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


async def reachability(client: httpx.AsyncClient, url: str) -> ProfileFacts:
    """Whether the URL answers 2xx after redirects, and where it ends up."""
    try:
        fetched = await fetch(client, url, read_body=False)
        ensure_ok(fetched)
    except RemoteFailure as failure:
        return failure.facts()
    return ProfileFacts(status="ok", final_url=fetched.url)


async def fetch(client: httpx.AsyncClient, url: str, *,
                params: Mapping[str, str | int] | None = None,
                headers: Mapping[str, str] | None = None, read_body: bool = True) -> Fetched:
    """GET, following redirects, reading at most MAX_BODY_BYTES; the status is not judged here."""
    where = _host(url)
    try:
        async with client.stream("GET", url, params=params, headers=headers,
                                 follow_redirects=True) as response:
            body = await _read_capped(response) if read_body else b""
            return Fetched(str(response.url), response.status_code, response.headers, body)
    except httpx.TimeoutException:
        raise RemoteFailure("unreachable", f"{where} did not answer in time") from None
    except httpx.TooManyRedirects:
        raise RemoteFailure("error", f"{where} redirects too often (a loop?)") from None
    except httpx.UnsupportedProtocol:
        raise RemoteFailure("error", f"not an http(s) URL: {url}") from None
    except httpx.DecodingError:
        raise RemoteFailure("error", f"{where} sent a body that cannot be decoded") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise RemoteFailure("unreachable", f"cannot reach {where}: {reason}") from None
    except httpx.InvalidURL:
        raise RemoteFailure("error", f"not a valid URL: {url}") from None


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RemoteFailure("error", _too_large(response), final_url=str(response.url))
    chunks: list[bytes] = []
    size = 0
    # Counted after decompression: a small gzip body can expand to gigabytes.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RemoteFailure("error", _too_large(response), final_url=str(response.url))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(response: httpx.Response) -> str:
    return f"{response.url.host} sent more than {MAX_BODY_BYTES // (1024 * 1024)} MB"


def ensure_ok(fetched: Fetched) -> None:
    """Raise a RemoteFailure for a non-2xx answer, with the API's own error message if any."""
    if fetched.ok:
        return
    code = fetched.status_code
    # 5xx and 429 pass with time; other 4xx mean the address or the account is wrong.
    status: FailureStatus = "unreachable" if code >= 500 or code == 429 else "error"
    reason = httpx.codes.get_reason_phrase(code) or "unexpected status"
    message = _api_error_message(fetched.body)
    detail = f"HTTP {code} {reason} from {_host(fetched.url)}"
    raise RemoteFailure(status, f"{detail}: {message}" if message else detail,
                        final_url=fetched.url)


class _ErrorBody(BaseModel):
    # Mastodon: {"error": "Record not found"}; XRPC: {"error": "InvalidRequest", "message": "..."}.
    error: str | None = None
    message: str | None = None
    error_description: str | None = None


def _api_error_message(body: bytes) -> str | None:
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        parsed = _ErrorBody.model_validate_json(body)
    except ValidationError:
        return None
    if parsed.message and parsed.error:
        return f"{parsed.message} ({parsed.error})"
    return parsed.message or parsed.error_description or parsed.error


def parse_json(fetched: Fetched, model: type[Model]) -> Model:
    """Validate a JSON body against the boundary model; malformed data is a RemoteFailure."""
    try:
        return model.model_validate_json(fetched.body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            problem = "not valid JSON"
        else:
            field = ".".join(str(part) for part in first["loc"]) or "(top level)"
            problem = f"{field}: {first['msg']}"
        raise RemoteFailure("error", f"unexpected answer from {_host(fetched.url)}: {problem}",
                            final_url=fetched.url) from None


def parse_when(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime; None when absent or unreadable.

    A date alone (Mastodon's last_status_at) means midnight UTC; a naive time is taken as UTC.
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def one_line(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL:
        return url
