"""Words to terms: each chain's terms of a word, a query's, a phrase's, and
all index terms of a document in one pass (`analyse_document`)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

from pyarabic import araby

from ..languages import DEFAULT_LATIN, LANGUAGE_TABLE, LATIN
from .arabic import _UNNORMALISED_STOPWORDS, ARABIC_STOPWORDS, normalise_arabic, stem_arabic
from .caches import CACHE_LIMIT, TERMS_CACHE_LIMIT, Memo, _caches, _pair_caches
from .characters import WORD, is_arabic, strip_marks
from .choices import choice
from .latin import STOPWORDS, fold_accents, normalise_latin, stem_latin

EXACT = "exact"


def _words(token: str) -> list[str]:
    """NFKC can turn one token into several (ligatures like ﷺ); split again."""
    if token.isascii():
        return [token]
    normal = unicodedata.normalize("NFKC", token)
    return [token] if normal == token else WORD.findall(normal)


def _compute_pair(token: str, chain: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(exact terms, stemmed terms) of one raw token; the stemmed ones in
    `chain` (``en``, ``fr`` or ``ar``), none if `chain` is None.

    Stopwords give no stemmed term. ``ar`` means a document in Arabic: its
    Latin words are stemmed as English.
    """
    exact, stemmed = [], []
    for word in _words(token):
        if is_arabic(word):
            written = word
            word = normalise_arabic(word)
            if not word:  # marks alone
                continue
            exact.append(word)
            if chain is None or word in (
                ARABIC_STOPWORDS if choice("stopwords") else _UNNORMALISED_STOPWORDS
            ):
                continue
            word = stem_arabic(word, written)
        else:
            word = normalise_latin(word)
            folded = fold_accents(word)
            if folded:
                exact.append(folded)
            if chain is None or folded in STOPWORDS:
                continue
            word = stem_latin(word, chain if chain in LATIN else DEFAULT_LATIN)
        if word:
            stemmed.append(word)
    return tuple(exact), tuple(stemmed)


def _compute_terms(token: str, chain: str) -> tuple[str, ...]:
    """The terms one raw token gives in `chain`: ``exact``, ``en``, ``fr`` or ``ar``."""
    if chain == EXACT:
        return _compute_pair(token, None)[0]
    return _compute_pair(token, chain)[1]


def terms_of(token: str, chain: str) -> tuple[str, ...]:
    """Cached `_compute_terms`."""
    cache = _caches.get(chain)
    if cache is None:
        cache = _caches[chain] = Memo(TERMS_CACHE_LIMIT)
    return cache.get(token, _compute_terms, token, chain)


def word_matches(text: str) -> Iterator[re.Match]:
    """Raw word matches in `text`, with their character offsets."""
    return WORD.finditer(text)


def query_terms(word: str) -> tuple[str, ...]:
    """The stemmed-field terms a query word may match, across languages.

    A Latin word is stemmed as English and as French, because a query does
    not say which language the documents it wants are in.
    """
    found: list[str] = []
    for token in WORD.findall(word):  # "Al-Siddiq" is two words
        for chain in LATIN:
            for term in terms_of(token, chain):
                if term not in found:
                    found.append(term)
    return tuple(found)


#: The positional field and chain for phrases and proximity: each word's
#: analysed form (normalised, clitics removed, stemmed with the English and
#: Arabic chain, whatever the document's language), or for a stopword its
#: exact form, numbered by position. So "حرية الصحافة" finds «وحرية الصحافة»
#: and journalist finds journalists, as in Lucene and Elasticsearch.
ANALYSED = "analysed"
#: Written before a word (=journalists), it asks for that exact word.
LITERAL = "="


def positional_terms(token: str) -> tuple[str, ...]:
    """The analysed-field terms of one raw word, one per exact term: its
    analysed form, or the exact form of a stopword."""
    exact = terms_of(token, EXACT)
    analysed = terms_of(token, "en")
    return analysed if len(analysed) == len(exact) else exact


def phrase_terms(text: str) -> tuple[list[str], list[str | None]]:
    """The analysed-field terms of a phrase, one per position, and per position
    the exact term a word written with `LITERAL` in front must be (else None)."""
    found: list[str] = []
    literal: list[str | None] = []
    for chunk in text.split():
        for match in word_matches(chunk):
            terms = positional_terms(match.group())
            found.extend(terms)
            exact = terms_of(match.group(), EXACT) if chunk.startswith(LITERAL) else ()
            literal.extend(exact if len(exact) == len(terms) else [None] * len(terms))
    return found, literal


def phrase_in(text: str, terms: list[str], literal: list[str | None]) -> bool:
    """Whether `text` holds the phrase: its analysed terms one after another,
    each literal word as written (what the index cannot say: exact words have
    no positions)."""
    words = [
        (form, exact)
        for match in word_matches(text)
        for form, exact in zip(
            positional_terms(match.group()), terms_of(match.group(), EXACT), strict=False
        )
    ]
    size = len(terms)
    for i in range(len(words) - size + 1):
        if all(
            words[i + k][0] == terms[k] and literal[k] in (None, words[i + k][1])
            for k in range(size)
        ):
            return True
    return False


