"""Text helpers every listening adapter shares: plain text from HTML, clean links, language codes.

All pure: no I/O, no state. Adapters call them at the boundary so the pipeline only ever sees plain
text, links without tracking parameters and two-letter language codes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

# Query parameters that identify a campaign, a click or a subscriber, never the page itself.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "ref_src", "ref_url",
    "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "hsctatracking", "mkt_tok", "vero_id",
    "vero_conv", "oly_anon_id", "oly_enc_id", "_openstat", "wt_mc", "s_cid", "ocid", "cmpid",
    "spm", "scm", "ncid", "sr_share", "__twitter_impression",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "matomo_")
# Link wrappers that hide the real address in a query parameter: host pattern, path, parameters.
_GOOGLE_HOST = re.compile(r"^(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?$")
_FACEBOOK_HOSTS = frozenset({"l.facebook.com", "lm.facebook.com", "l.messenger.com"})
_MAX_UNWRAP = 3   # a wrapper inside a wrapper happens; a loop of them does not deserve more

# C0/C1 control characters other than whitespace: they break terminals, CSV and JSON consumers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_LANGUAGE_NAMES = {
    "eng": "en", "english": "en", "nld": "nl", "dut": "nl", "dutch": "nl", "nederlands": "nl",
    "vlaams": "nl", "deu": "de", "ger": "de", "german": "de", "deutsch": "de", "fra": "fr",
    "fre": "fr", "french": "fr", "français": "fr", "francais": "fr", "spa": "es",
    "spanish": "es", "español": "es", "ita": "it", "italian": "it", "por": "pt",
}
_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis", "x", "i"})
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")


def strip_tracking(url: str) -> str:
    """`url` unwrapped from Google/Facebook redirect links and without tracking parameters.

    The rest of the address is kept byte for byte (order, encoding, fragment), so two polls of
    the same link give the same string. A value that is not a URL comes back unchanged.
    """
    url = url.strip()
    for _ in range(_MAX_UNWRAP):
        target = _unwrap(url)
        if target is None:
            break
        url = target
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    kept = [piece for piece in parts.query.split("&")
            if piece and not _is_tracking(unquote_plus(piece.partition("=")[0]).lower())]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _unwrap(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    names: tuple[str, ...]
    if _GOOGLE_HOST.match(host) and parts.path == "/url":
        names = ("url", "q")
    elif host in _FACEBOOK_HOSTS and parts.path == "/l.php":
        names = ("u",)
    else:
        return None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name in names:
        target = params.get(name, "").strip()
        if target.lower().startswith(("http://", "https://")):
            return target
    return None


_PARAGRAPH = frozenset({"p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "table"})
# Elements that separate words ("<p>a</p><p>b</p>" is "a b", not "ab") by a line break.
_LINE = frozenset({"div", "li", "tr", "td", "th", "dd", "dt", "dl", "ul", "ol", "section",
                   "article", "aside", "header", "footer", "nav", "main", "figure",
                   "figcaption", "address", "hr"})
# Elements whose content is never text a reader sees. (Not <head>: its end tag is optional,
# and a missing one would hide the whole page.)
_HIDDEN = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg",
                     "math"})
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "source", "wbr", "col", "area"})
# Breaks are marked while parsing and settled afterwards, so that "</li><li>" is one line break
# and the newlines of the HTML source stay insignificant, as in a browser.
_LINE_MARK, _PARAGRAPH_MARK, _BR_MARK = "\x00", "\x01", "\x02"
_MARKS = {ord(mark): None for mark in (_LINE_MARK, _PARAGRAPH_MARK, _BR_MARK)}
_GAP = re.compile(r"[\s\x00\x01\x02]+")


class _TextCollector(HTMLParser):
    def __init__(self, only_class: str | None) -> None:
        super().__init__(convert_charrefs=True)    # entities decoded exactly once, here
        self.parts: list[str] = []
        self._hidden = 0
        self._only = only_class
        self._depth = 0 if only_class else -1      # -1: everything counts; >0: inside the element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._only and self._depth == 0:
            classes = (dict(attrs).get("class") or "").split()
            if self._only in classes and tag not in _VOID:
                self._depth = 1
            return
        if self._depth > 0 and tag not in _VOID:
            self._depth += 1
        if tag in _HIDDEN:
            self._hidden += 1
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._depth == 0 or tag in _VOID:
            return
        if self._depth > 0:
            self._depth -= 1
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._depth != 0 and not self._hidden:
            self.parts.append(data.translate(_MARKS))

    def _break(self, tag: str) -> None:
        if tag == "br":
            self.parts.append(_BR_MARK)
        elif tag in _PARAGRAPH:
            self.parts.append(_PARAGRAPH_MARK)
        elif tag in _LINE:
            self.parts.append(_LINE_MARK)


def _settle(gap: re.Match[str]) -> str:
    run = gap.group()
    breaks = run.count(_BR_MARK)
    if _PARAGRAPH_MARK in run:
        breaks = max(breaks, 2)
    elif _LINE_MARK in run:
        breaks = max(breaks, 1)
    return "\n" * min(breaks, 2) if breaks else " "


def markup_to_text(markup: str, *, only_class: str | None = None) -> str:
    """Plain text of an HTML fragment: blocks become line breaks, scripts vanish.

    With `only_class`, only the text inside the first element with that class counts (Reddit's
    `<div class="md">` holds the post; the rest of its feed content is boilerplate).
    """
    collector = _TextCollector(only_class)
    collector.feed(markup)
    collector.close()
    return _GAP.sub(_settle, "".join(collector.parts)).strip()



def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment on one line: tags stripped, scripts and styles dropped,
    entities decoded once, whitespace folded. Plain text goes through unharmed."""
    if "<" not in html and "&" not in html:
        return fold_whitespace(html)
    return fold_whitespace(markup_to_text(html))


def fold_whitespace(text: str) -> str:
    """One line: runs of whitespace (newlines, tabs, no-break spaces) become one space."""
    return " ".join(_CONTROL.sub("", text).split())


def normalise_lang(value: str | None) -> str | None:
    """A language tag or name as a lower-case ISO 639 code: "nl-NL" → "nl", "en_US" → "en",
    "English" → "en", "dut" → "nl"; None for empty, "und", "*" and things that are no language."""
    if not value:
        return None
    first = value.strip().split(",")[0].split(";")[0].strip().lower()
    name = first.replace("_", "-").split("-")[0]
    if name in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[name]
    if name in _NO_LANGUAGE or not _LANG_CODE.match(name):
        return None
    return name
