"""Snippets: the passage of a hit that best shows why it matched.

A snippet is plain text plus the character ranges of the matched words in
it, and the number of the paragraph it comes from (``#p3``). Nothing here
produces markup: the web templates escape the text and wrap the ranges.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field

from .analysis import (
    WORD,
    probe_at_word_start,
    probe_text,
    probes_of,
    word_entries,
    word_entry,
    word_matches,
)
from .document import Document

SNIPPET_LENGTH = 240
#: A probe met by a paragraph with a capital letter (`MatchTerms.probes`).
CAPITALS = "\0capitals"
#: Probes this long or shorter must start a word (`analysis.probe_at_word_start`).
SHORT_PROBE = 3
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
    """What a query looks for, in each of the index's forms.

    Words are marked one by one (their stems, an exact =word, a prefix);
    phrases and NEAR operands only where their words follow each other as
    the query has them; names (``kind:id`` of recognised entities) only as
    whole names, where the registry's `NameIndex` finds them. So a stopword,
    or a word that is part of another name, is never marked.
    """

    stemmed: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    #: Runs of analysed-field terms (phrases, NEAR operands) to mark together.
    sequences: set[tuple[str, ...]] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    #: (word, language) -> matches?; words repeat a lot across a page of hits.
    _seen: dict = field(default_factory=dict, repr=False, compare=False)
    _probes: list = field(default_factory=list, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.stemmed or self.exact or self.prefixes or self.sequences or self.entities)

    def probes(self, names=None) -> tuple | None:
        """What a paragraph's text must show for it to hold any of these terms:
        a tuple of requirements, any of which is enough; each a tuple of sets
        of probes (`analysis.probes_of`), every set of which must have one in
        the paragraph's `probe_text` (a phrase or a name needs all its words);
        a probe is a string, or
        `CAPITALS`, met by a text with a capital letter (names found by their
        sound start with one), or a regular expression (a name's loose Arabic
        spellings). None when the probes would find every paragraph. `names`
        is the registry's `NameIndex`. Computed once, when the query is
        complete."""
        if not self._probes:
            self._probes.append(self._requirements(names))
        return self._probes[0]

    def _requirements(self, names) -> tuple | None:
        words: set[str] = set()  # any word found is enough
        for term in self.stemmed:
            words.update(probes_of(term))
        for term in self.exact | self.prefixes:
            words.update(probes_of(term, stemmed=False))
        required = [(tuple(sorted(words)),)] if words else []
        for sequence in self.sequences:
            required.append(tuple(probes_of(term) for term in sequence))
        for key in sorted(self.entities) if names is not None else ():
            keys = names.name_keys_of(key)
            if keys is None:
                return None
            exact, stemmed, sounds, loose = keys
            for name in sorted(exact):  # every word of a name
                required.append(tuple(probes_of(word, stemmed=False) for word in name))
            for name in sorted(stemmed):
                required.append(tuple(probes_of(word) for word in name))
            required += [((re.compile(pattern),),) for pattern in sorted(loose)]
            if sounds:
                required.append(((CAPITALS,),))
        if any("" in options for requirement in required for options in requirement):
            return None
        return tuple(required)

    def matches(self, word: str, language: str) -> bool:
        key = (word, language)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._matches(word, language)
        return found

    def _matches(self, word: str, language: str) -> bool:
        exact, stemmed = word_entry(word, *word_entries(language))[:2]
        if self.stemmed and any(t in self.stemmed for t in stemmed):
            return True
        if any(t in self.exact for t in exact):
            return True
        return any(t.startswith(p) for t in exact for p in self.prefixes)


class Paragraph:
    """A paragraph's text and terms, for choosing and marking a snippet.

    Its terms are read the first time a query may find some in it (`holds`),
    its words in order (for phrases) and the names in it the first time a
    query asks for them: a search whose hits were not shown lately reads
    only the paragraphs that may hold what it looks for.
    """

    __slots__ = ("text", "language", "name_index", "_terms", "_read", "_names", "_without")

    def __init__(self, text: str, language: str = "en", names=None):
        self.text = text
        self.language = language
        self.name_index = names  # the registry's `NameIndex`, or None
        self._terms = None
        self._read = None
        self._names = None
        self._without = None  # the last probes not found in the text

    def _analysed(self) -> tuple[frozenset[str], frozenset[str]]:
        """(stemmed terms, exact terms), each distinct word looked up once."""
        if self._terms is None:
            memo, chain = word_entries(self.language)  # what indexing made of each word
            stemmed: set[str] = set()
            exact: set[str] = set()
            for raw in set(WORD.findall(self.text)):
                entry = word_entry(raw, memo, chain)
                stemmed.update(entry[1])
                exact.update(entry[0])
            self._terms = (frozenset(stemmed), frozenset(exact))
        return self._terms

    @property
    def stemmed(self) -> frozenset[str]:
        return self._analysed()[0]

    @property
    def exact(self) -> frozenset[str]:
        return self._analysed()[1]

    def holds(self, probes: tuple | None) -> bool:
        """Whether the paragraph may hold terms with these `MatchTerms.probes`
        (None: any terms); False means surely not, without analysing it."""
        if probes is None or self._terms is not None:
            return True
        if self._without == probes:  # the same query again
            return False
        text = probe_text(self.text)
        capitals = self.text != self.text.lower()
        for requirement in probes:
            if all(any(_shows(p, text, capitals) for p in options) for options in requirement):
                return True
        self._without = probes
        return False

    def _words(self) -> tuple[tuple[str, ...], array, list]:
        """(the analysed term of each word, where each word starts and ends,
        each word as the registry's `NameIndex` reads it)."""
        if self._read is None:
            memo, chain = word_entries(self.language)
            forms, offsets, words = [], array("I"), []
            for match in word_matches(self.text):
                entry = word_entry(match.group(), memo, chain)
                if entry[0]:  # marks alone have no term
                    forms.append(entry[2][0])
                    offsets.extend(match.span())
                    words.append(entry[3])
            self._read = (tuple(forms), offsets, words)
        return self._read

    @property
    def forms(self) -> tuple[str, ...]:
        return self._words()[0]

    @property
    def offsets(self) -> array:
        """Two numbers a word: where it starts and where it ends."""
        return self._words()[1]

    @property
    def names(self) -> tuple[tuple[int, int, frozenset[str]], ...]:
        """(start, end, "kind:id" keys) of each name the registry finds."""
        if self._names is None:
            spans = []
            if self.name_index is not None:
                _, offsets, words = self._words()
                for i, length, entities in self.name_index.scan(words):
                    keys = frozenset(f"{e.kind}:{e.id}" for e in entities)
                    spans.append((offsets[2 * i], offsets[2 * (i + length) - 1], keys))
            self._names = tuple(spans)
        return self._names


def _shows(probe, text: str, capitals: bool) -> bool:
    """Whether a paragraph (its `probe_text`, whether it has capitals) shows a probe."""
    if probe is CAPITALS:
        return capitals
    if not isinstance(probe, str):  # a pattern
        return probe.search(text) is not None
    if probe not in text:
        return False
    # A short probe is part of many words: it must start one.
    return len(probe) > SHORT_PROBE or probe_at_word_start(probe).search(text) is not None


def analyse_paragraphs(document: Document, names=None) -> tuple[Paragraph, ...]:
    """Each paragraph of `document`, its terms read when first needed
    (`names`: the registry's `NameIndex`, for the names in it); kept once
    per document version."""
    return tuple(Paragraph(text, document.language, names) for text in document.paragraphs())


def _runs(paragraph: Paragraph, sequence: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the words of a phrase follow each other in a paragraph."""
    if not all(term in paragraph.forms for term in sequence):  # passed over at once
        return []
    forms, offsets, size, first = paragraph.forms, paragraph.offsets, len(sequence), sequence[0]
    found = []
    for i in range(len(forms) - size + 1):
        if forms[i] == first and all(sequence[k] == forms[i + k] for k in range(1, size)):
            found.append((offsets[2 * i], offsets[2 * (i + size) - 1]))
    return found


def _paragraph_score(paragraph: Paragraph, terms: MatchTerms) -> int:
    """How many distinct query terms, phrases and names a paragraph holds."""
    score = len(paragraph.stemmed & terms.stemmed) + len(paragraph.exact & terms.exact)
    if terms.prefixes:
        score += sum(1 for p in terms.prefixes if any(t.startswith(p) for t in paragraph.exact))
    if terms.sequences:
        score += sum(1 for sequence in terms.sequences if sequence and _runs(paragraph, sequence))
    if terms.entities:
        named = set().union(*(keys for _, _, keys in paragraph.names)) if paragraph.names else set()
        score += len(named & terms.entities)
    return score


def spans_in(paragraph: Paragraph, terms: MatchTerms, language: str) -> list[tuple[int, int]]:
    """The character ranges to mark in a paragraph, sorted, none overlapping."""
    text = paragraph.text
    found = []
    if terms.stemmed or terms.exact or terms.prefixes:  # words marked one by one
        found = [m.span() for m in word_matches(text) if terms.matches(m.group(), language)]
    for sequence in terms.sequences:
        if sequence:
            found.extend(_runs(paragraph, sequence))
    if terms.entities:
        found.extend((start, end) for start, end, keys in paragraph.names if keys & terms.entities)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(
    document: Document,
    terms: MatchTerms,
    paragraphs: tuple[Paragraph, ...] | None = None,
    length: int = SNIPPET_LENGTH,
    names=None,
) -> Snippet:
    """The best passage of `document` for `terms`: the paragraph holding the most
    distinct query terms, phrases and names, cut around its first match
    (`paragraphs` may come from a cache of `analyse_paragraphs`)."""
    paragraphs = paragraphs if paragraphs is not None else analyse_paragraphs(document, names)
    if not paragraphs:
        return Snippet("")
    best, best_score = 0, 0
    if terms:
        probes = terms.probes(paragraphs[0].name_index)
        for number, paragraph in enumerate(paragraphs):
            if not paragraph.holds(probes):
                continue
            score = _paragraph_score(paragraph, terms)
            if score > best_score:
                best, best_score = number, score
    text = paragraphs[best].text
    spans = spans_in(paragraphs[best], terms, document.language) if best_score else []
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
