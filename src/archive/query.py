"""The query language: from what a reader types to a small syntax tree.

Parsing never fails. Whatever cannot be read as written (an unbalanced quote
or bracket, an unknown field, an operator with nothing to apply to, a query
too long or too deep) is read as plain words or dropped, and a message says
what was ignored. The tree is pure data; `search` turns it into Whoosh
queries.

Syntax (operators in English, Arabic and French)::

    word word            all words must match
    a OR b    a أو b    a OU b
    NOT a     -a        ليس a    بدون a    SAUF a
    ( … )               grouping
    "exact phrase"      exact words in order (normalised, unstemmed)
    "a b"~5             a and b at most 5 words apart, in any order
    a NEAR/p b          a and b in the same paragraph
    word*               words starting with "word"
    field:value         title: country: org: person: type: lang: date:
    date:2021  date:2021-07  date:[2020 TO 2022]

Characters are read in their logical (typed) order, so a query typed into a
right-to-left box means the same as the same characters typed left to right;
bidi control characters are dropped, and a lone surrogate is read as U+FFFD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .fields import FACET_TABLE
from .i18n import N_
from .languages import joined

MAX_QUERY_LENGTH = 1000
MAX_DEPTH = 8
MAX_CLAUSES = 40
MAX_PROXIMITY = 100

#: Field names and their aliases (Arabic, French, long forms).
FIELD_ALIASES = {
    "title": ("title", "titre", "عنوان", "العنوان"),
    **{f.parameter: (f.parameter, *f.aliases) for f in FACET_TABLE if f.aliases},
    "date": ("date", "تاريخ", "التاريخ"),
}
_FIELDS = {alias.casefold(): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}

#: The operators' words in every language (`languages`).
OR_WORDS = joined("or_words")
AND_WORDS = joined("and_words")
NOT_WORDS = joined("not_words")
RANGE_WORDS = joined("range_words")

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
#: Lone surrogates (from a broken URL or form) have no UTF-8 form; they are
#: read as U+FFFD, which no word contains.
_SURROGATE = re.compile("[\ud800-\udfff]")
_OPEN_QUOTES = '"“”«»„'
_CLOSE_QUOTES = {'"': '"', "“": "”", "”": "”", "«": "»", "»": "«", "„": "“"}
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NEAR = re.compile(r"^NEAR/(p|\d+)$", re.I)
_SLOP = re.compile(r"~(\d+)")

# --- The tree -------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Prefix:
    text: str  # without the *


@dataclass(frozen=True)
class Phrase:
    text: str
    slop: int = 0  # 0: exact phrase; n: words at most n apart, any order


@dataclass(frozen=True)
class Field:
    name: str  # canonical field name
    value: str
    phrase: bool = False


@dataclass(frozen=True)
class DateRange:
    start: str  # ISO date or partial date, "" for open
    end: str


@dataclass(frozen=True)
class Not:
    node: object


@dataclass(frozen=True)
class And:
    nodes: tuple


@dataclass(frozen=True)
class Or:
    nodes: tuple


@dataclass(frozen=True)
class Near:
    left: object
    right: object
    paragraph: bool  # True: same paragraph; False: within `distance` words
    distance: int = 0


@dataclass(frozen=True)
class Message:
    """Something the parser could not read as written (a translatable template)."""

    template: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        return self.template.format(**self.params)


@dataclass
class ParsedQuery:
    text: str
    tree: object | None  # None: no condition (all documents)
    messages: list[Message]


# --- Lexer ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD PHRASE FIELD RANGE LPAREN RPAREN OR AND NOT MINUS NEAR
    text: str = ""
    slop: int = 0
    field: str = ""


def _lex(text: str, messages: list[Message]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    pending_field = ""
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            tokens.append(_Token("LPAREN" if c == "(" else "RPAREN"))
            i += 1
            continue
        if c in _OPEN_QUOTES:
            close = text.find(_CLOSE_QUOTES[c], i + 1)
            if close < 0:
                close = _find_any(text, '"”»“', i + 1)
            if close < 0:
                messages.append(Message(N_("An unbalanced quote mark was ignored.")))
                i += 1
                continue
            phrase = text[i + 1 : close]
            i = close + 1
            slop = 0
            match = _SLOP.match(text.translate(_DIGITS), i)
            if match:
                slop = int(match.group(1))
                i = match.end()
                if slop > MAX_PROXIMITY:
                    messages.append(
                        Message(
                            N_("Proximity was limited to {limit} words."), {"limit": MAX_PROXIMITY}
                        )
                    )
                    slop = MAX_PROXIMITY
            tokens.append(_Token("PHRASE", phrase, slop, field=pending_field))
            pending_field = ""
            continue
        if c == "[":
            close = text.find("]", i + 1)
            if close < 0:
                messages.append(Message(N_("An unclosed [ was ignored.")))
                i += 1
                continue
            tokens.append(_Token("RANGE", text[i + 1 : close], field=pending_field))
            pending_field = ""
            i = close + 1
            continue
        if c == "]":
            messages.append(Message(N_("An unmatched ] was ignored.")))
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '()[]"“”«»„':
            j += 1
        chunk = text[i:j]
        i = j
        if chunk.startswith("-") and len(chunk) > 1 and not pending_field:
            tokens.append(_Token("MINUS"))
            chunk = chunk[1:]
        if not pending_field:
            # Latin operators count only in capitals: "war or peace" is three words.
            if chunk in OR_WORDS:
                tokens.append(_Token("OR"))
                continue
            if chunk in AND_WORDS:
                tokens.append(_Token("AND"))
                continue
            if chunk in NOT_WORDS:
                tokens.append(_Token("NOT"))
                continue
            near = _NEAR.match(chunk)
            if near:
                kind = near.group(1).lower()
                distance = 0 if kind == "p" else min(int(kind), MAX_PROXIMITY)
                tokens.append(_Token("NEAR", kind, distance))
                continue
            name, colon, value = chunk.partition(":")
            if colon and name:
                canonical = _FIELDS.get(name.casefold())
                if canonical is None:
                    messages.append(
                        Message(
                            N_('Unknown field "{field}:" was searched as words.'), {"field": name}
                        )
                    )
                    chunk = f"{name} {value}".strip()
                    tokens.extend(_Token("WORD", w) for w in chunk.split())
                    continue
                if value:
                    tokens.append(_Token("FIELD", value, field=canonical))
                else:
                    pending_field = canonical
                continue
        if pending_field:
            tokens.append(_Token("FIELD", chunk, field=pending_field))
            pending_field = ""
        elif chunk.strip("-:*"):
            tokens.append(_Token("WORD", chunk))
    if pending_field:
        messages.append(
            Message(
                N_('The field "{field}:" had no value and was ignored.'), {"field": pending_field}
            )
        )
    return tokens


def _find_any(text: str, chars: str, start: int) -> int:
    found = [p for p in (text.find(c, start) for c in chars) if p >= 0]
    return min(found) if found else -1


# --- Parser -----------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], messages: list[Message]):
        self.tokens = tokens
        self.pos = 0
        self.messages = messages
        self.clauses = 0
        self.too_many = False
        self.too_deep = False

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self):
        nodes = []
        while self.peek() is not None:
            node = self.parse_or(depth=0)
            if node is not None:
                nodes.append(node)
            token = self.peek()
            if token is not None and token.kind == "RPAREN":
                self.take()
                self.messages.append(Message(N_("An unmatched ) was ignored.")))
        return _and(nodes)

    def parse_or(self, depth: int):
        nodes = [self.parse_and(depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            right = self.parse_and(depth)
            if right is None:
                self.messages.append(Message(N_("OR needs words on both sides; it was ignored.")))
            nodes.append(right)
        nodes = [n for n in nodes if n is not None]
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def parse_and(self, depth: int):
        nodes = []
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                self.take()
                continue
            node = self.parse_near(depth)
            if node is not None:
                nodes.append(node)
        return _and(nodes)

    def parse_near(self, depth: int):
        left = self.parse_unary(depth)
        while (token := self.peek()) is not None and token.kind == "NEAR":
            self.take()
            right = self.parse_unary(depth)
            if left is None or right is None:
                self.messages.append(Message(N_("NEAR needs words on both sides; it was ignored.")))
                left = left or right
                continue
            left = Near(left, right, paragraph=token.text == "p", distance=token.slop)
        return left

    def parse_unary(self, depth: int):
        # Iterative, so that a long run of NOTs cannot exhaust the stack.
        negated = seen = False
        while (token := self.peek()) is not None and token.kind in ("NOT", "MINUS"):
            self.take()
            negated, seen = not negated, True
        node = self.parse_primary(depth) if self.peek() is not None else None
        if seen and node is None:
            self.messages.append(Message(N_("NOT needs something to exclude; it was ignored.")))
            return None
        return Not(node) if negated else node

    def parse_primary(self, depth: int):
        token = self.take()
        if token.kind == "LPAREN":
            if depth >= MAX_DEPTH:
                if not self.too_deep:
                    self.messages.append(
                        Message(
                            N_("Brackets nested deeper than {limit} levels were ignored."),
                            {"limit": MAX_DEPTH},
                        )
                    )
                    self.too_deep = True
                return None
            node = self.parse_or(depth + 1)
            closing = self.peek()
            if closing is not None and closing.kind == "RPAREN":
                self.take()
            else:
                self.messages.append(Message(N_("An unclosed ( was closed at the end.")))
            return node
        if token.kind in ("RPAREN", "OR", "AND", "NEAR"):
            return None  # handled by the callers' loops
        if not self._count():
            return None
        if token.kind == "WORD":
            if token.text.endswith("*"):
                stem = token.text.rstrip("*")
                return Prefix(stem) if stem else None
            return Word(token.text.replace("*", ""))
        if token.kind == "PHRASE":
            if token.field:
                return self._field(token.field, token.text, phrase=True)
            return Phrase(token.text, token.slop) if token.text.strip() else None
        if token.kind == "RANGE":
            return self._range(token.field, token.text)
        if token.kind == "FIELD":
            return self._field(token.field, token.text)
        return None

    def _count(self) -> bool:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            if not self.too_many:
                self.messages.append(
                    Message(
                        N_("Only the first {limit} terms of the query were used."),
                        {"limit": MAX_CLAUSES},
                    )
                )
                self.too_many = True
            return False
        return True

    def _field(self, name: str, value: str, phrase: bool = False):
        value = value.strip()
        if not value:
            return None
        if name == "date":
            return DateRange(value, value)
        return Field(name, value, phrase)

    def _range(self, name: str, text: str):
        parts = text.split()
        if name != "date":
            self.messages.append(
                Message(N_("Ranges work only on date:; [{text}] was ignored."), {"text": text})
            )
            return None
        if len(parts) == 3 and (parts[1].upper() in RANGE_WORDS or parts[1] in RANGE_WORDS):
            start, end = parts[0], parts[2]
        elif len(parts) == 2 and (parts[0].upper() in RANGE_WORDS or parts[0] in RANGE_WORDS):
            start, end = "", parts[1]
        elif len(parts) == 2 and (parts[1].upper() in RANGE_WORDS or parts[1] in RANGE_WORDS):
            start, end = parts[0], ""
        else:
            self.messages.append(
                Message(
                    N_("A date range is written [2020 TO 2022]; [{text}] was ignored."),
                    {"text": text},
                )
            )
            return None
        return DateRange(start.replace("*", ""), end.replace("*", ""))


def _and(nodes: list):
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def parse(text: str) -> ParsedQuery:
    """Parse a query; never raises."""
    messages: list[Message] = []
    text = text or ""
    if "\x00" in text:
        text = text.replace("\x00", " ")
    text = _SURROGATE.sub("\ufffd", _BIDI.sub("", text))
    if len(text) > MAX_QUERY_LENGTH:
        messages.append(
            Message(
                N_("The query was cut to its first {limit} characters."),
                {"limit": MAX_QUERY_LENGTH},
            )
        )
        text = text[:MAX_QUERY_LENGTH]
    tokens = _lex(text, messages)
    tree = _Parser(tokens, messages).parse()
    unique = list({(m.template, tuple(sorted(m.params.items()))): m for m in messages}.values())
    return ParsedQuery(text, tree, unique)
