"""Types every reader and the proposal share, and the checks, cleaning and
folding their text goes through."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ..analysis import fold_accents, normalise_arabic
from ..config import DEFAULTS, from_environment
from ..document import Document
from ..errors import ArchiveError
from ..i18n import N_, gettext

#: File kinds accepted, by extension.
FORMATS = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class Limits:
    """Bounds on what an upload may cost."""

    max_bytes: int = 20 * 1024 * 1024  # the file itself
    max_pages: int = 500  # PDF pages
    max_chars: int = 2_000_000  # extracted text
    max_unpacked_bytes: int = 100 * 1024 * 1024  # .docx (a zip) once unpacked
    max_elements: int = 50_000  # HTML elements (tags), counted before parsing
    seconds: float = DEFAULTS["EXTRACT_SECONDS"]  # reading the file, in its own process
    memory_mb: int = DEFAULTS["EXTRACT_MEMORY_MB"]  # that process's address space

    @classmethod
    def from_settings(cls, settings: Mapping | None = None) -> Limits:
        """The limits the settings give; without settings, the defaults as the
        ``ARCHIVE_*`` environment variables change them."""
        if settings is None:
            settings = {**DEFAULTS, **from_environment()}
        return cls(
            max_bytes=settings["UPLOAD_MAX_BYTES"],
            seconds=settings["EXTRACT_SECONDS"],
            memory_mb=settings["EXTRACT_MEMORY_MB"],
        )


#: The limits of an upload when the caller gives none.
DEFAULT_LIMITS = Limits()


class ExtractionError(ArchiveError):
    """A file that cannot be turned into text (too big, scanned, broken, wrong type)."""

    status = 422


@dataclass(frozen=True)
class Extracted:
    text: str  # clean text, paragraphs separated by blank lines
    format: str  # "txt", "md", "html", "pdf", "docx"
    encoding: str | None = None  # for text files: "utf-8", "utf-16", "cp1256", "cp1252"
    pages: int | None = None  # for PDFs
    front_matter: dict = field(default_factory=dict)  # a .md file's own metadata, if any
    title: str | None = None  # the title the file declares (HTML <title>, PDF/Word properties)
    date: str | None = None  # the publication date a web page declares (ISO), if any
    source: str | None = None  # a web page's canonical URL, if it gives one


@dataclass(frozen=True)
class Flag:
    """Something an archivist must check: a field and a translatable message."""

    field: str
    message: str  # a template marked with N_(), formatted with `params`
    params: dict = field(default_factory=dict)

    def render(self, locale: str) -> str:
        """ "Field: message" in `locale`, coded values (a type, a language) by their labels."""
        from ..fields import field_name

        params = {k: self._shown(k, v, locale) for k, v in self.params.items()}
        return f"{field_name(self.field, locale)}: {gettext(self.message, locale, **params)}"

    @staticmethod
    def _shown(key: str, value, locale: str) -> str:
        """A parameter as a reader sees it: (language, percent) pairs by the
        languages' names, a coded value of a field by its label."""
        from babel.numbers import format_percent

        from ..fields import value_label
        from ..i18n import language_name
        from ..languages import conventions

        if isinstance(value, tuple):
            return conventions(locale).comma.join(
                f"{language_name(code, locale)} {format_percent(share / 100, locale=locale)}"
                for code, share in value
            )
        return value_label(key, value, locale) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class RepeatedBlock:
    """A run of text that appears more than once in the same file."""

    text: str
    count: int


@dataclass
class Proposal:
    """Proposed metadata for an incoming file, for the archivist to confirm or edit."""

    document: Document
    original_name: str
    flags: list[Flag] = field(default_factory=list)
    new_organisations: list[str] = field(default_factory=list)  # signatories not in the registry
    repeated_blocks: list[RepeatedBlock] = field(default_factory=list)
    deduplicated_body: str | None = None  # the body with each repeated block kept once


def check_chars(count: int, filename: str, limits: Limits) -> None:
    if count > limits.max_chars:
        raise ExtractionError(
            N_("{file}: the text is longer than {limit} characters"),
            file=filename,
            limit=limits.max_chars,
        )


#: Invisible or control characters removed from every text: NUL and other C0/C1
#: controls (not tab or newline), bidi marks, embeddings, overrides and isolates,
#: the Arabic letter mark, the BOM and the soft hyphen.
_STRAY = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u061c\ufeff\u00ad]"
)
_BREAKS = str.maketrans({"\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"})


def clean_text(text: str) -> str:
    """Normalise line ends, drop controls and bidi marks, collapse spaces and blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BREAKS)
    text = _STRAY.sub("", text)
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def fold(text: str) -> str:
    """Text for matching cues: case, accents, Arabic spelling variants and digits folded."""
    return normalise_arabic(fold_accents(unicodedata.normalize("NFKC", text).casefold()))


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return fold(char)


def fold_map(text: str) -> tuple[str, list[int]]:
    """`text` folded character by character, and the offset in `text` of each folded
    character (plus one past the end), to cut the original where the folded text matched."""
    folded = fold(text)
    if len(folded) == len(text):  # nothing dropped or expanded: offsets agree
        return folded, list(range(len(text) + 1))
    parts: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = _fold_char(char)
        parts.append(folded)
        origin.extend([i] * len(folded))
    origin.append(len(text))
    return "".join(parts), origin


#: A list item's marker (1. 2) - • …).
LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}[.)\-–]|[-•*–·▪●◦]|\(\d{1,3}\))\s*")
