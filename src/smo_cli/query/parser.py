"""Parsing query text into a `Query`, recording every problem with its column and a hint.

Grammar, loosest first (so NEAR binds tighter than NOT, NOT than AND, AND than OR)::

    query   = or EOF
    or      = and ("OR" and)*
    and     = unary ("AND" unary)*         two terms side by side are an error, never an AND
    unary   = "NOT" unary | near
    near    = primary ("NEAR/n" primary | "NEAR/nf" primary)*
    primary = "(" or ")" | FIELD ":" primary | WORD | "PHRASE"[~n] | {EXACT}

A field applies to the primary after it: one term or one parenthesised group. In a text field
(`title:`, `author:`) the words are matched against that text; in a value field (`site:`, `url:`,
`lang:`, `source:`, `hashtag:`) every word or phrase is a value of that field.

Problems the parser can step over (a missing operator, an unknown field, a leading wildcard) are
recorded and parsing goes on, so `lint` reports them all; structural ones stop it. Nesting and
length are bounded, so hostile input ends in a clean problem, never a RecursionError.
"""

from __future__ import annotations

from smo_cli.query.ast import (
    TEXT_FIELDS,
    VALUE_FIELDS,
    WILDCARDS,
    And,
    FieldValue,
    InField,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Positional,
    Term,
    TextField,
    ValueField,
    Word,
    flatten,
    height,
    literal_prefix,
    wildcard_regex,
)
from smo_cli.query.lexer import MAX_DISTANCE, Token, tokenise_query
from smo_cli.query.matcher import Query
from smo_cli.query.problems import Abort, LintProblem, first_error
from smo_cli.query.text import fold, split_url, tokenise

MAX_LENGTH = 10_000  # characters; far beyond what the suites accept (Brandwatch: 4,096)
MAX_DEPTH = 50  # parentheses, NOTs, fields and NEARs in a row, nested in one another
# NEAR chains inside nested groups stack up beyond MAX_DEPTH; evaluation recurses once per level.
MAX_HEIGHT = 2 * MAX_DEPTH
_STARTERS = frozenset({"WORD", "PHRASE", "EXACT", "FIELD", "(", "NOT"})
Context = TextField | ValueField | None  # None: the title and text of a mention
_TEXT_FIELDS: dict[str | None, TextField] = {name: name for name in TEXT_FIELDS}
_VALUE_FIELDS: dict[str | None, ValueField] = {name: name for name in VALUE_FIELDS}


def parse(text: str) -> Query:
    """Parse query text; a problem raises InvalidData naming the column and how to fix it."""
    root, problems = parse_with_problems(text)
    error = first_error(problems)
    if error is not None or root is None:
        raise (error or LintProblem(1, "empty query", "write at least one word")).to_error()
    return Query(text, root)


def parse_with_problems(text: str) -> tuple[Node | None, list[LintProblem]]:
    """The syntax tree (None when parsing had to stop) and every problem found on the way."""
    problems: list[LintProblem] = []
    if len(text) > MAX_LENGTH:
        problems.append(LintProblem(MAX_LENGTH + 1, f"the query is {len(text):,} characters long, "
                                    f"more than {MAX_LENGTH:,}", "split it into several queries"))
        return None, problems
    parser = _Parser(tokenise_query(text, problems), problems)
    try:
        return parser.query(), problems
    except Abort:
        return None, problems


