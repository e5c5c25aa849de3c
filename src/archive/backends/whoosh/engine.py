"""Vectorised matching, scoring and facet counting over Whoosh segments (numpy).

Whoosh steps its matchers one document at a time in Python, which costs
microseconds per matching document: a common word over 100,000 documents
took most of a second. Here a query tree is evaluated per segment on whole
posting lists at once:

* a term is its posting list read block by block into arrays (document
  numbers and weights), scored with BM25F exactly as Whoosh scores it (same
  statistics from the searcher, same formula, in float64);
* OR adds the scores of the documents any child matches, AND adds them over
  the documents every child matches, AND NOT removes documents — as Whoosh's
  union, intersection and exclusion matchers do;
* a prefix (`AnyTerm`) is the union of its words' posting lists, unscored;
* any other query (spans, ranges …) is run through Whoosh's own matcher and
  its results converted to arrays.

Facets are counted with `numpy.bincount` over per-segment (document, value)
pairs, cached for as long as the segment lives. `search.reference_*` keeps
the straightforward document-at-a-time implementation the tests compare
this one against.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3TermsReader
from whoosh.columns import NumericColumn
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from ...analysis import PARAGRAPH_GAP
from .positions import FILES_FROM, FilePostings, PositionsFile, PositionsWriter, file_name
from .schema import COLUMN_FIELDS, VarintPositions
from .segments import read_postings

EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_SCORES = np.zeros(0, dtype=np.float64)

#: Facets whose documents may carry several values.
MULTI_VALUED = ("country", "organisation", "person")
SINGLE_VALUED = ("type", "language")
#: A segment's arrays are kept in a file named after it with this suffix.
ARRAYS_SUFFIX = ".arrays.npz"


@dataclass
class Segment:
    """What a search needs of one segment, as arrays indexed by local document number."""

    key: tuple[str, str]
    size: int
    live: np.ndarray  # bool: not deleted
    dates: np.ndarray  # int64 YYYYMMDD
    ids: list[str] | None  # read only when needed (see `segment_ids`)
    lengths: dict[str, np.ndarray]  # scorable field -> field length per document (filled lazily)
    # facet -> (document numbers, value codes) pairs, and the code -> value table
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]
    values: dict[str, list[str]]
    # (field, first letter) -> that field's terms starting with it (filled lazily)
    lexicon: dict[tuple[str, str], list[str]] = dataclasses.field(default_factory=dict)
    # field -> the segment's postings file of it (`positions`), False if it has none
    files: dict[str, PositionsFile | bool] = dataclasses.field(default_factory=dict)
    deleted: int = 0  # how many documents `live` leaves out


_segments: dict[tuple[str, str], Segment] = {}
_lock = threading.Lock()


def segment_key(reader) -> tuple[str, str]:
    return str(getattr(reader.storage(), "folder", "")), reader.segment().segment_id()


def segment(reader) -> Segment:
    """A leaf reader's arrays, read once and kept while the segment exists;
    its mask of live documents follows the deletions the reader sees (Whoosh
    marks a deletion in the segment's entry of the table of contents, and
    the segment's files stay as they are)."""
    key = segment_key(reader)
    deleted = reader.segment().deleted_count()
    found = _segments.get(key)
    if found is None:
        found = _read_segment(reader, key)
        with _lock:
            _segments[key] = found
    elif found.deleted != deleted:
        found = dataclasses.replace(found, live=_live(reader, found.size), deleted=deleted)
        with _lock:  # the newest deletions are kept (an older searcher recomputes its own)
            if _segments.get(key, found).deleted <= deleted:
                _segments[key] = found
    return found


def _live(reader, size: int) -> np.ndarray:
    live = np.ones(size, dtype=bool)
    if reader.has_deletions():
        live[np.fromiter(reader._perdoc.deleted_docs(), dtype=np.int64)] = False
    return live


def forget(live_keys) -> None:
    """Drop cached segments of the same folders that are no longer live."""
    live_keys = set(live_keys)
    folders = {folder for folder, _ in live_keys}
    with _lock:
        for key in [k for k in _segments if k[0] in folders and k not in live_keys]:
            del _segments[key]


def _read_segment(reader, key) -> Segment:
    size = reader.doc_count_all()
    live = _live(reader, size)
    path = _arrays_path(key)
    arrays = _load_arrays(path, size) if path else None
    if arrays is None:
        arrays = _segment_arrays(reader, size)
        if path:
            _save_arrays(path, arrays)
    dates, pairs, values = arrays
    deleted = reader.segment().deleted_count()
    return Segment(key, size, live, dates, None, {}, pairs, values, deleted=deleted)


def save_arrays(reader) -> None:
    """Save the arrays of every segment of `reader` that has none on disk yet
    (called by the indexer after a commit, so that searches never pay for it)."""
    for leaf, _ in reader.leaf_readers():
        if leaf.segment() is None:
            continue
        path = _arrays_path(segment_key(leaf))
        if path and not path.exists():
            for name in leaf.indexed_field_names():
                found = file_name(leaf.segment().segment_id(), name, leaf.schema[name])
                if found is not None and leaf.doc_count_all() >= FILES_FROM:
                    _save_postings(leaf, name, path.with_name(found))
            _save_arrays(path, _segment_arrays(leaf, leaf.doc_count_all()))


def _save_postings(reader, field: str, path: Path) -> None:
    """Write a field's postings file (`positions`) for a segment Whoosh's writer
    wrote (an update or a merge), from its blocks; a rebuilt segment has them."""
    terms = getattr(reader, "_terms", None)
    if path.exists() or not isinstance(terms, W3TermsReader):
        return
    try:
        writer = PositionsWriter.for_field(path, reader.schema[field])
    except OSError:  # an index folder that cannot be written is only slower
        return
    try:
        for (name, text), info in terms.items_from(field, b""):
            if name != field:
                break
            if writer.words_only:
                writer.add(0, EMPTY_IDS, [], None, text)
                continue
            if info.is_inlined():  # its postings are not in blocks: left out
                writer.complete = False
                continue
            ids, weights, values = read_postings(terms._postfile, info, None, not writer.weights)
            writer.add(info.extent()[0], ids, values, weights, text)
        writer.close()
    except OSError:
        writer.cancel()
    except BaseException:
        writer.cancel()  # no parts left behind
        raise


def postings_file(data: Segment, reader, field: str) -> PositionsFile | None:
    """The segment's postings file of a field, opened once; None if it has none
    (or a damaged one)."""
    found = data.files.get(field)
    if found is None:
        folder, segment_id = data.key
        name = file_name(segment_id, field, reader.schema[field]) if folder else None
        found = False
        if name is not None:
            with contextlib.suppress(OSError, ValueError):
                found = PositionsFile(Path(folder) / name)
        data.files[field] = found
    return found or None


def _arrays_path(key: tuple[str, str]) -> Path | None:
    """Where a segment's arrays are kept (None: an index not in a folder)."""
    folder, name = key
    return Path(folder) / f"{name}{ARRAYS_SUFFIX}" if folder else None


def _segment_arrays(reader, size: int):
    """(dates, facet pairs, facet value tables) of a segment, from its columns and postings."""
    column = reader.column_reader("date") if reader.has_column("date") else None
    dates = _numeric_column(column, size) if column is not None else np.zeros(size, np.int64)
    pairs, values = {}, {}
    indexed = set(reader.indexed_field_names())
    for facet, field in COLUMN_FIELDS.items():
        docs, codes, table = [], [], []
        if field in indexed:
            for code, term in enumerate(reader.lexicon(field)):
                table.append(term.decode("utf-8"))
                found = postings(reader, field, term)[0]
                docs.append(found)
                codes.append(np.full(len(found), code, dtype=np.int64))
        pairs[facet] = (
            np.concatenate(docs) if docs else EMPTY_IDS,
            np.concatenate(codes) if codes else EMPTY_IDS,
        )
        values[facet] = table
    return dates, pairs, values


def _save_arrays(path: Path, arrays) -> None:
    """Keep a segment's arrays beside its files, for the next process that opens it.

    Segments never change once written (one with deletions is rewritten under
    a new name), so the file stays true; its name follows Whoosh's pattern for
    segment files, so it goes when the segment does. Written under a temporary
    name and renamed; an index folder that cannot be written is only slower.
    """
    dates, pairs, values = arrays
    content = {"dates": dates}
    for facet in COLUMN_FIELDS:
        content[f"{facet}.docs"], content[f"{facet}.codes"] = pairs[facet]
        content[f"{facet}.values"] = np.array(values[facet], dtype=str)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            np.savez(handle, **content)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _load_arrays(path: Path, size: int):
    try:
        with np.load(path, allow_pickle=False) as stored:
            dates = stored["dates"]
            pairs = {f: (stored[f"{f}.docs"], stored[f"{f}.codes"]) for f in COLUMN_FIELDS}
            values = {f: stored[f"{f}.values"].tolist() for f in COLUMN_FIELDS}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # missing, or from an older version: read from the segment again
    if len(dates) != size:
        return None
    return dates, pairs, values


def _numeric_column(column, size: int) -> np.ndarray:
    """A numeric column's values for every document, read at once from its bytes."""
    raw = getattr(column, "_reader", column)
    if isinstance(raw, NumericColumn.Reader) and not raw._reverse:
        data = raw._dbfile.get(raw._basepos, raw._count * raw._fixedlen)
        values = np.frombuffer(data, dtype=np.dtype(">" + raw._typecode)).astype(np.int64)
        if column is not raw:  # translated (e.g. a signed NUMERIC): decode like Whoosh
            values = np.array([column._translate(int(v)) for v in values], dtype=np.int64)
        found = np.full(size, raw._default, dtype=np.int64)
        if column is not raw:
            found[:] = column._translate(raw._default)
        found[: len(values)] = values[:size]
        return found
    return np.array([column[n] for n in range(size)], dtype=np.int64)


#: Whoosh's one-byte field lengths, decoded (0 stays 0: no length stored).
_LENGTHS = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


def field_lengths(data: Segment, reader, field: str) -> np.ndarray:
    """A scorable field's length per document (as Whoosh stores it: one lossy byte)."""
    found = data.lengths.get(field)
    if found is None:
        column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        if isinstance(column, NumericColumn.Reader):
            raw = column._dbfile.get(column._basepos, column._count)
            codes = np.zeros(data.size, dtype=np.int64)
            codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[: data.size]
            found = _LENGTHS[codes]
        else:
            length = reader.doc_field_length
            found = np.array([length(n, field, 1) or 0 for n in range(data.size)], dtype=float)
        data.lengths[field] = found
    return found


def terms_starting(data: Segment, reader, fieldname: str, initial: str) -> list[str]:
    """A leaf reader's terms of a field that start with one letter, read once per segment."""
    key = (fieldname, initial)
    found = data.lexicon.get(key)
    if found is None:
        found = list(reader.expand_prefix(fieldname, initial))
        found = [t.decode("utf-8") if isinstance(t, bytes) else t for t in found]
        data.lexicon[key] = found
    return found


def segment_ids(data: Segment, reader) -> list[str]:
    """Every document id of a segment, in document order (read once, when first needed)."""
    if data.ids is None:
        data.ids = [reader.stored_fields(n)["meta"]["id"] for n in range(data.size)]
    return data.ids


# --- Matching -----------------------------------------------------------------------


class Matches:
    """Matching documents of one segment: sorted local numbers and their scores."""

    __slots__ = ("ids", "scores")

    def __init__(self, ids: np.ndarray, scores: np.ndarray):
        self.ids, self.scores = ids, scores

    @classmethod
    def empty(cls) -> Matches:
        return cls(EMPTY_IDS, EMPTY_SCORES)


def union(parts: list[Matches], size: int) -> Matches:
    """Documents any part matches, their scores summed. `size`: the segment's
    number of documents, which bounds the document numbers: counting into
    tables of that size costs less than sorting the lists together."""
    parts = [p for p in parts if len(p.ids)]
    if not parts:
        return Matches.empty()
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([p.ids for p in parts])
    # Summed in the order Whoosh's union matcher adds: child by child.
    totals = np.bincount(ids, weights=np.concatenate([p.scores for p in parts]), minlength=size)
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    found = np.flatnonzero(present)
    return Matches(found, totals[found])


def intersection(parts: list[Matches], size: int) -> Matches:
    """Documents every part matches, their scores summed."""
    result = parts[0]
    for part in parts[1:]:
        if not len(result.ids):
            break
        scores = np.zeros(size)
        scores[result.ids] = result.scores
        present = np.zeros(size, dtype=bool)
        present[result.ids] = True
        keep = present[part.ids]
        common = part.ids[keep]
        result = Matches(common, scores[common] + part.scores[keep])
    return result


def difference(positive: Matches, negative: Matches, size: int) -> Matches:
    excluded = np.zeros(size, dtype=bool)
    excluded[negative.ids] = True
    keep = ~excluded[positive.ids]
    return Matches(positive.ids[keep], positive.scores[keep])


# --- Queries Whoosh does not have ------------------------------------------------------


class AnyTerm(wq.Query):
    """Documents with any of `terms` in a field, unscored (each scores `boost`).

    A prefix is its words' analysed forms (`planner.Planner.prefix`): one
    union of posting lists instead of an OR of thousands of term matchers;
    the caller has already checked the expansion is bounded.
    """

    def __init__(self, fieldname: str, terms, boost: float = 1.0):
        self.fieldname, self.terms, self.boost = fieldname, frozenset(terms), boost

    def __repr__(self) -> str:
        return f"AnyTerm({self.fieldname!r}, {sorted(self.terms)!r})"

    def __eq__(self, other) -> bool:
        return type(other) is AnyTerm and (other.fieldname, other.terms) == (
            self.fieldname,
            self.terms,
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, self.terms))

    def field(self):
        return self.fieldname

    def estimate_size(self, ixreader) -> int:
        return ixreader.doc_count()

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        ids = any_term_ids(reader, self.fieldname, sorted(self.terms))
        if len(ids) and reader.has_deletions():  # as Whoosh's own matchers, none deleted
            ids = ids[segment(reader).live[ids]]
        if not len(ids):
            return NullMatcher()
        return ListMatcher(ids.tolist(), all_weights=self.boost)


