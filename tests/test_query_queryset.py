"""QuerySet: the prefilter skips queries, yet answers exactly as evaluating every query would."""

from __future__ import annotations

import random

import pytest

from smo_cli.query import Document, Prepared, Query, QuerySet, parse, with_exclude
from smo_cli.query.prefilter import Screened, need

WORDS = ["acme", "Acme", "ACME", "acmeville", "café", "Cafe", "müller", "fiets", "fietsen",
         "e-bike", "bike", "zo'n", "'s-Hertogenbosch", "auto's", "auto", "globex", "storing",
         "klacht", "de", "the", "x", "ijs", "Straße"]
QUERY_ONLY = ["#acme", "@acme", "👍", "acme.nl", "#fiets"]
TEXT_ONLY = ["#acme", "#AcmeFiets", "@acme", "@acme@mastodon.social", "https://www.acme.nl/x",
             "👍🏽", "acme.nl", "info@acme.nl", "zo’n", "ĳs", "CAFÉ", "e bike", "@Acme"]
VALUES = ["site:acme.nl", "site:globex.com", "lang:nl", "lang:en", "source:rss", "url:acme.nl/x",
          "hashtag:acme", "hashtag:fiet*", "source:intranet"]


def _word(rng: random.Random) -> str:
    word = rng.choice(WORDS + QUERY_ONLY)
    if word.isalpha() and len(word) > 1:
        roll = rng.random()
        if roll < 0.2:
            word = word[: rng.randint(1, len(word) - 1)] + "*"
        elif roll < 0.3:
            spot = rng.randint(1, len(word) - 1)
            word = word[:spot] + "?" + word[spot + 1:]
        elif roll < 0.4:
            word = "{" + word + "}"
    return word


