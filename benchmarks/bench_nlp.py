"""Speed of language detection + sentiment on short posts, as the listening pipeline uses them.

Classifies every post of the development samples (tests/data/sentiment_dev_*.tsv) with
``detect_language`` then ``sentiment``, after one warm-up pass, and reports the mean time per
post against the 1 ms budget, plus the one-off costs: importing ``smo_cli.nlp`` and the first
call of each language (which loads its data files). Informs, never fails: exits 0.

    .venv/bin/python benchmarks/bench_nlp.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 1.0


def _posts() -> list[str]:
    posts: list[str] = []
    for lang in ("en", "nl"):
        path = ROOT / "tests" / "data" / f"sentiment_dev_{lang}.tsv"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                posts.append(line.split("\t", 1)[1])
    return posts


def _import_ms() -> float:
    code = (
        "import time; t = time.perf_counter(); import smo_cli.nlp; print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    print(f"import smo_cli.nlp: {_import_ms():.1f} ms (median of 5 fresh interpreters)")
    from smo_cli.nlp import detect_language, sentiment

    start = time.perf_counter()
    detect_language("Dit is een korte Nederlandse zin over de klantenservice.")
    print(f"first detect_language (loads n-gram profiles): {_ms(start):.1f} ms")
    for lang, text in (("en", "Great service, thanks!"), ("nl", "Top service, bedankt!")):
        start = time.perf_counter()
        sentiment(text, lang)
        print(f"first sentiment({lang!r}) (loads its lexicon): {_ms(start):.1f} ms")

    posts = _posts()
    for text in posts:  # warm-up: per-word caches fill as they would in a long run
        sentiment(text, detect_language(text))
    per_post = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for text in posts:
            sentiment(text, detect_language(text))
        per_post.append((time.perf_counter() - start) / len(posts) * 1000)
    mean = statistics.mean(per_post)
    verdict = "PASS" if mean < BUDGET_MS else "FAIL"
    print(
        f"detect_language + sentiment: {mean * 1000:.0f} µs per post on average "
        f"({len(posts)} posts, {args.rounds} rounds; best round {min(per_post) * 1000:.0f} µs)"
        f" — budget {BUDGET_MS:.0f} ms: {verdict}"
    )


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    main()
