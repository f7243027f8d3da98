"""A VADER-style rule engine for sentiment, driven by one lexicon and rule file per language.

The rules are VADER's (Hutto & Gilbert, 2014), re-implemented without its dependencies and
generalised so that Dutch can use them too:

- each word, phrase, emoji or emoticon has a valence on a -4 … +4 scale;
- a booster up to three words before a sentiment word intensifies or dampens it, less with
  distance; a word in CAPITALS in a post that is not all capitals is emphasised;
- a negator up to three words before it (in the same clause) flips and shrinks it (× -0.74);
  Dutch also negates after a verb ("het werkt niet"), so a language may name post-negators;
- "failure words" are neutral alone but strongly negative when negated ("no reply", "geen
  reactie", "werkt niet") — the commonest complaint in customer-service posts, which a
  sentiment lexicon alone misses;
- a contrast word ("but", "maar") halves what comes before and weighs what follows × 1.5;
- exclamation marks (up to four) and interjections ("amai") push the total further;
- the total becomes a score in (-1, 1) with VADER's normalisation x / sqrt(x² + 15).

Clause punctuation bounds the negation and booster windows: in "Niet goedkoop, wel goed" the
"niet" does not reach "goed". That is a deliberate difference from VADER.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from smo_cli.nlp.text import EMOJI, PUNCT, Token, tokenize

# VADER's empirically derived constants.
BOOST: float = 0.293  # a booster word's increment
CAPS_BOOST: float = 0.733  # a word in CAPITALS among lower-case words
NEGATION_SCALAR: float = -0.74  # a negated word keeps 74 % of its strength, reversed
EXCLAMATION_BOOST: float = 0.292  # per "!", at most four
QUESTION_BOOST: float = 0.18  # per "?" when there are two or three
NORMALISATION_ALPHA: float = 15.0
_WINDOW = 3  # words before (or after, for post-negators) a sentiment word that modify it
_DISTANCE_DAMPING = (1.0, 0.95, 0.9)
_CONTRAST_BEFORE = 0.5
# Praise inside a question mostly describes an option ("is the free plan the best one?");
# complaints inside one are still complaints ("is the internet down again?"). So positive
# valences in a sentence that ends with "?" keep this share. On the development samples
# 0.0-0.1 scored best (0.3 lost one post per language, 1.0 two to three); 0.1 keeps a trace.
QUESTION_POSITIVE_WEIGHT: float = 0.1

Stemmer = Callable[[str], Iterable[str]]


@dataclass
class Rules:
    """Everything the engine knows about one language (see lexicons/nl.tsv for the kinds)."""

    lexicon: dict[str, float] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = field(default_factory=dict)
    boosters: dict[str, float] = field(default_factory=dict)
    booster_phrases: dict[str, list[tuple[tuple[str, ...], float]]] = field(default_factory=dict)
    negators: set[str] = field(default_factory=set)
    post_negators: set[str] = field(default_factory=set)
    failures: dict[str, float] = field(default_factory=dict)
    contrasts: dict[str, float] = field(default_factory=dict)
    contrast_blockers: set[str] = field(default_factory=set)
    interjections: dict[str, float] = field(default_factory=dict)
    prefixes: dict[str, float] = field(default_factory=dict)
    salutations: set[str] = field(default_factory=set)
    comparatives: set[str] = field(default_factory=set)
    stemmer: Stemmer | None = None
    negate_nt: bool = False  # English: any word ending in n't negates

    def load(self, text: str) -> None:
        """Add the entries of one TSV file (kind, entry, value); later entries override."""
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            kind, entry, value = line.split("\t")
            self._add(kind, entry, float(value))

    def _add(self, kind: str, entry: str, value: float) -> None:
        words = tuple(entry.split(" "))
        if kind == "w":
            self.lexicon[entry] = value
        elif kind == "p":
            _add_phrase(self.phrases, words, value)
        elif kind == "b" and len(words) > 1:
            _add_phrase(self.booster_phrases, words, value)
        elif kind in _VALUED_KINDS:
            table: dict[str, float] = getattr(self, _VALUED_KINDS[kind])
            table[entry] = value
        elif kind in _WORD_SET_KINDS:
            words_of_kind: set[str] = getattr(self, _WORD_SET_KINDS[kind])
            words_of_kind.add(entry)
        else:
            raise ValueError(f"unknown lexicon entry kind {kind!r} for {entry!r}")


# Entry kinds of the lexicon files that fill a word → value table or a word set of Rules.
_VALUED_KINDS = {
    "b": "boosters",
    "f": "failures",
    "c": "contrasts",
    "e": "interjections",
    "x": "prefixes",
}
_WORD_SET_KINDS = {
    "n": "negators",
    "pn": "post_negators",
    "cb": "contrast_blockers",
    "s": "salutations",
    "z": "comparatives",
}


def _add_phrase(
    table: dict[str, list[tuple[tuple[str, ...], float]]], words: tuple[str, ...], value: float
) -> None:
    candidates = [c for c in table.get(words[0], []) if c[0] != words]
    candidates.append((words, value))
    candidates.sort(key=lambda c: len(c[0]), reverse=True)  # longest match first
    table[words[0]] = candidates


@dataclass
class _Unit:
    """A word, phrase, emoji or clause boundary after phrase merging."""

    text: str
    lower: str
    kind: str
    valence: float | None  # None: no sentiment of its own
    booster: float = 0.0
    phrase: bool = False


class Analyser:
    """Scores posts in one language. Holds a per-word cache, so keep one per language."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._memo: dict[str, float | None] = {}

    def score(self, text: str) -> float:
        """The compound score of a post in (-1, 1): negative < 0 < positive."""
        units = self._units(tokenize(text))
        if not units:
            return 0.0
        words = [u for u in units if u.kind not in (PUNCT, EMOJI)]
        mixed_case = any(u.text.isupper() for u in words) and not all(
            u.text.isupper() for u in words
        )
        valences = [self._valence(units, i, mixed_case) for i in range(len(units))]
        self._apply_contrast(units, valences)
        _dampen_praise_in_questions(units, valences)
        total = sum(valences)
        if total != 0.0:
            total += math.copysign(self._emphasis(units, text), total)
        return total / math.sqrt(total * total + NORMALISATION_ALPHA)

    # -- building units -------------------------------------------------------------------

    def _units(self, tokens: list[Token]) -> list[_Unit]:
        rules = self.rules
        units: list[_Unit] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.kind != PUNCT:
                matched = _match_phrase(rules.phrases, tokens, i)
                if matched is not None:
                    size, value = matched
                    text = " ".join(t.text for t in tokens[i : i + size])
                    units.append(_Unit(text, text.lower(), token.kind, value, phrase=True))
                    i += size
                    continue
                matched = _match_phrase(rules.booster_phrases, tokens, i)
                if matched is not None:
                    size, value = matched
                    text = " ".join(t.text for t in tokens[i : i + size])
                    units.append(_Unit(text, text.lower(), token.kind, None, booster=value))
                    i += size
                    continue
            units.append(
                _Unit(
                    token.text,
                    token.lower,
                    token.kind,
                    None if token.kind == PUNCT else self._lookup(token.lower),
                    booster=rules.boosters.get(token.lower, 0.0),
                )
            )
            i += 1
        return units

    def _lookup(self, word: str) -> float | None:
        """The valence of a word: as listed, else an inflected or compound form of one."""
        if word in self._memo:
            return self._memo[word]
        rules = self.rules
        value = rules.lexicon.get(word)
        if value is None and len(word) > 1 and word[0] >= "\u2000":
            value = rules.lexicon.get(word[0])  # an emoji sequence: its first emoji
        if value is None and rules.stemmer is not None:
            value = next(
                (rules.lexicon[s] for s in rules.stemmer(word) if s in rules.lexicon), None
            )
        if value is None:
            for prefix, boost in rules.prefixes.items():
                rest = word[len(prefix) :]
                if word.startswith(prefix) and len(rest) >= 3:
                    base = rules.lexicon.get(rest)
                    if base is not None and base != 0.0:
                        value = base + math.copysign(boost, base)
                        break
        if len(self._memo) < 100_000:  # bounded: posts bring endless misspellings and names
            self._memo[word] = value
        return value

    # -- per-unit valence -----------------------------------------------------------------

    def _valence(self, units: list[_Unit], i: int, mixed_case: bool) -> float:
        unit = units[i]
        rules = self.rules
        if unit.kind == PUNCT:
            return 0.0
        if i == 0 and unit.lower in rules.salutations:
            return 0.0  # "Beste @ReisNu," / "Dear @TravelHub," opens a letter, it is no praise
        failure = None if unit.phrase else rules.failures.get(unit.lower)
        valence = unit.valence
        if valence is None or valence == 0.0:
            if failure is None:
                return 0.0
            valence = 0.0
        if self._is_active_booster(units, i):
            return 0.0  # "super" in "super vriendelijk" boosts; it is not praise itself
        if self._negator_used_as_negation(units, i):
            return 0.0  # "no" in "no reply" negates; it is not a sentiment of its own
        if valence != 0.0:
            if mixed_case and unit.text.isupper() and len(unit.text) > 1:
                valence += math.copysign(CAPS_BOOST, valence)
            valence += self._boost(units, i, valence, mixed_case)
        if self._negated(units, i):
            return failure if failure is not None else valence * NEGATION_SCALAR
        return valence

    def _is_active_booster(self, units: list[_Unit], i: int) -> bool:
        if units[i].booster == 0.0:
            return False
        for j in range(i + 1, min(i + 3, len(units))):
            if units[j].kind == PUNCT:
                return False
            if units[j].valence or units[j].lower in self.rules.failures:
                return True
        return False

    def _negator_used_as_negation(self, units: list[_Unit], i: int) -> bool:
        if units[i].phrase or units[i].lower not in self.rules.negators:
            return False
        for j in range(i + 1, min(i + 3, len(units))):
            if units[j].kind == PUNCT:
                return False
            if units[j].valence or units[j].lower in self.rules.failures:
                return True
        return False

    def _boost(self, units: list[_Unit], i: int, valence: float, mixed_case: bool) -> float:
        total = 0.0
        for distance, j in enumerate(range(i - 1, max(i - 1 - _WINDOW, -1), -1)):
            before = units[j]
            if before.kind == PUNCT:
                break
            if before.valence and before.booster == 0.0:
                continue  # a sentiment word is not a booster (VADER's rule)
            if before.booster:
                # A booster moves away from zero, a dampener towards it, whatever the sign.
                scalar = before.booster if valence > 0 else -before.booster
                if mixed_case and before.text.isupper():
                    scalar += math.copysign(CAPS_BOOST, valence)
                total += scalar * _DISTANCE_DAMPING[distance]
        return total

    def _is_negator(self, unit: _Unit) -> bool:
        if unit.phrase:
            return False
        return unit.lower in self.rules.negators or (
            self.rules.negate_nt and unit.lower.endswith("n't")
        )

    def _negated(self, units: list[_Unit], i: int) -> bool:
        for j in range(i - 1, max(i - 1 - _WINDOW, -1), -1):
            if units[j].kind == PUNCT:
                break
            if self._is_negator(units[j]):
                # "nog nooit zo'n slechte service", "never been so happy": the negator
                # compares, it does not negate (VADER's "never so" rule).
                return not any(units[k].lower in self.rules.comparatives for k in range(j + 1, i))
        if not self.rules.post_negators:
            return False
        # "De app werkt niet", "Het bevalt me niet": a post-negator after the word, unless it
        # belongs to a sentiment word that follows it ("blij dat het niet kapot is").
        for j in range(i + 1, min(i + 1 + _WINDOW, len(units))):
            unit = units[j]
            if unit.kind == PUNCT or unit.valence:
                return False
            if not unit.phrase and unit.lower in self.rules.post_negators:
                following = units[j + 1] if j + 1 < len(units) else None
                return following is None or not (
                    following.valence or following.lower in self.rules.failures
                )
        return False

    # -- whole-post adjustments -----------------------------------------------------------

    def _apply_contrast(self, units: list[_Unit], valences: list[float]) -> None:
        rules = self.rules
        for i, unit in enumerate(units):
            weight = None if unit.phrase else rules.contrasts.get(unit.lower)
            if weight is None:
                continue
            previous = units[i - 1].lower if i > 0 else ""
            if previous in rules.contrast_blockers:
                continue  # "alleen maar", "gewoon maar": a particle, not a contrast
            for j in range(i):
                valences[j] *= _CONTRAST_BEFORE
            for j in range(i + 1, len(units)):
                valences[j] *= weight
            return  # like VADER, the first contrast word decides

    def _emphasis(self, units: list[_Unit], text: str) -> float:
        amount = min(text.count("!"), 4) * EXCLAMATION_BOOST
        questions = text.count("?")
        if questions > 1:
            amount += questions * QUESTION_BOOST if questions <= 3 else 0.96
        for unit in units:
            amount += self.rules.interjections.get(unit.lower, 0.0)
        return amount


def _dampen_praise_in_questions(units: list[_Unit], valences: list[float]) -> None:
    start = 0
    for i, unit in enumerate(units):
        if unit.kind != PUNCT or not any(ch in unit.text for ch in ".!?…"):
            continue
        if "?" in unit.text:
            for j in range(start, i):
                if valences[j] > 0.0:
                    valences[j] *= QUESTION_POSITIVE_WEIGHT
        start = i + 1


def _match_phrase(
    table: dict[str, list[tuple[tuple[str, ...], float]]], tokens: list[Token], i: int
) -> tuple[int, float] | None:
    candidates = table.get(tokens[i].lower)
    if not candidates:
        return None
    for words, value in candidates:
        end = i + len(words)
        if end <= len(tokens) and all(
            tokens[i + k].lower == word and tokens[i + k].kind != PUNCT
            for k, word in enumerate(words)
        ):
            return len(words), value
    return None
