"""Tokenising the text a query is matched against, and folding tokens for comparison.

One tokeniser serves both sides: mentions are cut into tokens here, and every word a query names is
cut by the same rules (with `*` and `?` allowed as letters), so `e-bike`, `acme.nl` or
`'s-Hertogenbosch` in a query mean exactly what they mean in a mention.

A token is one word position. It answers to one or more *keys*: its own text first, then the
shorter forms it also stands for (`@acme@mastodon.social` → `@acme`, `acme`; `#AcmeFiets` →
`acmefiets`; `Acme's` → `acme`). Keys are compared after `fold` (case- and accent-insensitive)
unless a query asks for `{Exact}`, which compares the raw key.

The rules, in the order they are tried:

- URL (`https://…`, `www.…`): the words of its host, without `www` (`acme`, `nl`); the path and
  query string are left out: tracking parameters and slugs would match brand names by accident.
- @handle (`@acme`, `@acme@mastodon.social`, `@acme.bsky.social`).
- #hashtag.
- word: letters and digits, with inner apostrophes kept (`zo'n`, `auto's`) and a Dutch clitic kept
  in front (`'s`, `'t`, `'n`); hyphens and dots separate words, so `e-bike` is the two positions
  `e`, `bike` and matches the query `e-bike` as well as `"e bike"`.
- emoji, with variation selectors and skin tones folded away (👍🏽 answers to 👍).
"""

from __future__ import annotations

import re
import unicodedata

Keys = tuple[str, ...]

APOSTROPHES = "'’‘´"  # typed interchangeably, in Dutch especially (zo'n, zo’n, zo´n)
_APOSTROPHE_TABLE = str.maketrans(dict.fromkeys(APOSTROPHES[1:], "'"))
_EMOJI_CHAR = (
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff"
    "\u3030\u303d\u3297\u3299\u203c\u2049\u2122\u2139\u2194-\u21aa]"
)
_EMOJI = (
    f"[\U0001f1e6-\U0001f1ff]{{2}}"  # a flag is a pair of regional indicators
    f"|{_EMOJI_CHAR}(?:[\ufe0f\U0001f3fb-\U0001f3ff]|\u200d{_EMOJI_CHAR})*"
)
_EMOJI_NOISE = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")
# Combining marks left after NFKD decomposition: the diacritics of Latin, Greek and Cyrillic.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _token_pattern(w: str) -> re.Pattern[str]:
    """The tokeniser for word characters `w` (queries add the wildcards `*` and `?`)."""
    a = f"[{APOSTROPHES}]"
    word = rf"(?:{a}(?={w}(?!{w})))?{w}+(?:{a}{w}+)*"
    return re.compile(
        r"((?:https?://|www\.)[^\s<>\"'()\[\]{}]+)"
        rf"|(?<![\w@])@({w}+(?:[.\-]{w}+)*(?:@{w}+(?:[.\-]{w}+)+)?)"
        rf"|(?<![\w#&])#({w}+)"
        rf"|({word})"
        rf"|({_EMOJI})",
        re.IGNORECASE,
    )


TEXT_TOKENS = _token_pattern(r"\w")
QUERY_TOKENS = _token_pattern(r"[\w*?]")
_PLAIN_WORDS = re.compile(r"\w+")
_HOST_WORDS = re.compile(r"[^\W_]+")
# Anything that could start a token the plain-word fast path does not know about.
_SPECIAL = re.compile(r"[@#'’‘´:/]|www\.", re.IGNORECASE)

_fold_cache: dict[str, str] = {}
_FOLD_CACHE_LIMIT = 200_000


def fold(key: str) -> str:
    """The form keys are compared in: case-folded, accents removed, apostrophes unified."""
    folded = _fold_cache.get(key)
    if folded is not None:
        return folded
    if key.isascii():
        folded = key.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", key.casefold().translate(_APOSTROPHE_TABLE))
        folded = unicodedata.normalize("NFC", _MARKS.sub("", decomposed))
    if len(_fold_cache) >= _FOLD_CACHE_LIMIT:  # a long-running listener meets endless new words
        _fold_cache.clear()
    _fold_cache[key] = folded
    return folded


