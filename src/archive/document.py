"""The `Document` type: the one shape a document has between layers.

The corpus reads and writes it, the index is built from it, search results
point back to it and the web pages render it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from .languages import LANGUAGE_TABLE

TYPES = ("letter", "statement", "case")
#: The languages documents are written in (one module each in `languages`).
LANGUAGES = tuple(LANGUAGE_TABLE)
ACCESS_LEVELS = ("public", "restricted")
CASE_STATUSES = ("detained", "sentenced", "released", "exile", "deceased", "targeted")

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class Event:
    """A dated step in a case: an arrest, a trial, a sentence."""

    date: str
    event: str


@dataclass(frozen=True)
class Document:
    """One document of the archive, as its corpus file describes it."""

    id: str
    title: str
    type: str
    language: str
    date: str
    body: str = ""
    countries: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    source: str | None = None
    translations: tuple[str, ...] = ()
    access: str = "public"
    # Case summaries only.
    subject: str | None = None
    status: str | None = None
    charges: tuple[str, ...] = ()
    sentence: str | None = None
    events: tuple[Event, ...] = ()
    # The file the document was made from: its name as uploaded (any script)
    # and where the archive keeps it (a name made from its content).
    original_name: str | None = None
    original_file: str | None = None
    # Where the document lives, relative to the corpus folder; not front matter.
    path: str | None = field(default=None, compare=False)

    @property
    def restricted(self) -> bool:
        return self.access == "restricted"

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def date_key(self) -> int:
        """The date as a sortable integer YYYYMMDD (unknown month or day as 00)."""
        return date_key(self.date)

    def paragraphs(self) -> list[str]:
        """The body's paragraphs, numbered from 1 in citations (``#p1``)."""
        return split_paragraphs(self.body)

    def to_json(self) -> dict:
        """Every field as plain JSON data, plus the numbered paragraphs."""
        data: dict = {}
        for name in (*FRONT_MATTER_FIELDS, "body"):
            value = getattr(self, name)
            if name == "events":
                value = [{"date": e.date, "event": e.event} for e in value]
            data[name] = list(value) if isinstance(value, tuple) else value
        data["paragraphs"] = self.paragraphs()
        return data


#: Front matter fields in the order they are written.
FRONT_MATTER_FIELDS = tuple(f.name for f in fields(Document) if f.name not in ("body", "path"))


def searchable_parts(document: Document) -> list[str]:
    """All the text words are searched in: title, paragraphs, then case details.

    Each part is a paragraph of the analysed field, so its positions say which
    paragraph a word is in (0 is the title, n is ``#pn``).
    """
    details = [*document.charges, document.sentence or ""]
    details += [event.event for event in document.events]
    return [document.title, *document.paragraphs(), *(d for d in details if d)]


def searchable_text(document: Document) -> str:
    return "\n\n".join(searchable_parts(document))


def split_paragraphs(text: str) -> list[str]:
    """Split text on blank lines; paragraph numbers are positions in this list + 1."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def date_key(value: str) -> int:
    match = DATE_PATTERN.match(value)
    if not match:
        raise ValueError(f"not an ISO date: {value!r}")
    year, month, day = match.groups()
    return int(year) * 10000 + int(month or 0) * 100 + int(day or 0)
