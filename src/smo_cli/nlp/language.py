"""Offline language detection for short social posts.

The language a source declares wins (Mastodon, Bluesky and most feeds declare one); otherwise a
naive Bayes classifier over character 1-, 2- and 3-grams decides between the languages the
officer meets in the Netherlands and Belgium and their neighbours. It is pure Python with a
small profile file (≈300 kB, loaded on first use in ≈40 ms), no model download and no numpy:
the listening pipeline calls it thousands of times per run and `smo --help` never pays for it.

Why not a package: `py3langid` brings numpy and a 97-language model (4.6 MB) where we need a
dozen languages (and 650 ms to load); `lingua-language-detector` is far larger still. On our
development sample of 375 short posts in nl/en/de/fr/es both this classifier and py3langid
(restricted to the same languages) name every post's language correctly.

Non-Latin scripts are recognised by script alone where the script names one language (Greek,
Hebrew, Thai, Korean, Japanese kana, ...); Cyrillic, Arabic and Han-only text return None
because the script alone does not say which language it is.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache, reduce
from operator import add
from typing import Final

from smo_cli.nlp.text import detection_words

# Latin-script languages the detector chooses between. Afrikaans is left out on purpose: on
# short texts it takes Dutch posts, and Afrikaans posts are rare in a Dutch/Belgian feed.
LANGUAGES: Final = ("nl", "en", "de", "fr", "es", "it", "pt", "da", "sv", "no", "pl", "tr")

# Below these sizes a post does not carry enough evidence ("Top!", "Thanks @acme").
MIN_LETTERS: Final = 10
MIN_WORDS: Final = 2
# The winner must beat the runner-up by this many nats of log-likelihood (a likelihood ratio
# of e^3 ≈ 20), else the text is unclear: lists of names ("Jan Peeters Acme"), "ok ok thanks",
# language-neutral jargon ("data engineer Arnhem"), all between 0.1 and 2.6 nats. Chosen on
# the development sample, whose clearest-hardest post still had 4.3 nats.
MIN_MARGIN: Final = 3.0
# Log-likelihood bonus for a function word of the language (see lexicons/function_words.tsv).
# Worth about two n-grams' difference: enough to settle a short Dutch/English post, not enough
# to outvote the n-grams of a long one. Set by that reasoning, not tuned: the development
# sample is classified right with or without it; it widens the margin of short posts.
FUNCTION_WORD_BONUS: Final = 2.0
# Probability floor for an n-gram a profile lacks: langdetect's additive smoothing
# (alpha 0.5 over a base frequency of 10,000). It keeps one rare or foreign n-gram (a brand
# name) from vetoing a language.
_FLOOR: Final = 0.5 / 10_000

# Declared codes that mean "no language" (BCP 47 und/zxx/mul, placeholders).
_NO_LANGUAGE: Final = frozenset({"", "und", "zxx", "mul", "mis", "xx", "x", "unknown", "none"})
# ISO 639-2/3 codes and names that exports use instead of ISO 639-1 codes.
# fmt: off
_ALIASES: Final = {
    "nld": "nl", "dut": "nl", "dutch": "nl", "nederlands": "nl", "vlaams": "nl",
    "flemish": "nl", "vls": "nl", "zea": "nl",
    "eng": "en", "english": "en", "engels": "en",
    "deu": "de", "ger": "de", "german": "de", "deutsch": "de", "duits": "de",
    "fra": "fr", "fre": "fr", "french": "fr", "français": "fr", "francais": "fr", "frans": "fr",
    "spa": "es", "spanish": "es", "español": "es", "espanol": "es", "spaans": "es",
    "ita": "it", "italian": "it", "por": "pt", "portuguese": "pt",
    "nob": "no", "nno": "no", "nb": "no", "nn": "no", "dan": "da", "swe": "sv",
    "pol": "pl", "tur": "tr",
}
# fmt: on

# Scripts that name one language. Ranges are inclusive code points.
_SCRIPTS: Final = (
    (0x0370, 0x03FF, "el"),
    (0x0590, 0x05FF, "he"),
    (0x0E00, 0x0E7F, "th"),
    (0x10A0, 0x10FF, "ka"),
    (0x0530, 0x058F, "hy"),
    (0x1100, 0x11FF, "ko"),
    (0x3130, 0x318F, "ko"),
    (0xAC00, 0xD7AF, "ko"),
    (0x3040, 0x30FF, "ja"),
)
_AMBIGUOUS_SCRIPTS: Final = ((0x0400, 0x04FF), (0x0600, 0x06FF), (0x4E00, 0x9FFF))


def normalise_language(code: str | None) -> str | None:
    """A declared language tag as a lower-case ISO 639-1 code, or None if it names none.

    "nl-NL", "nl_BE", "NL" → "nl"; "en-US" → "en"; "dut" → "nl"; "und" → None.
    """
    if code is None:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    if primary in _NO_LANGUAGE:
        return None
    primary = _ALIASES.get(primary, primary)
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary
    return None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """The language of a post: the declared one if usable, else detected; None when unclear.

    URLs, @handles, #hashtags and emoji are ignored. Returns an ISO 639-1 code.
    """
    language = normalise_language(declared)
    if language is not None:
        return language
    return _detect(text)


def _script_language(words: list[str]) -> tuple[str | None, bool]:
    """(language named by the script, True if most letters are not Latin)."""
    counts: dict[str, int] = {}
    other = latin = 0
    for word in words:
        for ch in word:
            cp = ord(ch)
            if cp < 0x0250:
                latin += 1
                continue
            for low, high, lang in _SCRIPTS:
                if low <= cp <= high:
                    counts[lang] = counts.get(lang, 0) + 1
                    break
            else:
                other += 1
    named = sum(counts.values())
    if named + other <= latin:
        return None, False
    if counts and named >= other:
        # Japanese mixes kana with Han: any kana makes it Japanese.
        return ("ja" if "ja" in counts else max(counts, key=counts.__getitem__)), True
    return None, True


@lru_cache(maxsize=64)
def _detect(text: str) -> str | None:
    # Cached: a post whose language stays unclear is asked again, for its sentiment.
    words = detection_words(text)
    if not words:
        return None
    joined = "".join(words)
    if not joined.isascii() and max(joined) >= "\u0250":
        script_lang, non_latin = _script_language(words)
        if non_latin:
            return script_lang
    if len(joined) < MIN_LETTERS or len(words) < MIN_WORDS:
        return None
    scores, grams = _score(words)
    if grams == 0:
        return None
    ranked = sorted(range(len(LANGUAGES)), key=scores.__getitem__, reverse=True)
    best, second = ranked[0], ranked[1]
    if scores[best] - scores[second] < MIN_MARGIN:
        return None
    return LANGUAGES[best]


def _score(words: list[str]) -> tuple[list[float], int]:
    """Summed log-likelihoods per language over the words, and the number of n-grams seen."""
    evidence = [_word_evidence(word) for word in words]
    # Per language, added up word by word from 0.0 in the words' order: the same sums,
    # bit for bit, as adding each word's row to a running total.
    rows = [row for row, _ in evidence]
    scores = [reduce(add, column, 0.0) for column in zip(*rows, strict=True)]
    return scores, sum(count for _, count in evidence)


@lru_cache(maxsize=50_000)
def _word_evidence(word: str) -> tuple[tuple[float, ...], int]:
    """Log-likelihood of one word per language, and its n-gram count.

    Cached per word: social posts reuse a small vocabulary, so after warm-up most words of a
    post cost one dictionary look-up instead of ~20 n-gram look-ups.
    """
    table = _profiles()
    total = [0.0] * len(LANGUAGES)
    grams = 0
    padded = f" {word} "
    size = len(padded)
    for n in (1, 2, 3):
        for start in range(size - n + 1):
            row = table.get(padded[start : start + n])
            if row is not None:
                grams += 1
                total = [s + r for s, r in zip(total, row, strict=True)]
    bonus = _function_words().get(word)
    if bonus is not None:
        total = [s + b for s, b in zip(total, bonus, strict=True)]
    return tuple(total), grams


def _data(name: str) -> str:
    from importlib import resources  # ~15 ms: paid on first use, not on import

    return resources.files("smo_cli.nlp").joinpath("lexicons", name).read_text(encoding="utf-8")


@cache
def _profiles() -> dict[str, tuple[float, ...]]:
    """n-gram → log P(n-gram | language) for every language, from the shipped profiles."""
    counts: dict[str, dict[str, int]] = {}
    totals: dict[str, list[int]] = {}
    for line in _data("ngram_profiles.tsv").splitlines():
        if not line or line.startswith("#"):
            continue
        lang, gram, value = line.split("\t")
        if lang not in LANGUAGES:
            continue
        if gram == "total":
            totals[lang] = [int(v) for v in value.split(",")]
        else:
            counts.setdefault(gram, {})[lang] = int(value)
    table: dict[str, tuple[float, ...]] = {}
    for gram, per_lang in counts.items():
        n = len(gram) - 1  # index into the 1/2/3-gram totals
        table[gram] = tuple(
            math.log(per_lang.get(lang, 0) / totals[lang][n] + _FLOOR) for lang in LANGUAGES
        )
    return table


@cache
def _function_words() -> dict[str, tuple[float, ...]]:
    """Function word → bonus per language (FUNCTION_WORD_BONUS for each language listing it)."""
    listed: dict[str, set[str]] = {}
    for line in _data("function_words.tsv").splitlines():
        if not line or line.startswith("#"):
            continue
        lang, words = line.split("\t")
        for word in words.split():
            listed.setdefault(word, set()).add(lang)
    return {
        word: tuple(FUNCTION_WORD_BONUS if lang in langs else 0.0 for lang in LANGUAGES)
        for word, langs in listed.items()
    }
