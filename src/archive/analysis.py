"""Text analysis: the one place where words become index terms.

Two chains, used the same way at index time and at query time:

* the **stemmed** chain feeds ranked word search. Arabic-script tokens are
  normalised (NFKC, diacritics and tatweel removed, alef/yeh/teh marbuta and
  Persian letters folded, Eastern digits made ASCII) and light-stemmed
  (Larkey/Lucene prefixes and suffixes), whatever the document's language.
  Latin-script tokens are lower-cased, elided (l', d', qu'…), filtered against
  English and French stopwords, stemmed with Snowball in the document's
  language (English for Latin words inside Arabic documents), and folded to
  unaccented letters;
* the **exact** chain feeds quoted phrases, proximity, prefixes and spelling
  suggestions: the same normalisation, no stemming and no stopwords.

Both run through `ArchiveAnalyzer`, a Whoosh analyzer that reuses one token
object and caches each distinct word's term, so indexing does a dictionary
lookup per token rather than a chain of filters.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator

import Stemmer
from whoosh.analysis import Analyzer, Token

# --- Characters ---------------------------------------------------------------

#: Arabic combining marks: honorifics, harakat, tanween, shadda, sukun, the
#: dagger alef and Quranic annotation signs.
ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
TATWEEL = "\u0640"
#: Invisible characters that may sit inside a word: zero-width (non-)joiners,
#: bidi marks, embeddings and isolates, the Arabic letter mark and the BOM.
INVISIBLES = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u00ad"

_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

#: A word: letters and digits (not super/subscript digits or fractions, which
#: mark footnotes), with combining marks, tatweel and invisibles kept inside,
#: and apostrophes between letters (l'homme, Khashoggi's).
_WORD_CHAR = (
    r"[^\W_\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f]"
    rf"|[\u0300-\u036f{ARABIC_MARKS}{TATWEEL}{INVISIBLES}]"
)
WORD = re.compile(rf"(?:{_WORD_CHAR})+(?:['’](?:{_WORD_CHAR})+)*")


def _table(pairs: dict[str, str], delete: str) -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(k): v for k, v in pairs.items()}
    for chunk in re.findall(r".-.|.", delete, flags=re.S):
        if len(chunk) == 3:
            for code in range(ord(chunk[0]), ord(chunk[2]) + 1):
                table[code] = None
        else:
            table[ord(chunk)] = None
    return table


_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}

#: Arabic normalisation as one `str.translate` table. ى becomes ي (not ا, as
#: pyarabic's normalize_alef would do).
ARABIC_TABLE = _table(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ی": "ي",
        "ک": "ك",
    }
    | _DIGITS,
    ARABIC_MARKS + TATWEEL + INVISIBLES,
)

LATIN_TABLE = _table({"’": "'", "œ": "oe", "æ": "ae"} | _DIGITS, INVISIBLES)

# --- Arabic -------------------------------------------------------------------

ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و")
ARABIC_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ه", "ي")
# ية and ة are listed by Larkey; after normalisation they read يه and ه.

#: Frequent function words, after normalisation.
ARABIC_STOPWORDS = frozenset(
    "في من على الى عن ان او ثم قد لا ما لم لن هذا هذه ذلك تلك التي الذي الذين "
    "كان كانت مع بين عند كل هو هي هم انه انها به بها له لها فيه فيها منه منها".split()
)


_MARKS_TABLE = _table({}, ARABIC_MARKS + TATWEEL + INVISIBLES)


def strip_marks(word: str) -> str:
    """A word as written, minus diacritics, tatweel and invisible characters (for display)."""
    return word.translate(_MARKS_TABLE)


def is_arabic(token: str) -> bool:
    return _ARABIC_LETTER.search(token) is not None


def normalise_arabic(token: str) -> str:
    """Normalise an Arabic-script token (expects NFKC input).

    >>> normalise_arabic("أَحْمَـــد")
    'احمد'
    """
    return token.translate(ARABIC_TABLE)


def stem_arabic(word: str) -> str:
    """Light-stem a normalised Arabic word: one prefix, then suffixes.

    >>> stem_arabic("والمنظمات")
    'منظم'
    """
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= (3 if len(prefix) == 1 else 2):
            word = word[len(prefix) :]
            break
    for suffix in ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


# --- Latin --------------------------------------------------------------------

ELISIONS = frozenset("l d j m n s t c qu jusqu lorsqu puisqu quoiqu".split())

#: English and French stopwords (accents folded). One list for all Latin text,
#: so that a word dropped from a document is also dropped from every query.
STOPWORDS = frozenset(
    # English
    "a an and are as at be but by for from if in into is it its no not of on or such "
    "that the their then there these they this to was were will with "
    # French
    "au aux avec ce ces cet cette dans de des du elle elles en est et il ils la le les "
    "leur leurs lui ne ni ont ou par pas pour qui que sa se ses son sont sur un une".split()
)

#: American spellings mapped to the British ones the stemmer then reduces.
ENGLISH_VARIANTS = {
    "defense": "defence",
    "defenses": "defences",
    "offense": "offence",
    "offenses": "offences",
    "center": "centre",
    "centers": "centres",
    "labor": "labour",
    "favor": "favour",
    "behavior": "behaviour",
    "honor": "honour",
    "judgment": "judgement",
    "judgments": "judgements",
    "license": "licence",
    "licenses": "licences",
}

_STEMMER_LANGUAGES = {"en": "english", "fr": "french"}
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
    """Stem a normalised Latin word in `language` ('en' or 'fr'), then fold accents."""
    if language == "fr":
        return fold_accents(_stemmer("fr").stemWord(word))
    word = ENGLISH_VARIANTS.get(word, word)
    stem = _stemmer("en").stemWord(word)
    if stem.endswith("iz") and len(stem) > 4:  # organiz(ation) -> organis(ation)
        stem = stem[:-2] + "is"
    return fold_accents(stem)


# --- Words to terms -----------------------------------------------------------

EXACT = "exact"
#: Cache size per chain before it is cleared: room for the words that recur,
#: and a bound on an indexing worker's memory (a few hundred bytes a word).
CACHE_LIMIT = 100_000
_caches: dict[str, dict[str, tuple[str, ...]]] = {}
#: chain -> raw word -> (exact terms, stemmed terms), for one-pass indexing.
_pair_caches: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}


def _words(token: str) -> list[str]:
    """NFKC can turn one token into several (ligatures like ﷺ); split again."""
    if token.isascii():
        return [token]
    token = unicodedata.normalize("NFKC", token)
    return WORD.findall(token)


def _compute_pair(token: str, chain: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(exact terms, stemmed terms) of one raw token; the stemmed ones in
    `chain` (``en``, ``fr`` or ``ar``), none if `chain` is None.

    Stopwords give no stemmed term. ``ar`` means a document in Arabic: its
    Latin words are stemmed as English.
    """
    exact, stemmed = [], []
    for word in _words(token):
        if is_arabic(word):
            word = normalise_arabic(word)
            if word:
                exact.append(word)
            if chain is None or word in ARABIC_STOPWORDS:
                continue
            word = stem_arabic(word)
        else:
            word = normalise_latin(word)
            folded = fold_accents(word)
            if folded:
                exact.append(folded)
            if chain is None or folded in STOPWORDS:
                continue
            word = stem_latin(word, "fr" if chain == "fr" else "en")
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
        cache = _caches[chain] = {}
    terms = cache.get(token)
    if terms is None:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        terms = cache[token] = _compute_terms(token, chain)
    return terms


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
        for chain in ("en", "fr"):
            for term in terms_of(token, chain):
                if term not in found:
                    found.append(term)
    return tuple(found)