class Checked(wq.Query):
    """The documents of `query` for which `check(reader, docnum)` holds, with
    their scores: a literal phrase ("Moroccan =journalists") is found on
    analysed positions, then each candidate's text is read to see the exact
    words there (exact words have no positions in the index)."""

    def __init__(self, query: wq.Query, check, key):
        self.query, self.check, self.key = query, check, key

    def __repr__(self) -> str:
        return f"Checked({self.query!r}, {self.key!r})"

    def __eq__(self, other) -> bool:
        return type(other) is Checked and (other.query, other.key) == (self.query, self.key)

    def __hash__(self) -> int:
        return hash((self.query, self.key))

    def children(self):
        return [self.query]

    def estimate_size(self, ixreader) -> int:
        return self.query.estimate_size(ixreader)

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        inner = self.query.matcher(searcher, context)
        ids, scores = [], []
        while inner.is_active():
            if self.check(reader, inner.id()):
                ids.append(inner.id())
                scores.append(inner.score())
            inner.next()
        return ListMatcher(ids, scores) if ids else NullMatcher()


class LiveSearcher(Searcher):
    """Whoosh's searcher, with BM25's collection statistics (documents, a
    word's documents, average field length) taken over live documents.

    Whoosh counts a deleted document in them until its segment is merged,
    and an update leaves the deletions of large segments marked: without
    this, an edited archive would score otherwise than the same archive
    rebuilt, and a document that left the public part would still weigh on
    public scores. Only segments with deletions cost anything more: a word's
    deleted documents are counted from its postings there.
    """

    def idf(self, fieldname, text):
        if self.parent is not None or not self.ixreader.has_deletions():
            return super().idf(fieldname, text)  # a subsearcher's parent has the statistics
        cache, key = self._idf_cache, (fieldname, text)
        if key not in cache:
            cache[key] = self.weighting.idf(_LiveCounts(self), fieldname, text)
        return cache[key]

    def avg_field_length(self, fieldname, default=None):
        average = super().avg_field_length(fieldname, default)
        if average is default or self.parent is not None or not self.ixreader.has_deletions():
            return average
        cache = self.__dict__.setdefault("_live_averages", {})
        if fieldname not in cache:
            total = self.field_length(fieldname)
            for leaf, data in _deleting_leaves(self.ixreader):
                total -= float(field_lengths(data, leaf, fieldname)[~data.live].sum())
            cache[fieldname] = max(total, 0.0) / (self.doc_count() or 1)
        return cache[fieldname]


