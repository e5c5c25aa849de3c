"""Text analysis: the one place where words become index terms.

Three chains, used the same way at index time and at query time:

* the **stemmed** chain feeds ranked word search. Arabic-script tokens are
  normalised (NFKC, diacritics and tatweel removed, alef/yeh/teh marbuta and
  Persian letters folded, Eastern digits made ASCII) and stemmed (clitics
  judged by word counts, proper nouns kept whole, pronoun, plural and other
  endings, broken plurals: see `stem_arabic`), whatever the document's
  language. Latin-script tokens are lower-cased, elided (l', d', qu'…),
  filtered against English and French stopwords, folded to unaccented
  letters and stemmed with Snowball in the document's language (English for
  Latin words inside Arabic documents);
* the **exact** chain feeds prefixes, exact (=word) matches and spelling
  suggestions: the same normalisation, no stemming and no stopwords;
* the **analysed** chain feeds phrases and proximity: each word's stem in
  the English and Arabic chain (the exact form for a stopword), numbered by
  position and paragraph.

They run through `ArchiveAnalyzer`, a Whoosh analyzer that reuses one token
object and caches each distinct word's terms, so indexing does a dictionary
lookup per token rather than a chain of filters. `CHOICES` lists the
analysis decisions that `archive eval --compare` measures.

Modules: `choices`, `characters`, `arabic` and `latin` (normalising, stemming), `caches`
(`Memo`), `terms` (words to terms) and `probes`; importers use the names re-exported here.
"""

from __future__ import annotations

from .arabic import ARABIC_STOPWORDS, clitic_length, normalise_arabic, stem_arabic
from .caches import Memo, indexing_caches
from .caches import _pair_caches as _pair_caches  # cleared by tests
from .characters import WORD, is_arabic, strip_marks
from .choices import CHOICES, set_choices_off
from .latin import STOPWORDS, fold_accents
from .probes import probe_at_word_start, probe_text, probes_of
from .terms import (
    ANALYSED,
    EXACT,
    LITERAL,
    PARAGRAPH_BREAK,
    PARAGRAPH_GAP,
    analyse_document,
    phrase_in,
    phrase_terms,
    positional_terms,
    query_terms,
    terms_of,
    word_entries,
    word_entry,
    word_matches,
)

__all__ = [
    "ANALYSED",
    "ARABIC_STOPWORDS",
    "CHOICES",
    "EXACT",
    "LITERAL",
    "PARAGRAPH_BREAK",
    "PARAGRAPH_GAP",
    "STOPWORDS",
    "WORD",
    "Memo",
    "analyse_document",
    "clitic_length",
    "fold_accents",
    "indexing_caches",
    "is_arabic",
    "normalise_arabic",
    "phrase_in",
    "phrase_terms",
    "positional_terms",
    "probe_at_word_start",
    "probe_text",
    "probes_of",
    "query_terms",
    "set_choices_off",
    "stem_arabic",
    "strip_marks",
    "terms_of",
    "word_entries",
    "word_entry",
    "word_matches",
]


def __getattr__(name: str):
    """`ArchiveAnalyzer` and `LanguageText` live with the Whoosh backend; the
    tables of contents of indexes written before it moved there name them
    here, so they are found here too (without importing Whoosh otherwise)."""
    if name in ("ArchiveAnalyzer", "LanguageText"):
        from ..backends.whoosh import analyzer

        return getattr(analyzer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