class _Parser:
    def __init__(self, tokens: list[Token], problems: list[LintProblem]) -> None:
        self.tokens = tokens
        self.problems = problems
        self.at = 0
        self.depth = 0
        self.lowercase_seen: set[int] = set()

    # --- helpers ----------------------------------------------------------------------------

    @property
    def peek(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def problem(self, column: int, message: str, hint: str, *, warning: bool = False) -> None:
        self.problems.append(LintProblem(column, message, hint,
                                         "warning" if warning else "error"))

    def stop(self, column: int, message: str, hint: str) -> Abort:
        self.problem(column, message, hint)
        return Abort()

    def enter(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.stop(column, f"the query nests deeper than {MAX_DEPTH} levels",
                            "flatten it: (a OR b OR c) needs no inner parentheses")

    # --- grammar ----------------------------------------------------------------------------

    def query(self) -> Node:
        if self.peek.kind == "EOF":
            raise self.stop(1, "empty query", "write at least one word")
        node = self.or_(None)
        if self.peek.kind == ")":
            raise self.stop(self.peek.column, 'unmatched ")"', 'remove it or add "(" before')
        if height(node) > MAX_HEIGHT:
            raise self.stop(1, f"the query nests deeper than {MAX_HEIGHT} levels",
                            "split long NEAR chains and nested groups into simpler queries")
        return node

    def or_(self, context: Context) -> Node:
        children = [self.and_(context)]
        while self.peek.kind == "OR" or self.lowercase_operator("OR"):
            self.advance()
            children.append(self.and_(context))
        return flatten(Or, children)

    def lowercase_operator(self, operator: str) -> bool:
        """Whether the next token is `operator` written in lowercase; if so, say so once."""
        token = self.peek
        if token.kind != "WORD" or token.text == operator or token.text.upper() != operator:
            return False
        if token.column not in self.lowercase_seen:  # asked more than once per token
            self.lowercase_seen.add(token.column)
            self.problem(token.column, f'"{token.text}" is a word here: operators are written '
                         "in capitals", f"write {operator}")
        return True

    def and_(self, context: Context) -> Node:
        children = [self.unary(context)]
        while True:
            token = self.peek
            if token.kind == "AND" or self.lowercase_operator("AND"):
                self.advance()
            elif self.lowercase_operator("NOT"):  # read as AND NOT, what the author meant
                self.advance()
                children.append(Not(self.unary(context), token.column))
                continue
            elif token.kind == "NOT":
                self.problem(token.column, "NOT needs AND or OR before it", 'write "AND NOT"')
            elif token.kind in _STARTERS and not self.lowercase_operator("OR"):
                self.problem(token.column, "two terms without an operator (implicit AND is not "
                             "allowed)", "join terms with AND or OR")
            else:
                return flatten(And, children)
            children.append(self.unary(context))

    def unary(self, context: Context) -> Node:
        if self.peek.kind != "NOT":
            return self.near(context)
        token = self.advance()
        self.enter(token.column)
        child = self.unary(context)
        self.depth -= 1
        return Not(child, token.column)

    def near(self, context: Context) -> Node:
        left = self.primary(context)
        chained = 0
        while self.peek.kind == "NEAR":
            operator = self.advance()
            chained += 1
            if self.depth + chained > MAX_DEPTH:
                raise self.stop(operator.column, f"more than {MAX_DEPTH} NEARs in a row",
                                "split the query into smaller NEAR groups joined with AND")
            right = self.primary(context)
            if context in _VALUE_FIELDS:
                self.problem(operator.column, f"NEAR needs text, and {context}: holds a value",
                             "join values with AND or OR")
            if operator.number == 0:
                self.problem(operator.column, f"{operator.text} matches only adjacent words",
                             'write a phrase "a b", or NEAR/1 or more', warning=True)
            sides = [self.positional(left), self.positional(right)]
            if sides[0] is None or sides[1] is None:
                left = And((left, right))
                continue
            left = Near(sides[0], sides[1], min(operator.number or 0, MAX_DISTANCE),
                        operator.ordered, operator.column)
        return left

    def positional(self, node: Node) -> Positional | None:
        """`node` if it can stand beside NEAR, else None after recording why not."""
        if isinstance(node, Term | Phrase | Near):
            return node
        if isinstance(node, Or) and all(self.positional(c) is not None for c in node.children):
            return node
        if isinstance(node, InField):
            self.problem(node.column, "a field inside NEAR applies to one side only",
                         f"put the field before the whole NEAR: {node.field}:(a NEAR/3 b)")
        elif isinstance(node, FieldValue):
            self.problem(node.column, f"{node.field}: has no word positions to be NEAR to",
                         "join it with AND")
        elif not isinstance(node, Or):
            self.problem(node.column, "NEAR works on words, phrases and OR-groups, not on AND "
                         "or NOT", "move AND and NOT outside the NEAR")
        return None

    def primary(self, context: Context) -> Node:
        token = self.peek
        if token.kind == "(":
            self.advance()
            self.enter(token.column)
            if self.peek.kind == ")":
                raise self.stop(self.peek.column, "empty parentheses",
                                "put a term inside or remove them")
            node = self.or_(context)
            closing = self.peek
            if closing.kind != ")":
                raise self.stop(closing.column, "unclosed parenthesis opened at column "
                                f"{token.column}", 'add ")"')
            self.advance()
            self.depth -= 1
            return node
        if token.kind == "FIELD":
            return self.field(token, context)
        if token.kind in ("WORD", "PHRASE", "EXACT"):
            self.advance()
            value_field = _VALUE_FIELDS.get(context)
            return self.text_term(token) if value_field is None else self.value(token, value_field)
        previous = self.tokens[self.at - 1] if self.at else None
        if previous is not None and previous.kind in ("AND", "OR", "NOT", "NEAR", "FIELD"):
            raise self.stop(token.column, f"{previous.source} needs a term after it",
                            "add a word after it or remove it")
        if token.kind == "EOF":
            raise self.stop(token.column, "the query ends where a term is expected",
                            "add a word or remove the last operator")
        if token.kind == ")":
            raise self.stop(token.column, 'unmatched ")"', 'remove it or add "(" before')
        raise self.stop(token.column, f"{token.source} needs a term before it",
                        "add a word before it or remove it")

    def field(self, token: Token, context: Context) -> Node:
        self.advance()
        self.enter(token.column)
        text_field = _TEXT_FIELDS.get(token.text)
        name: TextField | ValueField = text_field or _VALUE_FIELDS[token.text]
        if context is not None and context != name:
            self.problem(token.column, f"{token.source} inside {context}: overrides it",
                         f"move {token.source} out of the {context}: group", warning=True)
        child = self.primary(name)
        self.depth -= 1
        return child if text_field is None else InField(text_field, child, token.column)

    # --- leaves -----------------------------------------------------------------------------

    def text_term(self, token: Token) -> Node:
        exact = token.kind == "EXACT"
        content = token.text.strip()
        if exact and len(content) >= 2 and content[0] == content[-1] == '"':
            content = content[1:-1]
        offset = token.column + (0 if token.kind == "WORD" else 1)
        words: list[Word] = []
        for keys in tokenise(content, wildcards=True):
            raw = keys[0]
            bare = raw.lstrip("#@")
            if bare[:1] in ("*", "?"):
                column = offset + max(content.find(bare), 0)
                self.problem(column, f'leading wildcard in "{raw}"',
                             f"wildcards go inside or at the end of a word: {bare.lstrip('*?')}*")
                raw = raw[: len(raw) - len(bare)] + bare.lstrip("*?")
                if not raw.lstrip("#@"):
                    continue
            words.append(Word.of(raw, exact=exact))
        if not words:
            if token.kind == "PHRASE" and not content:
                raise self.stop(token.column, "empty phrase", 'put words between the quotes '
                                'or remove ""')
            raise self.stop(token.column, f"{token.source} has no letters or digits to match",
                            "remove it")
        if len(words) == 1:
            if token.number is not None:
                self.problem(token.column, f"~{token.number} on a single word does nothing",
                             "remove the ~n or add words to the phrase", warning=True)
            return Term(words[0], token.source, token.column)
        return Phrase(tuple(words), token.number, token.source, token.column)

    def value(self, token: Token, field: ValueField) -> FieldValue:
        written = token.text.strip()
        if not written:
            raise self.stop(token.column, f"empty {field}: value", f"write {field}:something")
        if token.kind == "EXACT":
            self.problem(token.column, f"{{}} does nothing in {field}:", "remove the braces",
                         warning=True)
        value = fold(written)
        if field == "hashtag":
            value = value.lstrip("#")
        elif field == "lang":
            value = value.replace("_", "-")
        elif field == "url":
            host, rest = split_url(written.rstrip("*"))
            value = host + rest
        elif field == "site":
            value = split_url(written)[0]
        has_wildcard = any(c in value for c in WILDCARDS)
        if has_wildcard and field in ("site", "url", "lang"):
            self.problem(token.column, f"wildcards do not work in {field}:",
                         "site:acme.nl already matches every subdomain" if field == "site"
                         else "remove the wildcard")
        elif has_wildcard and not literal_prefix(value):
            self.problem(token.column, f'leading wildcard in "{written}"',
                         "wildcards go inside or at the end of a value")
        regex = wildcard_regex(value) if has_wildcard else None
        return FieldValue(field, value, written, token.column, regex)
