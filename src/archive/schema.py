"""The Whoosh schema and the one function that turns a `Document` into fields."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import ArchiveAnalyzer, LanguageText
from .document import Document

#: Fields searched for plain words, with their BM25F weights.
SEARCH_FIELDS = ("title", "body")
SEARCH_BOOSTS = {"title": 2.5, "body": 1.0}
#: The field quoted phrases, proximity and prefixes are matched on.
EXACT_FIELD = "exact"
#: Per-document value lists kept in memory for every segment (facet counts,
#: filters, similar documents): name -> indexed field holding the values.
COLUMN_FIELDS = {
    "country": "country",
    "organisation": "org",
    "person": "person",
    "type": "type",
    "language": "lang",
}
#: Metadata kept in the index so that a page of hits needs no file reads.
HIT_FIELDS = (
    "id",
    "title",
    "type",
    "language",
    "date",
    "countries",
    "organisations",
    "people",
    "translations",
    "access",
    "path",
)


def build_schema() -> Schema:
    stemmed = ArchiveAnalyzer("stemmed")
    return Schema(
        id=ID(unique=True),
        path=ID(unique=True),
        title=TEXT(analyzer=stemmed, phrase=False, field_boost=SEARCH_BOOSTS["title"]),
        body=TEXT(analyzer=stemmed, phrase=False, field_boost=SEARCH_BOOSTS["body"]),
        exact=TEXT(analyzer=ArchiveAnalyzer("exact"), phrase=True),
        country=KEYWORD(commas=True, scorable=False),
        org=KEYWORD(commas=True, scorable=False),
        person=KEYWORD(commas=True, scorable=False),
        type=ID,
        lang=ID,
        access=ID,
        # signed: Whoosh 2.7.4 answers ranges with an upper bound wrongly on
        # unsigned numeric fields (everything matches).
        date=NUMERIC(int, bits=32, sortable=True),
        meta=STORED,
        hash=STORED,
    )


def searchable_text(document: Document) -> str:
    """All the text words are searched in: title, body, then case details.

    Paragraphs are separated by blank lines, so the exact field's positions
    say which paragraph a word is in (0 is the title, n is ``#pn``).
    """
    parts = [document.title, *document.paragraphs()]
    details = [*document.charges, document.sentence or ""]
    details += [event.event for event in document.events]
    parts += [d for d in details if d]
    return "\n\n".join(parts)


def document_to_fields(document: Document, content_hash: str) -> dict:
    """The fields Whoosh indexes for one document."""
    text = searchable_text(document)
    meta = {name: getattr(document, name) for name in HIT_FIELDS}
    return {
        "id": document.id,
        "path": document.path or "",
        "title": LanguageText(document.title, document.language),
        "body": LanguageText(text.partition("\n\n")[2], document.language),
        "exact": text,
        "country": ",".join(document.countries),
        "org": ",".join(document.organisations),
        "person": ",".join(document.people),
        "type": document.type,
        "lang": document.language,
        "access": document.access,
        "date": document.date_key,
        "meta": meta,
        "hash": content_hash,
    }
