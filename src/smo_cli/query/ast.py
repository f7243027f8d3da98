"""The parsed form of a query: immutable nodes, each able to write itself back as query text.

Leaves are `Term` (one word), `Phrase` (several words, in order or within a window), and
`FieldValue` (a value of a field that is not text: `site:`, `url:`, `lang:`, `source:`,
`hashtag:`). `InField` runs a sub-query against another text (`title:`, `author:`). `Near` joins two
positional operands (words, phrases, OR-groups of them, or another `Near`). `And` and `Or` are
n-ary and never directly contain a node of their own kind (the parser flattens them), so writing
a query back needs parentheses only where the operator changes.

Every node keeps the 1-based column where it starts in the query text, for lint and errors.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from smo_cli.query.text import fold

TextField = Literal["title", "author"]
ValueField = Literal["site", "url", "lang", "source", "hashtag"]
TEXT_FIELDS: tuple[TextField, ...] = ("title", "author")
VALUE_FIELDS: tuple[ValueField, ...] = ("site", "url", "lang", "source", "hashtag")
FIELDS: tuple[str, ...] = (*TEXT_FIELDS, *VALUE_FIELDS)
WILDCARDS = "*?"


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """`*` is any run of characters inside one token (or none), `?` exactly one; use fullmatch."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL)


def literal_prefix(pattern: str) -> str:
    """The part of a pattern before its first wildcard (all of it when there is none)."""
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))
    return pattern[:cut]


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a term or phrase: `raw` as written (wildcards kept), `key` folded."""

    raw: str
    key: str
    exact: bool = False
    # Compiled only for wildcard words: against folded keys, or raw keys when exact.
    regex: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)
    raw_regex: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, raw: str, *, exact: bool = False) -> Word:
        key = fold(raw)
        if not any(c in raw for c in WILDCARDS):
            return cls(raw, key, exact)
        return cls(raw, key, exact, wildcard_regex(key), wildcard_regex(raw) if exact else None)

    @property
    def is_wildcard(self) -> bool:
        return self.regex is not None

    @property
    def prefix(self) -> str:
        """Literal folded start of the word; for a plain word, the whole key."""
        return literal_prefix(self.key)


@dataclass(frozen=True, slots=True)
class Term:
    word: Word
    text: str  # as written in the query
    column: int

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in order and adjacent (`slop` None), or all within `slop` words in any order."""

    words: tuple[Word, ...]
    slop: int | None
    text: str
    column: int

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class FieldValue:
    field: ValueField
    value: str  # normalised for matching (see parser)
    text: str  # the value as written
    column: int
    regex: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        written = f'"{self.text}"' if any(c.isspace() for c in self.text) else self.text
        return f"{self.field}:{written}"


@dataclass(frozen=True, slots=True)
class Near:
    left: Positional
    right: Positional
    distance: int  # at most this many words between the two sides
    ordered: bool  # left must come before right
    column: int  # of the NEAR operator

    def __str__(self) -> str:
        op = f"NEAR/{self.distance}{'f' if self.ordered else ''}"
        return f"{group(self.left, Or)} {op} {group(self.right, Or)}"


@dataclass(frozen=True, slots=True)
class InField:
    field: TextField
    child: Node
    column: int

    def __str__(self) -> str:
        return f"{self.field}:{group(self.child, And, Or, Not, Near)}"


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    column: int

    def __str__(self) -> str:
        return f"NOT {group(self.child, And, Or, Near)}"


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    @property
    def column(self) -> int:
        return self.children[0].column

    def __str__(self) -> str:
        return " AND ".join(group(child, Or) for child in self.children)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    @property
    def column(self) -> int:
        return self.children[0].column

    def __str__(self) -> str:
        return " OR ".join(group(child, And) for child in self.children)


Node: TypeAlias = Term | Phrase | FieldValue | Near | InField | Not | And | Or
Positional: TypeAlias = Term | Phrase | Near | Or  # an Or whose children are all positional
Leaf: TypeAlias = Term | Phrase | FieldValue | Near  # what `explain` reports


def flatten(kind: type[And] | type[Or], children: list[Node]) -> Node:
    """One `kind` node over `children`, absorbing children of the same kind; one child is itself."""
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def group(node: Node, *kinds: type) -> str:
    """`node` as text, in parentheses when it is one of `kinds` (a lower-precedence operator)."""
    text = str(node)
    return f"({text})" if isinstance(node, kinds) else text


def height(node: Node) -> int:
    """Levels of the tree below and including `node` (iterative: it guards recursive code)."""
    tallest = 0
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        tallest = max(tallest, level)
        match current:
            case And(children) | Or(children):
                stack.extend((child, level + 1) for child in children)
            case Not(child) | InField(child=child):
                stack.append((child, level + 1))
            case Near(left, right):
                stack.extend(((left, level + 1), (right, level + 1)))
    return tallest


def walk(node: Node) -> list[Node]:
    """`node` and all nodes below it, parents first (iterative: queries can be deep)."""
    found: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        match current:
            case And(children) | Or(children):
                stack.extend(reversed(children))
            case Not(child) | InField(child=child):
                stack.append(child)
            case Near(left, right):
                stack.extend((right, left))
    return found
