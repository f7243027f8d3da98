"""The Boolean query language of `smo queries` and the listening pipeline (pure logic, no I/O).

    from smo_cli.query import Document, QuerySet, export, lint, parse

    query = parse('(acme OR "acme fietsen" OR #acme) AND NOT (vacature* OR job*)')
    query.matches(Document("Mijn nieuwe Acme e-bike!"))            # True
    query.explain(Document("Mijn nieuwe Acme e-bike!"))            # ['acme']
    lint("acme fiets")        # [LintProblem(column=6, message='two terms without an operator …')]
    export(query, "brandwatch")  # '(acme OR "acme fietsen" OR #acme) NOT (vacature* OR job*)'
    QuerySet({"brand": query, ...}, exclude=parse("vacature")).match(doc)   # ['brand']

`parse` raises `smo_cli.errors.InvalidData` ("column 6: … (hint)"); `lint` never raises.

The language: `AND`, `OR`, `NOT` (precedence NOT > AND > OR; two terms side by side are an error),
parentheses, words, `"exact phrase"`, wildcards `*` and `?` inside or at the end of a word,
`"a b"~n` (all words within n words, any order), `x NEAR/n y` (any order), `x NEAR/nf y` (x first),
fields `author:`, `title:`, `site:`, `url:`, `lang:`, `source:`, `hashtag:` applying to the next
term or group, and `{Exact}` for a case- and accent-sensitive word. Everything else is case- and
accent-insensitive and respects word boundaries.

Modules: `text` (tokenising mentions and query words alike), `lexer` and `parser` (query text to
the tree in `ast`), `matcher` (Document, Query, evaluation, explain), `prefilter` (QuerySet and
Screened, which skip queries a document lacks the words for), `lint`, `dialects` (export).
"""

from __future__ import annotations

from smo_cli.query.dialects import DIALECTS, Dialect, export
from smo_cli.query.lint import lint
from smo_cli.query.matcher import Document, Prepared, Query, with_exclude
from smo_cli.query.parser import MAX_DEPTH, MAX_LENGTH, parse
from smo_cli.query.prefilter import QuerySet, Screened
from smo_cli.query.problems import LintProblem, Severity

__all__ = [
    "DIALECTS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Dialect",
    "Document",
    "LintProblem",
    "Prepared",
    "Query",
    "QuerySet",
    "Screened",
    "Severity",
    "export",
    "lint",
    "parse",
    "with_exclude",
]
