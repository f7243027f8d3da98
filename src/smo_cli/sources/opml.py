"""OPML, the list format every feed reader imports and exports: read it into feed outlines, write
our feed sources back out.

Reading uses expat directly, with a handler that refuses any DOCTYPE: OPML needs none, and without
a DTD no entity can be declared, so neither billion laughs nor external entities (XXE) can happen,
whatever the file's encoding. Folders (outlines that contain outlines) become the category path of
the feeds inside them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from xml.parsers import expat

from smo_cli.errors import InvalidData

_HINT = "export the list again from the feed reader, or fix the line named"


@dataclass(frozen=True)
class FeedOutline:
    """One feed of an OPML file, with the folders it sits in (outermost first)."""

    title: str
    xml_url: str
    html_url: str | None = None
    category: tuple[str, ...] = ()


class _Collector:
    """expat callbacks that turn <outline> elements into FeedOutlines."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.feeds: list[FeedOutline] = []
        self.root: str | None = None
        self.has_body = False
        self._seen: set[str] = set()
        self._stack: list[str | None] = []   # per open element: a folder's title, else None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
            if name != "opml":
                raise InvalidData(f"not an OPML file: the document is <{name}>, not <opml>",
                                  hint="give the .opml file a feed reader exported")
        self.has_body = self.has_body or name == "body"
        folder = None
        if name == "outline":
            values = {key.lower(): value.strip() for key, value in attrs.items()}
            title = values.get("title") or values.get("text") or ""
            if values.get("xmlurl"):
                self._add_feed(values, title)
            else:
                folder = title or "(untitled)"
        self._stack.append(folder)

    def end(self, _name: str) -> None:
        self._stack.pop()

    def _add_feed(self, values: dict[str, str], title: str) -> None:
        url = values["xmlurl"]
        if not url.lower().startswith(("http://", "https://")):
            line = self.parser.CurrentLineNumber
            raise InvalidData(f"OPML line {line}: feed {title or url!r} has xmlUrl {url!r}, "
                              "which is not an http(s) address", hint=_HINT)
        if url in self._seen:
            return               # the same feed in two folders: the first folder wins
        self._seen.add(url)
        category = tuple(folder for folder in self._stack if folder is not None)
        if not category and values.get("category"):
            # OPML 2.0: category="/News/Tech,/Other" when the file has no folders.
            first = values["category"].split(",")[0]
            category = tuple(part.strip() for part in first.split("/") if part.strip())
        self.feeds.append(FeedOutline(title=title or url, xml_url=url,
                                      html_url=values.get("htmlurl") or None, category=category))


def parse_opml(data: bytes) -> list[FeedOutline]:
    """The feeds of an OPML document, in document order, each URL once.

    InvalidData names what is wrong: not XML (with line and column), not OPML, no <body>, a DTD
    (refused), a feed whose xmlUrl is not http(s).
    """
    if not data.strip():
        raise InvalidData("the OPML file is empty", hint=_HINT)
    parser = expat.ParserCreate()
    collector = _Collector(parser)

    def refuse_doctype(name: str, *_: object) -> None:
        raise InvalidData(f"OPML line {parser.CurrentLineNumber}: the file declares a DOCTYPE "
                          f"({name}); OPML needs none and we refuse them (they can declare "
                          "entities that expand or read other files)", hint=_HINT)

    def refuse_entity(name: str, *_: object) -> None:   # unreachable without a DOCTYPE; belt
        raise InvalidData(f"OPML line {parser.CurrentLineNumber}: entity {name!r} refused")

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise InvalidData(f"the OPML file is not valid XML: {expat.ErrorString(exc.code)} "
                          f"at line {exc.lineno}, column {exc.offset + 1}", hint=_HINT) from None
    if not collector.has_body:
        raise InvalidData("the OPML file has no <body>, so no feeds", hint=_HINT)
    return collector.feeds


def write_opml(feeds: Iterable[FeedOutline], title: str) -> str:
    """An OPML 2.0 document of `feeds`, nested in folders by their category path."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}
    for feed in feeds:
        parent = body
        for depth in range(1, len(feed.category) + 1):
            path = feed.category[:depth]
            if path not in folders:
                folders[path] = ET.SubElement(folders[path[:-1]], "outline",
                                              text=path[-1], title=path[-1])
            parent = folders[path]
        attrs = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.xml_url}
        if feed.html_url:
            attrs["htmlUrl"] = feed.html_url
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    # ElementTree escapes text and attributes; the declaration says what we encode to.
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