class _LiveCounts:
    """What Whoosh's idf formula asks of a searcher, over live documents."""

    def __init__(self, searcher: LiveSearcher):
        self.searcher = searcher

    def get_parent(self):
        return self

    def doc_count_all(self) -> int:
        return self.searcher.doc_count()

    def doc_frequency(self, fieldname, text) -> int:
        return live_frequency(self.searcher.ixreader, fieldname, text, exact=True)


def _deleting_leaves(reader):
    """(leaf reader, its `Segment`) of each segment of `reader` with deletions."""
    for leaf, _ in reader.leaf_readers():
        if leaf.segment() is not None and leaf.has_deletions():
            yield leaf, segment(leaf)


def live_frequency(reader, fieldname: str, text: str | bytes, exact: bool = False) -> int:
    """How many documents not deleted have `text` in a field.

    A segment's term information counts its deleted documents until the
    segment is merged, and an update leaves a large segment's deletions
    marked (rewriting it would cost minutes). There, a word's postings are
    read to leave them out; unless `exact`, only for a word with no more
    documents than the segment has deleted (one with more certainly has a
    live one, and counts as the term information says): so a word only
    deleted documents have counts 0, at little cost.
    """
    total = 0
    for leaf, _ in reader.leaf_readers():
        frequency = leaf.doc_frequency(fieldname, text)
        if frequency and leaf.segment() is not None and leaf.has_deletions():
            if exact or frequency <= leaf.segment().deleted_count():
                data = segment(leaf)
                found = term_postings(leaf, data, fieldname, text)
                if found is not None:
                    frequency -= int(np.count_nonzero(~data.live[found[0]]))
        total += frequency
    return total


