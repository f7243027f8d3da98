"""Matching queries against mentions: operators, wildcards, proximity, fields, accents, Dutch."""

from __future__ import annotations

import pytest

from smo_cli.query import Document, parse, with_exclude
from smo_cli.query.text import tokenise


def matches(query: str, text: str = "", **fields: str | tuple[str, ...]) -> bool:
    return parse(query).matches(Document(text, **fields))  # type: ignore[arg-type]


# --- words and Boolean operators ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [("Acme", True), ("ACME!", True), ("bij acme.", True), ("Acme's nieuwe fiets", True),
     ("(acme)", True), ("acmeville", False), ("supacme", False), ("ac me", False)],
)
def test_a_word_matches_whole_words_only_in_any_case(text: str, expected: bool) -> None:
    assert matches("acme", text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme AND fiets", "acme fiets", True),
        ("acme AND fiets", "acme", False),
        ("acme OR fiets", "fiets", True),
        ("acme OR fiets", "auto", False),
        ("acme AND NOT fiets", "acme auto", True),
        ("acme AND NOT fiets", "acme fiets", False),
        ("NOT fiets", "acme", True),
        ("a OR b AND c", "a", True),
        ("(a OR b) AND c", "a", False),
        ("(a OR b) AND c", "b c", True),
        ("NOT a AND b", "b", True),
        ("NOT (a OR b) AND c", "b c", False),
    ],
)
def test_boolean_operators_combine_terms(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_with_exclude_applies_the_workspace_exclude_as_and_not() -> None:
    query = with_exclude(parse("acme OR fiets"), parse("vacature OR hiring"))
    assert query.matches(Document("acme fiets"))
    assert not query.matches(Document("acme vacature"))
    assert with_exclude(parse("acme"), None) == parse("acme")


# --- wildcards ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme*", "acme", True),
        ("acme*", "Acmeville", True),
        ("acme*", "superacme", False),
        ("ac?e", "acme", True),
        ("ac?e", "acne", True),
        ("ac?e", "ace", False),
        ("ac?e", "acmme", False),
        ("a*e", "acme", True),
        ("a*e", "ae", True),
        ("colo?r", "colour", True),
        ("acme*fiets", "acme fiets", False),
        ('"acme fiet*"', "de acme fietsen", True),
        ("#acme*", "#AcmeFietsen", True),
        ("#acme*", "acmefietsen", False),
    ],
)
def test_wildcards_match_within_one_word(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


# --- phrases and proximity ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ('"acme fiets"', "de acme fiets is top", True),
        ('"acme fiets"', "de fiets van acme", False),
        ('"acme fiets"', "acme mooie fiets", False),
        ('"acme fiets"~0', "fiets acme", True),
        ('"acme fiets"~2', "fiets is nu acme", True),
        ('"acme fiets"~2', "fiets is echt niet acme", False),
        ('"acme nieuwe fiets"~1', "fiets acme mooie nieuwe", True),
        ('"very very"~3', "very good", False),
        ('"very very"~3', "very very good", True),
    ],
)
def test_phrases_match_in_order_or_within_a_window(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme NEAR/2 fiets", "acme is de fiets", True),
        ("acme NEAR/2 fiets", "fiets van de acme", True),
        ("acme NEAR/1 fiets", "fiets van de acme", False),
        ("acme NEAR/0 fiets", "fiets acme", True),
        ("acme NEAR/0 fiets", "fiets x acme", False),
        ("acme NEAR/3f fiets", "acme is de fiets", True),
        ("acme NEAR/3f fiets", "fiets van de acme", False),
        ("acme NEAR/2 acme", "acme", False),
        ("acme NEAR/2 acme", "acme en acme", True),
        ('"acme fiets" NEAR/1f kapot', "acme fiets is kapot", True),
        ('"acme fiets" NEAR/1f kapot', "acme fiets is echt kapot", False),
        ("(acme OR globex) NEAR/2 (storing OR klacht)", "klacht over globex", True),
        ("(acme OR globex) NEAR/2 (storing OR klacht)", "klacht over de winkel van globex", False),
        ("acme NEAR/1 fiets NEAR/1 kapot", "acme fiets kapot", True),
        ("acme NEAR/1 fiets NEAR/1 kapot", "acme fiets heel erg kapot", False),
        ("e-bike NEAR/1f accu", "e-bike met accu", True),
    ],
)
def test_near_counts_the_words_in_between_in_any_or_fixed_order(
        query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_near_on_a_huge_document_stays_fast() -> None:
    text = " ".join(["acme"] * 50_000)
    assert matches("acme NEAR/3 acme", text)
    assert not matches('"acme fiets"~5', text)


# --- fields ---------------------------------------------------------------------------------------

def test_plain_terms_search_title_and_text_but_never_a_phrase_across_them() -> None:
    assert matches("acme", "niets", title="Acme nieuws")
    assert matches("fiets", "de fiets", title="Acme")
    assert not matches('"acme fiets"', "fiets", title="acme")
    assert not matches("acme NEAR/5 fiets", "fiets", title="acme")


def test_title_field_searches_only_the_title_and_applies_to_one_term_or_group() -> None:
    assert matches("title:acme", "niets", title="Acme")
    assert not matches("title:acme", "acme", title="niets")
    assert matches("title:acme AND fiets", "fiets", title="acme")
    assert matches("title:(fiets OR auto)", "x", title="nieuwe auto")
    assert matches('title:"acme fiets"', "x", title="de acme fiets")
    assert matches("title:(acme NEAR/2 fiets)", "x", title="fiets van acme")


def test_author_field_matches_names_and_handles() -> None:
    assert matches("author:janssen", "x", author="Piet Janssen")
    assert matches('author:"piet janssen"', "x", author="Piet Janssen")
    assert matches("author:@acme", "x", author="@acme@mastodon.social")
    assert matches("author:acme", "x", author="@acme.bsky.social")
    assert not matches("author:acme", "acme", author="Piet")


@pytest.mark.parametrize(
    ("query", "url", "expected"),
    [
        ("site:acme.nl", "https://acme.nl/x", True),
        ("site:acme.nl", "https://www.acme.nl/", True),
        ("site:acme.nl", "http://blog.Acme.NL:8080/post", True),
        ("site:www.acme.nl", "https://shop.acme.nl/", True),
        ("site:acme.nl", "https://notacme.nl/", False),
        ("site:acme.nl", "https://acme.nl.evil.com/", False),
        ("site:acme.nl", "", False),
        ("url:acme.nl/news", "https://www.acme.nl/news/2024/x", True),
        ("url:acme.nl/news", "https://acme.nl/blog/news", False),
        ("url:https://acme.nl/News*", "https://blog.acme.nl/news", True),
        ("url:acme.nl", "https://acme.nl/anything", True),
    ],
)
def test_site_matches_the_host_and_subdomains_url_a_prefix(
        query: str, url: str, expected: bool) -> None:
    assert matches(query, "x", url=url) is expected


def test_lang_source_and_hashtag_fields() -> None:
    assert matches("lang:nl", "x", lang="nl-BE")
    assert matches("lang:nl-be", "x", lang="nl_BE")
    assert not matches("lang:nl-be", "x", lang="nl")
    assert not matches("lang:en", "x", lang="nl")
    assert matches("source:rss", "x", source="Acme blog", source_kind="rss")
    assert matches('source:"acme blog"', "x", source="Acme Blog", source_kind="rss")
    assert matches("source:acme*", "x", source="acme-intranet")
    assert matches("hashtag:acme", "Wat een dag #Acme")
    assert matches("hashtag:#acme", "x", hashtags=("acme",))
    assert matches("hashtag:acme", "x", hashtags=("#ACME",))
    assert matches("hashtag:acme*", "#acmefiets")
    assert not matches("hashtag:acme", "acme zonder hekje")


# --- case, accents and {Exact} -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("Cafe", "het café", True),
        ("café", "CAFE open", True),
        ("muller", "Thomas Müller", True),
        ("strasse", "Große Straße", True),
        ("ijs", "ĳs eten", True),
        ("cafe", "cafe\u0301 decomposed", True),
        ("{Café}", "Het Café", True),
        ("{Café}", "het café", False),
        ("{Café}", "het Cafe", False),
        ("{ACME}", "ACME", True),
        ("{ACME}", "Acme", False),
        ("{Acme*}", "Acmeville", True),
        ("{Acme*}", "acmeville", False),
        ('{"Acme Fiets"}', "de Acme Fiets", True),
        ('{"Acme Fiets"}', "de Acme fiets", False),
        ("{Acme}", "hallo @Acme", True),
    ],
)
def test_matching_ignores_case_and_accents_unless_exact(
        query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


# --- Dutch and social-media text ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("'s-Hertogenbosch", "Vandaag in 's-Hertogenbosch!", True),
        ("'s-Hertogenbosch", "Vandaag in ’s-Hertogenbosch!", True),
        ("hertogenbosch", "Vandaag in 's-Hertogenbosch", True),
        ("zo'n", "zo’n mooie fiets", True),
        ("zo'n", "zo´n mooie fiets", True),
        ("zo'n", "zo een fiets", False),
        ("auto", "twee auto's", True),
        ("e-bike", "mijn nieuwe e-bike", True),
        ("e-bike", "mijn nieuwe e bike", True),
        ('"e bike"', "mijn nieuwe e-bike", True),
        ("e-bike", "mijn nieuwe ebike", False),
        ("bike", "mijn nieuwe e-bike", True),
        ("ijsselmeer", "Zeilen op het IJsselmeer", True),
    ],
)
def test_dutch_words_with_diacritics_apostrophes_and_hyphens(
        query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme", "kijk op https://www.acme.nl/aanbod?utm_source=x", True),
        ("acme.nl", "kijk op https://www.acme.nl/aanbod", True),
        ("aanbod", "kijk op https://www.acme.nl/aanbod", False),
        ("utm_source", "kijk op https://acme.nl/?utm_source=twitter", False),
        ("@acme", "dank @acme@mastodon.social!", True),
        ("acme", "dank @acme@mastodon.social!", True),
        ("@acme", "dank acme", False),
        ("@acme", "bedankt @acme.bsky.social", True),
        ("#acme", "#Acme rocks", True),
        ("acme", "#Acme rocks", True),
        ("#acme", "acme rocks", False),
        ("👍", "Top 👍🏽", True),
        ("🚲", "nieuwe 🚲🚲", True),
        ("acme", "mail info@acme.nl", True),
    ],
)
def test_urls_handles_hashtags_and_emoji_are_tokens_of_their_own(
        query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_tokeniser_keeps_handles_and_tags_whole_and_splits_hyphens() -> None:
    tokens = tokenise("Acme's e-bike @acme@mastodon.social #Fiets https://www.acme.nl/x 👍🏽")
    assert tokens == [("Acme's", "Acme"), ("e",), ("bike",),
                      ("@acme@mastodon.social", "@acme", "acme"), ("#Fiets", "Fiets"),
                      ("acme",), ("nl",), ("👍",)]


def test_tokeniser_fast_path_agrees_with_the_full_rules() -> None:
    text = "Plain ASCII words only 2024 with_underscore and MIXED Case"
    assert tokenise(text) == tokenise(text, wildcards=True)
