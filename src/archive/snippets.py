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
    #: (word, language) -> matches?; words repeat a lot across a page of hits.
    _seen: dict = field(default_factory=dict, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.stemmed or self.exact or self.prefixes)

    def matches(self, word: str, language: str) -> bool:
        key = (word, language)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._matches(word, language)
        return found

    def _matches(self, word: str, language: str) -> bool:
        if self.stemmed and any(t in self.stemmed for t in terms_of(word, language)):
            return True
        exact = terms_of(word, EXACT)
        if any(t in self.exact for t in exact):
            return True
        return any(t.startswith(p) for t in exact for p in self.prefixes)


def spans_in(text: str, terms: MatchTerms, language: str) -> list[tuple[int, int]]:
    return [m.span() for m in word_matches(text) if terms.matches(m.group(), language)]


@dataclass(frozen=True)
class Paragraph:
    text: str
    stemmed: frozenset[str]
    exact: frozenset[str]


def analyse_paragraphs(document: Document) -> tuple[Paragraph, ...]:
    """Each paragraph with the set of its terms, computed once per document version."""
    found = []
    for text in document.paragraphs():
        stemmed: set[str] = set()
        exact: set[str] = set()
        for match in word_matches(text):
            stemmed.update(terms_of(match.group(), document.language))
            exact.update(terms_of(match.group(), EXACT))
        found.append(Paragraph(text, frozenset(stemmed), frozenset(exact)))
    return tuple(found)


def _paragraph_score(paragraph: Paragraph, terms: MatchTerms) -> int:
    """How many distinct query terms a paragraph holds (set intersections, no tokenising)."""
    score = len(paragraph.stemmed & terms.stemmed) + len(paragraph.exact & terms.exact)
    if terms.prefixes:
        score += sum(1 for p in terms.prefixes if any(t.startswith(p) for t in paragraph.exact))
    return score


def make_snippet(
    document: Document,
    terms: MatchTerms,
    paragraphs: tuple[Paragraph, ...] | None = None,
    length: int = SNIPPET_LENGTH,
) -> Snippet:
    """The best passage of `document` for `terms`: the paragraph holding the most
    distinct query terms, cut around its first match (`paragraphs` may come
    from a cache of `analyse_paragraphs`)."""
    paragraphs = paragraphs if paragraphs is not None else analyse_paragraphs(document)
    if not paragraphs:
        return Snippet("")
    best, best_score = 0, 0
    if terms:
        for number, paragraph in enumerate(paragraphs):
            score = _paragraph_score(paragraph, terms)
            if score > best_score:
                best, best_score = number, score
    text = paragraphs[best].text
    spans = spans_in(text, terms, document.language) if best_score else []
    start = 0
    if spans and spans[0][0] > _LEAD:
        start = text.rfind(" ", 0, spans[0][0] - _LEAD) + 1
    end = len(text)
    if end - start > length:
        cut = text.rfind(" ", start, start + length)
        end = cut if cut > start else start + length
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    highlights = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return Snippet(prefix + text[start:end] + suffix, highlights, best + 1 if spans else None)