def prefix_words(reader, fieldname: str, prefix: str, limit: int) -> list[str] | None:
    """The words of a field starting with `prefix` in any segment of `reader`,
    sorted; None if there are more than `limit`. A segment's words file (see
    `positions`) answers with one sorted search; Whoosh's term table, one
    lookup a word, where a segment has none. In a segment with deleted
    documents, a word only they had is left out (`live_frequency`)."""
    start = prefix.encode("utf-8")
    found: set[bytes] = set()
    for leaf, _ in reader.leaf_readers():
        words = None
        if leaf.segment() is not None and isinstance(getattr(leaf, "_terms", None), W3TermsReader):
            stored = postings_file(segment(leaf), leaf, fieldname)
            if stored is not None and stored.complete:
                words = stored.words_from(start, limit)
                if words is None:
                    return None
        if words is None:
            words = itertools.islice(leaf.expand_prefix(fieldname, prefix), limit + 1)
        if leaf.segment() is not None and leaf.has_deletions():
            words = [w for w in words if live_frequency(leaf, fieldname, w)]
        found.update(words)
        if len(found) > limit:
            return None
    return sorted(w.decode("utf-8") for w in found)


def any_term_ids(reader, fieldname: str, terms, data: Segment | None = None) -> np.ndarray:
    """Sorted document numbers of a segment having any of `terms` in a field
    (deleted ones included): found together in the segment's postings file
    of the field where `data` is given and the segment has one, else (and for
    a word the file left out) from the posting blocks."""
    texts = [t.encode("utf-8") if isinstance(t, str) else t for t in terms]
    w3 = isinstance(getattr(reader, "_terms", None), W3TermsReader)
    found = postings_file(data, reader, fieldname) if data is not None and w3 else None
    parts, elsewhere = [], texts
    if found is not None and not found.words_only:
        numbers = found.find_texts(texts)
        parts = [found.ids_of(n) for n in numbers if n is not None]
        # In a complete file, a word that is not there is not in the segment.
        missing = [t for t, n in zip(texts, numbers, strict=True) if n is None]
        elsewhere = [] if found.complete else missing
    for text in elsewhere:
        read = postings(reader, fieldname, text)
        if read is not None:
            parts.append(read[0])
    return _marked(reader, parts)


