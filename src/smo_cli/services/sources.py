"""Listening sources (job 6): what smo polls, with which parameters, and how each is doing."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from smo_cli.db.models import Source
from smo_cli.errors import AlreadyExists, InvalidData, NotFound
from smo_cli.services.csv_files import ImportSummary

# kind -> (default base URL, parameters it takes, groups of which exactly one is required)
KINDS: dict[str, tuple[str | None, tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "rss": (None, (), ()),
    "mastodon": (None, ("tag", "account", "notifications", "search"),
                 (("tag", "account", "notifications", "search"),)),
    "bluesky": ("https://bsky.social", ("query", "author", "appview"), (("query", "author"),)),
    "hackernews": ("https://hn.algolia.com/api/v1", ("query",), (("query",),)),
    "reddit": ("https://www.reddit.com", ("query", "subreddit"), (("query",),)),
}
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
# Secrets each kind may use; read from the environment at fetch time, never stored.
SECRETS: dict[str, tuple[str, ...]] = {
    "mastodon": ("SMO_MASTODON_TOKEN",),
    "bluesky": ("SMO_BLUESKY_HANDLE", "SMO_BLUESKY_APP_PASSWORD"),
    "reddit": ("SMO_REDDIT_CLIENT_ID", "SMO_REDDIT_CLIENT_SECRET"),
}


# Bluesky allows about 100 logins a day per account, and a query source logs in once per run.
DEFAULT_POLL_MINUTES = {"bluesky": 30}


@dataclass(frozen=True)
class SourceInput:
    kind: str
    name: str | None = None
    base_url: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    poll_minutes: int | None = None
    allow_private: bool = False
    keep_all: bool = False


def _clean_url(url: str, allow_private: bool) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidData(f"{url!r} is not an http(s) address")
    if not allow_private and _is_private_host(parts.hostname):
        raise InvalidData(f"{parts.hostname} is a private or local address",
                          hint="add the source with --allow-private for internal listening")
    return url


def _is_private_host(host: str) -> bool:
    if host in ("localhost",) or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False      # a name: checked again when it is resolved at fetch time


def default_name(data: SourceInput) -> str:
    """A readable name: the feed's host, or kind and what it follows (mastodon-tag-acme)."""
    if data.kind == "rss" and data.base_url:
        host = (urlsplit(data.base_url).hostname or "feed").removeprefix("www.")
        return _slug(host)
    what = next((f"{k}-{v}" for k, v in data.params.items() if v not in (None, False, "")),
                data.kind)
    return _slug(f"{data.kind}-{what}" if what != data.kind else data.kind)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")[:100] or "source"


def validate(data: SourceInput) -> SourceInput:
    if data.kind not in KINDS:
        raise InvalidData(f"unknown source kind {data.kind!r}",
                          hint=f"known kinds: {', '.join(KINDS)}")
    default_url, allowed, one_of = KINDS[data.kind]
    params = {k: v for k, v in data.params.items() if v not in (None, False, "")}
    unknown = set(params) - set(allowed)
    if unknown:
        raise InvalidData(f"{data.kind} sources do not take {', '.join(sorted(unknown))}",
                          hint=f"they take {', '.join(allowed) or 'only --url'}")
    for group in one_of:
        given = [k for k in group if k in params]
        if len(given) != 1:
            raise InvalidData(f"a {data.kind} source needs exactly one of "
                              f"{', '.join('--' + k for k in group)}")
    base_url = data.base_url or default_url
    if base_url is None:
        needed = "--instance" if data.kind == "mastodon" else "--url"
        raise InvalidData(f"a {data.kind} source needs {needed}")
    poll = data.poll_minutes or DEFAULT_POLL_MINUTES.get(data.kind, 15)
    if poll < 1:
        raise InvalidData("the poll interval must be at least 1 minute")
    cleaned = SourceInput(kind=data.kind, name=None, base_url=_clean_url(base_url,
                          data.allow_private), params=params, poll_minutes=poll,
                          allow_private=data.allow_private, keep_all=data.keep_all)
    name = (data.name or default_name(cleaned)).strip().lower()
    if not NAME.match(name):
        raise InvalidData(f"source name {name!r} is not usable",
                          hint="lower-case letters, digits, dot, dash or underscore")
    return SourceInput(**{**cleaned.__dict__, "name": name})