def normalise(text: str) -> str:
    """Composed characters (`e` + combining acute becomes `é`), so both spellings tokenise alike."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def tokenise(text: str, *, wildcards: bool = False) -> list[Keys]:
    """The raw keys of each word position of `text`, in order.

    With `wildcards`, `*` and `?` count as letters (for the words of a query).
    """
    text = normalise(text)
    if not wildcards and text.isascii() and _SPECIAL.search(text) is None:
        # Most mentions are plain words: one C-level findall gives the same tokens.
        return [(word,) for word in _PLAIN_WORDS.findall(text)]
    pattern = QUERY_TOKENS if wildcards else TEXT_TOKENS
    tokens: list[Keys] = []
    for url, handle, tag, word, emoji in pattern.findall(text):
        if word:
            tokens.append((word,) if word.isalnum() else _word_keys(word))
        elif handle:
            tokens.append(_handle_keys(handle))
        elif tag:
            tokens.append((f"#{tag}", tag))
        elif url:
            tokens.extend((host_word,) for host_word in _host_words(url))
        else:
            key = _EMOJI_NOISE.sub("", emoji)
            if key:
                tokens.append((key,))
    return tokens


def _word_keys(word: str) -> Keys:
    word = word.translate(_APOSTROPHE_TABLE)
    # Acme's, auto's, zo'n also answer to the word before the apostrophe; a leading clitic
    # ('s, 't, 'n) is a word of its own and has nothing before it.
    cut = word.find("'", 1)
    return (word, word[:cut]) if cut > 0 else (word,)


def _handle_keys(handle: str) -> Keys:
    """`@acme@mastodon.social` and `@acme.bsky.social` also answer to `@acme` and `acme`."""
    user, at, _server = handle.partition("@")
    if at:
        return (f"@{handle}", f"@{user}", user)
    first = re.split(r"[.\-]", handle, maxsplit=1)[0]
    if first != handle and "." in handle:
        return (f"@{handle}", f"@{first}", first)
    return (f"@{handle}", handle)


def _host_words(url: str) -> list[str]:
    rest = url.split("://", 1)[1] if "://" in url else url
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    words = _HOST_WORDS.findall(host)
    if words and words[0].lower() == "www":
        words = words[1:]
    return words


_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


def split_url(url: str) -> tuple[str, str]:
    """(host, rest) of a URL or a bare `host/path`, lowercased, without scheme, port and `www.`."""
    url = _SCHEME.sub("", url.strip().lower(), count=1)
    ends = [i for i in (url.find("/"), url.find("?"), url.find("#")) if i >= 0]
    cut = min(ends, default=len(url))
    host, rest = url[:cut], url[cut:]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    return host.removeprefix("www."), rest


def host_matches(host: str, site: str) -> bool:
    """`site` is the host itself or a parent domain of it (`acme.nl` covers `blog.acme.nl`)."""
    return bool(site) and (host == site or host.endswith(f".{site}"))


# Words so common that alone they match almost every mention (English and Dutch).
_STOPWORDS = """
a about an and are as at be but by for from had has have he her his i if in into is it its me my
no not of on or our she so such that the their them then there these they this to up us was we
were what when which who will with you your
aan al als bij dat de den der des die dit door een en er ge had heb hem het hier hij hoe ik in is
je jij kan maar me men met mij na naar niet nog nu of om onder ons ook op over te tot u uit van
veel voor want was wat we wel wie wij zal ze zich zij zijn zo zou
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def fold_cache() -> dict[str, str]:
    """The raw → folded cache behind `fold`, for loops that look keys up inline."""
    return _fold_cache