def exact_terms(text: str) -> list[str]:
    """The exact-chain terms of a piece of text, in order (for phrases)."""
    return [t for m in word_matches(text) for t in terms_of(m.group(), EXACT)]


def analyse_document(parts: list[str], language: str, sequences: list | None = None):
    """All index terms of a document in one pass over its words.

    `parts` are the title, then each paragraph. Returns (title stemmed term ->
    frequency, body stemmed term -> frequency, exact term -> positions), the
    same terms and positions `ArchiveAnalyzer` gives each field, but each
    word is tokenised once for all three fields. If `sequences` is a list, it
    receives, per part, the (exact term, stemmed term) of each word in order
    (for finding names in the text).
    """
    chain = language if language in ("en", "fr", "ar") else "en"
    both = _pair_caches.setdefault(chain, {})
    if len(both) >= CACHE_LIMIT:
        both.clear()
    title: dict[str, int] = {}
    body: dict[str, int] = {}
    exact: dict[str, list[int]] = {}
    pos = -1
    for number, part in enumerate(parts):
        stemmed = title if number == 0 else body
        words = WORD.findall(part)
        if words and number:  # a new paragraph: positions move to the next bucket
            pos = (pos // PARAGRAPH_GAP + 1) * PARAGRAPH_GAP - 1
        sequence = [] if sequences is not None else None
        for raw in words:
            pair = both.get(raw)
            if pair is None:  # computed apart from `terms_of`'s caches, to keep one copy
                pair = both[raw] = _compute_pair(raw, chain)
            if sequence is not None and pair[0]:
                sequence.append((pair[0][0], pair[1][0] if pair[1] else ""))
            for term in pair[0]:
                pos += 1
                found = exact.get(term)
                if found is None:
                    exact[term] = [pos]
                else:
                    found.append(pos)
            for term in pair[1]:
                stemmed[term] = stemmed.get(term, 0) + 1
        if sequence is not None:
            sequences.append(sequence)
    return title, body, exact


class LanguageText(str):
    """Text to index, tagged with the language of the document it comes from."""

    language: str = "en"

    def __new__(cls, text: str, language: str):
        self = super().__new__(cls, text)
        self.language = language
        return self


#: Paragraph breaks in exact-field text move positions to the next multiple of
#: this, so `position // PARAGRAPH_GAP` is the paragraph number (0 = title) and
#: no phrase can match across two paragraphs.
PARAGRAPH_GAP = 1 << 16
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


class ArchiveAnalyzer(Analyzer):
    """Whoosh analyzer for the archive's text fields.

    ``ArchiveAnalyzer("stemmed")`` stems by the language of a `LanguageText`
    value (English when the value is a plain string, as a query is);
    ``ArchiveAnalyzer("exact")`` only normalises, and numbers positions by
    paragraph.
    """

    def __init__(self, chain: str = "stemmed"):
        self.chain = chain

    def __repr__(self) -> str:
        return f"ArchiveAnalyzer({self.chain!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchiveAnalyzer) and other.chain == self.chain

    def __hash__(self) -> int:
        return hash(self.chain)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        if self.chain == EXACT:
            chain = EXACT
        else:
            chain = getattr(value, "language", "en")
            chain = chain if chain in ("en", "fr", "ar") else "en"
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        exact = chain == EXACT
        pos = start_pos - 1
        last_end = 0
        for match in WORD.finditer(value) if tokenize else [None]:
            raw = match.group() if match else value
            terms = terms_of(raw, chain)
            if exact and match and positions:
                if _PARAGRAPH_BREAK.search(value, last_end, match.start()):
                    pos = (pos // PARAGRAPH_GAP + 1) * PARAGRAPH_GAP - 1
                last_end = match.end()
            if not terms:
                if not removestops:
                    pos += 1
                    token.text = raw.casefold()
                    token.stopped = True
                    token.pos = pos
                    if chars and match:
                        token.startchar = start_char + match.start()
                        token.endchar = start_char + match.end()
                    yield token
                    token.stopped = False
                continue
            for term in terms:
                pos += 1
                token.text = term
                if keeporiginal:
                    token.original = raw
                if positions:
                    token.pos = pos
                if chars and match:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                yield token
