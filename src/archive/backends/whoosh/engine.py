"""Vectorised matching and scoring over Whoosh segments (numpy).

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

Each segment's arrays (dates, liveness, facet values) are in `arrays`, a
term's postings are read by `postings`; `backend` keeps the straightforward
document-at-a-time implementation the tests compare this one against.
"""

from __future__ import annotations

import itertools

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from ...analysis import PARAGRAPH_GAP
from .arrays import Segment, field_lengths, segment
from .positions import FilePostings
from .postings import (
    EMPTY_IDS,
    POSITION_BITS,
    BlockPostings,
    consecutive,
    phrase_keys,
    phrase_postings,
    postings,
    postings_file,
    term_postings,
)
from .schema import VarintPositions

EMPTY_SCORES = np.zeros(0, dtype=np.float64)


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
