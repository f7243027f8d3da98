"""Held-out evaluation of sentiment and language detection, so that a regression fails the suite.

Method. The analyser's lexicons, rules and thresholds were tuned only on the development
samples tests/data/sentiment_dev_{en,nl}.tsv (150 posts each, written for this purpose). The
held-out samples tests/data/sentiment_{en,nl}.tsv (240 posts each, ``label<TAB>text``) were
written independently by another engineer and were opened once, after the analyser and its
thresholds were final; nothing was tuned on them afterwards. Each post is scored with the
language of its file given, as a source that declares its language would give it.

Metrics:
- English: macro-F1 over positive/neutral/negative (the mean of the three per-label F1s).
- Dutch positive/negative accuracy: over the posts labelled positive or negative, the share
  whose predicted label is the same. A post predicted neutral counts as wrong (strict).
- Dutch macro-F1 over the three labels, as for English.
- Language detection without a declared language: the share of each file detected as its
  language (a None answer counts as wrong).

The floors asserted below are the values measured on that single run, rounded down to two
decimals; they may only be raised by a change that measures higher.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from smo_cli.nlp import detect_language, sentiment

DATA = Path(__file__).parent / "data"
LABELS = ("positive", "neutral", "negative")

# Measured once on the held-out files (see the module docstring), rounded down. The issue's
# targets are English macro-F1 >= 0.85 and Dutch positive/negative accuracy >= 0.80; the
# measured 0.7788 and 0.7625 miss them, and the floors say what was reached, not the target.
EN_MACRO_F1_FLOOR = 0.77  # measured 0.7788
NL_POS_NEG_ACCURACY_FLOOR = 0.76  # measured 0.7625 (0.7750 when forced to pos/neg by sign)
NL_MACRO_F1_FLOOR = 0.81  # measured 0.8146
LANGUAGE_ACCURACY_FLOOR = {"en": 0.99, "nl": 1.00}  # measured 0.9958 (239/240), 1.0000


def load_sample(name: str) -> list[tuple[str, str]]:
    """(label, text) pairs of a ``label<TAB>text`` file; blank and # lines are skipped."""
    pairs = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        label = label.strip().lower()
        if label == "label":  # a header line
            continue
        assert label in LABELS, f"{name}: unknown label {label!r}"
        pairs.append((label, text))
    return pairs


def predict(sample: Sequence[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """(gold, predicted) label pairs."""
    return [(gold, sentiment(text, lang).label) for gold, text in sample]


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(1 for gold, got in pairs if gold == label and got == label)
        fp = sum(1 for gold, got in pairs if gold != label and got == label)
        fn = sum(1 for gold, got in pairs if gold == label and got != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def polar_accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    polar = [(gold, got) for gold, got in pairs if gold != "neutral"]
    return sum(gold == got for gold, got in polar) / len(polar)


def language_accuracy(sample: Sequence[tuple[str, str]], lang: str) -> float:
    return sum(detect_language(text) == lang for _, text in sample) / len(sample)


@pytest.fixture(scope="module")
def english() -> list[tuple[str, str]]:
    return load_sample("sentiment_en.tsv")


@pytest.fixture(scope="module")
def dutch() -> list[tuple[str, str]]:
    return load_sample("sentiment_nl.tsv")


def test_english_macro_f1_on_held_out_sample(english: list[tuple[str, str]]) -> None:
    assert macro_f1(predict(english, "en")) >= EN_MACRO_F1_FLOOR


def test_dutch_positive_negative_accuracy_on_held_out_sample(
    dutch: list[tuple[str, str]],
) -> None:
    assert polar_accuracy(predict(dutch, "nl")) >= NL_POS_NEG_ACCURACY_FLOOR


def test_dutch_macro_f1_on_held_out_sample(dutch: list[tuple[str, str]]) -> None:
    assert macro_f1(predict(dutch, "nl")) >= NL_MACRO_F1_FLOOR


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_language_detection_on_held_out_samples(lang: str) -> None:
    sample = load_sample(f"sentiment_{lang}.tsv")
    assert language_accuracy(sample, lang) >= LANGUAGE_ACCURACY_FLOOR[lang]


def test_metrics_are_computed_as_documented() -> None:
    pairs = [("positive", "positive"), ("negative", "neutral"), ("neutral", "neutral")]
    assert polar_accuracy(pairs) == 0.5
    # positive F1 1.0; neutral P 0.5 R 1.0 → 0.667; negative 0.0.
    assert macro_f1(pairs) == pytest.approx((1.0 + 2 / 3 + 0.0) / 3)
