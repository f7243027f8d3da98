"""Evaluating a parsed query against one document: `Document`, `Query.matches`, `Query.explain`.

A document is tokenised once (`Prepared`) and every query evaluated against it shares the work.
Plain terms search the title and the text; the title's positions are kept `GAP` apart from the
text's, so no phrase or NEAR ever spans the two. `title:` and `author:` search only that text.

Proximity, for both `"a b"~n` and `NEAR/n`, counts the words *between* the matched words: `a NEAR/0
b` needs them adjacent, `a NEAR/2 b` allows two words in between. A phrase window needs each of its
words once (a word written twice must occur twice); one token that answers to two different
words of the window may count for both.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from smo_cli.query.ast import (
    And,
    FieldValue,
    InField,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    TextField,
    Word,
)
from smo_cli.query.text import Keys, fold, fold_cache, host_matches, split_url, tokenise

GAP = 100_000  # far beyond the largest distance the parser accepts
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Document:
    """What a query is matched against: a mention with its metadata.

    `source` is the name of the source it came from and `source_kind` its kind (rss, mastodon…);
    `source:` matches either. `hashtags` are tags the platform lists apart from the text.
    """

    text: str
    title: str = ""
    author: str = ""
    url: str = ""
    lang: str = ""
    source: str = ""
    source_kind: str = ""
    hashtags: tuple[str, ...] = ()


class Stream:
    """One text's tokens: folded key → positions, and each position's raw keys for `{Exact}`."""

    __slots__ = ("_keys", "_parts", "index")

    def __init__(self, parts: list[list[Keys]]) -> None:
        index: dict[str, list[int]] = {}
        offset = 0
        self._parts: list[tuple[int, list[Keys]]] = []
        folded = fold_cache()  # looked up inline: this loop runs for every token of every mention
        for tokens in parts:
            self._parts.append((offset, tokens))
            for position, keys in enumerate(tokens, offset):
                for raw in keys:
                    key = folded.get(raw) or fold(raw)
                    positions = index.get(key)
                    if positions is None:
                        index[key] = [position]
                    elif positions[-1] != position:
                        positions.append(position)
            offset += len(tokens) + GAP
        self.index = index
        self._keys: list[str] | None = None

    def keys_from(self, prefix: str) -> list[str]:
        """The keys that start with `prefix`, found by bisection in the sorted keys (sorted on
        first use): documents meet a wildcard in one or two queries each, and every query
        with `acme*` would otherwise try every key of the document."""
        if self._keys is None:
            self._keys = sorted(self.index)
        keys = self._keys
        found = []
        for at in range(bisect_left(keys, prefix), len(keys)):
            if not keys[at].startswith(prefix):
                break
            found.append(keys[at])
        return found

    def has_prefix(self, prefixes: tuple[str, ...]) -> bool:
        """Whether a key starts with one of `prefixes` (`keys_from`, without listing them)."""
        if self._keys is None:
            self._keys = sorted(self.index)
        keys = self._keys
        count = len(keys)
        for prefix in prefixes:
            at = bisect_left(keys, prefix)
            if at < count and keys[at].startswith(prefix):
                return True
        return False

    def raw_at(self, position: int) -> Keys:
        for offset, tokens in reversed(self._parts):
            if position >= offset:
                return tokens[position - offset]
        raise IndexError(position)


class Prepared:
    """A document tokenised on demand, once, for any number of queries."""

    __slots__ = ("_author", "_hashtags", "_text", "_title", "doc")

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._text: Stream | None = None
        self._title: Stream | None = None
        self._author: Stream | None = None
        self._hashtags: frozenset[str] | None = None

    def stream(self, field: TextField | None = None) -> Stream:
        if field is None:
            if self._text is None:
                self._text = Stream([tokenise(self.doc.title), tokenise(self.doc.text)])
            return self._text
        if field == "title":
            if self._title is None:
                self._title = Stream([tokenise(self.doc.title)])
            return self._title
        if self._author is None:
            self._author = Stream([tokenise(self.doc.author)])
        return self._author

    def hashtags(self) -> frozenset[str]:
        """Folded tags, without `#`: those in the title and text and those listed apart."""
        if self._hashtags is None:
            in_text = {key[1:] for key in self.stream().index if key.startswith("#")}
            listed = {fold(tag.strip().lstrip("#")) for tag in self.doc.hashtags}
            listed.discard("")
            self._hashtags = frozenset(in_text | listed)
        return self._hashtags


def positions(word: Word, stream: Stream) -> list[int]:
    """Where `word` occurs in `stream`, in order."""
    if word.regex is None:
        found = stream.index.get(word.key, [])
        if word.exact:
            found = [p for p in found if word.raw in stream.raw_at(p)]
        return found
    regex, index = word.regex, stream.index
    hits: set[int] = set()
    for key in stream.keys_from(word.prefix):
        if regex.fullmatch(key):
            hits.update(index[key])
    if word.exact and word.raw_regex is not None:
        raw_regex = word.raw_regex
        hits = {p for p in hits if any(raw_regex.fullmatch(raw) for raw in stream.raw_at(p))}
    return sorted(hits)


def phrase_spans(phrase: Phrase, stream: Stream) -> list[Span]:
    lists = [positions(word, stream) for word in phrase.words]
    if not all(lists):
        return []
    size = len(lists)
    if phrase.slop is None:
        later = [set(found) for found in lists[1:]]
        return [(p, p + size - 1) for p in lists[0]
                if all(p + i in later[i - 1] for i in range(1, size))]
    return _windows(phrase.words, lists, phrase.slop)


def _windows(words: tuple[Word, ...], lists: list[list[int]], slop: int) -> list[Span]:
    """Smallest windows holding every word (as often as written) with at most `slop` others."""
    groups: dict[Word, int] = {}
    need: list[int] = []
    events: set[tuple[int, int]] = set()
    for word, found in zip(words, lists, strict=True):
        group = groups.setdefault(word, len(groups))
        if group == len(need):
            need.append(0)
        need[group] += 1
        events.update((p, group) for p in found)
    ordered = sorted(events)
    have = [0] * len(need)
    missing, left, spans = len(need), 0, []
    for position, group in ordered:
        have[group] += 1
        if have[group] == need[group]:
            missing -= 1
        while missing == 0:
            start, first = ordered[left]
            if position - start + 1 - len(words) <= slop:
                spans.append((start, position))
            have[first] -= 1
            if have[first] < need[first]:
                missing += 1
            left += 1
    return spans


def spans(node: Node, stream: Stream) -> list[Span]:
    """Word spans of a positional node (the parser allows nothing else inside NEAR)."""
    if isinstance(node, Term):
        return [(p, p) for p in positions(node.word, stream)]
    if isinstance(node, Phrase):
        return phrase_spans(node, stream)
    if isinstance(node, Or):
        merged: set[Span] = set()
        for child in node.children:
            merged.update(spans(child, stream))
        return sorted(merged)
    if isinstance(node, Near):
        return _near(spans(node.left, stream), spans(node.right, stream), node.distance,
                     node.ordered)
    raise TypeError(f"{type(node).__name__} has no word positions")


def _near(lefts: list[Span], rights: list[Span], distance: int, ordered: bool) -> list[Span]:
    if not lefts or not rights:
        return []
    found: set[Span] = set()
    by_start = sorted(rights)
    starts = [start for start, _ in by_start]
    for start, end in lefts:  # right side after the left one
        for _r_start, r_end in by_start[bisect_left(starts, end + 1):
                                       bisect_right(starts, end + 1 + distance)]:
            found.add((start, r_end))
    if not ordered:  # and before it
        by_end = sorted(rights, key=lambda span: span[1])
        ends = [end for _, end in by_end]
        for start, end in lefts:
            for r_start, _r_end in by_end[bisect_left(ends, start - 1 - distance):
                                          bisect_right(ends, start - 1)]:
                found.add((r_start, end))
    return sorted(found)


def value_matches(node: FieldValue, doc: Prepared) -> bool:
    value = node.value
    if node.field == "site":
        return host_matches(split_url(doc.doc.url)[0], value)
    if node.field == "url":
        site, start = split_url(value)
        host, rest = split_url(doc.doc.url)
        return host_matches(host, site) and rest.startswith(start)
    if node.field == "lang":
        lang = fold(doc.doc.lang).replace("_", "-")
        return lang == value or lang.startswith(f"{value}-")
    candidates: frozenset[str] | tuple[str, ...]
    if node.field == "hashtag":
        candidates = doc.hashtags()
    else:  # source: its name or its kind
        candidates = tuple(fold(name) for name in (doc.doc.source, doc.doc.source_kind) if name)
    if node.regex is None:
        return value in candidates
    regex = node.regex
    return any(regex.fullmatch(candidate) for candidate in candidates)


def evaluate(node: Node, doc: Prepared, field: TextField | None = None) -> bool:
    if isinstance(node, Term):
        return bool(positions(node.word, doc.stream(field)))
    if isinstance(node, Or):
        return any(evaluate(child, doc, field) for child in node.children)
    if isinstance(node, And):
        return all(evaluate(child, doc, field) for child in node.children)
    if isinstance(node, Not):
        return not evaluate(node.child, doc, field)
    if isinstance(node, Phrase):
        return bool(phrase_spans(node, doc.stream(field)))
    if isinstance(node, Near):
        return bool(spans(node, doc.stream(field)))
    if isinstance(node, InField):
        return evaluate(node.child, doc, node.field)
    return value_matches(node, doc)


def explain(node: Node, doc: Prepared) -> list[str]:
    """The leaves of the query found in the document; excluded ones as `NOT …`."""
    found: dict[str, None] = {}
    stack: list[tuple[Node, TextField | None, bool]] = [(node, None, False)]
    while stack:
        current, field, negated = stack.pop()
        if isinstance(current, And | Or):
            stack.extend((child, field, negated) for child in reversed(current.children))
        elif isinstance(current, Not):
            stack.append((current.child, field, not negated))
        elif isinstance(current, InField):
            stack.append((current.child, current.field, negated))
        elif evaluate(current, doc, field):
            label = f"{field}:{current}" if field else str(current)
            found[f"NOT {label}" if negated else label] = None
    return list(found)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: `text` as written, `root` its syntax tree. Build one with `parse`."""

    text: str
    root: Node

    def matches(self, doc: Document | Prepared) -> bool:
        return evaluate(self.root, doc if isinstance(doc, Prepared) else Prepared(doc))

    def explain(self, doc: Document | Prepared) -> list[str]:
        """The terms of the query found in `doc` (excluded terms that were found as `NOT …`)."""
        return explain(self.root, doc if isinstance(doc, Prepared) else Prepared(doc))

    def __str__(self) -> str:
        return str(self.root)


def with_exclude(query: Query, exclude: Query | None) -> Query:
    """`query AND NOT (exclude)`: a workspace-wide exclude (job ads, spam) applied to one query."""
    if exclude is None:
        return query
    head = query.root.children if isinstance(query.root, And) else (query.root,)
    root = And((*head, Not(exclude.root, exclude.root.column)))
    return Query(f"({query.text}) AND NOT ({exclude.text})", root)
