"""The languages documents are written in, one module each.

Each module of this package defines ``LANGUAGE``, a `Language`: its stop
list and stemmer, its words for the query operators, the Babel locales whose
month names its dates use, and the cues extraction reads (its function
words, the headings of a list of signatories, the words that tell a letter
from a statement or a case). Text analysis, the query language, extraction
and document validation read `LANGUAGE_TABLE`; adding a language is adding
a module here (and its name in the registry's files, if names are to be
read in it).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field


def _unchanged(word: str, folded: bool) -> str:
    return word


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as documents' front matter writes it
    script: str  # "latin" or "arabic"
    #: Words dropped from its text and from queries (space-separated, as written).
    stopwords: str
    #: PyStemmer's name of its stemmer; None: the archive's Arabic stemmer.
    snowball: str | None = None
    #: A word before Snowball stems it, and a stem after, given whether accents
    #: were folded first (see `analysis.stem_latin`).
    prepare: Callable[[str, bool], str] = _unchanged
    finish: Callable[[str, bool], str] = _unchanged
    #: Words its stemmer maps to a stem they do not start with (for `analysis.probes_of`).
    whole_words: str = ""
    #: Articles and pronouns elided before a vowel (l', qu').
    elisions: str = ""
    #: Query operators in it, as typed (upper case for Latin scripts).
    and_words: str = ""
    or_words: str = ""
    not_words: str = ""
    range_words: str = ""
    #: Babel locales whose month names its dates are written with, and spellings CLDR lacks.
    month_locales: tuple[str, ...] = ()
    extra_months: dict[str, int] = field(default_factory=dict)
    #: Function words that tell its text from another language's in the same script.
    common_words: str = ""
    #: Regular expressions (on folded text) of the heading over a list of signatories.
    signatory_headings: tuple[str, ...] = ()
    #: Document type -> [(where, regular expression on folded text, weight)] of cues to it;
    #: where: "title", "opening", "text" or several, space-separated (see
    #: `extract.proposal.TYPE_CUES`, which also says what the weights mean).
    type_cues: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    #: Case status -> a regular expression (on folded text) of words that say it.
    status_cues: dict[str, str] = field(default_factory=dict)
    #: How its text quotes a title, and separates the items of a list.
    quotes: tuple[str, str] = ("“", "”")
    comma: str = ", "


def _load() -> dict[str, Language]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        language = importlib.import_module(f"{__name__}.{module.name}").LANGUAGE
        found[language.code] = language
    return dict(sorted(found.items()))


#: Code -> `Language`, in code order.
LANGUAGE_TABLE = _load()
#: The Latin-script languages: a query's Latin words are stemmed in each.
LATIN = tuple(code for code, language in LANGUAGE_TABLE.items() if language.script == "latin")
#: The language whose stemmer reads Latin words in a document of another script.
DEFAULT_LATIN = "en"


def joined(attribute: str, script: str | None = None) -> frozenset[str]:
    """The words of a space-separated attribute, over every language (of a script)."""
    return frozenset(
        word
        for language in LANGUAGE_TABLE.values()
        if script is None or language.script == script
        for word in getattr(language, attribute).split()
    )


def conventions(code: str) -> Language:
    """The language whose ways of writing (quotes, list commas) text in `code`
    follows: its own, or the default Latin language's if it has no module."""
    return LANGUAGE_TABLE.get(code) or LANGUAGE_TABLE[DEFAULT_LATIN]