def _marked(reader, parts: list[np.ndarray]) -> np.ndarray:
    """The sorted union of lists of a segment's document numbers."""
    if not parts:
        return EMPTY_IDS
    # Marked in a table of the segment's documents: cheaper than sorting
    # when the words together cover much of the segment.
    seen = np.zeros(reader.doc_count_all(), dtype=bool)
    for part in parts:
        seen[part] = True
    return np.flatnonzero(seen)


class Evaluator:
    """Evaluates a Whoosh query tree on one segment, vectorised where it can."""

    def __init__(self, top, subsearcher, data: Segment):
        self.top = top  # the top-level searcher: global statistics
        self.searcher = subsearcher
        self.reader = subsearcher.reader()
        self.data = data
        self.weighting = top.weighting if isinstance(top.weighting, BM25F) else None

    def run(self, query) -> Matches:
        if isinstance(query, wq.Term):
            return self.term(query)
        if isinstance(query, wq.Or) and type(query) is wq.Or:
            return union([self.run(q) for q in query.subqueries], self.data.size)
        if isinstance(query, wq.And) and type(query) is wq.And:
            return intersection([self.run(q) for q in query.subqueries], self.data.size)
        if type(query) is wq.AndNot:
            positive = self.run(query.a)
            if not len(positive.ids):
                return positive
            return difference(positive, self.run(query.b), self.data.size)
        if type(query) is wq.Phrase and query.slop == 1 and len(query.words) > 1:
            return self.phrase(query)
        if type(query) in (wq.spans.SpanNear, SameParagraph) and near_words(query):
            return self.near(query)
        if type(query) is Checked:
            found = self.run(query.query)
            keep = np.array([query.check(self.reader, int(d)) for d in found.ids], dtype=bool)
            return Matches(found.ids[keep], found.scores[keep]) if len(keep) else found
        if type(query) is AnyTerm:
            ids = any_term_ids(self.reader, query.fieldname, query.terms, self.data)
            ids = ids[self.data.live[ids]]
            return Matches(ids, np.full(len(ids), float(query.boost)))
        return self.fallback(query)

    def phrase(self, query: wq.Phrase) -> Matches:
        """Consecutive words: candidates by intersecting posting lists, then the
        positions of every candidate checked at once (see `consecutive`). Scored as
        Whoosh scores a phrase: the sum of its words' scores."""
        field = query.fieldname
        if not isinstance(self.top.schema[field].format, VarintPositions):
            return self.fallback(query)  # an index written before positions were varints
        # The rarest word first: each next word's blocks are decoded only
        # where they can hold a document the words before have in common.
        words = list(query.words)
        rarest_first = sorted(
            range(len(words)), key=lambda k: self.reader.doc_frequency(field, words[k])
        )
        read: dict[int, FilePostings | BlockPostings] = {}
        common = None
        for k in rarest_first:
            found = phrase_postings(self.reader, self.data, field, words[k], within=common)
            if found is None:
                return Matches.empty()
            read[k] = found
            ids = found.ids
            common = ids if common is None else np.intersect1d(common, ids, assume_unique=True)
            if not len(common):
                return Matches.empty()
        terms = [read[k] for k in range(len(words))]
        keys = [phrase_keys(term, common, len(terms) - k) for k, term in enumerate(terms)]
        if any(k is None for k in keys) or self.data.size >= 1 << (63 - POSITION_BITS):
            return self.fallback(query)  # positions or documents beyond the keys' bits
        found = consecutive(keys)
        found = found[self.data.live[found]]
        scores = np.zeros(len(found))
        for word, term in zip(words, terms, strict=True):
            weights = term.weights(np.searchsorted(term.ids, found))
            scores = scores + self.score(field, word, found, weights)
        if query.boost != 1.0:
            scores = scores * query.boost
        return Matches(found, scores)

    def near(self, query: wq.spans.SpanNear) -> Matches:
        """Two sides within `slop` words of each other in any order (NEAR/n),
        or in one paragraph (`SameParagraph`, NEAR/p), each side a word or
        any of several (a prefix's forms). As `phrase`: candidates by
        posting lists, then every candidate's positions compared at once.
        Scored as Whoosh scores it: the sum of the scores of the side's
        words each document has."""
        field, sides = near_words(query)
        read = []
        for words in sides:
            found = {}
            for word in words:
                postings = phrase_postings(self.reader, self.data, field, word)
                if postings is not None:
                    found[word] = postings
            if not found:
                return Matches.empty()
            read.append(found)
        ids = [np.unique(np.concatenate([p.ids for p in found.values()])) for found in read]
        common = np.intersect1d(*ids, assume_unique=True)
        if not len(common) or self.data.size >= 1 << (63 - POSITION_BITS):
            return Matches.empty() if not len(common) else self.fallback(query)
        keys = []
        for found in read:
            side = []
            for postings in found.values():
                within = np.intersect1d(common, postings.ids, assume_unique=True)
                if len(within):
                    side.append(phrase_keys(postings, within))
            if any(k is None for k in side):
                return self.fallback(query)  # positions beyond the keys' bits
            keys.append(np.unique(np.concatenate(side)))
        a, b = keys
        if type(query) is SameParagraph:  # a key without its position's low 16 bits
            shift = PARAGRAPH_BITS
            found = np.intersect1d(np.unique(a >> shift), np.unique(b >> shift), True)
            found = found >> (POSITION_BITS - shift)
        else:  # a word of b from 1 to `slop` words before or after one of a
            low = np.searchsorted(b, a - query.slop, "left")
            high = np.searchsorted(b, a + query.slop, "right")
            at = np.minimum(np.searchsorted(b, a), len(b) - 1)
            found = a[high - low - (b[at] == a) > 0] >> POSITION_BITS
        found = np.unique(found)
        found = found[self.data.live[found]]
        scores = np.zeros(len(found))
        for side in read:
            for word, postings in side.items():
                at = np.searchsorted(postings.ids, found)
                has = at < len(postings.ids)
                has[has] = postings.ids[at[has]] == found[has]
                weights = postings.weights(at[has])
                scores[has] += self.score(field, word, found[has], weights)
        boost = getattr(query, "boost", 1.0)  # Whoosh's spans have none
        if boost != 1.0:
            scores = scores * boost
        return Matches(found, scores)

    def term(self, query: wq.Term) -> Matches:
        field, text = query.fieldname, query.text
        found = term_postings(self.reader, self.data, field, text)
        if found is None:
            return Matches.empty()
        ids, weights = found
        live = self.data.live[ids]
        if not live.all():
            ids, weights = ids[live], weights[live]
        scores = self.score(field, text, ids, weights)
        if query.boost != 1.0:
            scores = scores * query.boost
        return Matches(ids, scores)

    def score(self, field: str, text, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Whoosh's score of a term in these documents: BM25F, or the weight itself."""
        if self.weighting is None or not self.top.schema[field].scorable:
            return weights  # Whoosh's WeightScorer: the posting's weight
        b, k1 = self.weighting._field_B.get(field, self.weighting.B), self.weighting.K1
        idf = self.top.idf(field, text)
        average = self.top.avg_field_length(field) or 1
        lengths = field_lengths(self.data, self.reader, field)[ids]
        norm = weights + k1 * ((1 - b) + b * lengths / average)
        return idf * ((weights * (k1 + 1)) / norm)

    def fallback(self, query) -> Matches:
        """Whoosh's own matcher, one document at a time (phrases, spans, ranges …)."""
        matcher = query.matcher(self.searcher, self.top.context())
        ids, scores = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
        if not ids:
            return Matches.empty()
        ids, scores = np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64)
        order = np.argsort(ids, kind="stable")
        ids, scores = ids[order], scores[order]
        live = self.data.live[ids]  # a query of the archive's own may not know deletions
        return Matches(ids[live], scores[live])


