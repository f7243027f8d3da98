"""Matching many queries against many documents: `QuerySet` with a multi-keyword prefilter.

For each query we derive a *need*: a set of folded keys (or key prefixes, from `acme*`) of which a
document must contain at least one for the query to have any chance of matching. All needs go
into one index (key → query ids). A document is tokenised once; only the queries whose needed
key occurs in it are evaluated, plus the few that have no need (`NOT x`, `site:`, `author:`,
`lang:`, a leading `?`), which are evaluated always.

The need is conservative by construction, so the answers are exactly those of evaluating every
query (the tests check this on random queries and documents):

- a word needs its own key, or its literal start when it has a wildcard (`acme*` → prefix `acme`);
- a phrase or NEAR needs all its words, so any one of them will do: we take the rarest-looking;
- AND needs what any one child needs (the cheapest), OR the union of what every child needs;
- NOT, and fields that are not text, need nothing we can index;
- `title:` needs what its child needs (the title is part of the indexed text); `hashtag:acme`
  needs the key `#acme` (tags listed apart from the text are indexed as `#tag` too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smo_cli.query.ast import And, FieldValue, InField, Near, Node, Not, Or, Phrase, Term, Word
from smo_cli.query.matcher import Document, Prepared, Query, evaluate
from smo_cli.query.text import STOPWORDS

Need = frozenset[tuple[str, bool]]  # (folded key or prefix, is a prefix)
_SHORT = 3  # prefixes shorter than this are looked up by their exact length
_MEMO_LIMIT = 100_000


def need(node: Node, *, text: bool = True) -> Need | None:
    """What a document must contain for `node` to match; None when nothing indexable is needed.

    `text` is False below `author:`, whose words are not among the indexed keys.
    """
    if isinstance(node, Or):
        return _or_need(node, text=text)
    if isinstance(node, FieldValue):
        return _key_need(f"#{node.value}", wildcard=node.regex is not None) \
            if node.field == "hashtag" else None  # site:, url:, lang:, source: index nothing
    if isinstance(node, Term):
        return _word_need(node.word) if text else None
    return _cheapest(_choices(node, text=text))


def _choices(node: Node, *, text: bool) -> list[Need]:
    """Needs any one of which suffices for `node`: all parts of a phrase, NEAR or AND must match."""
    if isinstance(node, Phrase):
        return [n for n in map(_word_need, node.words) if n is not None] if text else []
    if isinstance(node, Near):
        return _choices(node.left, text=text) + _choices(node.right, text=text)
    if isinstance(node, And):
        return [n for child in node.children for n in _choices(child, text=text)]
    if isinstance(node, InField):
        return _choices(node.child, text=text and node.field == "title")
    if isinstance(node, Not):
        return []
    found = need(node, text=text)
    return [] if found is None else [found]


def _or_need(node: Or, *, text: bool) -> Need | None:
    """The union of the children's needs, each chosen to add as little as possible to it.

    In `acme OR "acme fietsen"` the phrase can rely on `acme`, which the union holds already,
    instead of letting every mention with the common word `fietsen` through.
    """
    union: set[tuple[str, bool]] = set()
    options: list[list[Need]] = []
    for child in node.children:
        choices = _choices(child, text=text)
        if not choices:
            return None
        if len(choices) == 1:
            union |= choices[0]
        else:
            options.append(choices)
    for choices in options:
        covered = [c for c in choices if c <= union]
        chosen: Need = covered[0] if covered else min(choices, key=_cost)
        union |= chosen
    return frozenset(union)


def _word_need(word: Word) -> Need | None:
    return _key_need(word.key, wildcard=word.is_wildcard)


def _key_need(key: str, *, wildcard: bool) -> Need | None:
    if not wildcard:
        return frozenset({(key, False)})
    prefix = key[: min(i for i in (key.find("*"), key.find("?")) if i >= 0)]
    return frozenset({(prefix, True)}) if prefix else None


def _cost(need: Need) -> float:
    """Guess of how many documents a need lets through: fewer, longer, rarer keys are better."""
    total = 0.0
    for key, is_prefix in need:
        bare = key.lstrip("#@")
        total += 1.0 + (4.0 if len(bare) < _SHORT else 0.0) + (4.0 if bare in STOPWORDS else 0.0)
        total += (2.0 if is_prefix else 0.0) - min(len(bare), 12) / 100
    return total


def _cheapest(needs: Iterable[Need | None]) -> Need | None:
    known = [n for n in needs if n is not None]
    return min(known, key=_cost) if known else None


class QuerySet:
    """Named queries matched together: `match(doc)` gives the names of those that match.

    With `exclude`, a document the exclude query matches matches nothing (the workspace-wide
    exclude of job ads and spam), exactly as if every query were `with_exclude(query, exclude)`.
    """

    def __init__(self, queries: Mapping[str, Query], *, exclude: Query | None = None) -> None:
        self.names = list(queries)
        self._roots = [query.root for query in queries.values()]
        self._exclude = exclude.root if exclude is not None else None
        self._literal: dict[str, list[int]] = {}
        self._prefix: dict[str, list[tuple[str, list[int]]]] = {}  # by the first _SHORT chars
        self._short: dict[str, list[int]] = {}  # prefixes shorter than _SHORT
        self._always: list[int] = []
        # key -> ids from _prefix and _short. Words recur from one document to the next: the
        # prefixes are tried once per word, not once per word of every document.
        self._by_prefix: dict[str, tuple[int, ...]] = {}
        for index, root in enumerate(self._roots):
            query_need = need(root)
            if query_need is None:
                self._always.append(index)
                continue
            for key, is_prefix in query_need:
                if not is_prefix:
                    self._literal.setdefault(key, []).append(index)
                elif len(key) < _SHORT:
                    self._short.setdefault(key, []).append(index)
                else:
                    self._add_prefix(key, index)

    def _add_prefix(self, prefix: str, index: int) -> None:
        entries = self._prefix.setdefault(prefix[:_SHORT], [])
        for known, ids in entries:
            if known == prefix:
                ids.append(index)
                return
        entries.append((prefix, [index]))

    def __len__(self) -> int:
        return len(self.names)

    @property
    def unfiltered(self) -> list[str]:
        """Names of the queries the prefilter cannot skip: they run on every document."""
        return [self.names[i] for i in self._always]

    def candidates(self, doc: Prepared) -> set[int]:
        """Ids of the queries that may match `doc`: a superset of those that do."""
        keys = doc.stream().index.keys()
        found = set(self._always)
        literal = self._literal
        for key in literal.keys() & keys:
            found.update(literal[key])
        extra = [f"#{tag}" for tag in doc.hashtags()] if doc.doc.hashtags else []
        for key in extra:
            found.update(literal.get(key, ()))
        if self._prefix or self._short:
            by_prefix, of_key = self._by_prefix, self._prefixed
            for key in (*keys, *extra):
                ids = by_prefix.get(key)
                if ids is None:
                    ids = of_key(key)
                    if len(by_prefix) >= _MEMO_LIMIT:  # a listener meets endless new words
                        by_prefix.clear()
                    by_prefix[key] = ids
                found.update(ids)
        return found

    def _prefixed(self, key: str) -> tuple[int, ...]:
        """Ids of the queries with a wildcard prefix that `key` starts with."""
        found: list[int] = []
        for prefix, ids in self._prefix.get(key[:_SHORT], ()):
            if key.startswith(prefix):
                found.extend(ids)
        found.extend(self._short.get(key[:1], ()))
        found.extend(self._short.get(key[:2], ()))
        return tuple(found)

    def match(self, doc: Document | Prepared) -> list[str]:
        """Names of the queries `doc` matches, in the order they were given."""
        prepared = doc if isinstance(doc, Prepared) else Prepared(doc)
        candidates = self.candidates(prepared)
        if not candidates:
            return []
        roots = self._roots
        matched = [self.names[i] for i in sorted(candidates) if evaluate(roots[i], prepared)]
        if matched and self._exclude is not None and evaluate(self._exclude, prepared):
            return []
        return matched


class Screened:
    """One query with its need: `matches` gives the answer of `Query.matches`, but evaluates the
    query only on documents holding a key it needs (routing tries a rule's topics and query on
    every mention that gets that far, and most hold none of their words)."""

    __slots__ = ("_always", "_literal", "_prefixes", "root")

    def __init__(self, query: Query) -> None:
        self.root = query.root
        found = need(query.root)
        self._always = found is None
        self._literal = frozenset(key for key, is_prefix in found or () if not is_prefix)
        self._prefixes = tuple(key for key, is_prefix in found or () if is_prefix)

    def matches(self, doc: Prepared) -> bool:
        return (self._always or self._admits(doc)) and evaluate(self.root, doc)

    def _admits(self, doc: Prepared) -> bool:
        """Whether `doc` holds a needed key, as `QuerySet.candidates` would find it."""
        stream = doc.stream()
        if not self._literal.isdisjoint(stream.index):
            return True
        if self._prefixes and stream.has_prefix(self._prefixes):
            return True
        if not doc.doc.hashtags:
            return False
        extra = [f"#{tag}" for tag in doc.hashtags()]
        return not self._literal.isdisjoint(extra) or any(
            key.startswith(prefix) for key in extra for prefix in self._prefixes)
