"""`lint`: every problem of a query with its column and a hint, errors and warnings.

Errors come from the parser (what `parse` would refuse). Warnings come from the tree: queries that
parse but probably do not say what their author meant, such as a lone stop word, a term repeated
in the same group, `x AND NOT x`, `acme OR acme*`, `a OR NOT b`, or a query made only of
exclusions.
"""

from __future__ import annotations

from smo_cli.query.ast import And, Node, Not, Or, Phrase, Term, Word, walk
from smo_cli.query.parser import parse_with_problems
from smo_cli.query.problems import LintProblem
from smo_cli.query.text import STOPWORDS

_MIN_WILDCARD_PREFIX = 3


def lint(text: str) -> list[LintProblem]:
    """All problems of `text` as a query, by column; no problems means it is fine."""
    root, problems = parse_with_problems(text)
    if root is not None:
        problems.extend(_tree_problems(root))
    unique = dict.fromkeys(problems)  # the parser may meet one problem twice while recovering
    return sorted(unique, key=lambda p: (p.column, p.severity != "error"))


def _warn(column: int, message: str, hint: str) -> LintProblem:
    return LintProblem(column, message, hint, "warning")


def _tree_problems(root: Node) -> list[LintProblem]:
    found: list[LintProblem] = []
    positives = root.children if isinstance(root, And) else (root,)
    if all(isinstance(child, Not) for child in positives):
        found.append(_warn(1, "the query only excludes: it matches every mention without those "
                           "terms", "add a term to look for: acme AND NOT …"))
    for node in walk(root):
        if isinstance(node, Term):
            found.extend(_word_problems(node.word, node.text, node.column, alone=True))
        elif isinstance(node, Phrase):
            for word in node.words:
                found.extend(_word_problems(word, word.raw, node.column, alone=False))
        elif isinstance(node, Not) and isinstance(node.child, Not):
            found.append(_warn(node.column, "NOT NOT cancels out", "remove both NOTs"))
        elif isinstance(node, And | Or):
            found.extend(_group_problems(node))
    return found


def _word_problems(word: Word, text: str, column: int, *, alone: bool) -> list[LintProblem]:
    found: list[LintProblem] = []
    if alone and not word.exact and word.key in STOPWORDS:
        found.append(_warn(column, f'"{text}" is a stop word: alone it matches almost every '
                           "mention", 'put it in a phrase with other words or remove it'))
    if word.is_wildcard and len(word.prefix.lstrip("#@")) < _MIN_WILDCARD_PREFIX:
        found.append(_warn(column, f'"{word.raw}" matches a great many words',
                           f"give at least {_MIN_WILDCARD_PREFIX} letters before the wildcard"))
    return found


def _group_problems(node: And | Or) -> list[LintProblem]:
    found: list[LintProblem] = []
    seen: set[str] = set()
    for child in node.children:
        written = str(child)
        if written in seen:
            found.append(_warn(child.column, f'"{written}" appears twice in the same group',
                               "remove one"))
        seen.add(written)
    if isinstance(node, And):
        for child in node.children:
            if isinstance(child, Not) and str(child.child) in seen:
                found.append(_warn(child.column, f'"{child.child}" AND "NOT {child.child}" '
                                   "never match together", "remove one of them"))
        return found
    for child in node.children:
        if isinstance(child, Not):
            found.append(_warn(child.column, f"OR NOT {child.child} matches every mention "
                               f"without {child.child}", "did you mean AND NOT?"))
    wildcards = [c for c in node.children if isinstance(c, Term) and c.word.is_wildcard]
    for child in node.children:
        if isinstance(child, Term) and not child.word.is_wildcard and not child.word.exact:
            cover = next((w for w in wildcards if w.word.regex is not None
                          and w.word.regex.fullmatch(child.word.key)), None)
            if cover is not None:
                found.append(_warn(child.column, f'"{child}" is already matched by "{cover}"',
                                   f'remove "{child}"'))
    return found


__all__ = ["LintProblem", "lint"]
