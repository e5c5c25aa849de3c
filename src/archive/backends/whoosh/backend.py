"""The embedded backend: a Whoosh index in the archive home.

`WhooshBackend` writes through `indexing.Index` and opens one
`WhooshView` (a searcher) per thread and per part, reopened when the index
changes: searchers are never shared between threads nor refreshed in place.
`to_query` compiles a plan (`archive.plan`) to Whoosh queries, which the
vectorised evaluator of `engine` runs (or, with ``reference=True``,
Whoosh's own matchers one document at a time: the differential tests
compare the two).
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import query as wq

from ... import plan
from ...analysis import ANALYSED, EXACT, phrase_in, terms_of, word_matches
from ...document import Document, searchable_text
from ...fields import FACET, FACETS
from ...planner import ENTITY_FIELDS, MENTION_FIELD, date_bounds
from .. import Texts
from . import arrays, engine
from . import facets as facet_data
from .engine import AnyTerm, SameParagraph
from .indexing import Index
from .schema import SEARCH_FIELDS

# --- Plans to Whoosh queries -------------------------------------------------------------


def to_query(node, check_literal=None) -> wq.Query | None:
    """The Whoosh query of a plan node (None: every document).
    `check_literal(terms, literal)` makes the check of a phrase's literal
    words in a document's text (`engine.Checked`), or is None."""
    if node is None:
        return None
    if isinstance(node, plan.Words):
        return _or([wq.Term(f, t) for t in node.terms for f in SEARCH_FIELDS])
    if isinstance(node, plan.TitleWords):
        return _or([wq.Term("title", t) for t in node.terms])
    if isinstance(node, plan.Term):
        return wq.Term(node.field, node.text)
    if isinstance(node, plan.Entity):
        found = [wq.Term(MENTION_FIELD, f"{node.kind}:{node.id}")]
        if node.kind in ENTITY_FIELDS:
            found.insert(0, wq.Term(ENTITY_FIELDS[node.kind], node.id))
        return _or(found)
    if isinstance(node, plan.Forms):
        return AnyTerm(ANALYSED, node.terms)
    if isinstance(node, plan.Nothing):
        return wq.NullQuery
    if isinstance(node, plan.Phrase):
        return _phrase(node, check_literal)
    if isinstance(node, plan.Near):
        left, right = _span(node.left), _span(node.right)
        if node.paragraph:
            return SameParagraph(left, right)
        return wq.spans.SpanNear(left, right, slop=node.distance, ordered=False)
    if isinstance(node, plan.DateRange):
        return wq.NumericRange("date", node.low, node.high)
    if isinstance(node, plan.AllOf):
        return wq.And([to_query(p, check_literal) for p in node.parts])
    if isinstance(node, plan.AnyOf):
        return wq.Or([to_query(p, check_literal) for p in node.parts])
    if isinstance(node, plan.Without):
        positive = to_query(node.positive, check_literal) if node.positive else wq.Every()
        return wq.AndNot(positive, to_query(node.negative, check_literal))
    raise TypeError(f"not a plan node: {node!r}")


def _phrase(node: plan.Phrase, check_literal) -> wq.Query:
    terms = node.terms
    if len(terms) == 1:
        query = wq.Term(ANALYSED, terms[0])
    elif node.slop:
        query = wq.spans.SpanNear2(
            [wq.Term(ANALYSED, t) for t in terms], slop=node.slop, ordered=False
        )
    else:
        query = wq.Phrase(ANALYSED, list(terms))
    exact = [w for w in node.literal if w]
    if not exact:
        return query
    query = wq.And([query, *(wq.Term(EXACT, w) for w in dict.fromkeys(exact))])
    if node.slop or check_literal is None:
        return query
    return engine.Checked(query, check_literal(terms, node.literal), (terms, node.literal))


def _span(node) -> wq.Query:
    """A NEAR operand as a span query on analysed positions."""
    if isinstance(node, plan.AnyOf):
        return wq.spans.SpanOr([_span(p) for p in node.parts])
    if isinstance(node, plan.Forms):
        found = [wq.Term(ANALYSED, t) for t in node.terms]
        return wq.spans.SpanOr(found) if found else wq.NullQuery
    if len(node.terms) == 1:
        return wq.Term(ANALYSED, node.terms[0])
    return wq.spans.SpanNear2([wq.Term(ANALYSED, t) for t in node.terms], slop=1, ordered=True)


