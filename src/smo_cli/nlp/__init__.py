"""Offline language detection and sentiment for short social posts (pure logic, no I/O).

    detect_language(text, declared=None) -> "nl" | "en" | ... | None
    sentiment(text, lang) -> Sentiment(label="positive" | "neutral" | "negative", score)

Both load their data files from the package on first use, not on import. The sentiment code
lives in ``polarity.py`` so that the module does not share its name with the function.
"""

from __future__ import annotations

from smo_cli.nlp.language import detect_language, normalise_language
from smo_cli.nlp.polarity import Sentiment, sentiment

__all__ = ["Sentiment", "detect_language", "normalise_language", "sentiment"]
