"""Tokenising short social posts for language detection and sentiment.

One compiled regular expression splits a post into typed tokens in a single pass, so the noise
of social media (links, @handles, e-mail addresses) is dropped once and both analysers see the
same words. Hashtags keep their words (``#EpicFail`` → ``Epic``, ``Fail``) because they often
carry the sentiment, but they are marked so that language detection can ignore them: a
``#dikkeduim`` in an English post says nothing about the language of the post. Numbers are
tokens too ("45 minutes on hold", "10/10"), and words between quotation marks are marked:
a 'snelle' levering in scare quotes is no praise.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

# Token kinds.
WORD: Final = "w"
HASHTAG: Final = "h"  # a word that came from a hashtag
EMOJI: Final = "e"  # an emoji or an emoticon
PUNCT: Final = "p"  # a clause boundary: . , ; : ! ? …
NUM: Final = "n"  # a number as written: "45", "07:40", "10/10"

# Emoticons people still type. Listed rather than matched by a pattern, because a pattern
# for "punctuation plus a letter" also matches times (12:30), ratios and list markers.
# fmt: off
EMOTICONS: Final = (
    ":-)", ":)", "(:", "=)", ":]", ":-]", ":-D", ":D", ";-)", ";)", ";-D", ";D", ":-P", ":P",
    ":p", ";p", ";P", ":-*", ":*", "<3", "^^", "^_^", "xD", "XD", ":')", ":’)",
    ":-(", ":(", "):", "=(", ":[", ":-[", ":'(", ":’(", ":-/", ":/", ":-\\", ":\\", ":-|", ":|",
    ":S", ":s", ":-S", ":o", ":O", ":-O", "</3", "-_-", ">:(", "D:",
)
# fmt: on

_EMOTICON_ALT = "|".join(re.escape(e) for e in sorted(EMOTICONS, key=len, reverse=True))

# Pictographs, dingbats and symbols that act as emoji, with their modifiers (variation
# selector, skin tones) and zero-width-joiner sequences kept inside one token.
_EMOJI_CHAR = (
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
    "\u3030\u303d\u3297\u3299\u203c\u2049\u2122\u2139\u2194-\u21aa]"
)
_EMOJI_MOD = "[\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u20e3]*"

_TOKEN_RE: Final = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)\S+)
    | (?P<mail>[\w.+-]+@[\w-]+\.[\w.-]+)
    | (?P<handle>(?<![\w@])@[\w.]+(?:@[\w.-]+)?)
    | (?P<tag>(?<![\w#])\#(?P<tagword>[^\W_][\w]*))
    | (?P<emoticon>(?<![\w:/]){_EMOTICON_ALT}(?![\w]))
    | (?P<num>\d+(?:[.,:/]\d+)*)
    | (?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)
    | (?P<emoji>{_EMOJI_CHAR}{_EMOJI_MOD}(?:\u200d{_EMOJI_CHAR}{_EMOJI_MOD})*)
    | (?P<punct>[!?.,;:…]+)
    """,
    re.VERBOSE,
)

# Splits CamelCase hashtags into words: "EpicFail" → "Epic", "Fail"; "dikkeduim" stays whole.
_CAMEL_RE: Final = re.compile(r"[A-Z]?[^\W\d_A-Z]+|[A-Z]+(?![^\W\d_A-Z])|\d+")
_EMOJI_STRIP: Final = str.maketrans("", "", "\ufe0f\ufe0e\u20e3")
_SKIN_TONES: Final = re.compile("[\U0001f3fb-\U0001f3ff]")
# A quotation: double quotes of any style, or single quotes that open before a word and close
# after one (so that "da's", "kid's" and "'s ochtends" are no quotation marks).
_QUOTE_RE: Final = re.compile(
    r"[\"“„]([^\"“”„\n]{1,80})[\"”“]|(?<!\w)['‘]([^'‘’\n]{1,80}?)['’](?!\w)"
)
_QUOTE_CHARS: Final = frozenset("\"“”„'‘’")


class Token(NamedTuple):
    """One token of a post: its text as written, lower-cased text, kind, and whether it
    stands between quotation marks."""

    text: str
    lower: str
    kind: str
    quoted: bool = False


def _emoji_key(raw: str) -> str:
    """The lexicon key of an emoji: without variation selectors and skin tones."""
    return _SKIN_TONES.sub("", raw.translate(_EMOJI_STRIP))


def tokenize(text: str) -> list[Token]:
    """Split a post into words, hashtag words, emoji/emoticons and clause punctuation.

    URLs, e-mail addresses and @handles are dropped: they name things, they do not judge them.
    A ``’`` apostrophe is folded to ``'`` so that "don’t" and "don't" are one word.
    """
    tokens: list[Token] = []
    append = tokens.append
    quotes = _quote_spans(text) if not _QUOTE_CHARS.isdisjoint(text) else []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            raw = match.group().replace("’", "'")
            start = match.start()
            quoted = any(begin <= start < end for begin, end in quotes)
            append(Token(raw, raw.lower(), WORD, quoted))
        elif kind == "num":
            raw = match.group()
            append(Token(raw, raw, NUM))
        elif kind == "punct":
            raw = match.group()
            append(Token(raw, raw, PUNCT))
        elif kind == "emoji":
            raw = match.group()
            key = _emoji_key(raw)
            if key:
                append(Token(raw, key, EMOJI))
        elif kind == "emoticon":
            raw = match.group()
            append(Token(raw, raw.replace("’", "'"), EMOJI))
        elif kind == "tag":
            for part in _CAMEL_RE.findall(match.group("tagword")):
                if not part.isdigit():
                    append(Token(part, part.lower(), HASHTAG))
        # url, mail and handle tokens are dropped on purpose.
    return tokens


def _quote_spans(text: str) -> list[tuple[int, int]]:
    return [
        match.span(1) if match.group(1) else match.span(2) for match in _QUOTE_RE.finditer(text)
    ]


def detection_words(text: str) -> list[str]:
    """The lower-cased words of a post that say something about its language.

    Hashtags, handles, links and emoji are left out: brand names and tags are often in
    another language than the post itself.
    """
    return [tok.lower for tok in tokenize(text) if tok.kind == WORD]