class SameParagraph(wq.spans.SpanNear):
    """Both sides match inside one paragraph (positions share a bucket)."""

    def __init__(self, a, b):
        super().__init__(a, b, slop=PARAGRAPH_GAP, ordered=False)

    def apply(self, fn):
        return SameParagraph(fn(self.a), fn(self.b))

    def matcher(self, searcher, context=None):
        return SameParagraph.Matcher(
            self.a.matcher(searcher, context), self.b.matcher(searcher, context)
        )

    class Matcher(wq.spans.SpanNear.SpanNearMatcher):
        def __init__(self, a, b, **_):
            super().__init__(a, b, slop=PARAGRAPH_GAP, ordered=False)

        def copy(self):
            return SameParagraph.Matcher(self.a.copy(), self.b.copy())

        def _get_spans(self):
            found = set()
            bspans = self.b.spans()
            for aspan in self.a.spans():
                paragraph = aspan.start // PARAGRAPH_GAP
                for bspan in bspans:
                    if bspan.start // PARAGRAPH_GAP == paragraph:
                        found.add(aspan.to(bspan))
            return sorted(found)


#: log2 of `PARAGRAPH_GAP`: a position's bits below its paragraph number.
PARAGRAPH_BITS = PARAGRAPH_GAP.bit_length() - 1


