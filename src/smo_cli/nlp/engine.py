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
"niet" does not reach "goed". That is a deliberate difference from VADER. So are these:

- an emoji is neither boosted nor negated ("no known issues 🙄" still rolls its eyes);
- "enough" cancels a negation: "can't thank them enough", "kan ze niet genoeg bedanken";
- a phrase may hold a number: "<n> times", "het is nu <n>" match "4 times", "het is nu 3";
- what the words mean together (waits, solved problems, questions, news, irony) is decided
  per post by the rules of context.py, between the per-word valences and the total.

The lexicon kinds are described in rules.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from smo_cli.nlp import context
from smo_cli.nlp.rules import NUMBER, PhraseTable, Rules, Unit
from smo_cli.nlp.text import EMOJI, HASHTAG, NUM, PUNCT, WORD, Token, tokens_of

__all__ = ["Analyser", "Rules"]

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
_ENOUGH_REACH = 5  # "can't praise the night nurses enough"
# What a token means alone: see Analyser._describe.
Described = tuple[frozenset[str] | None, float | None, str, float, bool]


class Analyser:
    """Scores posts in one language. Holds a per-word cache, so keep one per language."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._memo: dict[str, tuple[float | None, str]] = {}
        self._known: dict[str, Described] = {}

    def score(self, text: str) -> float:
        """The compound score of a post in (-1, 1): negative < 0 < positive."""
        units = self._units(tokens_of(text))
        if not units:
            return 0.0
        upper = [u.text.isupper() for u in units if u.kind not in (PUNCT, EMOJI, NUM)]
        mixed_case = any(upper) and not all(upper)
        # Only a scored word or a failure word can have a valence (see _valence): the others,
        # most of a post, skip the call.
        failures = self.rules.failures
        valences = [
            self._valence(units, i, mixed_case)
            if u.kind != PUNCT and (u.valence or (not u.phrase and u.lower in failures))
            else 0.0
            for i, u in enumerate(units)
        ]
        context.check_cues(self.rules, units, valences, lambda i: self._negated(units, i))
        context.add_waits(self.rules, units, valences)
        if not any(valences):
            return 0.0  # nothing left to weigh: the steps below only scale valences
        context.resolve_problems(self.rules, units, valences, lambda i: self._negated(units, i))
        self._apply_contrast(units, valences)
        context.weigh_in_context(self.rules, units, valences, text)
        total = sum(valences)
        if total != 0.0:
            total += math.copysign(self._emphasis(units, text), total)
        return total / math.sqrt(total * total + NORMALISATION_ALPHA)

    # -- building units -------------------------------------------------------------------

    def _units(self, tokens: Sequence[Token]) -> list[Unit]:
        rules = self.rules
        cues, conditional_cues = rules.cues, rules.conditional_cues
        known = self._known
        units: list[Unit] = []
        append = units.append
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.kind
            lower = token.lower
            # What a word or emoji means depends on its text alone: looked up once per run.
            by_text = kind in (WORD, EMOJI)
            info = known.get(lower) if by_text else None
            if info is None:
                info = self._describe(token)
                if by_text and len(known) < 100_000:
                    known[lower] = info
            followers, found, entry, booster, cue = info
            if followers is not None and _may_continue(followers, tokens, i, rules.numbers):
                phrase = self._phrase_at(tokens, i)
                if phrase is not None:
                    unit, length = phrase
                    unit.cue = unit.entry in cues or unit.entry in conditional_cues
                    append(unit)
                    i += length
                    continue
            if kind == HASHTAG and "#" + lower in rules.irony:
                # "#not", "#sarcasme": a marker, not the word
                lower = "#" + lower
                found, entry = self._lookup(lower)
                booster = rules.boosters.get(lower, 0.0)
                cue = entry in cues or entry in conditional_cues
            # Positional (Unit's field order): keywords made scoring a tenth slower.
            append(Unit(token.text, lower, kind, found, booster, False, token.quoted, cue, entry))
            i += 1
        return units

    def _describe(self, token: Token) -> Described:
        """The second words of the phrases a token may start (None: it starts none), and its
        valence, lexicon entry, booster value and whether it is a complaint cue alone."""
        rules = self.rules
        lower = token.lower
        followers: frozenset[str] | None = None
        if token.kind == PUNCT:
            found, entry = None, lower
        else:
            tables = (rules.phrases, rules.booster_phrases)
            starts = [c for table in tables for c in table.get(lower, [])]
            if _is_number(token, rules.numbers):
                starts += [c for table in tables for c in table.get(NUMBER, [])]
            if starts:
                followers = frozenset(words[1] if len(words) > 1 else "" for words, _ in starts)
            found, entry = self._lookup(lower)
        cue = entry in rules.cues or entry in rules.conditional_cues
        return followers, found, entry, rules.boosters.get(lower, 0.0), cue

    def _phrase_at(self, tokens: Sequence[Token], i: int) -> tuple[Unit, int] | None:
        """The unit of the phrase, else the booster phrase, that starts at token `i`, and the
        number of tokens it takes."""
        rules = self.rules
        matched = _match_phrase(rules.phrases, tokens, i, rules.numbers)
        if matched is not None:
            words, value = matched
            return _phrase_unit(tokens, i, words, value, None), len(words)
        matched = _match_phrase(rules.booster_phrases, tokens, i, rules.numbers)
        if matched is not None:
            words, value = matched
            return _phrase_unit(tokens, i, words, None, value), len(words)
        return None

    def _lookup(self, word: str) -> tuple[float | None, str]:
        """The valence of a word and the entry it comes from: the word as listed, else an
        inflected or compound form of one ("defecte" → "defect")."""
        found = self._memo.get(word)
        if found is not None:
            return found
        rules = self.rules
        entry = word
        value = rules.lexicon.get(word)
        if value is None and len(word) > 1 and word[0] >= "\u2000":
            entry = word[0]  # an emoji sequence: its first emoji
            value = rules.lexicon.get(entry)
        if value is None and rules.stemmer is not None:
            entry = next((s for s in rules.stemmer(word) if s in rules.lexicon), word)
            value = rules.lexicon.get(entry)
        if value is None:
            entry = word
            for prefix, boost in rules.prefixes.items():
                rest = word[len(prefix) :]
                if word.startswith(prefix) and len(rest) >= 3:
                    base = rules.lexicon.get(rest)
                    if base is not None and base != 0.0:
                        value = base + math.copysign(boost, base)
                        break
        if len(self._memo) < 100_000:  # bounded: posts bring endless misspellings and names
            self._memo[word] = (value, entry)
        return value, entry

    # -- per-unit valence -----------------------------------------------------------------

    def _valence(self, units: list[Unit], i: int, mixed_case: bool) -> float:
        unit = units[i]
        rules = self.rules
        if unit.kind == PUNCT:
            return 0.0
        if i == 0 and unit.lower in rules.salutations and _addresses(units):
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
        if unit.kind == EMOJI:
            return valence  # "no known issues 🙄": an emoji is neither boosted nor negated
        if valence != 0.0:
            if mixed_case and unit.text.isupper() and len(unit.text) > 1:
                valence += math.copysign(CAPS_BOOST, valence)
            valence += self._boost(units, i, valence, mixed_case)
        if self._negated(units, i):
            if failure is None:
                return valence * NEGATION_SCALAR
            unit.cue = True  # "geen reactie", "not fixed": a complaint, whoever writes it
            return failure
        return valence

    def _is_active_booster(self, units: list[Unit], i: int) -> bool:
        return units[i].booster != 0.0 and self._scores_soon_after(units, i)

    def _negator_used_as_negation(self, units: list[Unit], i: int) -> bool:
        if units[i].phrase or units[i].lower not in self.rules.negators:
            return False
        return self._scores_soon_after(units, i)

    def _scores_soon_after(self, units: list[Unit], i: int) -> bool:
        """A scored word (or failure word) within the next two units, before any punctuation:
        only then does a booster or negator at `i` modify something."""
        for j in range(i + 1, min(i + 3, len(units))):
            if units[j].kind == PUNCT:
                return False
            if units[j].valence or units[j].lower in self.rules.failures:
                return True
        return False

    def _boost(self, units: list[Unit], i: int, valence: float, mixed_case: bool) -> float:
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

    def _is_negator(self, unit: Unit) -> bool:
        if unit.phrase:
            return False
        return unit.lower in self.rules.negators or (
            self.rules.negate_nt and unit.lower.endswith("n't")
        )

    def _negated(self, units: list[Unit], i: int) -> bool:
        rules = self.rules
        for j in range(i - 1, max(i - 1 - _WINDOW, -1), -1):
            if units[j].kind == PUNCT:
                break
            if self._is_negator(units[j]):
                # "nog nooit zo'n slechte service", "never been so happy": the negator
                # compares, it does not negate (VADER's "never so" rule). "Kan ze niet
                # genoeg bedanken", "can't thank them enough": it praises.
                between = {units[k].lower for k in range(j + 1, i)}
                if not between.isdisjoint(rules.comparatives | rules.enough):
                    return False
                return not (
                    units[j].lower in rules.modal_negators and self._enough_follows(units, i)
                )
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

    def _enough_follows(self, units: list[Unit], i: int) -> bool:
        for j in range(i + 1, min(i + 1 + _ENOUGH_REACH, len(units))):
            if units[j].kind == PUNCT:
                return False
            if units[j].lower in self.rules.enough:
                return True
        return False

    # -- whole-post adjustments -----------------------------------------------------------

    def _apply_contrast(self, units: list[Unit], valences: list[float]) -> None:
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

    def _emphasis(self, units: list[Unit], text: str) -> float:
        amount = min(text.count("!"), 4) * EXCLAMATION_BOOST
        questions = text.count("?")
        if questions > 1:
            amount += questions * QUESTION_BOOST if questions <= 3 else 0.96
        for unit in units:
            amount += self.rules.interjections.get(unit.lower, 0.0)
        return amount


def _addresses(units: list[Unit]) -> bool:
    """Whether a post opens with a salutation: "Beste @ReisNu, …", "Dear Sam, …" (the
    handle is dropped), not "Beste klantenservice die ik ooit heb meegemaakt"."""
    return len(units) < 3 or units[1].kind == PUNCT or units[2].kind == PUNCT


def _phrase_unit(
    tokens: Sequence[Token],
    i: int,
    words: tuple[str, ...],
    value: float | None,
    booster: float | None,
) -> Unit:
    """One unit for a matched phrase; its ``lower`` is the phrase as the lexicon lists it."""
    text = " ".join(t.text for t in tokens[i : i + len(words)])
    key = " ".join(words)
    return Unit(
        text,
        key,
        tokens[i].kind,
        value,
        booster=booster or 0.0,
        phrase=booster is None,
        quoted=tokens[i].quoted,
        entry=key,
    )


def _match_phrase(
    table: PhraseTable, tokens: Sequence[Token], i: int, numbers: dict[str, float]
) -> tuple[tuple[str, ...], float] | None:
    first = tokens[i]
    candidates = table.get(first.lower, [])
    if _is_number(first, numbers):
        candidates = sorted(candidates + table.get(NUMBER, []), key=lambda c: -len(c[0]))
    if not candidates:
        return None
    for words, value in candidates:
        end = i + len(words)
        if end <= len(tokens) and all(
            _word_matches(word, tokens[i + k], numbers) for k, word in enumerate(words)
        ):
            return words, value
    return None


def _may_continue(
    followers: frozenset[str], tokens: Sequence[Token], i: int, numbers: dict[str, float]
) -> bool:
    """Whether the token after `i` is the second word of a phrase starting at `i`, whose
    second words are `followers` ("" for a phrase of one word, which needs no second)."""
    if "" in followers:
        return True
    if i + 1 >= len(tokens):
        return False
    after = tokens[i + 1]
    return after.kind != PUNCT and (
        after.lower in followers or (NUMBER in followers and _is_number(after, numbers))
    )


def _word_matches(word: str, token: Token, numbers: dict[str, float]) -> bool:
    if token.kind == PUNCT:
        return False
    if word == NUMBER:
        return _is_number(token, numbers)
    return token.lower == word


def _is_number(token: Token, numbers: dict[str, float]) -> bool:
    """A number for a phrase's ``<n>``: digits, or a number word for two or more ("drie
    keer"), not "a"/"een", which are articles more often than numbers."""
    return token.kind == NUM or numbers.get(token.lower, 0.0) >= 2
