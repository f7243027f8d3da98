"""Cutting query text into tokens: operators, parentheses, fields, words, phrases and `{exact}`.

Operators are recognised only in capitals (`AND`, `OR`, `NOT`, `NEAR/n`, `NEAR/nf`), as in the
monitoring suites, so a lowercase `and` is an ordinary word; the parser then points out the
missing operator. The lexer records what it cannot read as problems and carries on, so that
`lint` can report several problems in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from smo_cli.query.ast import FIELDS
from smo_cli.query.problems import LintProblem

TokenKind = Literal["(", ")", "AND", "OR", "NOT", "NEAR", "WORD", "PHRASE", "EXACT", "FIELD", "EOF"]
FIELD_ALIASES = {"language": "lang"}  # Brandwatch spells it out; accept both
KNOWN_FIELDS_HINT = "known fields: " + ", ".join(f"{name}:" for name in sorted(FIELDS))
MAX_DISTANCE = 1000

_STOP = frozenset('()"{}')
_PUNCTUATION: dict[str, TokenKind] = {"(": "(", ")": ")"}
_OPERATORS: dict[str, TokenKind] = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
_NEAR = re.compile(r"NEAR/(\d+)(f?)")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_SLOP = re.compile(r"~(\d+)")


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str  # WORD: the word; PHRASE/EXACT: what is inside the quotes/braces; FIELD: its name
    column: int
    source: str = ""  # the token exactly as written
    number: int | None = None  # NEAR: the distance; PHRASE: the ~n window, if any
    ordered: bool = False  # NEAR/nf


def tokenise_query(text: str, problems: list[LintProblem]) -> list[Token]:
    tokens: list[Token] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, column, char))
            i += 1
        elif char == '"':
            i = _phrase(text, i, tokens, problems)
        elif char == "{":
            close = text.find("}", i + 1)
            if close < 0:
                problems.append(LintProblem(column, "unclosed brace", 'add "}" after the word'))
                close = end
            tokens.append(Token("EXACT", text[i + 1 : close], column, text[i : close + 1]))
            i = close + 1
        elif char == "}":
            problems.append(LintProblem(column, 'unexpected "}"', 'remove it or add "{" before'))
            i += 1
        else:
            start = i
            while i < end and text[i] not in _STOP and not text[i].isspace():
                i += 1
            _word(text[start:i], column, tokens, problems)
    tokens.append(Token("EOF", "", end + 1))
    return tokens


def _phrase(text: str, i: int, tokens: list[Token], problems: list[LintProblem]) -> int:
    column = i + 1
    close = text.find('"', i + 1)
    if close < 0:
        problems.append(LintProblem(column, f"unclosed quote opened at column {column}",
                                    'add " at the end of the phrase'))
        close = len(text)
    after = close + 1
    slop: int | None = None
    proximity = _SLOP.match(text, after)
    if proximity:
        slop = int(proximity.group(1))
        after = proximity.end()
        if slop > MAX_DISTANCE:
            problems.append(LintProblem(close + 2, f"~{slop} is too far to mean near",
                                        f"use ~{MAX_DISTANCE} or less, or AND"))
    elif text.startswith("~", after):
        problems.append(LintProblem(after + 1, "~ must be followed by a number of words",
                                    'write "a b"~5'))
        after += 1
    tokens.append(Token("PHRASE", text[i + 1 : close], column, text[i:after], slop))
    return after


def _word(word: str, column: int, tokens: list[Token], problems: list[LintProblem]) -> None:
    if word in _OPERATORS:
        tokens.append(Token(_OPERATORS[word], word, column, word))
        return
    if word.startswith("NEAR"):
        near = _NEAR.fullmatch(word)
        if near is None:
            problems.append(LintProblem(column, f'"{word}" is not a proximity operator',
                                        "write NEAR/5 (any order) or NEAR/5f (in order)"))
            tokens.append(Token("NEAR", word, column, word, 0))
            return
        distance = int(near.group(1))
        if distance > MAX_DISTANCE:
            problems.append(LintProblem(column, f"{word} is too far to mean near",
                                        f"use NEAR/{MAX_DISTANCE} or less, or AND"))
        tokens.append(Token("NEAR", word, column, word, distance, near.group(2) == "f"))
        return
    field = _FIELD.fullmatch(word)
    if field is not None and not field.group(2).startswith("//"):  # https://… is no field
        name = field.group(1).lower()
        name = FIELD_ALIASES.get(name, name)
        if name in FIELDS:
            tokens.append(Token("FIELD", name, column, f"{field.group(1)}:"))
            value = field.group(2)
            if value:
                _word(value, column + len(field.group(1)) + 1, tokens, problems)
            return
        problems.append(LintProblem(column, f'unknown field "{field.group(1)}:"',
                                    KNOWN_FIELDS_HINT))
    if "~" in word:
        problems.append(LintProblem(column + word.index("~"), "~n goes after a quoted phrase",
                                    'write "a b"~3 for words near each other'))
    if word.startswith("-") and len(word) > 1:
        problems.append(LintProblem(column, f'"{word}": a leading minus does not exclude',
                                    f"write NOT {word[1:]}"))
    tokens.append(Token("WORD", word, column, word))