def _or(parts: list) -> wq.Query | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.Or(parts)


# --- The backend -------------------------------------------------------------------------


class WhooshBackend:
    """The embedded index of an archive home (see `archive.backends.SearchBackend`)."""

    def __init__(
        self,
        home,
        texts: Texts | None = None,
        reference: bool = False,
        write_timeout: float = 10.0,
        processes: int | None = None,
    ):
        self.index = Index(home, write_timeout=write_timeout, processes=processes)
        self.texts = texts
        self.reference = reference
        self._local = threading.local()
        self._open: list = []  # every searcher opened, so that close() can close them
        self._open_lock = threading.Lock()

    def view(self, include_restricted: bool = False) -> WhooshView:
        cache = getattr(self._local, "views", None)
        if cache is None:
            cache = self._local.views = {}
        state = self.index.state(include_restricted)
        found = cache.get(include_restricted)
        if found is not None and found[0] == state:
            return found[1]
        searcher = self.index.open_searcher(include_restricted)
        with self._open_lock:
            if found is not None:
                found[1].searcher.close()
                self._open.remove(found[1].searcher)
            self._open.append(searcher)
        view = WhooshView(searcher, self)
        cache[include_restricted] = (state, view)
        live = [
            facet_data.segment_key(r)
            for r, _ in searcher.reader().leaf_readers()
            if r.segment() is not None
        ]
        facet_data.forget_segments(live)
        arrays.forget(live)
        return view

    def state(self, include_restricted: bool = False) -> tuple:
        return self.index.state(include_restricted)

    def restricted(self) -> list[dict]:
        with self.index.open("restricted").searcher() as searcher:
            return [stored["meta"] for stored in searcher.all_stored_fields()]

    def exists(self) -> bool:
        return self.index.exists()

    def damage(self):
        return self.index.damage()

    def update(self, corpus, thorough: bool = False):
        return self.index.update(corpus, thorough)

    def rebuild(self, corpus):
        return self.index.rebuild(corpus)

    def add(self, corpus, documents) -> None:
        self.index.add(corpus, documents)

    def remove(self, paths) -> None:
        self.index.remove(paths)

    def compare(self, corpus):
        return self.index.compare(corpus)

    def write_lock(self):
        return self.index.write_lock()

    def file_of(self, doc_id: str) -> str | None:
        return self.index.file_of(doc_id)

    def unindexed(self, corpus):
        return self.index.unindexed(corpus)

    def verify(self):
        return self.index.verify()

    def leftovers(self):
        return self.index.leftovers()

    def close(self) -> None:
        with self._open_lock:
            for searcher in self._open:
                searcher.close()
            self._open.clear()
        self._local = threading.local()


