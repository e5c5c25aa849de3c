"""Latin script: elisions, accent folding, Snowball stemming and the stop list."""

from __future__ import annotations

import threading
import unicodedata

import Stemmer

from ..languages import LANGUAGE_TABLE, joined
from .characters import LATIN_TABLE
from .choices import choice

#: Articles and pronouns elided before a vowel, in every language (l', qu').
ELISIONS = joined("elisions")

_STEMMER_LANGUAGES = {code: lang.snowball for code, lang in LANGUAGE_TABLE.items() if lang.snowball}
_local = threading.local()


def _stemmer(language: str) -> Stemmer.Stemmer:
    # PyStemmer objects must not be shared between threads.
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(_STEMMER_LANGUAGES[language])
    return stemmers[language]


def fold_accents(word: str) -> str:
    """>>> fold_accents("égypte")
    'egypte'
    """
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def normalise_latin(token: str) -> str:
    """Lower-case, clean and elide a Latin-script token (expects NFKC input)."""
    word = token.translate(LATIN_TABLE).casefold()
    head, apostrophe, tail = word.partition("'")
    if apostrophe and head in ELISIONS:
        word = tail
    return word


def stem_latin(word: str, language: str) -> str:
    """Fold the accents of a normalised Latin word, then stem it in `language`
    (a Latin-script language of `languages`, with its own rules before and
    after Snowball). Folding first, as Lucene's French analysis does, lets
    "procès" and "proces" reach the same stem.

    >>> stem_latin("procès", "fr") == stem_latin("proces", "fr")
    True
    """
    first = choice("fold-first")
    if first:
        word = fold_accents(word)
    rules = LANGUAGE_TABLE[language]
    stem = rules.finish(_stemmer(language).stemWord(rules.prepare(word, first)), first)
    return stem if first else fold_accents(stem)


#: English and French stopwords, normalised and folded exactly as the tokens
#: they filter are. One list for all Latin text, so that a word dropped from a
#: document is also dropped from every query.
STOPWORDS = frozenset(fold_accents(normalise_latin(w)) for w in joined("stopwords", "latin"))
