"""Facet values per document, cached per index segment, and counting.

Whoosh segments never change once written (deletions only hide documents),
so each segment's per-document facet values are read once from its posting
lists and kept for as long as the segment lives. Counting a facet is then a
pass over the matching documents' values: exact for documents with several
countries or organisations, and free of `whoosh.sorting`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ...fields import TAG_FACETS
from .schema import COLUMN_FIELDS

_MULTI_VALUED = tuple(facet.name for facet in TAG_FACETS if facet.multi)


@dataclass(frozen=True)
class SegmentFacets:
    """Facet values of one segment's documents, by local document number."""

    values: dict[str, list[tuple[str, ...]]]  # facet -> per-document values
    dates: list[int]  # per-document date key YYYYMMDD
    ids: list[str]  # per-document id, to break ranking ties the same way in every index

    def of(self, facet: str, docnum: int) -> tuple[str, ...]:
        if facet == "year":
            return (str(self.dates[docnum] // 10000),)
        if facet == "month":
            return (f"{self.dates[docnum] // 10000:04d}-{self.dates[docnum] // 100 % 100:02d}",)
        return self.values[facet][docnum]


_cache: dict[tuple[str, str], SegmentFacets] = {}
_cache_lock = threading.Lock()


def segment_key(reader) -> tuple[str, str]:
    """A key that names a segment for as long as it exists."""
    segment = reader.segment()
    return str(getattr(reader.storage(), "folder", "")), segment.segment_id()


def segment_facets(reader) -> SegmentFacets:
    """The facet values of a leaf (segment) reader, cached."""
    key = segment_key(reader)
    found = _cache.get(key)
    if found is None:
        found = _read_segment(reader)
        with _cache_lock:
            _cache[key] = found
    return found


def forget_segments(live: Iterable[tuple[str, str]]) -> None:
    """Drop cached segments not in `live` (called when a new searcher opens)."""
    live = set(live)
    folders = {folder for folder, _ in live}
    with _cache_lock:
        for key in [k for k in _cache if k[0] in folders and k not in live]:
            del _cache[key]


def _read_segment(reader) -> SegmentFacets:
    size = reader.doc_count_all()
    values: dict[str, list[tuple[str, ...]]] = {}
    for facet, fieldname in COLUMN_FIELDS.items():
        per_doc: list[list[str]] = [[] for _ in range(size)]
        if fieldname in reader.indexed_field_names():
            for term in reader.lexicon(fieldname):
                value = term.decode("utf-8")
                for docnum in reader.postings(fieldname, term).all_ids():
                    per_doc[docnum].append(value)
        values[facet] = [tuple(v) for v in per_doc]
    column = reader.column_reader("date") if reader.has_column("date") else None
    dates = [column[n] for n in range(size)] if column is not None else [0] * size
    ids = [""] * size
    for term in reader.lexicon("id"):
        for docnum in reader.postings("id", term).all_ids():
            ids[docnum] = term.decode("utf-8")
    return SegmentFacets(values, dates, ids)


def count(facet: str, docs: Iterable[tuple[SegmentFacets, int]]) -> Counter:
    """How many of `docs` carry each value of `facet`."""
    counter: Counter = Counter()
    if facet in _MULTI_VALUED:
        for columns, docnum in docs:
            counter.update(columns.values[facet][docnum])
    else:
        for columns, docnum in docs:
            counter.update(columns.of(facet, docnum))
    return counter
