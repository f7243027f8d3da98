"""English inflection for lexicon look-ups: superlatives and -y comparatives.

VADER lists base forms ("smooth", "rude", "friendly"); reviews use their superlatives ("the
smoothest concert", "the rudest staff", "the friendliest team"). This proposes the base forms;
a candidate counts only if the lexicon has it. Comparatives in -er are left alone ("later" is
no form of "late" in "see you later"), and so is "latest".
"""

from __future__ import annotations

from collections.abc import Iterator

_VOWELS = frozenset("aeiou")
_NOT_SUPERLATIVES = frozenset({"latest"})


def english_stems(word: str) -> Iterator[str]:
    """Candidate base forms of an English word, most likely first."""
    if len(word) < 5 or word in _NOT_SUPERLATIVES:
        return
    if word.endswith(("iest", "ier")):
        yield word[: -4 if word.endswith("iest") else -3] + "y"  # friendliest → friendly
    elif word.endswith("est"):
        stem = word[:-3]
        yield stem  # smoothest → smooth
        yield stem + "e"  # rudest → rude
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
            yield stem[:-1]  # biggest → big
