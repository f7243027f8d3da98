"""Post-level rules: what the words of a post mean together.

The engine scores each word in its clause. Posts about companies need a few rules that look
at the whole post, because the same words judge or merely report depending on it:

- Waits. A duration after "for", "al", "waited", before "in de wacht", or "since" a day is a
  complaint even without a sentiment word: "on hold for 45 minutes", "al drie weken geen
  internet", "down since Friday". A duration after "within"/"binnen" is speed.
- Complaint cues. Repeats, persistence and broken promises ("third time", "nog steeds",
  "was told") mark a complaint; "weer" and "again" only next to one ("weer geen internet",
  "down again"), since "de app werkt weer" is good news. A negated failure word ("geen
  reactie") is a complaint cue too.
- Solved problems. A problem word before a resolver ("gone", "verholpen") is good news:
  "my gaming lag is gone", "de storing was binnen een uur verholpen".
- Questions. Praise inside a question mostly describes an option ("is the free plan the best
  one?"), and a question about a problem without a complaint cue asks for information ("what
  happens if my parcel is damaged?": event words count for nothing, other weak blame for a
  fifth). A complaint cue ("again", "why", "nog steeds") keeps a question a complaint: "is
  the internet down again?".
- News. An event word (outage, strike, price increase: kind ``t``) in a post without the
  writer in it (no I or you, no "!", no complaint cue, no negative emoji) reports, it does
  not judge: "FibreNet reports an outage in Utrecht" is neutral. In a post that praises, the
  event is the background of the praise: "kept everyone informed during the delay".
- Irony. An irony marker ("#not", "🙃", "yeah right", "lekker dan") or praise in scare quotes
  ("de 'snelle' levering") turns all praise of the post into blame. Praise used as an
  exclamation ("Great, …", "Lovely.", "Fijn hoor", "Oh good"), or listed as sarcasm-prone
  ("nice one", "goed bezig"), or a sarcasm-prone word as a sentence of its own ("Classy."),
  turns into blame only in a post that is a complaint otherwise.

The weights below were chosen on the development samples only; see polarity.py.
"""

from __future__ import annotations

from collections.abc import Callable

from smo_cli.nlp.rules import Rules, Unit
from smo_cli.nlp.text import EMOJI, NUM, PUNCT

# Valence of a wait: a duration with a wait cue ("for an hour", "al drie weken"), and of a
# duration with a speed cue ("within ten minutes", "binnen een kwartier").
WAIT_VALENCE: float = -1.2
FAST_VALENCE: float = 0.8
_WAIT_REACH = 4  # words after a duration in which a wait word makes it a wait
# A solved problem keeps this share of its strength, reversed (VADER's negation scalar).
RESOLVED_SCALAR: float = -0.74
# Praise in a question keeps this share. On the first development sample 0.0-0.1 scored best.
QUESTION_POSITIVE_WEIGHT: float = 0.1
# A problem word of at most this strength in a question without a complaint cue asks for
# information, and keeps QUESTION_NEGATIVE_WEIGHT of its valence.
QUESTION_WEAK_NEGATIVE: float = 2.0
QUESTION_NEGATIVE_WEIGHT: float = 0.2
# Event words in news (no writer in the post) and in a post that praises.
REPORT_WEIGHT: float = 0.0
BACKGROUND_WEIGHT: float = 0.3
BACKGROUND_PRAISE: float = 1.5  # the praise (sum of positive valences) that makes a background
# Sarcastic praise keeps this share of its strength, reversed.
IRONY_SCALAR: float = -0.74
# The blame (sum of negative valences) a post needs before an exclamation of praise in it
# counts as sarcasm; a complaint cue counts as this much.
IRONY_EVIDENCE: float = 1.0
_SENTENCE_END = frozenset(".!?…")
_RESOLVER_REACH = 5  # "probleem was binnen een kwartier verholpen"
_CUE_REACH = 3  # words around a conditional cue ("weer", "again") that make it a complaint


def check_cues(
    rules: Rules, units: list[Unit], valences: list[float], negated: Callable[[int], bool]
) -> None:
    """Drop negated cues ("no chasing needed") and conditional cues that stand apart from
    any complaint ("de auto stond weer klaar", "they meet again on Monday")."""
    for i, unit in enumerate(units):
        if not unit.cue:
            continue
        if negated(i):
            unit.cue = False
        elif unit.entry in rules.conditional_cues and not _near_complaint(units, valences, i):
            unit.cue = False
            valences[i] = 0.0


