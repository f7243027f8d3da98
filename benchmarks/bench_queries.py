"""Benchmark 4 of issue 3: 1,000 queries over 100,000 mentions, QuerySet vs one regex per query.

The figure is the wall-clock time of `QuerySet.match` over every mention (tokenising included).
The baseline, measured in the same run, is what one would write without a query engine: each
query's positive terms translated into one compiled alternation regex with word boundaries
(`re.IGNORECASE`), and `re.search` of every regex on every mention. It ignores NOT and NEAR, which
only makes it faster than a faithful one. Its full run would take minutes, so it is timed on a
fixed random sample of the mentions and scaled up; the output says so. Before timing, the
QuerySet's answers are checked against evaluating every query on a sample (they must be equal).

    .venv/bin/python benchmarks/bench_queries.py [--queries 1000] [--mentions 100000]

From run.py: `import bench_queries` (benchmarks/ is on sys.path when run.py runs) and call
`bench_queries.main([])`. Prints PASS/FAIL against a 20x speed-up target and returns 0.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from smo_cli.query import Document, Query, QuerySet, parse
from smo_cli.query.ast import Node, Not, Phrase, Term, Word, walk

TARGET_SPEEDUP = 20.0
SEED = 20240604

_SYLLABLES = ["ve", "lo", "ra", "bri", "xo", "kan", "du", "zel", "mi", "tor", "qua", "fen", "ly",
              "sta", "rin", "bo", "gal", "nex", "tri", "vo", "an", "ko", "mur", "pi", "sen", "dal"]
_FIRST = ["Jan", "Sanne", "Emma", "Daan", "Lotte", "Pieter", "Fleur", "Thijs", "Noor", "Bram",
          "Sophie", "Ruben", "Anouk", "Lars", "Eva", "Mark", "Julia", "Tom", "Lisa", "Koen"]
_LAST = ["de Vries", "Bakker", "Jansen", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Bos",
         "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Wit", "Kok", "Verhoeven"]
_PRODUCTS = ["fiets", "e-bike", "app", "abonnement", "laptop", "koffie", "verzekering", "update",
             "scooter", "helm", "accu", "bril", "telefoon", "sneakers", "rugzak", "thermostaat"]
_TOPICS = ["service", "klantenservice", "storing", "klacht", "prijs", "levering", "review",
           "delivery", "refund", "support", "outage", "price", "garantie", "retour"]
_EXCLUDES = ["vacature", "vacatures", "job", "jobs", "hiring", "stage", "sollicit*"]
_FILLER_NL = str.split(
    "vandaag eindelijk mijn nieuwe bestelling binnen echt super blij met de kwaliteit wat een "
    "gedoe weer met de trein naar utrecht iemand tips voor een goed restaurant in "
    "'s-Hertogenbosch zo'n mooie dag aan het strand café open tot laat weekend lekker rustig "
    "thuis gewerkt vergadering verschoven koffie op en door")
_FILLER_EN = str.split(
    "just got my new order and honestly really happy with the quality what a mess again with "
    "the train anyone got tips for a good place to eat tonight such a nice day at the beach "
    "working from home meeting moved coffee break then back to work love this so much can't "
    "wait for the weekend")
_EXTRAS = ["#maandag", "#weekend", "#tech", "@jan_smit", "@sanne@mastodon.social",
           "https://t.co/x8Kq2", "https://www.nu.nl/economie/123", "👍", "🚲", "😂", "🙌🏽"]


@dataclass(frozen=True)
class Workload:
    queries: dict[str, Query]
    mentions: list[Document]


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if name not in taken and len(name) >= 5:
            taken.add(name)
            return name


def _query(rng: random.Random, kind: int, brand: str, taken: set[str]) -> str:
    lower = brand.lower()
    product = rng.choice(_PRODUCTS)
    if kind < 4:  # brand
        excluded = " OR ".join(rng.sample(_EXCLUDES, 3))
        return f'({brand} OR "{brand} {product}" OR #{lower} OR @{lower}) AND NOT ({excluded})'
    if kind < 6:  # product
        return f'{lower} NEAR/3 ({product} OR {rng.choice(_PRODUCTS)}) OR "{lower} {product}"~2'
    if kind < 8:  # person
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        return f'"{first} {last} {brand}" OR ({lower} AND {first} NEAR/2f "{last}")'
    rivals = [lower, _name(rng, taken).lower(), _name(rng, taken).lower()]
    topics = " OR ".join(rng.sample(_TOPICS, 3))
    return f"({rivals[0]}* OR {rivals[1]} OR {rivals[2]}*) AND ({topics})"


def build_workload(queries: int, mentions: int) -> Workload:
    rng = random.Random(SEED)
    taken: set[str] = set()
    brands = [_name(rng, taken) for _ in range(queries)]
    texts = {f"q{i:04d}": _query(rng, i % 10, brand, taken) for i, brand in enumerate(brands)}
    parsed = {name: parse(text) for name, text in texts.items()}
    docs: list[Document] = []
    for i in range(mentions):
        filler = _FILLER_NL if i % 2 else _FILLER_EN
        words = rng.sample(filler, rng.randint(8, 20))
        if rng.random() < 0.05:  # a mention about one of the brands
            brand = rng.choice(brands)
            spot = rng.randrange(len(words))
            forms = [brand, brand.lower(), f"#{brand}", f"@{brand.lower()}"]
            words[spot:spot] = [rng.choice(forms), rng.choice(_PRODUCTS + _TOPICS)]
        if rng.random() < 0.4:
            words.append(rng.choice(_EXTRAS))
        docs.append(Document(" ".join(words), lang="nl" if i % 2 else "en", source="bench"))
    return Workload(parsed, docs)


# --- the baseline: one regex per query --------------------------------------------------------

def _word_regex(word: Word) -> str:
    return "".join(r"\w*" if c == "*" else r"\w" if c == "?" else re.escape(c) for c in word.raw)


def _positive_leaves(node: Node) -> list[Term | Phrase]:
    """Terms and phrases not under a NOT (NEAR and OR contribute their words)."""
    excluded = {id(n) for top in walk(node) if isinstance(top, Not) for n in walk(top.child)}
    return [n for n in walk(node) if isinstance(n, Term | Phrase) and id(n) not in excluded]


def baseline_regex(query: Query) -> re.Pattern[str]:
    alternatives = []
    for leaf in _positive_leaves(query.root):
        words = (leaf.word,) if isinstance(leaf, Term) else leaf.words
        alternatives.append(r"[\W_]+".join(_word_regex(word) for word in words))
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


# --- measuring ----------------------------------------------------------------------------------

def _time_queryset(queryset: QuerySet, docs: Sequence[Document]) -> tuple[float, int]:
    started = time.perf_counter()
    matched = sum(1 for doc in docs if queryset.match(doc))
    return time.perf_counter() - started, matched


def _time_baseline(regexes: Sequence[re.Pattern[str]], docs: Sequence[Document]) -> float:
    started = time.perf_counter()
    for doc in docs:
        text = doc.text
        for regex in regexes:
            regex.search(text)
    return time.perf_counter() - started


def _check_exact(queryset: QuerySet, workload: Workload, docs: Sequence[Document]) -> None:
    for doc in docs:
        expected = [name for name, query in workload.queries.items() if query.matches(doc)]
        if queryset.match(doc) != expected:
            raise SystemExit(f"QuerySet disagrees with brute force on {doc.text!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000,
                        help="mentions the baseline is timed on (then scaled)")
    args = parser.parse_args(argv)

    workload = build_workload(args.queries, args.mentions)
    rng = random.Random(SEED + 1)
    started = time.perf_counter()
    queryset = QuerySet(workload.queries)
    build_ms = (time.perf_counter() - started) * 1000
    _check_exact(queryset, workload, rng.sample(workload.mentions, 300))

    regexes = [baseline_regex(query) for query in workload.queries.values()]
    sample = rng.sample(workload.mentions, min(args.baseline_sample, len(workload.mentions)))
    scale = len(workload.mentions) / len(sample)
    baseline_s = _time_baseline(regexes, sample) * scale
    figure_s, matched = _time_queryset(queryset, workload.mentions)

    speedup = baseline_s / figure_s
    verdict = "PASS" if speedup >= TARGET_SPEEDUP else "FAIL"
    print(f"\n{len(workload.queries):,} queries over {len(workload.mentions):,} mentions "
          f"({matched:,} matched at least one query)")
    print(f"  command:  QuerySet.match per mention ({len(queryset.unfiltered)} queries without a "
          f"prefilter; built in {build_ms:.0f} ms)")
    print(f"  baseline: one compiled re per query, re.search per mention per query, timed on "
          f"{len(sample):,} mentions and scaled x{scale:g}")
    print(f"  figure {figure_s * 1000:9.1f} ms   baseline {baseline_s * 1000:9.1f} ms   "
          f"speed-up {speedup:5.1f}x   target >= {TARGET_SPEEDUP:.0f}x   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
