"""Snippets: the passage of a hit that best shows why it matched.

A snippet is plain text plus the character ranges of the matched words in
it, and the number of the paragraph it comes from (``#p3``). Nothing here
produces markup: the web templates escape the text and wrap the ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import EXACT, terms_of, word_matches
from .document import Document

SNIPPET_LENGTH = 240
_LEAD = 60  # characters of context kept before the first match


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...] = ()
    paragraph: int | None = None  # 1-based paragraph number; None: no body match

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, is_match) pairs, for rendering."""
        pieces, last = [], 0
        for start, end in self.highlights:
            if start > last:
                pieces.append((self.text[last:start], False))
            pieces.append((self.text[start:end], True))
            last = end
        if last < len(self.text):
            pieces.append((self.text[last:], False))
        return pieces

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "highlights": [list(h) for h in self.highlights],
            "paragraph": self.paragraph,
        }


@dataclass
class MatchTerms:
    """The terms a query looks for, in each of the index's forms."""

    stemmed: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.stemmed or self.exact or self.prefixes)

    def update(self, other: MatchTerms) -> None:
        self.stemmed |= other.stemmed
        self.exact |= other.exact
        self.prefixes |= other.prefixes

    def matches(self, word: str, language: str) -> bool:
        if self.stemmed and any(t in self.stemmed for t in terms_of(word, language)):
            return True
        exact = terms_of(word, EXACT)
        if any(t in self.exact for t in exact):
            return True
        return any(t.startswith(p) for t in exact for p in self.prefixes)


def spans_in(text: str, terms: MatchTerms, language: str) -> list[tuple[int, int]]:
    return [m.span() for m in word_matches(text) if terms.matches(m.group(), language)]


def make_snippet(document: Document, terms: MatchTerms, length: int = SNIPPET_LENGTH) -> Snippet:
    """The best passage of `document` for `terms`: the paragraph with the most
    distinct matched words, cut around its first match."""
    paragraphs = document.paragraphs()
    best, best_score, best_spans = 0, 0, []
    if terms:
        for number, paragraph in enumerate(paragraphs):
            spans = spans_in(paragraph, terms, document.language)
            if not spans:
                continue
            distinct = {paragraph[s:e].casefold() for s, e in spans}
            score = len(distinct) * 100 + len(spans)
            if score > best_score:
                best, best_score, best_spans = number, score, spans
    if not paragraphs:
        return Snippet("")
    paragraph = paragraphs[best]
    start = 0
    if best_spans and best_spans[0][0] > _LEAD:
        start = paragraph.rfind(" ", 0, best_spans[0][0] - _LEAD) + 1
    end = len(paragraph)
    if end - start > length:
        cut = paragraph.rfind(" ", start, start + length)
        end = cut if cut > start else start + length
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(paragraph) else ""
    shift = len(prefix) - start
    highlights = tuple((s + shift, e + shift) for s, e in best_spans if s >= start and e <= end)
    return Snippet(
        prefix + paragraph[start:end] + suffix,
        highlights,
        best + 1 if best_spans else None,
    )