def add_source(session: Session, data: SourceInput) -> Source:
    clean = validate(data)
    assert clean.name is not None
    if find_source(session, clean.name) is not None:
        raise AlreadyExists(f"a source named {clean.name} exists", hint="pass --name")
    source = Source(name=clean.name, kind=clean.kind, base_url=clean.base_url,
                    params=clean.params, poll_minutes=clean.poll_minutes or 15,
                    allow_private=clean.allow_private, keep_all=clean.keep_all)
    session.add(source)
    session.flush()
    return source


def find_source(session: Session, name: str) -> Source | None:
    return session.exec(select(Source).where(col(Source.name) == name.strip().lower())).first()


def get_source(session: Session, name: str) -> Source:
    source = find_source(session, name)
    if source is None:
        raise NotFound(f"no source named {name!r}", hint="see `smo sources list`")
    return source


def list_sources(session: Session) -> list[Source]:
    return list(session.exec(select(Source).order_by(col(Source.name))).all())


def set_enabled(session: Session, name: str, enabled: bool) -> Source:
    """Enable (which also lifts a suspension and forgets the failure count) or disable."""
    source = get_source(session, name)
    source.enabled = enabled
    if enabled:
        source.suspended = False
        source.failures = 0
        source.disabled_reason = None
    else:
        source.disabled_reason = "disabled by the officer"
    session.flush()
    return source


def remove_source(session: Session, name: str) -> Source:
    """Remove a source; its mentions stay (they keep the source's name)."""
    source = get_source(session, name)
    session.delete(source)
    session.flush()
    return source


def status_of(source: Source) -> str:
    if not source.enabled:
        return "disabled"
    if source.suspended:
        return "suspended"
    return "active"


def describe(source: Source) -> dict[str, Any]:
    """The fields `sources list` and `show` print (no state internals, no secrets)."""
    follows = ", ".join(f"{k}={v}" for k, v in source.params.items()) or source.base_url
    return {
        "name": source.name, "kind": source.kind, "follows": follows,
        "base_url": source.base_url, "status": status_of(source),
        "every_minutes": source.poll_minutes, "allow_private": source.allow_private,
        "keep_all": source.keep_all, "failures": source.failures,
        "last_success_at": source.last_success_at, "last_error": source.last_error,
        "disabled_reason": source.disabled_reason,
    }


def import_opml(session: Session, data: bytes, *, allow_private: bool = False,
                keep_all: bool = False, poll_minutes: int | None = None) -> ImportSummary:
    """Add every feed of an OPML file (as feed readers export them); known addresses are kept.

    All feeds are checked before any is added, so a bad one adds none.
    """
    from smo_cli.sources.opml import parse_opml

    outlines = parse_opml(data)
    known = {s.base_url for s in list_sources(session) if s.kind == "rss"}
    taken = {s.name for s in list_sources(session)}
    planned: list[SourceInput] = []
    for outline in outlines:
        if outline.xml_url in known:
            continue
        base = _slug(outline.title or "") or default_name(
            SourceInput("rss", base_url=outline.xml_url))
        name, n = base[:95], 2
        while name in taken:
            name, n = f"{base[:95]}-{n}", n + 1
        taken.add(name)
        clean = validate(SourceInput(kind="rss", name=name, base_url=outline.xml_url,
                                     poll_minutes=poll_minutes, allow_private=allow_private,
                                     keep_all=keep_all))
        known.add(clean.base_url)
        planned.append(clean)
    for clean in planned:
        add_source(session, clean)
    return ImportSummary(created=len(planned), updated=0, unchanged=len(outlines) - len(planned))


def export_opml(session: Session, title: str) -> str:
    from smo_cli.sources.opml import FeedOutline, write_opml

    feeds = [FeedOutline(title=s.name, xml_url=s.base_url or "", html_url=None, category=())
             for s in list_sources(session) if s.kind == "rss" and s.base_url]
    return write_opml(feeds, title)
