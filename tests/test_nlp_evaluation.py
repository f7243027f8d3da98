"""Held-out evaluation of sentiment and language detection, so that a regression fails the suite.

Method. The analyser's lexicons, rules and thresholds were tuned only on the development
samples: tests/data/sentiment_dev_{en,nl}.tsv (150 posts each) and
tests/data/sentiment_dev2_{en,nl}.tsv (about 470 posts each), all written for this purpose.
Two held-out samples (240 posts each, a third per label, ``label<TAB>text``) were written
independently by other engineers:

- ``sentiment_{en,nl}.tsv`` ("first"): opened once after the first version of the analyser,
  and afterwards used for an error analysis whose categories (irony, complaints without
  sentiment words, idioms, news about problems) the second version targets. It is therefore
  less clean than the second set: its numbers flatter the analyser.
- ``sentiment_heldout2_{en,nl}.tsv`` ("second"): written while the second version was being
  built, never read or discussed by its author. It is the honest measure.

Both were scored once, after the second version and its thresholds were final; nothing was
tuned afterwards. Each post is scored with the language of its file given, as a source that
declares its language would give it.

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
from typing import NamedTuple

import pytest

from smo_cli.nlp import detect_language, sentiment

DATA = Path(__file__).parent / "data"
LABELS = ("positive", "neutral", "negative")


class Floors(NamedTuple):
    """The measured values of one held-out set, rounded down to two decimals."""

    en_macro_f1: float
    nl_pos_neg_accuracy: float
    nl_macro_f1: float
    language_accuracy: dict[str, float]


# Measured once on each held-out set (see the module docstring). The targets are
# English macro-F1 >= 0.85 and Dutch positive/negative accuracy >= 0.80; the floors say what
# was reached, not the target. Before the second version (for comparison): first set 0.7788,
# 0.7625, 0.8146; second set 0.6395, 0.6312, 0.7036.
FLOORS = {
    "first": Floors(
        en_macro_f1=0.81,  # measured 0.8124
        nl_pos_neg_accuracy=0.88,  # measured 0.8812
        nl_macro_f1=0.90,  # measured 0.9036
        language_accuracy={"en": 0.99, "nl": 1.00},  # measured 0.9958 (239/240), 1.0000
    ),
    "second": Floors(
        en_macro_f1=0.76,  # measured 0.7633
        nl_pos_neg_accuracy=0.76,  # measured 0.7625
        nl_macro_f1=0.80,  # measured 0.8035
        language_accuracy={"en": 0.99, "nl": 0.99},  # measured 0.9958 (239/240), 0.9917
    ),
}
FILES = {"first": "sentiment_{lang}.tsv", "second": "sentiment_heldout2_{lang}.tsv"}
SETS = sorted(FILES)


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


def held_out(which: str, lang: str) -> list[tuple[str, str]]:
    return load_sample(FILES[which].format(lang=lang))


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


@pytest.mark.parametrize("which", SETS)
def test_english_macro_f1_on_held_out_sample(which: str) -> None:
    pairs = predict(held_out(which, "en"), "en")
    assert macro_f1(pairs) >= FLOORS[which].en_macro_f1


@pytest.mark.parametrize("which", SETS)
def test_dutch_positive_negative_accuracy_on_held_out_sample(which: str) -> None:
    pairs = predict(held_out(which, "nl"), "nl")
    assert polar_accuracy(pairs) >= FLOORS[which].nl_pos_neg_accuracy


@pytest.mark.parametrize("which", SETS)
def test_dutch_macro_f1_on_held_out_sample(which: str) -> None:
    pairs = predict(held_out(which, "nl"), "nl")
    assert macro_f1(pairs) >= FLOORS[which].nl_macro_f1


@pytest.mark.parametrize("which", SETS)
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_language_detection_on_held_out_samples(which: str, lang: str) -> None:
    accuracy = language_accuracy(held_out(which, lang), lang)
    assert accuracy >= FLOORS[which].language_accuracy[lang]


def test_metrics_are_computed_as_documented() -> None:
    pairs = [("positive", "positive"), ("negative", "neutral"), ("neutral", "neutral")]
    assert polar_accuracy(pairs) == 0.5
    # positive F1 1.0; neutral P 0.5 R 1.0 → 0.667; negative 0.0.
    assert macro_f1(pairs) == pytest.approx((1.0 + 2 / 3 + 0.0) / 3)
