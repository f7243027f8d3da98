"""`export`: a query written in the syntax of Brandwatch or Talkwalker, for the officer to paste.

Both suites share AND/OR, quotes, `"a b"~n`, `NEAR/n`, `*`, `?`, `author:` and `title:`. They
differ here:

| smo               | Brandwatch          | Talkwalker                 |
|-------------------|---------------------|----------------------------|
| `a AND NOT b`     | `a NOT b`           | `a AND NOT b`              |
| `a NEAR/3f b`     | `a NEAR/3f b`       | `a ONEAR/3 b`              |
| `{Acme}`          | `{Acme}`            | none (case-insensitive)    |
| `site:acme.nl`    | `site:acme.nl`      | `site:acme.nl`             |
| `url:acme.nl/x`   | `url:acme.nl/x`     | none                       |
| `lang:nl`         | `language:nl`       | `lang:nl`                  |
| `hashtag:acme`    | `#acme`             | `#acme`                    |
| `source:blog`     | none (smo's own sources) | none                  |

Brandwatch refuses AND and OR side by side without parentheses and queries made only of
exclusions; Talkwalker takes `*` only at the end of a word. A field in front of a group is written
out for every term inside it (`title:(a OR b)` → `title:a OR title:b`), which both read the same
way. A construct without an equivalent raises InvalidData naming it, never a silent change of
meaning.
"""

from __future__ import annotations

from typing import Literal

from smo_cli.errors import InvalidData
from smo_cli.query.ast import And, FieldValue, InField, Near, Node, Not, Or, Phrase, Term, TextField
from smo_cli.query.matcher import Query

Dialect = Literal["brandwatch", "talkwalker"]
DIALECTS: tuple[Dialect, ...] = ("brandwatch", "talkwalker")
_NAMES = {"brandwatch": "Brandwatch", "talkwalker": "Talkwalker"}


def export(query: Query, dialect: str) -> str:
    """`query` in the syntax of `dialect`; InvalidData when a part of it has no equivalent there."""
    if dialect not in DIALECTS:
        raise InvalidData(f'unknown dialect "{dialect}"', hint="choose brandwatch or talkwalker")
    return _Writer(dialect).node(query.root, None)


def _kind(node: Node) -> Node:
    """The node whose operator decides the parentheses (fields are written out per term)."""
    while isinstance(node, InField):
        node = node.child
    return node


class _Writer:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.name = _NAMES[dialect]

    def none(self, construct: str, hint: str) -> InvalidData:
        return InvalidData(f"{construct} has no equivalent in {self.name}", hint=hint)

    def node(self, node: Node, field: TextField | None) -> str:
        if isinstance(node, Term | Phrase):
            return self.words(node, field)
        if isinstance(node, Near):
            return self.near(node, field)
        if isinstance(node, FieldValue):
            return self.value(node)
        if isinstance(node, InField):
            return self.node(node.child, node.field)
        if isinstance(node, Or):
            return " OR ".join(self.wrap(child, field, And) for child in node.children)
        if isinstance(node, And):
            return self.and_(node, field)
        if self.dialect == "brandwatch":
            raise InvalidData(f"Brandwatch cannot exclude with NOT {node.child} here: it needs a "
                              "term to look for in the same group",
                              hint=f"write it as: something AND NOT {node.child}")
        return f"NOT {self.wrap(node.child, field, And, Or)}"

    def wrap(self, node: Node, field: TextField | None, *kinds: type) -> str:
        text = self.node(node, field)
        return f"({text})" if isinstance(_kind(node), kinds) else text

    def and_(self, node: And, field: TextField | None) -> str:
        if self.dialect == "talkwalker":
            return " AND ".join(self.wrap(child, field, Or) for child in node.children)
        excluded: list[tuple[Node, TextField | None]] = []
        kept: list[Node] = []
        for child in node.children:
            inner, inner_field = child, field
            while isinstance(inner, InField):  # title:(NOT x) excludes x from the title
                inner_field = inner.field
                inner = inner.child
            if isinstance(inner, Not):
                excluded.append((inner.child, inner_field))
            else:
                kept.append(child)
        if not kept:
            raise InvalidData("Brandwatch needs at least one term that is not excluded",
                              hint="add a term to look for: acme AND NOT …")
        text = " AND ".join(self.wrap(child, field, Or) for child in kept)
        if excluded and len(kept) > 1:
            text = f"({text})"
        return text + "".join(f" NOT {self.wrap(c, f, And, Or)}" for c, f in excluded)

    def words(self, node: Term | Phrase, field: TextField | None) -> str:
        words = (node.word,) if isinstance(node, Term) else node.words
        if self.dialect == "talkwalker":
            if any(word.exact for word in words):
                raise self.none(f"case-sensitive {node}", "remove the braces to export it "
                                "case-insensitively")
            if any("*" in word.raw.rstrip("*") for word in words):
                raise self.none(f"a * inside a word ({node})", "Talkwalker takes * only at "
                                "the end of a word; use ? for one letter")
        return f"{field}:{node}" if field else str(node)

    def near(self, node: Near, field: TextField | None) -> str:
        if self.dialect == "talkwalker":
            if field:
                raise self.none(f"NEAR inside {field}:", "move the NEAR out of the field")
            operator = f"{'ONEAR' if node.ordered else 'NEAR'}/{node.distance}"
        else:
            operator = f"NEAR/{node.distance}{'f' if node.ordered else ''}"
        sides = [self.wrap(side, None, Or) for side in (node.left, node.right)]
        text = f"{sides[0]} {operator} {sides[1]}"
        return f"{field}:({text})" if field else text

    def value(self, node: FieldValue) -> str:
        written = f'"{node.text}"' if any(c.isspace() for c in node.text) else node.text
        if node.field == "hashtag":
            return f"#{node.value}"
        if node.field == "source":
            raise self.none(f"source:{written} (the sources are smo's own)",
                            f"filter on the source in {self.name} itself")
        if node.field == "lang":
            return f"{'language' if self.dialect == 'brandwatch' else 'lang'}:{node.value}"
        if node.field == "url" and self.dialect == "talkwalker":
            raise self.none(f"url:{written}", "use site: for the whole site instead")
        return f"{node.field}:{written}"