def _near_complaint(units: list[Unit], valences: list[float], i: int) -> bool:
    """Whether a unit opens its sentence or has a negative word near it in its clause."""
    opens = i == 0 or (
        units[i - 1].kind == PUNCT and not _SENTENCE_END.isdisjoint(units[i - 1].text)
    )
    if opens:
        return True
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(units) and abs(j - i) <= _CUE_REACH and units[j].kind != PUNCT:
            if valences[j] < 0.0:
                return True
            j += step
    return False


def add_waits(rules: Rules, units: list[Unit], valences: list[float]) -> None:
    """Give a duration its wait valence when a wait cue comes before or after it."""
    for i, unit in enumerate(units):
        if unit.lower in rules.time_points:
            if i > 0 and units[i - 1].lower in rules.since:  # "down since Friday"
                valences[i] += WAIT_VALENCE
                unit.cue = True
            continue
        if unit.lower not in rules.time_units:
            continue
        j = i - 1
        counted = j >= 0 and (units[j].kind == NUM or units[j].lower in rules.numbers)
        if counted:
            j -= 1
        before = units[j].lower if j >= 0 and units[j].kind != PUNCT else ""
        after = units[i + 1].lower if i + 1 < len(units) else ""
        # "3 weeks for a screen repair.": a duration that opens a sentence.
        opening = counted and not before and after in rules.wait_opening
        if opening or before in rules.wait_before or _waited_after(rules, units, i):
            valences[i] += WAIT_VALENCE
            unit.cue = True
        elif before in rules.fast_before:
            valences[i] += FAST_VALENCE  # "binnen een kwartier opgelost"


def _waited_after(rules: Rules, units: list[Unit], i: int) -> bool:
    """A wait word follows the duration in its clause: "zes weken op een afspraak wachten"."""
    for j in range(i + 1, min(i + 1 + _WAIT_REACH, len(units))):
        if units[j].kind == PUNCT:
            return False
        if units[j].lower in rules.wait_after:
            return True
    return False


def resolve_problems(
    rules: Rules, units: list[Unit], valences: list[float], negated: Callable[[int], bool]
) -> None:
    """Turn a problem word before a resolver that is not negated into good news."""
    for i, unit in enumerate(units):
        if unit.lower not in rules.resolvers or negated(i):
            continue
        for j in range(i - 1, max(i - 1 - _RESOLVER_REACH, -1), -1):
            if units[j].kind == PUNCT or units[j].lower in rules.conjunctions:
                break  # "I'd given up and gone out": the problem is not what is gone
            if valences[j] < 0.0:
                valences[j] *= RESOLVED_SCALAR
                break


def weigh_in_context(rules: Rules, units: list[Unit], valences: list[float], text: str) -> None:
    """Questions, news, background events and irony (see the module docstring)."""
    cue = any(u.cue for u in units)
    sentences = _sentences(units)
    _weigh_questions(rules, units, valences, sentences)
    _turn_irony(rules, units, valences, cue, sentences)
    _weigh_events(rules, units, valences, text, cue)


def _sentences(units: list[Unit]) -> list[tuple[int, int, bool]]:
    """(start, end, is a question) of each sentence; the end is exclusive."""
    sentences = []
    start = 0
    for i, unit in enumerate(units):
        if unit.kind == PUNCT and not _SENTENCE_END.isdisjoint(unit.text):
            sentences.append((start, i, "?" in unit.text))
            start = i + 1
    if start < len(units):
        sentences.append((start, len(units), False))
    return sentences


def _weigh_questions(
    rules: Rules, units: list[Unit], valences: list[float], sentences: list[tuple[int, int, bool]]
) -> None:
    for start, end, question in sentences:
        if not question:
            continue
        asks = not any(units[j].cue for j in range(start, end))
        for j in range(start, end):
            value = valences[j]
            if value > 0.0:
                valences[j] = value * QUESTION_POSITIVE_WEIGHT
            elif value < 0.0 and asks:
                if units[j].entry in rules.topics:
                    valences[j] = value * REPORT_WEIGHT  # "what if my flight is cancelled?"
                elif -value <= QUESTION_WEAK_NEGATIVE:
                    valences[j] = value * QUESTION_NEGATIVE_WEIGHT