class WhooshView:
    """One thread's searcher (see `archive.backends.IndexView`); keys are document numbers."""

    def __init__(self, searcher, backend: WhooshBackend):
        self.searcher = searcher
        self.reader = searcher.reader()
        self._texts = backend.texts
        self._reference = backend.reference

    def frequency(self, field: str, text: str) -> int:
        return engine.live_frequency(self.reader, field, text)

    def prefix_words(self, field: str, prefix: str, limit: int) -> list[str] | None:
        return engine.prefix_words(self.reader, field, prefix, limit)

    def query(self, node) -> wq.Query | None:
        """The Whoosh query of a plan."""
        return to_query(node, self._check_literal)

    def _check_literal(self, terms, literal):
        texts = self._texts

        def check(reader, docnum: int) -> bool:
            parts = texts(reader.stored_fields(docnum))
            return any(phrase_in(part, list(terms), list(literal)) for part in parts)

        return check

    def search(self, node, searching, filters, selected, sort, limit, facets=True):
        run = _reference_search if self._reference else _engine_search
        return run(
            self.searcher, self.query(node), searching, filters, selected, sort, limit, facets
        )

    def stored(self, key) -> dict:
        return self.searcher.stored_fields(key)

    def key_of(self, doc_id: str):
        return self.searcher.document_number(id=doc_id)

    def dated_ids(self) -> list[tuple[int, str]]:
        found = []
        for subsearcher, _ in self.searcher.leaf_searchers():
            reader = subsearcher.reader()
            if reader.segment() is None:
                continue
            data = arrays.segment(reader)
            ids = arrays.segment_ids(data, reader)
            found.extend((int(data.dates[n]), ids[n]) for n in np.flatnonzero(data.live))
        return found

    def document_count(self) -> int:
        return self.reader.doc_count()

    def closest(self, word: str) -> str | None:
        return _closest(self.reader, word)

    def first_holding(self, field: str, text: str) -> dict | None:
        if not engine.live_frequency(self.reader, field, text):
            return None
        for docnum in self.reader.postings(field, text).all_ids():
            if not self.reader.is_deleted(docnum):
                return self.reader.stored_fields(docnum)
        return None

    def similar(self, document: Document, limit: int) -> dict[str, float]:
        """Distinctive shared words (0..1) plus shared entities (0..1)."""
        searcher, reader = self.searcher, self.reader
        scores: dict[int, float] = {}
        text_query = _distinctive_terms_query(reader, document)
        found = engine.match(searcher, text_query) if text_query is not None else []
        best = max((float(m.scores.max()) for _, _, m in found if len(m.ids)), default=0.0) or 1.0
        for _, offset, matches in found:
            for local, score in zip(matches.ids.tolist(), matches.scores.tolist(), strict=True):
                scores[offset + local] = score / best
        weights = _entity_weights(reader, document)
        total = sum(weights.values()) or 1.0
        for subsearcher, offset in searcher.leaf_searchers():
            if not weights or subsearcher.reader().segment() is None:
                continue
            data = arrays.segment(subsearcher.reader())
            shared = np.zeros(data.size)
            for (facet, value), weight in weights.items():
                docs, codes, table = arrays.facet_values(data, facet)
                if value in table:
                    tagged = docs[codes == table.index(value)]
                    shared[tagged[data.live[tagged]]] += weight / total
            for local in np.flatnonzero(shared).tolist():
                scores[offset + local] = scores.get(offset + local, 0.0) + float(shared[local])
        best_first = heapq.nlargest(limit, scores.items(), key=lambda kv: kv[1])
        return {searcher.stored_fields(n)["meta"]["id"]: score for n, score in best_first}


# --- Suggestions and similarity --------------------------------------------------------

#: Terms per document used to find similar documents.
SIMILAR_TERMS = 20
#: How much sharing a value of each facet of registry ids counts.
ENTITY_WEIGHTS = {"person": 3.0, "organisation": 1.0, "country": 0.5}


def _closest(reader, term: str) -> str | None:
    """The index term a misspelt `term` most likely meant, or None.

    A candidate starts with the same letter and either shares all but the
    last two letters of `term` (another form of the same word: arbitrary,
    arbitrarily), or is a typo: one edit away from a word of five letters or
    more, or two from one of eight or more that it shares four first letters
    with (survelance). Forms of the same word come first, then the fewest
    edits, then the most frequent. Two edits early in a word make another
    word (الاحتجاز, الاتجار: the article says nothing), never offered.

    Candidates come from each segment's terms starting with that letter (read
    once per segment) and are compared in C by RapidFuzz: Whoosh's own
    `terms_within` walks the whole term list in Python (0.65 s a word on
    10,000 documents).
    """
    candidates: dict[str, int] = {}  # term -> edit distance
    for leaf, _ in reader.leaf_readers():
        if leaf.segment() is None:  # an empty index
            continue
        terms = arrays.terms_starting(arrays.segment(leaf), leaf, EXACT, term[0])
        found = process.extract(
            term, terms, scorer=Levenshtein.distance, score_cutoff=2, limit=None
        )
        candidates.update((choice, distance) for choice, distance, _ in found)
    best, best_key = None, None
    for candidate, distance in candidates.items():
        shared = _shared_prefix(_bare(term), _bare(candidate))
        same_word = shared >= max(4, len(_bare(term)) - 2)
        typo = len(term) >= 5 and (distance == 1 or (len(term) >= 8 and shared >= 4))
        if not (same_word or typo):
            continue
        frequency = engine.live_frequency(reader, EXACT, candidate)
        if not frequency:  # only in deleted documents
            continue
        key = (not same_word, distance, -frequency, candidate)
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    return best