def near_words(query) -> tuple[str, list[list[str]]] | None:
    """(field, each side's words) of a NEAR between two sides that are each a
    word or an OR of words of one field, unordered and at least one word
    apart (as the query language writes NEAR); None for any other span."""
    if query.ordered or query.mindist != 1:
        return None
    sides, fields = [], set()
    for side in (query.a, query.b):
        leaves = [side]
        while any(type(leaf) is wq.spans.SpanOr for leaf in leaves):
            leaves = [q for leaf in leaves for q in getattr(leaf, "subqs", [leaf])]
        if not all(type(leaf) is wq.Term for leaf in leaves):
            return None
        fields.update(leaf.fieldname for leaf in leaves)
        sides.append([leaf.text for leaf in leaves])
    return (fields.pop(), sides) if len(fields) == 1 else None


class BlockPostings:
    """A term's postings read from its W3 blocks, with their values."""

    def __init__(self, ids: np.ndarray, weights: np.ndarray, values: list[bytes]):
        self.ids, self._weights, self._values = ids, weights, values

    def weights(self, index: np.ndarray) -> np.ndarray:
        return self._weights[index]

    def positions(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return VarintPositions.decode_all([self._values[i] for i in index.tolist()])


def _in_file(reader, data: Segment, field: str, text: str):
    """(the segment's postings file of the field, the term's number in it), or
    (file or None, None) when the segment's blocks must be read instead; None
    when the segment does not have the term."""
    found = postings_file(data, reader, field)
    if found is None:
        return None, None
    info = _term_info(reader, field, text)
    return None if info is None else (found, found.find(info))


def term_postings(reader, data: Segment, field: str, text: str):
    """(document numbers, weights) of a term in a segment, or None if it has
    none there: from the segment's postings file of the field if the term is
    in it, else from its blocks."""
    located = _in_file(reader, data, field, text)
    if located is None:
        return None
    found, term = located
    if term is not None and found.has_weights:
        return found.ids_of(term).astype(np.int64), found.weights_of(term).astype(np.float64)
    if term is not None:
        read = found.postings(term)
        return read.ids, read.weights(np.arange(len(read.ids)))
    read = postings(reader, field, text)
    return None if read is None else read[:2]


def phrase_postings(reader, data: Segment, field: str, text: str, within=None):
    """A phrase word's postings in a segment (None if it has none there): from
    the segment's positions file if the word is in it, else from its blocks
    (only those that can hold a document of `within`, if given)."""
    located = _in_file(reader, data, field, text)
    if located is None:
        return None
    found, term = located
    if term is not None:
        return found.postings(term)
    read = postings(reader, field, text, values=True, within=within)
    return None if read is None else BlockPostings(*read)


#: A phrase word's key: its document number shifted by this many bits, plus
#: its position (below 2**32, as positions files keep them, plus the words'
#: offsets).
POSITION_BITS = 33


def phrase_keys(
    term: FilePostings | BlockPostings, common: np.ndarray, offset: int = 0
) -> np.ndarray | None:
    """Sorted keys `(document << POSITION_BITS) + position + offset` of a phrase
    word in the documents of `common` (or in more: every document of a word
    that has few more than `common`, four fifths at least, which spares
    gathering its positions); None if a position does not fit."""
    if isinstance(term, FilePostings) and 5 * len(common) >= 4 * len(term.ids):
        docs, (found, counts) = term.ids, term.positions(raw=True)
    else:
        docs, (found, counts) = common, term.positions(np.searchsorted(term.ids, common))
    if len(found) and int(found.max()) >= 1 << 32:
        return None
    keys = np.repeat((docs << POSITION_BITS) + offset, counts)
    keys += found
    return keys


def consecutive(keys: list[np.ndarray]) -> np.ndarray:
    """The sorted documents where the words come one after another.

    `keys[k]` are word k's `phrase_keys` with the offset n - k for n words:
    word k at position p becomes (document, p + n - k), and a document is
    kept when some key is shared by every word. Each list holds a key once,
    so the keys in two lists are the equal neighbours of the lists merged (a
    stable sort merges two sorted runs in one pass), or for a list much
    shorter than the other, those of its keys a binary search finds in it.
    """
    shared = keys[0]
    for more in keys[1:]:
        if not len(shared):
            break
        short, long = (more, shared) if len(more) < len(shared) else (shared, more)
        if 32 * len(short) < len(long):  # a few keys: each looked up in the long list
            at = np.minimum(np.searchsorted(long, short), len(long) - 1)
            shared = short[long[at] == short]
            continue
        merged = np.concatenate([shared, more])
        merged.sort(kind="stable")
        shared = merged[1:][merged[1:] == merged[:-1]]
    docs = shared >> POSITION_BITS
    if not len(docs):
        return EMPTY_IDS
    return docs[np.concatenate([[True], docs[1:] != docs[:-1]])]


def postings(reader, field: str, text, values: bool = False, within=None):
    """(document numbers, weights, values or None) of a term in a leaf reader,
    or None if the segment does not have it. Deleted documents are included:
    callers mask them with `Segment.live`. With `within` (sorted document
    numbers) the result may leave out postings of other documents.

    Whoosh's matcher reads a block through a dozen Python calls (a second
    lookup, a matcher, a header, the data, a generator undoing the deltas),
    tens of microseconds a term; a prefix or a query over many segments
    reads thousands of terms. `segments.read_postings` reads a term's bytes
    in one call and decodes each block with `pickle` and numpy.
    """
    btext = text.encode("utf-8") if isinstance(text, str) else text
    terms = getattr(reader, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return _by_matcher(reader, field, btext, values)
    info = _term_info(reader, field, btext)
    if info is None:
        return None
    if info.is_inlined():  # not written by Whoosh's default codec, nor by ours
        return _by_matcher(reader, field, btext, values)
    size = reader.schema[field].format.fixed_value_size()
    return read_postings(terms._postfile, info, size, values, within)


def _term_info(reader, field: str, text):
    """A term's information in a leaf reader with W3 terms, or None if it is absent."""
    btext = text.encode("utf-8") if isinstance(text, str) else text
    try:
        return reader._terms.term_info(field, btext)
    except TermNotFound:
        return None


def _by_matcher(reader, field: str, btext: bytes, values: bool):
    """`postings` through Whoosh's matcher, for what the fast path does not read."""
    try:
        matcher = reader.postings(field, btext)
    except TermNotFound:
        return None
    matcher = getattr(matcher, "child", matcher)  # deletions are the caller's
    ids, weights, found = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            found.append(matcher.value())
        matcher.next()
    return (
        np.asarray(ids, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
        found if values else None,
    )


def match(searcher, query) -> list[tuple[Segment, int, Matches]]:
    """Every segment's matches for `query`, with the segment's document offset.

    `query` None matches every live document with score 0.
    """
    found = []
    for subsearcher, offset in searcher.leaf_searchers():
        if subsearcher.reader().segment() is None:  # an index with no segment yet
            continue
        data = segment(subsearcher.reader())
        if query is None:
            ids = np.flatnonzero(data.live)
            found.append((data, offset, Matches(ids, np.zeros(len(ids)))))
        else:
            found.append((data, offset, Evaluator(searcher, subsearcher, data).run(query)))
    return found


# --- Facets -----------------------------------------------------------------------------


def facet_values(data: Segment, facet: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(document numbers, value codes, code -> value) of a facet in a segment.

    Years and months are derived from the dates once per segment."""
    if facet in ("year", "month") and facet not in data.pairs:
        keys = data.dates // (10000 if facet == "year" else 100)
        table, codes = np.unique(keys, return_inverse=True)
        if facet == "year":
            labels = [str(int(y)) for y in table]
        else:
            labels = [f"{int(m) // 100:04d}-{int(m) % 100:02d}" for m in table]
        data.values[facet] = labels  # the table first: a reader of `pairs` finds it
        data.pairs[facet] = (np.arange(data.size), codes.ravel())
    docs, codes = data.pairs[facet]
    return docs, codes, data.values[facet]


def selection_mask(data: Segment, facet: str, selected: set[str]) -> np.ndarray:
    """Documents of a segment carrying any of the selected values of a facet."""
    docs, codes, table = facet_values(data, facet)
    wanted = [code for code, value in enumerate(table) if value in selected]
    mask = np.zeros(data.size, dtype=bool)
    if wanted:
        mask[docs[np.isin(codes, wanted)]] = True
    return mask


def count(data: Segment, facet: str, mask: np.ndarray, counts: dict[str, int]) -> None:
    """Add to `counts` how many documents in `mask` carry each value of a facet."""
    docs, codes, table = facet_values(data, facet)
    if not len(docs):
        return
    tally = np.bincount(codes[mask[docs]], minlength=len(table))
    present = np.flatnonzero(tally)
    get = counts.get
    for code, number in zip(present.tolist(), tally[present].tolist(), strict=True):
        value = table[code]
        counts[value] = get(value, 0) + number
