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
from functools import cache, lru_cache
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

# The alternatives of the tokeniser, in the order they are tried. Most posts cannot contain
# some of them (no "@", no "#", no link, only ASCII): `_pattern` leaves those out, which gives
# the same tokens at a fraction of the cost, since every alternative is tried at every position.
_EMOTICON_START = "".join(sorted({re.escape(e[0]) for e in EMOTICONS}))
_URL, _MAIL, _HANDLE, _TAG, _EMOJI = 1, 2, 4, 8, 16  # alternatives a text may need
_ALTERNATIVES: Final = (
    (_URL, r"(?P<url>(?:https?://|www\.)\S+)"),
    (_MAIL, r"(?P<mail>[\w.+-]+@[\w-]+\.[\w.-]+)"),
    (_HANDLE, r"(?P<handle>(?<![\w@])@[\w.]+(?:@[\w.-]+)?)"),
    (_TAG, r"(?P<tag>(?<![\w#])\#(?P<tagword>[^\W_][\w]*))"),
    # The look-ahead on the first characters skips the fifty emoticons at most positions.
    # Without a group around the alternation, the look-behind binds to the first emoticon
    # only and the look-ahead to the last one; kept that way, so the tokens stay the same.
    (0, rf"(?P<emoticon>(?=[{_EMOTICON_START}])(?:(?<![\w:/]){_EMOTICON_ALT}(?![\w])))"),
    (0, r"(?P<num>\d+(?:[.,:/]\d+)*)"),
    (0, r"(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"),
    (_EMOJI, rf"(?P<emoji>{_EMOJI_CHAR}{_EMOJI_MOD}(?:\u200d{_EMOJI_CHAR}{_EMOJI_MOD})*)"),
    (0, r"(?P<punct>[!?.,;:…]+)"),
)


@cache
def _pattern(needed: int) -> re.Pattern[str]:
    """The tokeniser with the optional alternatives in `needed` (a mask of the flags above)."""
    return re.compile("|".join(part for flag, part in _ALTERNATIVES if not flag or needed & flag))


def _pattern_for(text: str) -> re.Pattern[str]:
    needed = 0
    if "://" in text or "www." in text:
        needed |= _URL
    if "@" in text:
        needed |= _MAIL | _HANDLE
    if "#" in text:
        needed |= _TAG
    if not text.isascii():
        needed |= _EMOJI
    return _pattern(needed)


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
    return list(tokens_of(text))


@lru_cache(maxsize=64)
def tokens_of(text: str) -> tuple[Token, ...]:
    """The tokens of `tokenize`, as a tuple shared by every caller: read, never change it."""
    # Cached because the pipeline tokenises each post twice in a row: once to detect its
    # language, once for its sentiment.
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # Token(...) runs a Python-level __new__: this is the same tuple, faster
    quotes = _quote_spans(text) if not _QUOTE_CHARS.isdisjoint(text) else None
    curly = "’" in text
    for match in _pattern_for(text).finditer(text):
        kind = match.lastgroup
        raw = match.group()
        if kind == "word":
            if curly:
                raw = raw.replace("’", "'")
            quoted = quotes is not None and _inside(quotes, match.start())
            append(new(Token, (raw, raw.lower(), WORD, quoted)))
        elif kind == "num":
            append(new(Token, (raw, raw, NUM, False)))
        elif kind == "punct":
            append(new(Token, (raw, raw, PUNCT, False)))
        elif kind == "emoji":
            key = _emoji_key(raw)
            if key:
                append(Token(raw, key, EMOJI))
        elif kind == "emoticon":
            append(Token(raw, raw.replace("’", "'"), EMOJI))
        elif kind == "tag":
            for part in _CAMEL_RE.findall(match.group("tagword")):
                if not part.isdigit():
                    append(Token(part, part.lower(), HASHTAG))
        # url, mail and handle tokens are dropped on purpose.
    return tuple(tokens)


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    return any(begin <= position < end for begin, end in spans)


def _quote_spans(text: str) -> list[tuple[int, int]]:
    return [
        match.span(1) if match.group(1) else match.span(2) for match in _QUOTE_RE.finditer(text)
    ]


def detection_words(text: str) -> list[str]:
    """The lower-cased words of a post that say something about its language.

    Hashtags, handles, links and emoji are left out: brand names and tags are often in
    another language than the post itself.
    """
    return [tok.lower for tok in tokens_of(text) if tok.kind == WORD]