def _bare(term: str) -> str:
    """An exact term without the Arabic article, whose letters say nothing of the word."""
    return term[2:] if term.startswith("ال") and len(term) > 4 else term


def _shared_prefix(a: str, b: str) -> int:
    return next(
        (n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def _distinctive_terms_query(reader, document: Document) -> wq.Query | None:
    """An OR of the document's most distinctive stemmed words, weighted by tf·idf."""
    counts: dict[str, int] = {}
    for match in word_matches(searchable_text(document)):
        for term in terms_of(match.group(), document.language):
            counts[term] = counts.get(term, 0) + 1
    total = reader.doc_count() or 1
    weighted = []
    for term, count in counts.items():
        frequency = engine.live_frequency(reader, "body", term, exact=True)
        if frequency < 2:  # only in this document: cannot link it to another
            continue
        weighted.append((count * math.log(1 + total / frequency), term))
    top = heapq.nlargest(SIMILAR_TERMS, weighted)
    return _or([wq.Term("body", term, boost=weight) for weight, term in top])


def _entity_weights(reader, document: Document) -> dict[tuple[str, str], float]:
    """(facet, value) -> weight of each entity the document is tagged with; rarer weighs more."""
    total = reader.doc_count() or 1
    weights = {}
    for name, weight in ENTITY_WEIGHTS.items():
        facet = FACET[name]
        for value in getattr(document, facet.document):
            frequency = engine.live_frequency(reader, facet.field, value, exact=True) or 1
            weights[(name, value)] = weight * math.log(1 + total / frequency)
    return weights


# --- Matching, filtering, ranking ------------------------------------------------------

#: Scores are compared rounded, so that sums taken in a different order rank alike.
SCORE_DIGITS = 9
#: A match of the reference implementation: (segment facets, local docnum, global docnum, score).
Match = tuple


def _engine_search(searcher, query, searching: bool, filters, selected, sort, limit, facets=True):
    """(total, first `limit` (docnum, score) in order, facet counts), vectorised."""
    low, high = date_bounds(filters.date_from, filters.date_to)
    dated = bool(filters.date_from or filters.date_to)
    names = (*FACETS, "month")
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    chosen = {name: set(values) for name, values in selected.items()}
    kept = []
    total = 0
    for data, offset, found in engine.match(searcher, query) if searching else []:
        base = np.zeros(data.size, dtype=bool)
        base[found.ids] = True
        if dated:
            base &= (data.dates >= low) & (data.dates <= high)
        masks = {name: arrays.selection_mask(data, name, values) for name, values in chosen.items()}
        everything = base.copy()
        for mask in masks.values():
            everything &= mask
        for name in names if facets else ():
            if name in masks:  # a facet's own selection does not narrow its counts
                mask = base.copy()
                for other, other_mask in masks.items():
                    if other != name:
                        mask &= other_mask
            else:
                mask = everything
            arrays.count(data, name, mask, counts[name])
        keep = everything[found.ids]
        ids, scores = found.ids[keep], found.scores[keep]
        total += len(ids)
        kept.append((data, offset, ids, scores))
    return total, _engine_rank(kept, sort, limit, searcher), counts


def _engine_rank(kept, sort: str, limit: int, searcher) -> list[tuple[int, float]]:
    """The first `limit` results: by score (or date), then newest, then id."""
    if not kept or limit <= 0:
        return []
    docnums = np.concatenate([offset + ids for _, offset, ids, _ in kept])
    if not len(docnums):
        return []
    scores = np.concatenate([scores for _, _, _, scores in kept])
    dates = np.concatenate([data.dates[ids] for data, _, ids, _ in kept]).astype(np.float64)
    if sort == "date":
        primary, secondary = -dates, np.zeros(len(dates))
    elif sort == "date-asc":
        primary, secondary = dates, np.zeros(len(dates))
    else:
        primary, secondary = -np.round(scores, SCORE_DIGITS), -dates
    if len(primary) > limit:
        # Narrow to what can reach the first `limit` on the first key, then on both.
        border = np.partition(primary, limit - 1)[limit - 1]
        candidates = np.flatnonzero(primary <= border)
        order = candidates[np.lexsort((secondary[candidates], primary[candidates]))]
        last = order[limit - 1]
        ties = order[limit:][
            (primary[order[limit:]] == primary[last])
            & (secondary[order[limit:]] == secondary[last])
        ]
        candidates = np.concatenate([order[:limit], ties])
    else:
        candidates = np.arange(len(primary))

    def doc_id(i: int) -> str:  # the last tie-break, read only where there are ties
        return searcher.stored_fields(int(docnums[i]))["meta"]["id"]

    chosen = []
    ordered = sorted(candidates.tolist(), key=lambda i: (primary[i], secondary[i]))
    for _, tied in itertools.groupby(ordered, key=lambda i: (primary[i], secondary[i])):
        tied = list(tied)
        chosen.extend(sorted(tied, key=doc_id) if len(tied) > 1 else tied)
    return [(int(docnums[i]), float(scores[i])) for i in chosen[:limit]]


def _reference_search(
    searcher, query, searching: bool, filters, selected, sort, limit, facets=True
):
    """The straightforward implementation: one document at a time, in Python."""
    matches = _collect(searcher, query) if searching else []
    low, high = date_bounds(filters.date_from, filters.date_to)
    if filters.date_from or filters.date_to:
        matches = [m for m in matches if low <= m[0].dates[m[1]] <= high]
    results, counts = _filter_and_count(matches, selected)
    return len(results), [(m[2], m[3]) for m in _rank(results, sort, limit)], counts


def _collect(searcher, query: wq.Query | None) -> list[Match]:
    """Every matching document with its score.

    Matchers are stepped one document at a time without block-quality
    skipping, which is where Whoosh 2.7.4 can loop forever on some OR
    queries (upstream issue #446); facets need the full set anyway.
    """
    matches: list[Match] = []
    context = searcher.context()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if reader.segment() is None:  # an index with no segment yet
            continue
        columns = facet_data.segment_facets(reader)
        if query is None:
            matches.extend((columns, d, d + offset, 0.0) for d in reader.all_doc_ids())
            continue
        matcher = query.matcher(subsearcher, context)
        append = matches.append
        while matcher.is_active():
            docnum = matcher.id()
            append((columns, docnum, docnum + offset, matcher.score()))
            matcher.next()
    return matches


def _filter_and_count(matches: list[Match], selected: dict[str, tuple[str, ...]]):
    """The matches passing every facet selection, and counts per facet.

    A facet's counts apply the other facets' selections but not its own, so
    a reader can widen a selection as well as narrow it.
    """
    chosen = {name: set(values) for name, values in selected.items()}
    counts = {name: {} for name in (*FACETS, "month")}
    results = []
    for match in matches:
        columns, docnum = match[0], match[1]
        failed = None
        failures = 0
        for name, values in chosen.items():
            if values.isdisjoint(columns.of(name, docnum)):
                failures += 1
                failed = name
                if failures > 1:
                    break
        if failures > 1:
            continue
        names = (*FACETS, "month") if failures == 0 else (failed,)
        for name in names:
            counter = counts[name]
            for value in columns.of(name, docnum):
                counter[value] = counter.get(value, 0) + 1
        if failures == 0:
            results.append(match)
    return results, counts


def _rank(matches: list[Match], sort: str, limit: int) -> list[Match]:
    """The first `limit` matches in `sort` order; ties go to the newer, then by id."""
    if sort == "date":
        key = lambda m: (-m[0].dates[m[1]], m[0].ids[m[1]])  # noqa: E731
    elif sort == "date-asc":
        key = lambda m: (m[0].dates[m[1]], m[0].ids[m[1]])  # noqa: E731
    else:
        key = lambda m: (-round(m[3], SCORE_DIGITS), -m[0].dates[m[1]], m[0].ids[m[1]])  # noqa: E731
    return heapq.nsmallest(limit, matches, key=key)
