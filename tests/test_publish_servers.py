"""A local Mastodon and a local Bluesky PDS for the posting tests, on pytest-httpserver.

They answer as the platforms' API documentation says (paths, statuses, error bodies, headers)
and remember what they were sent, so a test can check request bodies and count requests.
Both live on one server: Mastodon under /api/, Bluesky under /xrpc/. The one test here checks
that the fakes refuse what the real servers refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex  # type: ignore[import-untyped,unused-ignore]
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MASTODON_TOKEN = "mastodon-secret-token-7f3a9c"
BLUESKY_PASSWORD = "bsky-app-pw-2b8e-41d0"
BLUESKY_HANDLE = "acme.test"
BLUESKY_DID = "did:plc:acmetestacmetestacmetest"
KNOWN_HANDLES = {"sanne.bsky.social": "did:plc:sannesannesannesanne", BLUESKY_HANDLE: BLUESKY_DID}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
Canned = Callable[[Request], Response | None]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers,
                    content_type="application/json")


def _graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


@dataclass
class FakeMastodon:
    """A Mastodon server: statuses, media, search, instance limits, idempotency keys."""

    server: HTTPServer
    token: str = MASTODON_TOKEN
    max_characters: int = 500            # what /api/v2/instance says
    enforced_characters: int = 500       # what POST /api/v1/statuses enforces
    media_polls: int = 1                 # 206 answers before a media attachment is ready
    statuses: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    status_failures: list[Response] = field(default_factory=list)   # answered first, in order

    def __post_init__(self) -> None:
        s = self.server
        s.expect_request("/api/v1/accounts/verify_credentials").respond_with_handler(
            self._verify)
        s.expect_request("/api/v2/instance").respond_with_handler(self._instance)
        s.expect_request("/api/v2/media", method="POST").respond_with_handler(self._upload)
        s.expect_request(re.compile(r"^/api/v1/media/\w+$")).respond_with_handler(self._media)
        s.expect_request("/api/v1/statuses", method="POST").respond_with_handler(self._post)
        s.expect_request("/api/v2/search").respond_with_handler(self._search)
        s.expect_request(re.compile(r"^/api/v1/statuses/\w+$")).respond_with_handler(
            self._status)

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def requests(self, path: str, method: str | None = None) -> list[Request]:
        return [r for r, _ in self.server.log
                if r.path == path and (method is None or r.method == method)]

    def _authorised(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"error": "The access token is invalid"}, 401)
        return None

    def _verify(self, request: Request) -> Response:
        return self._authorised(request) or _json(
            {"id": "109", "acct": "acme", "username": "acme", "url": f"{self.base}/@acme"})

    def _instance(self, request: Request) -> Response:
        return _json({"domain": "localhost", "configuration": {
            "statuses": {"max_characters": self.max_characters, "max_media_attachments": 4,
                         "characters_reserved_per_url": 23},
            "media_attachments": {"image_size_limit": 16777216, "description_limit": 1500}}})

    def _upload(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        media_id = str(200 + len(self.media))
        upload = request.files["file"]
        self.media[media_id] = {"description": request.form.get("description"),
                                "filename": upload.filename, "type": upload.mimetype,
                                "bytes": upload.read(), "polls": 0}
        # v2: 202 with url null while the full version is processed in the background.
        return _json({"id": media_id, "type": "image", "url": None,
                      "description": request.form.get("description")}, 202)

    def _media(self, request: Request) -> Response:
        media_id = request.path.rsplit("/", 1)[-1]
        item = self.media[media_id]
        item["polls"] += 1
        if item["polls"] <= self.media_polls:
            return _json({"id": media_id, "url": None}, 206)
        return _json({"id": media_id, "url": f"{self.base}/media/{media_id}.png"})

    def _post(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        if self.status_failures:
            return self.status_failures.pop(0)
        key = request.headers.get("Idempotency-Key")
        if key and key in self.keys:
            return _json(self.keys[key])           # the same status, not a second one
        body = request.get_json()
        text = re.sub(r"https?://\S+", "x" * 23, body["status"])
        if _graphemes(text) > self.enforced_characters:
            return _json({"error": "Validation failed: Text character limit of "
                                   f"{self.enforced_characters} exceeded"}, 422)
        number = str(110_000 + len(self.statuses))
        status = {"id": number, "uri": f"{self.base}/users/acme/statuses/{number}",
                  "url": f"{self.base}/@acme/{number}", "content": body["status"],
                  "favourites_count": 0, "reblogs_count": 0, "replies_count": 0}
        self.statuses.append({**status, "body": body})
        if key:
            self.keys[key] = status
        return _json(status)

    def _search(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        found = []
        if request.args.get("resolve") == "true" and "/109999" in request.args.get("q", ""):
            found = [{"id": "555", "uri": request.args["q"], "url": request.args["q"]}]
        return _json({"accounts": [], "hashtags": [], "statuses": found})

    def _status(self, request: Request) -> Response:
        number = request.path.rsplit("/", 1)[-1]
        return _json({"id": number, "uri": f"{self.base}/users/acme/statuses/{number}",
                      "favourites_count": 7, "reblogs_count": 3, "replies_count": 2})


@dataclass
class FakeBluesky:
    """A PDS with the AppView calls we use: sessions, records, blobs, handles, posts."""

    server: HTTPServer
    password: str = BLUESKY_PASSWORD
    expire_next: bool = False            # the next authed call answers ExpiredToken once
    generation: int = 1
    records: dict[str, dict[str, Any]] = field(default_factory=dict)   # rkey → record
    blobs: list[dict[str, Any]] = field(default_factory=list)
    record_failures: list[Response] = field(default_factory=list)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)     # uri → post view

    def __post_init__(self) -> None:
        s = self.server
        x = "/xrpc/"
        s.expect_request(x + "com.atproto.server.createSession", method="POST") \
            .respond_with_handler(self._create)
        s.expect_request(x + "com.atproto.server.refreshSession", method="POST") \
            .respond_with_handler(self._refresh)
        s.expect_request(x + "com.atproto.server.getSession").respond_with_handler(
            self._authed(lambda _: _json({"handle": BLUESKY_HANDLE, "did": BLUESKY_DID})))
        s.expect_request(x + "com.atproto.identity.resolveHandle").respond_with_handler(
            self._resolve)
        s.expect_request(x + "com.atproto.repo.uploadBlob", method="POST") \
            .respond_with_handler(self._authed(self._upload))
        s.expect_request(x + "com.atproto.repo.createRecord", method="POST") \
            .respond_with_handler(self._authed(self._create_record))
        s.expect_request(x + "com.atproto.repo.getRecord").respond_with_handler(
            self._authed(self._get_record))
        s.expect_request(x + "app.bsky.feed.getPosts").respond_with_handler(
            self._authed(self._get_posts))

    @property
    def service(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def requests(self, nsid: str) -> list[Request]:
        return [r for r, _ in self.server.log if r.path == f"/xrpc/{nsid}"]

    def _create(self, request: Request) -> Response:
        body = request.get_json()
        if body != {"identifier": BLUESKY_HANDLE, "password": self.password}:
            return _json({"error": "AuthenticationRequired",
                          "message": "Invalid identifier or password"}, 401)
        return _json({"did": BLUESKY_DID, "handle": BLUESKY_HANDLE, "active": True,
                      "accessJwt": f"access-{self.generation}",
                      "refreshJwt": f"refresh-{self.generation}"})

    def _refresh(self, request: Request) -> Response:
        if request.get_data() or request.headers.get("Authorization") != \
                f"Bearer refresh-{self.generation}":
            return _json({"error": "InvalidRequest", "message": "bad refresh"}, 400)
        self.generation += 1
        return _json({"did": BLUESKY_DID, "handle": BLUESKY_HANDLE,
                      "accessJwt": f"access-{self.generation}",
                      "refreshJwt": f"refresh-{self.generation}"})

    def _authed(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def check(request: Request) -> Response:
            if self.expire_next:
                self.expire_next = False
                return _json({"error": "ExpiredToken", "message": "Token has expired"}, 400)
            if request.headers.get("Authorization") != f"Bearer access-{self.generation}":
                return _json({"error": "InvalidToken", "message": "Bad token"}, 401)
            return handler(request)
        return check

    def _resolve(self, request: Request) -> Response:
        did = KNOWN_HANDLES.get(request.args.get("handle", ""))
        if did is None:
            return _json({"error": "InvalidRequest", "message": "Unable to resolve handle"}, 400)
        return _json({"did": did})

    def _upload(self, request: Request) -> Response:
        data = request.get_data()
        blob = {"$type": "blob", "ref": {"$link": f"bafkreiblob{len(self.blobs)}"},
                "mimeType": request.headers.get("Content-Type"), "size": len(data)}
        self.blobs.append(blob)
        return _json({"blob": blob})

    def _create_record(self, request: Request) -> Response:
        if self.record_failures:
            return self.record_failures.pop(0)
        body = request.get_json()
        record = body["record"]
        if _graphemes(record["text"]) > 300:
            return _json({"error": "InvalidRequest",
                          "message": "Invalid app.bsky.feed.post record: Record/text must not "
                                     "be longer than 300 graphemes"}, 400)
        rkey = body["rkey"]
        if rkey in self.records:
            return _json({"error": "InvalidRequest", "message": "Record already exists"}, 400)
        self.records[rkey] = body
        return _json({"uri": f"at://{body['repo']}/app.bsky.feed.post/{rkey}",
                      "cid": f"bafyreicid{len(self.records)}"})

    def _get_record(self, request: Request) -> Response:
        rkey = request.args["rkey"]
        if rkey not in self.records:
            return _json({"error": "RecordNotFound",
                          "message": f"Could not locate record: {rkey}"}, 400)
        return _json({"uri": f"at://{BLUESKY_DID}/app.bsky.feed.post/{rkey}",
                      "cid": "bafyreiearlier", "value": self.records[rkey]["record"]})

    def _get_posts(self, request: Request) -> Response:
        uris = request.args.getlist("uris")
        return _json({"posts": [self.posts[u] for u in uris if u in self.posts]})


def engage_config(workspace: Path, server: HTTPServer, **changes: Any) -> None:
    """Give the workspace's smo.yaml a Mastodon and a Bluesky account on the local server."""
    path = workspace / "smo.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = server.url_for("/").rstrip("/")
    accounts = [
        {"name": "acme-mastodon", "platform": "mastodon", "instance": base,
         "allow_private": True, "secret_env": "ACME_MASTODON_TOKEN"},
        {"name": "acme-bluesky", "platform": "bluesky", "handle": BLUESKY_HANDLE,
         "service": base, "allow_private": True, "secret_env": "ACME_BLUESKY_PASSWORD"},
    ]
    for account in accounts:
        account.update(changes.get(str(account["name"]), {}))
    settings["engage"] = {"accounts": accounts}
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


SECRETS = {"ACME_MASTODON_TOKEN": MASTODON_TOKEN, "ACME_BLUESKY_PASSWORD": BLUESKY_PASSWORD}


def test_the_fakes_refuse_what_the_platforms_refuse(httpserver: HTTPServer) -> None:
    import httpx

    mastodon, bluesky = FakeMastodon(httpserver), FakeBluesky(httpserver)
    with httpx.Client(base_url=mastodon.base) as client:
        assert client.post("/api/v1/statuses", json={"status": "x"}).status_code == 401
        long = client.post("/api/v1/statuses", json={"status": "x" * 501},
                           headers={"Authorization": f"Bearer {MASTODON_TOKEN}"})
        assert long.status_code == 422 and "character limit" in long.json()["error"]
        wrong = client.post("/xrpc/com.atproto.server.createSession",
                            json={"identifier": BLUESKY_HANDLE, "password": "nope"})
        assert wrong.status_code == 401
        assert client.get("/xrpc/com.atproto.repo.getRecord",
                          params={"rkey": "x"}).status_code == 401
    assert bluesky.records == {} and mastodon.statuses == []
