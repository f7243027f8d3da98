"""What the sentiment engine knows about one language, read from its lexicon file.

A lexicon file has one entry a line: kind, entry (a word, emoji or phrase of several words),
value. The kinds, with what their value means:

    w   word or emoji with its valence (-4 … +4)        p   phrase of several words, valence
    b   booster (+ intensifies, - dampens)                n   negator before a word
    pn  negator after a verb ("werkt niet")               f   failure word: valence if negated
    c   contrast word, weight of what follows             cb  word that makes 'maar' a particle
    e   interjection that amplifies the post              x   compound prefix that intensifies
    s   salutation: no sentiment when it opens a post     z   word that makes a negator compare
    t   topic: an event word with its valence ("outage", "staking"); see context.py
    k   complaint cue with its valence ("third time", "al weken"); see context.py
    kc  complaint cue only next to a complaint or opening a sentence ("weer", "again"): "weer
        geen internet", "down again", "Again."; "werkt weer", "meet again" are no complaints
    i   irony marker with its valence ("#not", "yeah right", "lekker dan"): praise is sarcasm
    iw  praise that is sarcasm in a complaint ("nice one", "goed bezig"), with its valence
    ip  particle that makes the praise before it sarcasm in a complaint ("fijn hoor")
    io  opener that makes the praise after it sarcasm in a complaint ("oh great")
    is  praise that is sarcasm as a sentence of its own in a complaint ("Classy.")
    p1  first person (and verbs that imply it: "ordered", "gebeld"), p2 second person: a
        post with them is no news report
    nw  number word (value: the number)               tu  time unit ("minutes", "weken")
    tp  time point ("Friday", "januari"): a wait after a 'since' word (kind ds)
    ds  'since' word before a time point ("since Friday", "sinds januari"); value 0
    dc  word before a duration that makes it a wait ("for", "al"); value 0
    da  word after a duration that makes it a wait ("in de wacht", "waiting"); value 0
    df  word before a duration that makes it fast ("within", "binnen"); value 0
    do  word after a duration that opens a sentence that makes it a wait ("3 weeks for a
        repair"); value 0
    rv  resolver: a problem word before it is solved ("lag is gone", "storing verholpen")
    cj  conjunction: a resolver does not reach back across it ("given up and gone out")
    ne  'enough': "can't thank them enough", "niet genoeg bedanken" negate nothing
    nm  negator that 'enough' cancels after the word ("can't", "cannot")

A phrase may hold ``<n>`` for any number, written in digits or as a number word for two or
more. An entry may have several kinds ("weer" is a conditional cue and a booster).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Stemmer = Callable[[str], Iterable[str]]
PhraseTable = dict[str, list[tuple[tuple[str, ...], float]]]
NUMBER = "<n>"


@dataclass
class Rules:
    """Everything the engine knows about one language (see the module docstring)."""

    lexicon: dict[str, float] = field(default_factory=dict)
    phrases: PhraseTable = field(default_factory=dict)
    boosters: dict[str, float] = field(default_factory=dict)
    booster_phrases: PhraseTable = field(default_factory=dict)
    negators: set[str] = field(default_factory=set)
    post_negators: set[str] = field(default_factory=set)
    failures: dict[str, float] = field(default_factory=dict)
    contrasts: dict[str, float] = field(default_factory=dict)
    contrast_blockers: set[str] = field(default_factory=set)
    interjections: dict[str, float] = field(default_factory=dict)
    prefixes: dict[str, float] = field(default_factory=dict)
    salutations: set[str] = field(default_factory=set)
    comparatives: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)
    cues: set[str] = field(default_factory=set)
    conditional_cues: set[str] = field(default_factory=set)
    irony: set[str] = field(default_factory=set)
    weak_irony: set[str] = field(default_factory=set)
    irony_particles: set[str] = field(default_factory=set)
    irony_openers: set[str] = field(default_factory=set)
    solo_irony: set[str] = field(default_factory=set)
    first_person: set[str] = field(default_factory=set)
    second_person: set[str] = field(default_factory=set)
    numbers: dict[str, float] = field(default_factory=dict)
    time_units: set[str] = field(default_factory=set)
    time_points: set[str] = field(default_factory=set)
    since: set[str] = field(default_factory=set)
    wait_before: set[str] = field(default_factory=set)
    wait_after: set[str] = field(default_factory=set)
    fast_before: set[str] = field(default_factory=set)
    wait_opening: set[str] = field(default_factory=set)
    resolvers: set[str] = field(default_factory=set)
    conjunctions: set[str] = field(default_factory=set)
    enough: set[str] = field(default_factory=set)
    modal_negators: set[str] = field(default_factory=set)
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
        if kind in _SCORED_KINDS:
            # A word or phrase with a valence; some kinds also put it in a set of its own.
            if kind == "p" or (kind != "w" and len(words) > 1):
                add_phrase(self.phrases, words, value)
            else:
                self.lexicon[entry] = value
            if _SCORED_KINDS[kind]:
                marked: set[str] = getattr(self, _SCORED_KINDS[kind])
                marked.add(entry)
        elif kind == "b" and len(words) > 1:
            add_phrase(self.booster_phrases, words, value)
        elif kind in _VALUED_KINDS:
            table: dict[str, float] = getattr(self, _VALUED_KINDS[kind])
            table[entry] = value
        elif kind in _WORD_SET_KINDS:
            words_of_kind: set[str] = getattr(self, _WORD_SET_KINDS[kind])
            words_of_kind.add(entry)
        else:
            raise ValueError(f"unknown lexicon entry kind {kind!r} for {entry!r}")


# Kinds that give a word or phrase a valence, and the set of Rules that also records it.
_SCORED_KINDS = {
    "w": "",
    "p": "",
    "t": "topics",
    "k": "cues",
    "kc": "conditional_cues",
    "i": "irony",
    "iw": "weak_irony",
}
# Kinds that fill a word → value table of Rules.
_VALUED_KINDS = {
    "b": "boosters",
    "f": "failures",
    "c": "contrasts",
    "e": "interjections",
    "x": "prefixes",
    "nw": "numbers",
}
# Kinds that fill a word set of Rules.
_WORD_SET_KINDS = {
    "n": "negators",
    "pn": "post_negators",
    "cb": "contrast_blockers",
    "s": "salutations",
    "z": "comparatives",
    "ip": "irony_particles",
    "io": "irony_openers",
    "is": "solo_irony",
    "p1": "first_person",
    "p2": "second_person",
    "tu": "time_units",
    "tp": "time_points",
    "ds": "since",
    "dc": "wait_before",
    "da": "wait_after",
    "df": "fast_before",
    "do": "wait_opening",
    "rv": "resolvers",
    "cj": "conjunctions",
    "ne": "enough",
    "nm": "modal_negators",
}


def add_phrase(table: PhraseTable, words: tuple[str, ...], value: float) -> None:
    """Add a phrase to a table keyed by its first word, longest phrases first."""
    candidates = [c for c in table.get(words[0], []) if c[0] != words]
    candidates.append((words, value))
    candidates.sort(key=lambda c: len(c[0]), reverse=True)  # longest match first
    table[words[0]] = candidates


@dataclass(slots=True)  # slots: the engine reads these fields a few hundred times per post
class Unit:
    """A word, number, phrase, emoji or clause boundary after phrase merging."""

    text: str
    lower: str
    kind: str
    valence: float | None  # None: no sentiment of its own
    booster: float = 0.0
    phrase: bool = False
    quoted: bool = False
    cue: bool = False  # a complaint cue (kind k, or a wait found by context.add_waits)
    entry: str = ""  # the lexicon entry of the valence: "defect" for "defecte"
