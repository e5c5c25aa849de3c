"""Characters: what a word is, the Arabic and Latin normalisation tables, and
the marks and invisibles words lose."""

from __future__ import annotations

import re

from pyarabic import araby

#: Arabic combining marks: pyarabic's harakat, tanween, shadda and sukun, then
#: honorifics, the rarer marks, the dagger alef and Quranic annotation signs.
ARABIC_MARKS = "".join(araby.TASHKEEL) + (
    "\u0610-\u061a\u0653-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
)
TATWEEL = araby.TATWEEL
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

_MARKS_TABLE = _table({}, ARABIC_MARKS + TATWEEL + INVISIBLES)


def _any_of(table: dict[int, str | None]) -> re.Pattern:
    """A pattern that finds a character `table` changes: a search is several
    times faster than `str.translate` on a word that needs no change."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(table)) + "]")


_MARKED = _any_of(_MARKS_TABLE)


def strip_marks(word: str) -> str:
    """A word as written, minus diacritics, tatweel and invisible characters (for display)."""
    return word.translate(_MARKS_TABLE) if _MARKED.search(word) else word


def is_arabic(token: str) -> bool:
    return not token.isascii() and _ARABIC_LETTER.search(token) is not None
