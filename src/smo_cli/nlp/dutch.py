"""Dutch inflection for lexicon look-ups: "trage" → "traag", "slechtste" → "slecht".

The Dutch lexicon lists base forms and the commonest inflections; this finds the base form of
the rest with the spelling rules of Dutch adjectives and plurals (a doubled consonant is
undoubled, a long vowel in an open syllable is written double again, v/z become f/s). It only
proposes candidates: a candidate counts only if the lexicon has it, so a wrong guess is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator

_VOWELS = frozenset("aeiouy")
_SUFFIXES = ("ste", "st", "ere", "er", "en", "e", "s")


def _respell(stem: str) -> Iterator[str]:
    """Base forms of an inflected stem: 'snell' → 'snel', 'trag' → 'traag', 'boz' → 'boos'."""
    yield stem
    if len(stem) < 3:
        return
    last = stem[-1]
    if last == "v":
        stem = stem[:-1] + "f"
        yield stem
    elif last == "z":
        stem = stem[:-1] + "s"
        yield stem
    if stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
        yield stem[:-1]  # snell → snel
    elif stem[-2] in _VOWELS and stem[-1] not in _VOWELS and stem[-3] not in _VOWELS:
        yield stem[:-2] + stem[-2] + stem[-2:]  # trag → traag, bos → boos


def dutch_stems(word: str) -> Iterator[str]:
    """Candidate base forms of a Dutch word, most likely first."""
    if len(word) < 4:
        return
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            yield from _respell(stem)
            if suffix in ("er", "ere") and stem.endswith("d") and stem[-2:-1] == "r":
                yield stem[:-1]  # duurder → duur
