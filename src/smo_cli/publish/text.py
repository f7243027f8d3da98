"""Text and media rules of the platforms, offline: how long a post is, where its links, mentions
and hashtags are, and whether an image will be accepted.

Lengths are counted as the servers count them. Mastodon counts grapheme clusters, with every
http(s) link as 23 characters and a remote mention as its local part only ("@sanne", not
"@sanne@mastodon.social"). Bluesky allows 300 grapheme clusters (and 3000 bytes). A family
emoji or an "e" with a combining accent is one grapheme, however many code points it has.

Bluesky rich text (facets) points into the text by UTF-8 *byte* offsets: "Zoë ☕ #koffie"
puts the tag at byte 12, not at character 6.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex  # type: ignore[import-untyped,unused-ignore]  # no stubs in the dev set

from smo_cli.publish.base import MediaFile

MASTODON_DEFAULT_LIMIT = 500
MASTODON_URL_LENGTH = 23
MASTODON_ALT_LIMIT = 1500
MASTODON_IMAGE_BYTES = 16 * 1024 * 1024
BLUESKY_GRAPHEMES = 300
BLUESKY_BYTES = 3000
BLUESKY_IMAGE_BYTES = 1_000_000
BLUESKY_ALT_GRAPHEMES = 2000          # the apps' limit; the lexicon sets none
BLUESKY_TAG_GRAPHEMES = 64
MAX_IMAGES = 4

_GRAPHEME = regex.compile(r"\X")
# A link starts at the beginning, after white space or after "(", and runs to white space.
_URL = regex.compile(r"(?<![^\s(])https?://[^\s<>\"]+", regex.IGNORECASE)
# Mastodon's rule for remote mentions: @user@domain counts as @user.
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@[\w.-]+\w", regex.IGNORECASE)
_BSKY_MENTION = regex.compile(r"(?<![^\s(])@([a-zA-Z0-9.-]+)")
_HANDLE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_TAG = regex.compile(r"(?<!\S)[#\uff03]([^\s#\uff03]+)")   # or the full-width sign
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2\ufe0f"

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"


def graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str, url_length: int = MASTODON_URL_LENGTH) -> int:
    """The length Mastodon's StatusLengthValidator gives the text."""
    countable = _URL.sub(lambda m: "x" * url_length + _tail(m.group(0))[1], text)
    countable = _MASTODON_MENTION.sub(lambda m: "@" + m.group(1), countable)
    return graphemes(countable)


def _tail(url: str) -> tuple[str, str]:
    """(the link, the punctuation after it that is sentence, not address): "(zie https://a.nl/x)."
    links https://a.nl/x, not "https://a.nl/x)."."""
    trailing = ""
    while url and url[-1] in ".,;:!?'\")]}":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break                                   # balanced: part of the address
        trailing = url[-1] + trailing
        url = url[:-1]
    return url, trailing


@dataclass(frozen=True)
class Span:
    """A facet's place in the text: character positions and UTF-8 byte offsets."""

    start: int
    end: int
    byte_start: int
    byte_end: int
    kind: str                 # link | mention | tag
    value: str                # the URI, the handle (no @) or the tag (no #)


def spans(text: str) -> list[Span]:
    """Links, mentions and hashtags as Bluesky apps find them, in text order, not overlapping.

    Links need http(s)://; a mention is a syntactically valid handle (a dot in it, so the
    "@sanne" of "@sanne@mastodon.social" is none); a tag is not all digits and at most 64
    graphemes, without its trailing punctuation.
    """
    found: list[tuple[int, int, str, str]] = []
    for match in _URL.finditer(text):
        url, _ = _tail(match.group(0))
        if "://" in url and len(url) > url.index("://") + 3:
            found.append((match.start(), match.start() + len(url), "link", url))
    for match in _BSKY_MENTION.finditer(text):
        handle = match.group(1).rstrip(".-")
        if _HANDLE.match(handle):
            found.append((match.start(), match.start(1) + len(handle), "mention", handle.lower()))
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group(1))
        tag = tag.rstrip(_INVISIBLE)
        if tag and not tag.isdigit() and graphemes(tag) <= BLUESKY_TAG_GRAPHEMES:
            found.append((match.start(), match.start(1) + len(tag), "tag", tag))
    chosen: list[Span] = []
    taken_until = -1
    for start, end, kind, value in sorted(found):
        if start < taken_until:
            continue                                # inside a link: "https://a.nl/#top"
        taken_until = end
        chosen.append(Span(start, end, _bytes(text[:start]), _bytes(text[:end]), kind, value))
    return chosen


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