def name_word(raw: str, exact: tuple[str, ...], stemmed: tuple[str, ...]):
    """How the registry reads a word: (first exact term, first stemmed term,
    the word as written). An Arabic word loses its diacritics, so that its
    spellings with and without them are one word to the name scan."""
    if is_arabic(raw):
        plain = strip_marks(raw)
        raw = raw if plain == raw else plain  # one string kept, not two equal ones
    return (exact[0], stemmed[0] if stemmed else "", raw)


def _entry(raw: str, chain: str, memo: Memo) -> tuple:
    """What indexing needs of one raw word in a document of `chain`: (exact
    terms, stemmed terms, analysed forms, `name_word` or None).

    A word written with diacritics gives what it gives without them (and a
    final tanween fath, which the stemmer reads): its spellings share one
    entry in `memo`, computed once.
    """
    if not raw.isascii():
        plain = strip_marks(raw)
        if plain != raw and is_arabic(plain) and unicodedata.is_normalized("NFKC", raw):
            key = plain + araby.FATHATAN if araby.FATHATAN in raw[-2:] else plain
            return memo.get(key, _entry_of, key, chain)
    return _entry_of(raw, chain)


def _entry_of(raw: str, chain: str) -> tuple:
    exact, stemmed = _compute_pair(raw, chain)
    # The analysed forms are the English chain's (the ar chain stems Latin
    # words as English too); a stopword keeps its exact form. Names are read
    # with the English chain's stems too, as the registry's keys are made.
    latin = chain in LATIN and chain != DEFAULT_LATIN  # its own Latin stems
    english = _compute_pair(raw, DEFAULT_LATIN)[1] if latin else stemmed
    forms = english if len(english) == len(exact) else exact
    return exact, stemmed, forms, name_word(raw, exact, english) if exact else None


def word_entries(language: str) -> tuple[Memo, str]:
    """(the cache of `word_entry` values for a document language, its chain).
    Callers on hot paths look a word up in the cache's `recent` themselves."""
    chain = language if language in LANGUAGE_TABLE else DEFAULT_LATIN
    memo = _pair_caches.get(chain)
    if memo is None:
        memo = _pair_caches[chain] = Memo(CACHE_LIMIT, CACHE_LIMIT)
    return memo, chain


def word_entry(raw: str, memo: Memo, chain: str) -> tuple:
    """What one raw word of a document gives, from `word_entries`: (exact terms,
    stemmed terms, analysed forms, `name_word` or None)."""
    found = memo.recent.get(raw)
    return memo.missing(raw, _entry, raw, chain, memo) if found is None else found


def analyse_document(parts: list[str], language: str, sequences: list | None = None):
    """All index terms of a document in one pass over its words.

    `parts` are the title, then each paragraph. Returns (title stemmed term ->
    frequency, body stemmed term -> frequency, exact term -> 1, analysed term
    -> positions), the terms `ArchiveAnalyzer` gives each field,
    but each word is tokenised once for all four fields. If `sequences` is a
    list, it receives, per part, the `name_word` of each word in order (for
    finding names in the text).
    """
    memo, chain = word_entries(language)
    title: dict[str, int] = {}
    body: dict[str, int] = {}
    exact: dict[str, int] = {}
    analysed: dict[str, list[int]] = {}
    recent = memo.recent
    pos = -1
    for number, part in enumerate(parts):
        words = WORD.findall(part)
        if words and number:  # a new paragraph: positions move to the next bucket
            pos = (pos // PARAGRAPH_GAP + 1) * PARAGRAPH_GAP - 1
        sequence = [] if sequences is not None else None
        for raw in words:  # positions word by word
            entry = recent.get(raw)
            if entry is None:
                entry = memo.missing(raw, _entry, raw, chain, memo)
                recent = memo.recent  # a new generation may have begun
            if sequence is not None and entry[3]:
                sequence.append(entry[3])
            for form in entry[2]:
                pos += 1
                found = analysed.get(form)
                if found is None:
                    analysed[form] = [pos]
                else:
                    found.append(pos)
        stemmed = title if number == 0 else body
        for raw, count in Counter(words).items():  # frequencies once per distinct word
            entry = recent.get(raw)
            if entry is None:
                entry = memo.missing(raw, _entry, raw, chain, memo)
                recent = memo.recent
            for term in entry[0]:  # the field keeps no frequencies
                exact[term] = 1
            for term in entry[1]:
                stemmed[term] = stemmed.get(term, 0) + count
        if sequence is not None:
            sequences.append(sequence)
    return title, body, exact, analysed


#: Paragraph breaks in analysed-field text move positions to the next multiple of
#: this, so `position // PARAGRAPH_GAP` is the paragraph number (0 = title) and
#: no phrase can match across two paragraphs.
PARAGRAPH_GAP = 1 << 16
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
