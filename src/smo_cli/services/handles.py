"""One canonical handle and profile URL per account, whatever form the officer typed.

`@Acme@Mastodon.social`, `acme@mastodon.social` and `https://mastodon.social/@acme` are one account;
so are `@ACME`, `https://twitter.com/acme` and `https://x.com/acme/status/123` on X. The canonical
handle is what the inventory keys on (with the platform); the canonical URL is what people click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from smo_cli.db.models import Platform
from smo_cli.errors import InvalidData

# Hosts whose /@name pages are not Mastodon profiles.
NOT_MASTODON_HOSTS = ("medium.com", "substack.com", "dev.to", "hashnode.com", "pinterest.com")

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
# First path segments that are the site's own pages (posts, search, login...), not account names:
# without this table `instagram.com/p/X` would become the account @p.
_RESERVED: dict[Platform, frozenset[str]] = {
    Platform.x: frozenset({"home", "i", "search", "explore", "intent", "hashtag", "notifications",
                           "messages", "settings", "compose", "share", "login", "logout", "signup",
                           "tos", "privacy"}),
    Platform.instagram: frozenset({"p", "reel", "reels", "tv", "explore", "stories", "highlights",
                                   "accounts", "direct", "about", "legal", "developer"}),
    Platform.facebook: frozenset({"groups", "pages", "events", "watch", "marketplace", "gaming",
                                  "photo", "photo.php", "photos", "story.php", "permalink.php",
                                  "sharer", "sharer.php", "share", "reel", "videos", "hashtag",
                                  "search", "login", "login.php", "home.php", "help", "policies",
                                  "privacy", "settings", "notifications", "messages", "friends",
                                  "people", "p"}),
    Platform.youtube: frozenset({"watch", "shorts", "playlist", "results", "feed", "embed", "live",
                                 "hashtag", "gaming", "premium", "account", "redirect", "post",
                                 "v", "signin"}),
}
# On these every profile path starts with "@" (`tiktok.com/@acme`); anything else is a video,
# a post, a short link or a site page.
_AT_PATHS = (Platform.tiktok, Platform.threads)
# Every youtu.be link is a video.
_VIDEO_HOSTS = ("youtu.be",)
_LINKEDIN_KINDS = frozenset({"company", "in", "showcase", "school"})
_AT_NAME = re.compile(r"^@?([A-Za-z0-9_.\-]{1,100})$")
_MASTODON = re.compile(r"^@?([A-Za-z0-9_.\-]+)@([A-Za-z0-9.\-]+(?::\d+)?)$")
# `/@acme`, `/users/acme`, a post under either, or `/@acme@other.server` (a remote account seen
# from one's own server, which names the account on its home server).
_MASTODON_PATH = re.compile(r"^/(?:@|users/)([A-Za-z0-9_.\-]+)(?:@([A-Za-z0-9.\-]+))?(?:/|$)")
_URL_LIKE = re.compile(r"^(https?://|www\.)|^[a-z0-9.\-]+\.[a-z]{2,}/", re.IGNORECASE)
# "name:" starts a scheme unless a port number follows (`acme.nl:8080/` is host and port).
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):(?!\d)", re.IGNORECASE)
_HOST = re.compile(r"^[\w\-]+(?:\.[\w\-]+)*$")


@dataclass(frozen=True)
class Identity:
    handle: str
    url: str | None


def looks_like_url(text: str) -> bool:
    return bool(_URL_LIKE.match(text.strip()))


def guess_platform(text: str) -> Platform | None:
    """The platform a profile URL belongs to, or None when the host is not a known one.

    Raises InvalidData when the text looks like a URL but is not a usable one: that is what the
    officer needs to hear, not "cannot tell the platform".
    """
    if not looks_like_url(text):
        return None
    host = _split(text.strip())[1]
    for platform, hosts in PLATFORM_HOSTS.items():
        if _host_matches(host, hosts):
            return platform
    # Mastodon can live on any host, so only a profile-shaped path on a host that is not a
    # known blogging platform counts (medium.com/@x and substack.com/@x are not Mastodon).
    path = _split(text.strip())[2]
    bare = host.split(":")[0]
    if re.match(r"^/@[A-Za-z0-9_.\-]+(/\d+)?/?$", path) and not _host_matches(
            bare, NOT_MASTODON_HOSTS):
        return Platform.mastodon
    return None


def identify(platform: Platform, handle: str | None, url: str | None) -> Identity:
    """Canonical (handle, url) for an account.

    Raises InvalidData when neither says who it is, or when both are given and name different
    accounts (storing either one silently would file the other under the wrong name).
    """
    handle = (handle or "").strip()
    url = (url or "").strip() or None
    from_url = _parse(platform, url, as_url=True, server=None) if url else None
    if not handle:
        if from_url is None:
            raise InvalidData("give a handle or a profile URL")
        return from_url
    server = None
    if from_url and platform is Platform.mastodon:
        server = from_url.handle.rsplit("@", 1)[-1]  # a bare name borrows the URL's server
    from_handle = _parse(platform, handle, as_url=looks_like_url(handle), server=server)
    if from_url is None:
        return from_handle
    if from_handle.handle != from_url.handle:
        raise InvalidData(f"handle {handle} and URL {url} name different accounts",
                          hint="give one of them, or make them agree")
    return from_url  # keeps what only the URL knows: its scheme, its Mastodon server


def _parse(platform: Platform, text: str, *, as_url: bool, server: str | None) -> Identity:
    if platform is Platform.mastodon:
        return _mastodon(text, as_url, server)
    if platform is Platform.bluesky:
        return _bluesky(text, as_url)
    if platform in (Platform.website, Platform.blog, Platform.other):
        return _web(text)
    return _hosted(platform, text, as_url)


def _split(url: str) -> tuple[str, str, str, str]:
    """(scheme, host[:port], path, query) of an http(s) address; InvalidData for anything else."""
    if re.search(r"\s", url):
        raise InvalidData(f"{url!r} is not a web address: it contains a space")
    scheme = _SCHEME.match(url)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise InvalidData(f"{url!r} is not a web address",
                          hint="only http:// and https:// addresses are accepted")
    try:
        parts = urlsplit(url if scheme else "https://" + url)
        port = parts.port
    except ValueError:  # a port that is no number or out of range, a broken [IPv6] host
        raise InvalidData(f"{url!r} is not a web address: bad port or host",
                          hint="e.g. https://www.acme.nl/") from None
    host = (parts.hostname or "").lower()
    if (not _HOST.match(host) or parts.username is not None
            or ("." not in host and host != "localhost")):
        raise InvalidData(f"{url!r} is not a web address", hint="e.g. https://www.acme.nl/")
    if port:
        host = f"{host}:{port}"
    return parts.scheme.lower(), host, parts.path, parts.query


def _host_matches(host: str, hosts: tuple[str, ...]) -> bool:
    bare = host.split(":")[0]
    return any(bare == h or bare.endswith("." + h) for h in hosts)


def _mastodon(text: str, as_url: bool, server: str | None) -> Identity:
    scheme = "https"
    if as_url:
        scheme, server, path, _ = _split(text)
        match = _MASTODON_PATH.match(path)
        # tiktok.com/@acme has the same shape, but is not a Mastodon server.
        known = any(_host_matches(server, hosts) for hosts in PLATFORM_HOSTS.values())
        if not match or known:
            raise InvalidData(f"{text!r} is not a Mastodon profile URL",
                              hint="e.g. https://mastodon.social/@acme")
        user = match.group(1)
        if match.group(2):
            scheme, server = "https", match.group(2).lower()
    elif full := _MASTODON.match(text):
        user, server = full.group(1), full.group(2).lower()
    elif (bare := _AT_NAME.match(text)) and server:
        user = bare.group(1)
    else:
        raise InvalidData(f"{text!r} is not a Mastodon handle",
                          hint="give it with its server: @acme@mastodon.social")
    user = user.lower()
    return Identity(f"@{user}@{server}", f"{scheme}://{server}/@{user}")


def _bluesky(text: str, as_url: bool) -> Identity:
    actor = text.lstrip("@")
    if as_url:
        _, host, path, _ = _split(text)
        # A post (`/profile/acme.nl/post/3k...`) names its author.
        match = re.match(r"^/profile/([^/]+)(?:/|$)", path)
        if not _host_matches(host, PLATFORM_HOSTS[Platform.bluesky]) or not match:
            raise InvalidData(f"{text!r} is not a Bluesky profile URL",
                              hint="e.g. https://bsky.app/profile/acme.bsky.social")
        actor = match.group(1)
    actor = actor.lower()
    if not (actor.startswith("did:") or re.match(r"^[a-z0-9\-]+(\.[a-z0-9\-]+)+$", actor)):
        raise InvalidData(f"{text!r} is not a Bluesky handle",
                          hint="e.g. @acme.bsky.social or @acme.nl")
    return Identity(actor if actor.startswith("did:") else f"@{actor}",
                    f"https://bsky.app/profile/{actor}")


def _hosted(platform: Platform, text: str, as_url: bool) -> Identity:
    """Platforms with one site: X, Instagram, Threads, TikTok, YouTube, Facebook, LinkedIn."""
    path = text
    if as_url:
        _, host, path, query = _split(text)
        if not _host_matches(host, PLATFORM_HOSTS[platform]):
            raise InvalidData(f"{text!r} is not a {platform.value} address",
                              hint=f"expected a URL on {PLATFORM_HOSTS[platform][0]}")
        if _host_matches(host, _VIDEO_HOSTS):
            raise _not_a_profile(platform, text)
        if path.strip("/") == "profile.php":
            path = f"profile.php?{query}"
    parts = [p for p in path.strip().strip("/").split("/") if p]
    if as_url or "/" in text:
        parts = _profile_path(platform, parts, text)
    key = _hosted_key(platform, parts, text)
    return Identity(key, _hosted_url(platform, key))


def _profile_path(platform: Platform, parts: list[str], text: str) -> list[str]:
    """The path segments that name the account; InvalidData for a page that is no profile.

    A post under a profile (`x.com/acme/status/1`) names its profile: that is what officers paste.
    """
    first = parts[0].lower() if parts else ""
    if platform is Platform.instagram and first == "stories" and len(parts) > 1:
        # `stories/acme/314` is acme's story; `stories/highlights/17` names nobody (reserved).
        return _profile_path(platform, parts[1:], text)
    if platform is Platform.facebook and first in ("people", "p") and len(parts) > 1:
        # Profiles and pages without a username: `people/Jan-Jansen/1000123`, `p/Acme-BV-1000123`;
        # the number is the id `profile.php?id=` takes.
        name = parts[2] if first == "people" and len(parts) > 2 else parts[1]
        return [f"profile.php?id={name.rsplit('-', 1)[-1]}"]
    if (not first or first in _RESERVED.get(platform, ())
            or (platform in _AT_PATHS and not first.startswith("@"))
            or (platform is Platform.linkedin and first not in _LINKEDIN_KINDS)):
        raise _not_a_profile(platform, text)
    return parts


def _not_a_profile(platform: Platform, text: str) -> InvalidData:
    example = {Platform.linkedin: "company/acme", Platform.facebook: "acme"}.get(platform, "@acme")
    return InvalidData(f"{text!r} is not a profile page",
                       hint=f"use the profile's address, e.g. {_hosted_url(platform, example)}")


def _hosted_key(platform: Platform, parts: list[str], text: str) -> str:
    if platform is Platform.linkedin:
        if len(parts) >= 2 and parts[0].lower() in _LINKEDIN_KINDS:
            return f"{parts[0].lower()}/{parts[1].lower()}"
        raise InvalidData(f"{text!r} is not a LinkedIn page",
                          hint="use the page URL, e.g. https://www.linkedin.com/company/acme")
    if platform is Platform.youtube and len(parts) >= 2 and parts[0] in {"channel", "c", "user"}:
        # Channel ids are case-sensitive; custom names are not.
        return f"channel/{parts[1]}" if parts[0] == "channel" else f"{parts[0]}/{parts[1].lower()}"
    if platform is Platform.facebook and parts and parts[0].startswith("profile.php"):
        # Only `id` says who it is; `sk=about`, `ref=...` and the order of the rest are views.
        ids = parse_qs(parts[0].partition("?")[2]).get("id", [])
        if len(ids) != 1 or not ids[0].isdigit():
            raise _not_a_profile(platform, text)
        return f"profile.php?id={ids[0]}"
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


def _web(text: str) -> Identity:
    scheme, host, path, query = _split(text)
    path = path.rstrip("/")
    bare_host = host.removeprefix("www.")
    canonical = f"{scheme}://{host}{path or '/'}" + (f"?{query}" if query else "")
    return Identity(f"{bare_host}{path}", canonical)
