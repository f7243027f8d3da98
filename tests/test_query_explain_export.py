"""`Query.explain` (for `smo queries test`) and `export` to Brandwatch and Talkwalker syntax."""

from __future__ import annotations

import re

import pytest

from smo_cli.errors import InvalidData
from smo_cli.query import Document, export, parse

BRAND = '(acme OR "acme fietsen" OR #acme) AND NOT (vacature OR job*)'


def test_explain_lists_the_terms_found_in_query_order() -> None:
    query = parse(BRAND)
    assert query.explain(Document("#Acme fietsen: Acme fietsen zijn top")) == [
        "acme", '"acme fietsen"', "#acme"]


def test_explain_shows_exclusions_that_fired() -> None:
    query = parse(BRAND)
    doc = Document("Acme zoekt jobhunters, bekijk de vacature")
    assert not query.matches(doc)
    assert query.explain(doc) == ["acme", "NOT vacature", "NOT job*"]


def test_explain_names_fields_and_whole_proximity_terms() -> None:
    query = parse("title:(acme OR fiets) AND acme NEAR/2f storing AND site:acme.nl AND lang:nl")
    doc = Document("acme heeft een storing", title="Acme", url="https://www.acme.nl/", lang="nl")
    assert query.explain(doc) == ["title:acme", "acme NEAR/2f storing", "site:acme.nl", "lang:nl"]


def test_explain_of_a_mention_that_shares_nothing_is_empty() -> None:
    assert parse(BRAND).explain(Document("iets heel anders")) == []


@pytest.mark.parametrize(
    ("query", "brandwatch", "talkwalker"),
    [
        (BRAND,
         '(acme OR "acme fietsen" OR #acme) NOT (vacature OR job*)',
         '(acme OR "acme fietsen" OR #acme) AND NOT (vacature OR job*)'),
        ("acme NEAR/3f fiets* AND lang:nl AND site:acme.nl",
         "acme NEAR/3f fiets* AND language:nl AND site:acme.nl",
         "acme ONEAR/3 fiets* AND lang:nl AND site:acme.nl"),
        ('(acme OR globex) NEAR/5 (storing OR "slechte service")',
         '(acme OR globex) NEAR/5 (storing OR "slechte service")',
         '(acme OR globex) NEAR/5 (storing OR "slechte service")'),
        ('title:(acme OR fiets) AND author:"Piet Janssen" AND hashtag:acme',
         '(title:acme OR title:fiets) AND author:"Piet Janssen" AND #acme',
         '(title:acme OR title:fiets) AND author:"Piet Janssen" AND #acme'),
        ('"acme fiets"~4 OR ac?e OR a AND b OR c',
         '"acme fiets"~4 OR ac?e OR (a AND b) OR c',
         '"acme fiets"~4 OR ac?e OR (a AND b) OR c'),
        ("a AND b AND NOT c AND NOT (d OR e)",
         "(a AND b) NOT c NOT (d OR e)",
         "a AND b AND NOT c AND NOT (d OR e)"),
        ("(a OR b) AND NOT title:spam",
         "(a OR b) NOT title:spam",
         "(a OR b) AND NOT title:spam"),
    ],
)
def test_export_writes_the_suites_own_syntax(query: str, brandwatch: str, talkwalker: str) -> None:
    assert export(parse(query), "brandwatch") == brandwatch
    assert export(parse(query), "talkwalker") == talkwalker


def test_brandwatch_keeps_case_sensitive_braces_and_url_prefixes() -> None:
    assert export(parse("{Acme} OR url:acme.nl/news"), "brandwatch") == "{Acme} OR url:acme.nl/news"
    assert export(parse("title:(acme NEAR/2 fiets)"), "brandwatch") == "title:(acme NEAR/2 fiets)"


@pytest.mark.parametrize(
    ("query", "dialect", "message"),
    [
        ("{Acme}", "talkwalker", "case-sensitive {Acme} has no equivalent in Talkwalker"),
        ("url:acme.nl/news", "talkwalker", "url:acme.nl/news has no equivalent in Talkwalker"),
        ("a*me", "talkwalker", "a * inside a word (a*me) has no equivalent in Talkwalker"),
        ("title:(a NEAR/2 b)", "talkwalker", "NEAR inside title: has no equivalent in Talkwalker"),
        ("acme AND source:blog", "brandwatch",
         "source:blog (the sources are smo's own) has no equivalent in Brandwatch"),
        ("acme AND source:blog", "talkwalker",
         "source:blog (the sources are smo's own) has no equivalent in Talkwalker"),
        ("NOT acme", "brandwatch", "Brandwatch cannot exclude with NOT acme here"),
        ("NOT a AND NOT b", "brandwatch",
         "Brandwatch needs at least one term that is not excluded"),
        ("a OR NOT b", "brandwatch", "Brandwatch cannot exclude with NOT b here"),
    ],
)
def test_export_refuses_what_the_suite_cannot_say(query: str, dialect: str, message: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(message)):
        export(parse(query), dialect)


def test_talkwalker_accepts_a_lone_exclusion() -> None:
    assert export(parse("NOT acme"), "talkwalker") == "NOT acme"


def test_export_to_an_unknown_dialect_names_the_known_ones() -> None:
    with pytest.raises(InvalidData, match="choose brandwatch or talkwalker"):
        export(parse("acme"), "meltwater")