def _positional(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return _word(rng)
    plain = [w for w in WORDS if w.isalpha()]
    if roll < 0.8:
        phrase = " ".join(rng.choice(plain) for _ in range(rng.randint(2, 3)))
        return f'"{phrase}"' + (f"~{rng.randint(0, 3)}" if rng.random() < 0.5 else "")
    return f"({_word(rng)} OR {_word(rng)})"


def _expression(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth == 0 or roll < 0.3:
        leaf = rng.random()
        if leaf < 0.6:
            return _positional(rng)
        if leaf < 0.8:
            return rng.choice(VALUES)
        return f"{rng.choice(['title', 'author'])}:{_positional(rng)}"
    if roll < 0.5:
        return f"{_expression(rng, depth - 1)} AND {_expression(rng, depth - 1)}"
    if roll < 0.7:
        return f"{_expression(rng, depth - 1)} OR {_expression(rng, depth - 1)}"
    if roll < 0.8:
        return f"NOT {_expression(rng, depth - 1)}"
    if roll < 0.9:
        ordered = "f" if rng.random() < 0.5 else ""
        return f"{_positional(rng)} NEAR/{rng.randint(0, 3)}{ordered} {_positional(rng)}"
    return f"({_expression(rng, depth - 1)})"


def _document(rng: random.Random) -> Document:
    pool = WORDS + TEXT_ONLY + ["lorem", "ipsum", "vandaag", "super"]
    text = " ".join(rng.choice(pool) for _ in range(rng.randint(0, 14)))
    title = " ".join(rng.choice(pool) for _ in range(rng.randint(0, 3)))
    return Document(
        text, title=title,
        author=rng.choice(["", "Piet Janssen", "@acme@mastodon.social", "Acme"]),
        url=rng.choice(["", "https://www.acme.nl/x/1", "https://blog.acme.nl/", "https://globex.com"]),
        lang=rng.choice(["", "nl", "nl-BE", "en"]),
        source=rng.choice(["", "Acme blog", "intranet"]),
        source_kind=rng.choice(["", "rss", "mastodon"]),
        hashtags=rng.choice([(), ("acme",), ("#Fietsen", "x")]),
    )


def _brute_force(queries: dict[str, Query], doc: Document) -> list[str]:
    prepared = Prepared(doc)  # tokenised once; every query evaluated, no prefilter
    return [name for name, query in queries.items() if query.matches(prepared)]


@pytest.mark.parametrize("seed", range(5))
def test_queryset_answers_exactly_as_evaluating_every_query(seed: int) -> None:
    rng = random.Random(seed)
    queries = {f"q{i}": parse(_expression(rng, 3)) for i in range(300)}
    docs = [_document(rng) for _ in range(300)]
    queryset = QuerySet(queries)
    assert len(queryset.unfiltered) < len(queries) // 2  # the prefilter does skip queries
    matched = 0
    for doc in docs:
        expected = _brute_force(queries, doc)
        assert queryset.match(doc) == expected, (doc, expected)
        matched += len(expected)
    assert matched > 0


@pytest.mark.parametrize("seed", range(2))
def test_queryset_exclude_equals_and_not_on_every_query(seed: int) -> None:
    rng = random.Random(100 + seed)
    queries = {f"q{i}": parse(_expression(rng, 2)) for i in range(150)}
    exclude = parse("vandaag OR #acmefiets OR lang:en")
    queryset = QuerySet(queries, exclude=exclude)
    combined = {name: with_exclude(query, exclude) for name, query in queries.items()}
    for _ in range(200):
        doc = _document(rng)
        assert queryset.match(doc) == _brute_force(combined, doc)


@pytest.mark.parametrize("seed", range(3))
def test_a_screened_query_answers_exactly_as_the_query(seed: int) -> None:
    rng = random.Random(200 + seed)
    queries = [parse(_expression(rng, 3)) for _ in range(200)]
    screened = [Screened(query) for query in queries]
    docs = [Prepared(_document(rng)) for _ in range(200)]
    hits = 0
    for doc in docs:
        for query, screen in zip(queries, screened, strict=True):
            expected = query.matches(doc)
            assert screen.matches(doc) == expected, (query, doc.doc)
            hits += expected
    assert hits > 0


def test_queryset_skips_queries_whose_words_are_absent() -> None:
    queryset = QuerySet({"brand": parse("acme OR globex*"), "ceo": parse('"piet janssen"'),
                         "sites": parse("site:acme.nl"), "tag": parse("hashtag:acme")})
    assert queryset.unfiltered == ["sites"]
    assert queryset.candidates(Prepared(Document("iets heel anders"))) == {2}
    assert queryset.candidates(Prepared(Document("Globexcorp en Janssen"))) == {0, 1, 2}
    assert queryset.candidates(Prepared(Document("x", hashtags=("Acme",)))) == {2, 3}
    assert queryset.match(Document("GlobexCorp", url="https://acme.nl")) == ["brand", "sites"]


def test_queryset_accepts_a_document_tokenised_once() -> None:
    prepared = Prepared(Document("Acme fietsen"))
    queryset = QuerySet({"a": parse("acme"), "b": parse("fiets*"), "c": parse("globex")})
    assert queryset.match(prepared) == ["a", "b"]
    assert parse("acme AND fietsen").matches(prepared)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('acme OR "acme fietsen"', {("acme", False)}),
        ('"acme nieuwe fiets"', {("nieuwe", False)}),
        ("acme* AND NOT x", {("acme", True)}),
        ("#acme OR hashtag:fiets", {("#acme", False), ("#fiets", False)}),
        ("title:acme", {("acme", False)}),
        ("author:acme", None),
        ("NOT acme", None),
        ("acme OR site:acme.nl", None),
        ("site:acme.nl AND globex", {("globex", False)}),
        ("de AND acmeville", {("acmeville", False)}),
    ],
)
def test_need_is_the_cheapest_set_of_keys_one_of_which_must_occur(
        query: str, expected: set[tuple[str, bool]] | None) -> None:
    assert need(parse(query).root) == (frozenset(expected) if expected is not None else None)
