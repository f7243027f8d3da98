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

# Elements whose content is never text a reader sees.
# (Not <head>: its end tag is optional, and a missing one would hide the whole page.)
_DROPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg",
                      "math"})
# Elements that separate words: "<p>a</p><p>b</p>" is "a b", not "ab".
_BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
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


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)   # entities decoded once, as a browser would
        self.parts: list[str] = []
        self._hidden = 0                          # depth inside script/style/…

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in _DROPPED:
            self._hidden += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        # <script/> or <br/>: nothing opens, so a self-closed dropped element hides nothing.
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags stripped, scripts and styles dropped, entities decoded
    once, whitespace folded to single spaces. Plain text goes through unharmed (bar `<tag>`s)."""
    if "<" not in html and "&" not in html:
        return fold_whitespace(html)
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return fold_whitespace("".join(extractor.parts))


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
