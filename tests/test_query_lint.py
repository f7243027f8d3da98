"""`lint`: each problem of a query at its exact column, with a hint and a severity."""

from __future__ import annotations

import pytest

from smo_cli.query import LintProblem, lint


def problems(query: str) -> list[tuple[int, str, str]]:
    return [(p.column, p.severity, p.message) for p in lint(query)]


@pytest.mark.parametrize(
    "query",
    ['(acme OR "acme fietsen" OR #acme) AND NOT (vacature OR job*)',
     "acme NEAR/3f fiets* AND lang:nl AND site:acme.nl", "title:(acme OR fiets) AND {Acme}"],
)
def test_a_sound_query_has_no_problems(query: str) -> None:
    assert lint(query) == []


def test_implicit_and_is_an_error_at_the_second_term_with_a_hint() -> None:
    assert lint("acme fiets") == [LintProblem(
        6, "two terms without an operator (implicit AND is not allowed)",
        "join terms with AND or OR", "error")]


def test_every_missing_operator_is_reported_in_one_pass() -> None:
    assert [p.column for p in lint('acme fiets "e bike" (x OR y)')] == [6, 12, 21]


@pytest.mark.parametrize(
    ("query", "column", "message", "hint"),
    [
        ("acme and fiets", 6, '"and" is a word here: operators are written in capitals',
         "write AND"),
        ("acme NOT fiets", 6, "NOT needs AND or OR before it", 'write "AND NOT"'),
        ("acme AND (fiets OR auto", 24, "unclosed parenthesis opened at column 10", 'add ")"'),
        ("acme OR fiets)", 14, 'unmatched ")"', 'remove it or add "(" before'),
        ("*acme", 1, 'leading wildcard in "*acme"',
         "wildcards go inside or at the end of a word: acme*"),
        ('"acme *fiets"', 7, 'leading wildcard in "*fiets"',
         "wildcards go inside or at the end of a word: fiets*"),
        ("acme AND ?cme", 10, 'leading wildcard in "?cme"',
         "wildcards go inside or at the end of a word: cme*"),
        ('acme OR ""', 9, "empty phrase", 'put words between the quotes or remove ""'),
        ("foo:bar", 1, 'unknown field "foo:"',
         "known fields: author:, hashtag:, lang:, site:, source:, title:, url:"),
        ("acme NEAR fiets", 6, '"NEAR" is not a proximity operator',
         "write NEAR/5 (any order) or NEAR/5f (in order)"),
        ('"acme fiets"~ AND x', 13, "~ must be followed by a number of words", 'write "a b"~5'),
        ("acme~2", 5, "~n goes after a quoted phrase", 'write "a b"~3 for words near each other'),
        ("{Acme", 1, "unclosed brace", 'add "}" after the word'),
        ("-jobs AND acme", 1, '"-jobs": a leading minus does not exclude', "write NOT jobs"),
        ("site:*.acme.nl", 6, "wildcards do not work in site:",
         "site:acme.nl already matches every subdomain"),
        ("title:acme NEAR/3 fiets", 1, "a field inside NEAR applies to one side only",
         "put the field before the whole NEAR: title:(a NEAR/3 b)"),
        ("(a AND b) NEAR/3 c", 2, "NEAR works on words, phrases and OR-groups, not on AND or NOT",
         "move AND and NOT outside the NEAR"),
        ("site:acme.nl NEAR/3 fiets", 6, "site: has no word positions to be NEAR to",
         "join it with AND"),
        ("acme NEAR/5000 fiets", 6, "NEAR/5000 is too far to mean near",
         "use NEAR/1000 or less, or AND"),
    ],
)
def test_errors_point_at_the_column_with_a_hint(query: str, column: int, message: str,
                                                hint: str) -> None:
    assert LintProblem(column, message, hint, "error") in lint(query)


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("acme NEAR/0 fiets", 6, "NEAR/0 matches only adjacent words"),
        ("the", 1, '"the" is a stop word: alone it matches almost every mention'),
        ("acme AND de", 10, '"de" is a stop word: alone it matches almost every mention'),
        ("acme OR acme", 9, '"acme" appears twice in the same group'),
        ("acme OR acme*", 1, '"acme" is already matched by "acme*"'),
        ("acme AND NOT acme", 10, '"acme" AND "NOT acme" never match together'),
        ("NOT acme", 1, "the query only excludes: it matches every mention without those terms"),
        ("NOT acme AND NOT globex", 1,
         "the query only excludes: it matches every mention without those terms"),
        ("acme OR NOT fiets", 9, "OR NOT fiets matches every mention without fiets"),
        ("acme AND NOT NOT fiets", 10, "NOT NOT cancels out"),
        ("ab*", 1, '"ab*" matches a great many words'),
        ('"acme"~3', 1, "~3 on a single word does nothing"),
        ("title:(acme OR author:piet)", 16, "author: inside title: overrides it"),
        ("site:{acme.nl}", 6, "{} does nothing in site:"),
    ],
)
def test_warnings_flag_queries_that_parse_but_mislead(query: str, column: int,
                                                      message: str) -> None:
    found = [(p.column, p.message) for p in lint(query) if p.severity == "warning"]
    assert (column, message) in found


def test_warnings_alone_do_not_stop_parsing() -> None:
    assert problems("acme OR acme") == [(9, "warning", '"acme" appears twice in the same group')]


def test_hostile_queries_lint_to_one_clean_error() -> None:
    deep = lint("(" * 100 + "a" + ")" * 100)
    assert deep == [LintProblem(51, "the query nests deeper than 50 levels",
                                "flatten it: (a OR b OR c) needs no inner parentheses")]
    long = lint("a OR " * 2_500 + "b")
    assert [(p.column, p.severity) for p in long] == [(10_001, "error")]
    assert long[0].message == "the query is 12,501 characters long, more than 10,000"


def test_problem_prints_as_one_line() -> None:
    assert str(lint("acme fiets")[0]) == ("column 6: error: two terms without an operator "
                                          "(implicit AND is not allowed) (join terms with AND "
                                          "or OR)")
