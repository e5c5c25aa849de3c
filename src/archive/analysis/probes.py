"""Probes: which paragraphs may hold a query's terms.

Choosing a snippet asks which paragraphs of a hit hold the query's terms.
Analysing every word of every paragraph to find out is most of the cost of
a search whose hits were not shown before. A term leaves a trace in the
text of any word it comes from: the word's folded text contains one of the
term's `probes`. So a paragraph whose folded text (`probe_text`) contains
none of a query's probes holds none of its terms, and is never analysed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from ..languages import LANGUAGE_TABLE, joined
from .arabic import BROKEN_PLURALS
from .characters import ARABIC_TABLE, LATIN_TABLE, is_arabic
from .terms import _compute_pair


@cache
def _fold_table() -> dict[int, str | None]:
    """Normalisation of any character as a word's terms see it (Arabic and
    Latin tables) and the combining marks `fold_accents` drops."""
    table = dict(LATIN_TABLE) | dict(ARABIC_TABLE)
    for code in range(0x300, 0x110000):
        if unicodedata.combining(chr(code)):
            table[code] = None
    return table


def probe_text(text: str) -> str:
    """`text` as probes are looked for in it: NFKC, normalised, case and accents
    folded, character by character (so a word's folded form is part of the
    folded text around it)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_fold_table()))


def probes_of(term: str, stemmed: bool = True) -> tuple[str, ...]:
    """Strings one of which the `probe_text` of any word giving `term` contains.

    An exact term (``stemmed=False``) is its own probe. A stem leaves its
    start: an Arabic stem all but a final ه (ة restored before a pronoun:
    حكومتها → حكومة), a Latin stem all but its last three letters (Snowball
    rewrites a word's ending: possibility → possibl, journaux → journal);
    and the words the stemmer maps whole (broken plurals, irregular English
    forms) are probes of their stems.
    """
    if not stemmed or len(term) <= 2:
        found = [term]
    elif is_arabic(term):
        found = [term[:-1] if term.endswith("ه") else term]
    else:
        found = [term[: max(2, len(term) - 3)]]
    found.extend(_whole_word_probes().get(term, ()))
    return tuple(probe_text(p) for p in found)


#: Letters a word may have before the stem of its term: clitics and the article.
_STEM_PREFIX = "[وفبلك]{0,3}(?:ال)?"
#: A letter of a word, as `WORD` reads them (marks are gone from folded text).
_LETTER = r"[^\W_\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f]"


@lru_cache(maxsize=4096)
def probe_at_word_start(probe: str) -> re.Pattern:
    """Where a short probe may stand in a `probe_text`: at the start of a word,
    after the clitics and article an Arabic word may have (a stem or an
    exact word begins there; a stem's remainder ends with suffixes)."""
    prefix = _STEM_PREFIX if is_arabic(probe) else ""
    return re.compile(f"(?<!{_LETTER}){prefix}{re.escape(probe)}")


@cache
def _whole_word_probes() -> dict[str, tuple[str, ...]]:
    """Stem -> the words mapped to it whole, which its start may not be part of."""
    found: dict[str, set[str]] = {}
    pairs = [pair.split(":") for pair in BROKEN_PLURALS.split()]
    latin = sorted(joined("whole_words"))
    for word, other in [*pairs, *((w, w) for w in latin)]:
        for chain in LANGUAGE_TABLE:
            for source in {word, other}:
                for stem in _compute_pair(source, chain)[1]:
                    found.setdefault(stem, set()).update(_compute_pair(word, None)[0])
    return {stem: tuple(sorted(words)) for stem, words in found.items()}
