"""A `Document` as the cluster receives it: the archive's own analysed terms."""

from __future__ import annotations

from ...analysis import PARAGRAPH_GAP
from ...document import Document
from ...fields import TAG_FACETS
from ..analysed import analysed_fields

#: Stands in the analysed text for a place no term holds, so that every term
#: keeps the position the embedded engine gives it.
FILLER = "\u2063"


def source(document: Document, content_hash: str, names=None) -> dict:
    """The JSON source of a document (`names`: the registry's `NameIndex`)."""
    fields = analysed_fields(document, content_hash, names)
    return {
        "id": fields["id"],
        "path": fields["path"],
        "hash": fields["hash"],
        "access": fields["access"],
        "date": fields["date"],
        "title": repeated(fields["title"]),
        "body": repeated(fields["body"]),
        "exact": repeated(fields["exact"]),
        "mention": repeated(fields["mention"]),
        "analysed": paragraphs(fields["analysed"]),
        **{f.field: fields[f.field].split(",") for f in TAG_FACETS if fields.get(f.field)},
        "year": f"{fields['date'] // 10000:04d}",
        "month": f"{fields['date'] // 10000:04d}-{fields['date'] // 100 % 100:02d}",
        "exact_terms": sorted(fields["exact"]),
        "meta": fields["meta"],
    }


def repeated(counts: dict[str, int]) -> str:
    """Term -> count as text: each term as many times as it occurs."""
    return " ".join(" ".join([term] * count) for term, count in sorted(counts.items()))


def paragraphs(positions: dict[str, list[int]]) -> list[str]:
    """Term -> positions as one text per paragraph (the title first), each term
    at its place and `FILLER` where none is."""
    placed: dict[int, dict[int, str]] = {}
    for term, found in positions.items():
        for position in found:
            paragraph, place = divmod(position, PARAGRAPH_GAP)
            placed.setdefault(paragraph, {})[place] = term
    texts = []
    for paragraph in range(max(placed, default=-1) + 1):
        terms = placed.get(paragraph, {})
        last = max(terms, default=0)  # an empty paragraph is one filler: it keeps its gap
        texts.append(" ".join(terms.get(place, FILLER) for place in range(last + 1)))
    return texts