# --- images -------------------------------------------------------------------------------------

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def image_type(head: bytes) -> str | None:
    """The image type from the file's first bytes (never from its name): JPEG, PNG, GIF, WebP."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Image:
    path: Path
    alt: str
    mime: str
    data: bytes


def media_problems(media: tuple[MediaFile, ...], *, max_bytes: int,
                   alt_limit: int) -> tuple[list[str], list[Image]]:
    """What is wrong with the images, and the images read when nothing is."""
    problems: list[str] = []
    images: list[Image] = []
    if len(media) > MAX_IMAGES:
        problems.append(f"{len(media)} images; at most {MAX_IMAGES}")
    for item in media:
        name = item.path.name
        if not item.alt.strip():
            problems.append(f"image {name} has no alt text (--alt): describe it for people "
                            "who cannot see it")
        elif graphemes(item.alt) > alt_limit:
            problems.append(f"the alt text of {name} is {graphemes(item.alt)} characters; "
                            f"at most {alt_limit}")
        try:
            data = item.path.read_bytes()
        except FileNotFoundError:
            problems.append(f"image {item.path} does not exist")
            continue
        except OSError as exc:
            problems.append(f"image {item.path} cannot be read ({exc.strerror or exc})")
            continue
        mime = image_type(data[:16])
        if mime is None:
            problems.append(f"{name} is not an image (JPEG, PNG, GIF or WebP)")
        elif len(data) > max_bytes:
            problems.append(f"image {name} is {_size(len(data))}; at most {_size(max_bytes)}")
        else:
            images.append(Image(item.path, item.alt.strip(), mime, data))
    return problems, images


def _size(count: int) -> str:
    # One decimal, so a file just over the limit does not read as the limit itself.
    if count >= 10_000_000:
        return f"{count / 1_000_000:,.1f} MB"
    return f"{count / 1000:,.1f} kB"


def offline_problems(platform: str, text: str,
                     media: tuple[MediaFile, ...]) -> tuple[list[str], list[str]]:
    """(errors, warnings) that need no server, for the text and the images together."""
    errors, warnings = offline_text_problems(platform, text)
    return errors + offline_media_problems(platform, media), warnings


def offline_text_problems(platform: str, text: str) -> tuple[list[str], list[str]]:
    """Bluesky's rules are fixed, so they give errors; a Mastodon server may allow more than
    the default 500 characters, so a longer text is a warning until the server's own limit is
    known, when the post is published."""
    if platform == "bluesky":
        return bluesky_text_problems(text), []
    if not text.strip():
        return ["the text is empty"], []
    return [], mastodon_text_problems(text, MASTODON_DEFAULT_LIMIT)


def offline_media_problems(platform: str, media: tuple[MediaFile, ...]) -> list[str]:
    if platform == "bluesky":
        return media_problems(media, max_bytes=BLUESKY_IMAGE_BYTES,
                              alt_limit=BLUESKY_ALT_GRAPHEMES)[0]
    return media_problems(media, max_bytes=MASTODON_IMAGE_BYTES, alt_limit=MASTODON_ALT_LIMIT)[0]


def mastodon_text_problems(text: str, limit: int, url_length: int = MASTODON_URL_LENGTH
                           ) -> list[str]:
    if not text.strip():
        return ["the text is empty"]
    length = mastodon_length(text, url_length)
    if length > limit:
        return [f"text is {length} characters (links count as {url_length}); this Mastodon "
                f"server allows {limit}"]
    return []


def bluesky_text_problems(text: str) -> list[str]:
    if not text.strip():
        return ["the text is empty"]
    count = graphemes(text)
    if count > BLUESKY_GRAPHEMES:
        return [f"text is {count} characters; Bluesky allows {BLUESKY_GRAPHEMES}"]
    if _bytes(text) > BLUESKY_BYTES:
        return [f"text is {_bytes(text)} bytes; Bluesky allows {BLUESKY_BYTES}"]
    return []