def _weigh_events(
    rules: Rules, units: list[Unit], valences: list[float], text: str, cue: bool
) -> None:
    # Event words as listed; a negated one ("geen klachten") is a judgement, not news.
    events = [
        i
        for i, u in enumerate(units)
        if u.entry in rules.topics and valences[i] * (u.valence or 0.0) > 0.0
    ]
    if not events or cue:
        return
    people = rules.first_person | rules.second_person
    writer = (
        "!" in text
        or any(u.lower in people for u in units)
        or any(u.kind == EMOJI and valences[i] < 0.0 for i, u in enumerate(units))
        or any(u.entry in rules.irony for u in units)
    )
    if not writer:
        for i in events:  # news: "StreamBox raises prices", "digitaal blijft gratis"
            valences[i] *= REPORT_WEIGHT
    elif sum(v for v in valences if v > 0.0) >= BACKGROUND_PRAISE:
        for i in events:  # "kept everyone informed during the delay"
            if valences[i] < 0.0:
                valences[i] *= BACKGROUND_WEIGHT


def _turn_irony(
    rules: Rules,
    units: list[Unit],
    valences: list[float],
    cue: bool,
    sentences: list[tuple[int, int, bool]],
) -> None:
    praise = [i for i, value in enumerate(valences) if value > 0.0]
    if not praise:
        return
    marked = any(u.entry in rules.irony for u in units) or any(units[i].quoted for i in praise)
    if marked:
        for i in praise:
            valences[i] *= IRONY_SCALAR
        return
    suspects, alone = _sarcasm_suspects(rules, units, valences, sentences)
    if not suspects:
        return
    other_praise = sum(valences[i] for i in praise if i not in suspects)
    # Events are background to praise of something else: "shout out to the fraud team, they
    # caught a dodgy payment … Brilliant." is no sarcasm.
    background = other_praise >= BACKGROUND_PRAISE
    blame = IRONY_EVIDENCE if cue else 0.0
    for unit, value in zip(units, valences, strict=True):
        if value < 0.0:
            topic = background and unit.entry in rules.topics
            blame -= value * BACKGROUND_WEIGHT if topic else value
    if not cue and blame < 2 * IRONY_EVIDENCE:
        # A closing "Brilliant." after a problem that got solved is mostly meant: a word
        # alone is sarcasm only in a post that complains clearly.
        suspects -= alone
    if suspects and blame >= IRONY_EVIDENCE and blame > other_praise:
        for i in suspects:
            valences[i] *= IRONY_SCALAR


def _sarcasm_suspects(
    rules: Rules, units: list[Unit], valences: list[float], sentences: list[tuple[int, int, bool]]
) -> tuple[set[int], set[int]]:
    """Praise that is sarcasm if the rest of the post complains, and the part of it that is
    a sarcasm-prone word alone in a sentence after the first ("… Classy.")."""
    suspects: set[int] = set()
    alone: set[int] = set()
    # Found once per post, not per sentence: most posts have none.
    weak = [
        j
        for j, u in enumerate(units)
        if u.entry in rules.weak_irony and valences[j] == 0.0 and u.kind not in (PUNCT, EMOJI)
    ]
    for number, (start, end, _) in enumerate(sentences):
        words = [j for j in range(start, end) if units[j].kind not in (PUNCT, EMOJI)]
        if any(start <= j < end for j in weak):
            # "Great start to the week", "brilliant timing": the sentence is the sarcasm.
            suspects.update(j for j in words if valences[j] > 0.0)
        for n, j in enumerate(words):
            if valences[j] <= 0.0:
                continue
            after = units[j + 1] if j + 1 < len(units) else None
            # "Great, …", "Lovely. …", "Oh good, …" opening a post; a closing "Topper!" or
            # "Legends." is mostly meant.
            opened = n == 1 and units[words[0]].lower in rules.irony_openers
            exclaimed = (
                number == 0
                and (n == 0 or opened)
                and (after is None or after.kind == PUNCT or after.lower in rules.irony_particles)
            )
            solo = len(words) == 1 and units[j].entry in rules.solo_irony  # "Classy."
            if solo and not exclaimed:
                alone.add(j)
            if (
                solo
                or units[j].entry in rules.weak_irony
                or (
                    not units[j].phrase
                    and (exclaimed or (after is not None and after.lower in rules.irony_particles))
                )
            ):
                suspects.add(j)
    return suspects, alone
