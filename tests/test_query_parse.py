"""Parsing queries: precedence, the shape of the tree, errors with columns, hostile input."""

from __future__ import annotations

import pytest

from smo_cli.errors import InvalidData
from smo_cli.query import MAX_DEPTH, MAX_LENGTH, Document, parse
from smo_cli.query.ast import And, FieldValue, InField, Near, Not, Or, Phrase, Term
from smo_cli.query.parser import parse_with_problems


@pytest.mark.parametrize(
    ("query", "structure"),
    [
        ("a OR b AND c", "a OR (b AND c)"),
        ("a AND b OR c AND d", "(a AND b) OR (c AND d)"),
        ("NOT a AND b", "NOT a AND b"),
        ("NOT a OR b", "NOT a OR b"),
        ("NOT (a OR b) AND c", "NOT (a OR b) AND c"),
        ("(a OR b) AND (c OR d)", "(a OR b) AND (c OR d)"),
        ("a AND (b AND c)", "a AND b AND c"),
        ("((a OR (b OR c)))", "a OR b OR c"),
        ("NOT a NEAR/2 b", "NOT (a NEAR/2 b)"),
        ("a NEAR/2 b AND c", "a NEAR/2 b AND c"),
        ("(a OR b) NEAR/3f c", "(a OR b) NEAR/3f c"),
        ("title:(a OR b) AND c", "title:(a OR b) AND c"),
        ("title:a OR b", "title:a OR b"),
        ("a AND NOT NOT b", "a AND NOT NOT b"),
    ],
)
def test_precedence_is_not_over_and_over_or_with_near_tightest(query: str, structure: str) -> None:
    assert str(parse(query)) == structure


def test_and_and_or_are_flattened_into_one_node_each() -> None:
    root = parse("a OR b OR (c OR d) OR e AND f AND g").root
    assert isinstance(root, Or)
    assert len(root.children) == 5
    last = root.children[-1]
    assert isinstance(last, And)
    assert len(last.children) == 3


def test_every_kind_of_term_parses_into_its_node() -> None:
    root = parse('acme AND "acme fietsen" AND "a b"~3 AND {Acme} AND e-bike AND x NEAR/2f y '
                 "AND title:acme AND site:acme.nl AND NOT spam").root
    assert isinstance(root, And)
    kinds = [type(child) for child in root.children]
    assert kinds == [Term, Phrase, Phrase, Term, Phrase, Near, InField, FieldValue, Not]
    assert isinstance(root.children[2], Phrase)
    assert root.children[2].slop == 3
    assert isinstance(root.children[3], Term)
    assert root.children[3].word.exact
    assert isinstance(root.children[5], Near)
    assert root.children[5].ordered
    assert root.children[5].distance == 2


def test_a_hyphenated_or_dotted_word_is_a_phrase_of_its_parts() -> None:
    for query, words in [("e-bike", ["e", "bike"]), ("acme.nl", ["acme", "nl"]),
                         ("'s-Hertogenbosch", ["'s", "hertogenbosch"])]:
        root = parse(query).root
        assert isinstance(root, Phrase)
        assert [word.key for word in root.words] == words


def test_a_value_field_makes_every_term_of_its_group_a_value() -> None:
    root = parse("site:(acme.nl OR acme.be) AND lang:NL_be").root
    assert str(root) == "(site:acme.nl OR site:acme.be) AND lang:NL_be"
    assert isinstance(root, And)
    lang = root.children[1]
    assert isinstance(lang, FieldValue)
    assert lang.value == "nl-be"


def test_language_is_accepted_as_another_name_for_lang() -> None:
    assert parse("language:nl").matches(Document("x", lang="nl"))


def test_written_query_parses_back_to_the_same_query() -> None:
    text = ('(acme OR "acme fietsen"~2 OR #acme OR @acme) AND NOT (vacature OR job*) AND '
            "title:(acme OR fiets*) AND x NEAR/3f (y OR z) AND site:acme.nl AND {Acme}")
    once = parse(text)
    assert str(parse(str(once))) == str(once)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("( (acme OR bb", 'column 14: unclosed parenthesis opened at column 3 (add ")")'),
        ("acme fiets", "column 6: two terms without an operator (implicit AND is not allowed) "
                       "(join terms with AND or OR)"),
        ("acme AND", "column 9: AND needs a term after it (add a word after it or remove it)"),
        ("OR acme", "column 1: OR needs a term before it (add a word before it or remove it)"),
        ("acme)", 'column 5: unmatched ")" (remove it or add "(" before)'),
        ("*acme", 'column 1: leading wildcard in "*acme" (wildcards go inside or at the end of '
                  "a word: acme*)"),
        ('"acme', 'column 1: unclosed quote opened at column 1 (add " at the end of the phrase)'),
        ("", "column 1: empty query (write at least one word)"),
        ("   ", "column 1: empty query (write at least one word)"),
        ("()", "column 2: empty parentheses (put a term inside or remove them)"),
    ],
)
def test_parse_error_names_the_column_and_a_hint(query: str, message: str) -> None:
    with pytest.raises(InvalidData) as caught:
        parse(query)
    assert str(caught.value) == message


def test_parse_reports_the_leftmost_error_first() -> None:
    with pytest.raises(InvalidData, match=r"^column 6: two terms"):
        parse("acme fiets AND *bike")


@pytest.mark.parametrize(
    "query",
    [
        "(" * 10_000,
        "(" * 5_000 + "a" + ")" * 5_000,
        "NOT " * 2_000 + "a",
        "title:(" * 1_000 + "a" + ")" * 1_000,
        "a NEAR/1 " * 1_000 + "b",
        "a OR " * 3_000 + "b",
        "a or " * 1_999 + "(",
        "a and " * 1_600 + ")",
        '"' * 10_001,
    ],
)
def test_hostile_queries_fail_cleanly_with_invalid_data(query: str) -> None:
    with pytest.raises(InvalidData, match=r"^column "):
        parse(query)


def test_lowercase_operators_are_read_as_meant_but_still_an_error() -> None:
    root, problems = parse_with_problems("acme or globex and fiets not auto")
    assert str(root) == "acme OR (globex AND fiets AND NOT auto)"
    assert [p.column for p in problems] == [6, 16, 26]
    with pytest.raises(InvalidData, match=r"^column 6: \"or\" is a word here"):
        parse("acme or globex")


def test_near_chains_in_nested_groups_cannot_build_a_tree_too_deep_to_evaluate() -> None:
    query = "a"
    for _ in range(10):
        query = f"({query})" + " NEAR/1 b" * 39
    with pytest.raises(InvalidData, match=r"^column 1: the query nests deeper than 100 levels"):
        parse(query)


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_DEPTH - 1
    query = parse("(" * depth + "acme" + ")" * depth)
    assert query.matches(Document("acme"))


def test_long_query_within_the_limit_parses_and_matches() -> None:
    text = " OR ".join(f"word{i}" for i in range(900))
    assert len(text) < MAX_LENGTH
    query = parse(text)
    assert query.matches(Document("only word899 here"))
    assert not query.matches(Document("word99999"))


def test_control_characters_and_odd_unicode_do_not_crash() -> None:
    query = parse("acme AND \x00zz\u200b OR 🚲")
    assert query.matches(Document("rides a 🚲"))
