"""One canonical handle and profile URL per account, whatever form the officer typed.

`@Acme@Mastodon.social`, `acme@mastodon.social` and `https://mastodon.social/@acme` are one account;
so are `@ACME` and `https://twitter.com/acme` on X. The canonical handle is what the inventory keys
on (with the platform); the canonical URL is what people click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from smo_cli.db.models import Platform
from smo_cli.errors import InvalidData

# Hosts a platform's profile URLs live on (self-hosted Mastodon can be anywhere).
PLATFORM_HOSTS: dict[Platform, tuple[str, ...]] = {
    Platform.bluesky: ("bsky.app",),
    Platform.x: ("x.com", "twitter.com"),
    Platform.instagram: ("instagram.com",),
    Platform.threads: ("threads.net", "threads.com"),
    Platform.tiktok: ("tiktok.com",),
    Platform.youtube: ("youtube.com", "youtu.be"),
    Platform.facebook: ("facebook.com", "fb.com"),
    Platform.linkedin: ("linkedin.com",),
}
_AT_NAME = re.compile(r"^@?([A-Za-z0-9_.\-]{1,100})$")
_MASTODON = re.compile(r"^@?([A-Za-z0-9_.\-]+)@([A-Za-z0-9.\-]+(?::\d+)?)$")
_URL_LIKE = re.compile(r"^(https?://|www\.)|^[a-z0-9.\-]+\.[a-z]{2,}/", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    handle: str
    url: str | None


def looks_like_url(text: str) -> bool:
    return bool(_URL_LIKE.match(text.strip()))


def guess_platform(text: str) -> Platform | None:
    """The platform a profile URL belongs to, or None when the host is not a known one."""
    if not looks_like_url(text):
        return None
    host = _split(text)[1]
    for platform, hosts in PLATFORM_HOSTS.items():
        if _host_matches(host, hosts):
            return platform
    if "/@" in text:
        return Platform.mastodon
    return None


def identify(platform: Platform, handle: str | None, url: str | None) -> Identity:
    """Canonical (handle, url) for an account; raises InvalidData when neither says who it is."""
    handle = (handle or "").strip()
    url = (url or "").strip() or None
    if handle and looks_like_url(handle):
        handle, url = "", url or handle
    if not handle and not url:
        raise InvalidData("give a handle or a profile URL")
    if platform is Platform.mastodon:
        return _mastodon(handle, url)
    if platform is Platform.bluesky:
        return _bluesky(handle, url)
    if platform in (Platform.website, Platform.blog, Platform.other):
        return _web(handle, url)
    return _hosted(platform, handle, url)


def _split(url: str) -> tuple[str, str, str, str]:
    if not re.match(r"^https?://", url, re.IGNORECASE):
        url = "https://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    if not host or ("." not in host and ":" not in host and host != "localhost"):
        raise InvalidData(f"{url!r} is not a web address")
    return parts.scheme.lower(), host, parts.path, parts.query


def _host_matches(host: str, hosts: tuple[str, ...]) -> bool:
    bare = host.split(":")[0]
    return any(bare == h or bare.endswith("." + h) for h in hosts)


def _mastodon(handle: str, url: str | None) -> Identity:
    user = server = None
    scheme = "https"
    if url:
        scheme, server, path, _ = _split(url)
        match = re.match(r"^/(?:@|users/)([A-Za-z0-9_.\-]+)/?$", path)
        if not match:
            raise InvalidData(f"{url!r} is not a Mastodon profile URL",
                              hint="e.g. https://mastodon.social/@acme")
        user = match.group(1)
    if handle:
        full = _MASTODON.match(handle)
        bare = _AT_NAME.match(handle)
        if full:
            user, server = full.group(1), server or full.group(2).lower()
        elif bare and server:
            user = bare.group(1)
        else:
            raise InvalidData(f"{handle!r} is not a Mastodon handle",
                              hint="give it with its server: @acme@mastodon.social")
    assert user is not None and server is not None
    user = user.lower()
    return Identity(f"@{user}@{server}", f"{scheme}://{server}/@{user}")


def _bluesky(handle: str, url: str | None) -> Identity:
    actor = handle.lstrip("@")
    if url:
        _, host, path, _ = _split(url)
        match = re.match(r"^/profile/([^/]+)/?$", path)
        if not _host_matches(host, PLATFORM_HOSTS[Platform.bluesky]) or not match:
            raise InvalidData(f"{url!r} is not a Bluesky profile URL",
                              hint="e.g. https://bsky.app/profile/acme.bsky.social")
        actor = actor or match.group(1)
    actor = actor.lower()
    if not (actor.startswith("did:") or re.match(r"^[a-z0-9\-]+(\.[a-z0-9\-]+)+$", actor)):
        raise InvalidData(f"{handle or url!r} is not a Bluesky handle",
                          hint="e.g. @acme.bsky.social or @acme.nl")
    return Identity(actor if actor.startswith("did:") else f"@{actor}",
                    f"https://bsky.app/profile/{actor}")


def _hosted(platform: Platform, handle: str, url: str | None) -> Identity:
    """Platforms with one site: X, Instagram, Threads, TikTok, YouTube, Facebook, LinkedIn."""
    path = ""
    if url:
        _, host, path, query = _split(url)
        if not _host_matches(host, PLATFORM_HOSTS[platform]):
            raise InvalidData(f"{url!r} is not a {platform.value} address",
                              hint=f"expected a URL on {PLATFORM_HOSTS[platform][0]}")
        if query and path.rstrip("/") == "/profile.php":
            path = f"{path.rstrip('/')}?{query}"
    key = _hosted_key(platform, handle or path)
    return Identity(key, _hosted_url(platform, key))


def _hosted_key(platform: Platform, text: str) -> str:
    parts = [p for p in text.strip().strip("/").split("/") if p]
    if platform is Platform.linkedin:
        if len(parts) >= 2 and parts[0].lower() in {"company", "in", "showcase", "school"}:
            return f"{parts[0].lower()}/{parts[1].lower()}"
        raise InvalidData(f"{text!r} is not a LinkedIn page",
                          hint="use the page URL, e.g. https://www.linkedin.com/company/acme")
    if platform is Platform.youtube and len(parts) >= 2 and parts[0] in {"channel", "c", "user"}:
        # Channel ids are case-sensitive; custom names are not.
        return f"channel/{parts[1]}" if parts[0] == "channel" else f"{parts[0]}/{parts[1].lower()}"
    if platform is Platform.facebook and parts and parts[0].startswith("profile.php"):
        return parts[0]
    match = _AT_NAME.match(parts[0]) if parts else None
    if not match:
        raise InvalidData(f"{text!r} is not a {platform.value} handle", hint="e.g. @acme")
    name = match.group(1).lower()
    return name if platform is Platform.facebook else f"@{name}"


def _hosted_url(platform: Platform, key: str) -> str:
    bare = key.lstrip("@")
    return {
        Platform.x: f"https://x.com/{bare}",
        Platform.instagram: f"https://www.instagram.com/{bare}/",
        Platform.threads: f"https://www.threads.net/@{bare}",
        Platform.tiktok: f"https://www.tiktok.com/@{bare}",
        Platform.youtube: f"https://www.youtube.com/{key}",
        Platform.facebook: f"https://www.facebook.com/{key}",
        Platform.linkedin: f"https://www.linkedin.com/{key}/",
    }[platform]


def _web(handle: str, url: str | None) -> Identity:
    scheme, host, path, query = _split(url or handle)
    path = path.rstrip("/")
    bare_host = host.removeprefix("www.")
    canonical = f"{scheme}://{host}{path or '/'}" + (f"?{query}" if query else "")
    return Identity(f"{bare_host}{path}", canonical)
