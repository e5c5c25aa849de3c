"""The search service: the one way the CLI, the web pages and the API search.

`SearchService.search` takes a query string and plain filter values and
returns a `SearchResult` of plain data: hits with snippets, facet counts with
labels in the reader's language, recognised entities, a spelling suggestion
and messages about anything in the query that was ignored. Nothing here reads
a web request, and nothing outside this module builds a Whoosh query.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from babel.dates import get_month_names
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import query as wq

from . import config, engine
from . import facets as facet_data
from .analysis import (
    ANALYSED,
    EXACT,
    LITERAL,
    phrase_in,
    phrase_terms,
    positional_terms,
    query_terms,
    strip_marks,
    terms_of,
    word_matches,
)
from .config import SORTS
from .corpus import Corpus, parse_date
from .document import LANGUAGES, TYPES, Document, date_key
from .engine import AnyTerm, SameParagraph
from .errors import ArchiveError, NotFound
from .i18n import N_, gettext, language_name
from .indexing import Index
from .query import (
    And,
    DateRange,
    Field,
    Message,
    Near,
    Not,
    Or,
    Phrase,
    Prefix,
    Word,
    parse,
)
from .registry import MAX_NAME_WORDS, Entity, Registry
from .schema import MENTION_FIELD, SEARCH_FIELDS, searchable_parts, searchable_text
from .snippets import MatchTerms, Paragraph, Snippet, analyse_paragraphs, make_snippet

#: Registry kind -> indexed field of the documents tagged with it.
ENTITY_FIELDS = {"country": "country", "organisation": "org", "person": "person"}
#: Most values listed per facet (the most frequent; selected values are always listed).
FACET_LIMIT = 100
#: Documents kept read and analysed in memory (for snippets and document pages):
#: about 160 KB each for documents of 600–1,500 words, in each server process.
DOCUMENT_CACHE_SIZE = 128
#: Words all the prefixes of one query may expand to together; a prefix that
#: would go over is refused with a message.
MAX_PREFIX_TERMS = 2000
MIN_PREFIX_LENGTH = 2
#: Words all the prefixes inside NEAR operands of one query may expand to
#: (positions are checked one document at a time there).
MAX_NEAR_PREFIX_TERMS = 100

UNKNOWN_ENTITY = {
    "country": N_('No country is called "{value}"; that condition was ignored.'),
    "organisation": N_('No organisation is called "{value}"; that condition was ignored.'),
    "person": N_('No person is called "{value}"; that condition was ignored.'),
}
CASE_STATUS_LABELS = {
    "detained": N_("Detained"),
    "sentenced": N_("Sentenced"),
    "released": N_("Released"),
    "exile": N_("In exile"),
    "deceased": N_("Deceased"),
    "targeted": N_("Targeted"),
}
TYPE_LABELS = {"letter": N_("Letter"), "statement": N_("Statement"), "case": N_("Case summary")}
#: Words that name a document type in a query (type:lettre, نوع:رسالة).
TYPE_ALIASES = {
    "letter": ("letter", "letters", "lettre", "lettres", "رسالة", "رسائل", "خطاب"),
    "statement": ("statement", "statements", "déclaration", "communiqué", "بيان", "بيانات"),
    "case": ("case", "cases", "affaire", "affaires", "cas", "قضية", "قضايا", "ملخص"),
}


# --- Plain data returned to callers ----------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Facet selections and a date range; values within a facet are OR-ed."""

    countries: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def selected(self) -> dict[str, tuple[str, ...]]:
        """Facet name -> selected values, for the facets that have a selection."""
        pairs = {
            "country": self.countries,
            "organisation": self.organisations,
            "person": self.people,
            "type": self.types,
            "language": self.languages,
            "year": self.years,
            "month": self.months,
        }
        return {k: v for k, v in pairs.items() if v}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "label": self.label,
            "count": self.count,
            "selected": self.selected,
        }


@dataclass(frozen=True)
class Translation:
    id: str
    language: str
    title: str


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    date: str
    type: str
    language: str
    countries: tuple[str, ...]
    organisations: tuple[str, ...]
    people: tuple[str, ...]
    score: float
    snippet: Snippet
    translations: tuple[Translation, ...] = ()
    access: str = "public"

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "type": self.type,
            "language": self.language,
            "countries": list(self.countries),
            "organisations": list(self.organisations),
            "people": list(self.people),
            "score": round(self.score, 4),
            "snippet": self.snippet.to_json(),
            "translations": [t.__dict__ for t in self.translations],
            "access": self.access,
        }


@dataclass(frozen=True)
class Recognised:
    """Words of the query read as a country, organisation or person."""

    words: str
    kind: str
    id: str
    label: str

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    page: int = 1
    page_size: int = 10
    sort: str = "relevance"
    recognised: list[Recognised] = field(default_factory=list)
    suggestion: str | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "sort": self.sort,
            "hits": [h.to_json() for h in self.hits],
            "facets": {name: [v.to_json() for v in values] for name, values in self.facets.items()},
            "recognised": [r.to_json() for r in self.recognised],
            "suggestion": self.suggestion,
            "messages": self.messages,
        }


# --- Compiling a parsed query ------------------------------------------------------


@dataclass
class Compiled:
    query: wq.Query | None  # None: every document
    terms: MatchTerms
    recognised: list[tuple[str, Entity]]
    messages: list[Message]
    words: list[str]  # plain words, for spelling suggestions


class Compiler:
    """Turns a query tree into a Whoosh query, reading names from the registry."""

    def __init__(self, reader, registry: Registry, expand_entities: bool = True, texts=None):
        self.reader = reader
        #: (segment reader, document number) -> the document's searchable texts,
        #: for checking literal words in place.
        self.texts = texts
        self.prefix_terms = 0  # spent of MAX_PREFIX_TERMS
        self.near_prefix_terms = 0  # spent of MAX_NEAR_PREFIX_TERMS
        self.registry = registry
        self.expand = expand_entities
        self.terms = MatchTerms()
        self.recognised: list[tuple[str, Entity]] = []
        self.messages: list[Message] = []
        self.words: list[str] = []

    def compile(self, tree) -> Compiled:
        query = self.node(tree) if tree is not None else None
        return Compiled(query, self.terms, self.recognised, self.messages, self.words)

    def node(self, node) -> wq.Query | None:
        if isinstance(node, Word):
            return self.sequence([node])
        if isinstance(node, And):
            return self.conjunction(node.nodes)
        if isinstance(node, Or):
            parts = [q for q in (self.node(n) for n in node.nodes) if q is not None]
            return _or(parts)
        if isinstance(node, Not):
            inner = self.node_without_terms(node.node)
            return None if inner is None else wq.AndNot(wq.Every(), inner)
        if isinstance(node, Phrase):
            return self.phrase(node.text, node.slop)
        if isinstance(node, Prefix):
            return self.prefix(node.text)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, DateRange):
            return self.date_range(node)
        if isinstance(node, Near):
            return self.near(node)
        return None

    def node_without_terms(self, node) -> wq.Query | None:
        # Excluded words must not be highlighted or suggested; a name still
        # excludes the entity in every script (-Raissouni drops الريسوني too).
        saved = self.terms, self.words
        self.terms, self.words = MatchTerms(), []
        try:
            return self.node(node)
        finally:
            self.terms, self.words = saved

    def conjunction(self, nodes) -> wq.Query | None:
        positive: list[wq.Query] = []
        negative: list[wq.Query] = []
        run: list[Word] = []
        for node in [*nodes, None]:
            if isinstance(node, Word):
                run.append(node)
                continue
            if run:
                found = self.sequence(run)
                if found is not None:
                    positive.append(found)
                run = []
            if node is None:
                break
            if isinstance(node, Not):
                inner = self.node_without_terms(node.node)
                if inner is not None:
                    negative.append(inner)
            else:
                found = self.node(node)
                if found is not None:
                    positive.append(found)
        if not positive and not negative:
            return None
        query = wq.And(positive) if len(positive) > 1 else (positive[0] if positive else wq.Every())
        if negative:
            query = wq.AndNot(query, _or(negative))
        return query

    def sequence(self, words: list[Word]) -> wq.Query | None:
        """Consecutive plain words: entity names are recognised, the rest AND-ed."""
        parts: list[wq.Query] = []
        texts = [w.text for w in words]
        i = 0
        while i < len(texts):
            entities: list[Entity] = []
            length = 0
            # A literal word (=Pegasus) is a word, never part of a name.
            plain = next((n for n, t in enumerate(texts[i:]) if t.startswith(LITERAL)), None)
            longest = min(
                MAX_NAME_WORDS, len(texts) - i, MAX_NAME_WORDS if plain is None else plain
            )
            if self.expand:
                for length in range(longest, 0, -1):
                    entities = self.visible(self.registry.names.lookup(texts[i : i + length]))
                    if entities:
                        break
            if entities:
                span = texts[i : i + length]
                # The name is marked in snippets as a whole name, not word by word
                # (the "Al" of Al-Siddiq is no part of Yahya al-Asiri).
                saved = self.terms.stemmed
                self.terms.stemmed = set()
                literal = self.words_query(span)
                self.terms.stemmed = saved
                parts.append(_or([q for q in [literal] if q] + [self.entity(e) for e in entities]))
                for entity in entities:
                    self.recognised.append((" ".join(span), entity))
                i += length
            else:
                found = self.words_query(texts[i : i + 1])
                if found is not None:
                    parts.append(found)
                i += 1
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def visible(self, entities: list[Entity]) -> list[Entity]:
        """Organisations, people and products are recognised only when a document
        in this index is tagged with them or names them: a name known only from
        restricted files stays a word."""

        def frequency(field: str, text: str) -> int:
            return engine.live_frequency(self.reader, field, text)

        return [
            e
            for e in entities
            if e.kind == "country"
            or (e.kind in ENTITY_FIELDS and frequency(ENTITY_FIELDS[e.kind], e.id))
            or frequency(MENTION_FIELD, f"{e.kind}:{e.id}")
        ]

    def words_query(self, texts: list[str]) -> wq.Query | None:
        parts = []
        for text in texts:
            literal = text.startswith(LITERAL)
            for token in word_matches(text):  # a query word may hold several ("Al-Siddiq")
                terms = query_terms(token.group())
                scored = _or([wq.Term(f, t) for t in terms for f in SEARCH_FIELDS])
                if literal:  # =word: that exact word, scored as the word is
                    exact = terms_of(token.group(), EXACT)
                    self.terms.exact.update(exact)
                    parts.append(_and([scored, *(wq.Term(EXACT, t) for t in exact)]))
                    continue
                if not terms:
                    continue
                self.words.append(token.group())
                self.terms.stemmed.update(terms)
                parts.append(scored)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def entity(self, entity: Entity) -> wq.Query:
        """Documents tagged with the entity, or naming it in any language.

        The names were found in the text when the document was indexed (the
        `mention` field), so this is two terms however many names it has;
        snippets mark the names where the same `NameIndex` finds them."""
        key = f"{entity.kind}:{entity.id}"
        self.terms.entities.add(key)
        found = [wq.Term(MENTION_FIELD, key)]
        if entity.kind in ENTITY_FIELDS:
            found.insert(0, wq.Term(ENTITY_FIELDS[entity.kind], entity.id))
        return _or(found)

    def phrase(self, text: str, slop: int = 0) -> wq.Query | None:
        """Words in order on analysed positions ("حرية الصحافة" finds
        «وحرية الصحافة»), or within `slop` words in any order; a word written
        =word must be that exact word (in place, for a phrase; in the document,
        for words apart)."""
        terms, literal = phrase_terms(text)
        if not terms:
            return None
        if slop:  # marked word by word
            self.terms.sequences.update((t,) for t in terms)
        else:
            self.terms.sequences.add(tuple(terms))
        exact = [w for w in literal if w]
        self.terms.exact.update(exact)
        if len(terms) == 1:
            query = wq.Term(ANALYSED, terms[0])
        elif slop:
            query = wq.spans.SpanNear2(
                [wq.Term(ANALYSED, t) for t in terms], slop=slop, ordered=False
            )
        else:
            query = wq.Phrase(ANALYSED, terms)
        if not exact:
            return query
        query = wq.And([query, *(wq.Term(EXACT, w) for w in dict.fromkeys(exact))])
        if slop or self.texts is None:
            return query
        texts = self.texts

        def check(reader, docnum: int) -> bool:
            return any(phrase_in(part, terms, literal) for part in texts(reader, docnum))

        return engine.Checked(query, check, (tuple(terms), tuple(literal)))

    def prefix(self, text: str) -> wq.Query | None:
        """Documents with a word starting with `text`: the exact words that
        start with it, each by its analysed form (so `surveillan*` finds
        "surveillance" however it was stemmed)."""
        terms = terms_of(text, EXACT)
        if len(terms) != 1:
            return self.words_query([text])
        if len(terms[0]) < MIN_PREFIX_LENGTH:
            self.messages.append(
                Message(
                    N_('"{prefix}*" is too short to search by prefix; add letters.'),
                    {"prefix": text},
                )
            )
            return None
        budget = MAX_PREFIX_TERMS - self.prefix_terms
        forms = self.prefix_forms(terms[0], budget)
        if forms is None:
            if budget == MAX_PREFIX_TERMS:
                message = N_(
                    'Too many words start with "{prefix}"; add letters to search by prefix.'
                )
            else:
                message = N_(
                    'With the other prefixes of this query, "{prefix}*" matches too many '
                    "words; add letters to search by prefix."
                )
            self.messages.append(Message(message, {"prefix": text}))
            return None
        words, forms = forms
        self.prefix_terms += words
        return AnyTerm(ANALYSED, forms) if forms else wq.NullQuery

    def prefix_forms(self, prefix: str, budget: int) -> tuple[int, set[str]] | None:
        """(how many exact words start with `prefix`, their analysed forms),
        or None if more than `budget` words do. The prefix is highlighted."""
        words = engine.prefix_words(self.reader, EXACT, prefix, budget)
        if words is None:
            return None
        forms = {form for word in words for form in positional_terms(word)}
        self.terms.prefixes.add(prefix)
        return len(words), forms

    def field(self, node: Field) -> wq.Query | None:
        name, value = node.name, node.value
        if name == "title":
            terms = [t for w in word_matches(value) for t in query_terms(w.group())]
            self.terms.stemmed.update(terms)
            parts = [
                _or([wq.Term("title", t) for t in query_terms(w.group())])
                for w in word_matches(value)
            ]
            parts = [p for p in parts if p is not None]
            return wq.And(parts) if len(parts) > 1 else (parts[0] if parts else None)
        if name in ("country", "org", "person"):
            kind = {"country": "country", "org": "organisation", "person": "person"}[name]
            entities = self.resolve(kind, value)
            if not entities:
                self.messages.append(Message(UNKNOWN_ENTITY[kind], {"value": value}))
                return None
            return _or([wq.Term(name, e.id) for e in entities])
        if name == "type":
            folded = value.casefold()
            found = [t for t, aliases in TYPE_ALIASES.items() if folded in aliases]
            if not found:
                self.messages.append(
                    Message(N_('Unknown document type "{value}" was ignored.'), {"value": value})
                )
                return None
            return wq.Term("type", found[0])
        if name == "lang":
            code = resolve_language(value)
            if code is None:
                self.messages.append(
                    Message(N_('Unknown language "{value}" was ignored.'), {"value": value})
                )
                return None
            return wq.Term("lang", code)
        return None

    def resolve(self, kind: str, value: str) -> list[Entity]:
        entities = self.registry.by_kind(kind)
        exact = entities.get(value) or entities.get(value.upper() if kind == "country" else value)
        return self.visible([exact] if exact else self.registry.names.find(value, kind))

    def date_range(self, node: DateRange) -> wq.Query | None:
        try:
            low, high = date_bounds(node.start, node.end)
        except ArchiveError:
            self.messages.append(
                Message(
                    N_(
                        '"{value}" is not a date (write 2021, 2021-07 or 2021-07-26); '
                        "it was ignored."
                    ),
                    {"value": node.start or node.end},
                )
            )
            return None
        return wq.NumericRange("date", low, high)

    def near(self, node: Near) -> wq.Query | None:
        left, right = self.span(node.left), self.span(node.right)
        if left is None or right is None:
            self.messages.append(
                Message(N_("NEAR works between words, phrases and prefixes; it was read as AND."))
            )
            return self.conjunction((node.left, node.right))
        if node.paragraph:
            return SameParagraph(left, right)
        return wq.spans.SpanNear(left, right, slop=max(1, node.distance), ordered=False)

    def span(self, node) -> wq.Query | None:
        """A positional query on the analysed field for a NEAR operand."""
        if isinstance(node, Word):
            terms, literal = phrase_terms(node.text)
            self.words.append(node.text)
        elif isinstance(node, Phrase):
            terms, literal = phrase_terms(node.text)
        elif isinstance(node, Or):
            parts = [self.span(n) for n in node.nodes]
            if any(p is None for p in parts):
                return None
            return wq.spans.SpanOr(parts)
        elif isinstance(node, Prefix):
            # Words starting with the prefix, by their analysed forms.
            terms = terms_of(node.text, EXACT)
            if len(terms) != 1 or len(terms[0]) < MIN_PREFIX_LENGTH:
                return None
            expanded = self.prefix_forms(terms[0], MAX_NEAR_PREFIX_TERMS - self.near_prefix_terms)
            if expanded is None:
                return None
            self.near_prefix_terms += expanded[0]
            found = [wq.Term(ANALYSED, t) for t in sorted(expanded[1])]
            return wq.spans.SpanOr(found) if found else wq.NullQuery
        else:
            return None
        if not terms or any(literal):
            return None  # exact words have no positions: NEAR is read as AND
        self.terms.sequences.add(tuple(terms))
        if len(terms) == 1:
            return wq.Term(ANALYSED, terms[0])
        return wq.spans.SpanNear2([wq.Term(ANALYSED, t) for t in terms], slop=1, ordered=True)


def _or(parts: list) -> wq.Query | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _and(parts: list) -> wq.Query | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def resolve_language(value: str) -> str | None:
    """A language code from a code or a name in any interface language."""
    folded = value.strip().casefold()
    for code in LANGUAGES:
        names = {code} | {language_name(code, locale).casefold() for locale in LANGUAGES}
        if folded in names:
            return code
    return None


def date_bounds(start: str, end: str) -> tuple[int, int]:
    """Inclusive date keys for a range of (possibly partial) ISO dates."""
    low, high = 0, 99999999
    if start:
        value, reason = parse_date(start)
        if value is None:
            raise ArchiveError("{reason}", reason=reason)
        low = date_key(value)
    if end:
        value, reason = parse_date(end)
        if value is None:
            raise ArchiveError("{reason}", reason=reason)
        key = date_key(value)
        # A year or month reaches to its last day.
        high = key + (9999 if len(value) == 4 else 99 if len(value) == 7 else 0)
    return low, high


# --- The service ---------------------------------------------------------------------


class SearchService:
    """Searches one archive home. Safe to share between threads."""

    def __init__(
        self,
        home: Path,
        registry: Registry | None = None,
        reference: bool = False,
        settings: Mapping | None = None,
    ):
        """`reference` uses the plain document-at-a-time implementation (for
        tests); `settings` (an app's config) override the environment's and
        the defaults (PAGE_SIZE, MAX_PAGE_SIZE)."""
        self.settings = config.current(settings)
        self.home = Path(home)
        self.reference = reference
        self.corpus = Corpus(self.home)
        self.index = Index(self.home)
        self._registry = registry
        self._local = threading.local()
        self._documents: OrderedDict[tuple[str, str], tuple] = OrderedDict()
        self._documents_lock = threading.Lock()
        self._labels: dict[tuple[str, str, str], str] = {}
        self._open: list = []  # every searcher opened, so that close() can close them
        self._open_lock = threading.Lock()

    def close(self) -> None:
        """Close every searcher this service opened, in any thread."""
        with self._open_lock:
            for searcher in self._open:
                searcher.close()
            self._open.clear()
        self._local = threading.local()

    def __enter__(self) -> SearchService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self.corpus.registry
        return self._registry

    def warm(self) -> None:
        """Load now what the first search would otherwise wait for: the registry
        and its names, the public searcher and its segments' arrays."""
        _ = self.registry.names  # built once, on first use
        self.search("", page_size=1, snippets=False)

    # --- Searchers -----------------------------------------------------------

    def searcher(self, include_restricted: bool = False):
        """This thread's searcher, reopened when the index has changed.

        Searchers are never shared between threads and never refreshed in
        place: a changed index gets a new searcher.
        """
        cache = getattr(self._local, "searchers", None)
        if cache is None:
            cache = self._local.searchers = {}
        state = self.index.state(include_restricted)
        found = cache.get(include_restricted)
        if found is not None and found[0] == state:
            return found[1]
        searcher = self.index.open_searcher(include_restricted)
        with self._open_lock:
            if found is not None:
                found[1].close()
                self._open.remove(found[1])
            self._open.append(searcher)
        cache[include_restricted] = (state, searcher)
        live = [
            facet_data.segment_key(r)
            for r, _ in searcher.reader().leaf_readers()
            if r.segment() is not None
        ]
        facet_data.forget_segments(live)
        engine.forget(live)
        return searcher

    # --- Searching -------------------------------------------------------------

    def search(
        self,
        query: str = "",
        filters: Filters | None = None,
        sort: str = "relevance",
        page: int = 1,
        page_size: int | None = None,
        locale: str = "en",
        include_restricted: bool = False,
        literal: bool = False,
        facets: bool = True,
        snippets: bool = True,
        max_page_size: int | None = None,
    ) -> SearchResult:
        """Search; `facets` and `snippets` False skip counting and passages (benchmarks,
        callers that only need the hits). `max_page_size` allows pages larger than
        MAX_PAGE_SIZE, so that an export takes all its hits in one pass."""
        filters = filters or Filters()
        self.validate(filters, sort, page, page_size, max_page_size)
        page_size = page_size or self.settings["PAGE_SIZE"]
        searcher = self.searcher(include_restricted)
        parsed = parse(query)
        compiled = Compiler(searcher.reader(), self.registry, not literal, self._texts).compile(
            parsed.tree
        )
        messages = [*parsed.messages, *compiled.messages]
        if query.strip() and compiled.query is None:
            messages.append(Message(N_("Nothing searchable was left in the query.")))

        selected = filters.selected()
        searching = compiled.query is not None or not query.strip()
        run = _reference_search if self.reference else _engine_search
        total, ranked, counts = run(
            searcher, compiled.query, searching, filters, selected, sort, page * page_size, facets
        )
        top = ranked[(page - 1) * page_size :]
        terms = compiled.terms if snippets else None
        hits = [self._hit(searcher, docnum, score, terms, locale) for docnum, score in top]
        # "Did you mean" when nothing was found: then it is worth its cost.
        suggestion = None
        if compiled.words and not total:
            suggestion = self._suggest(searcher, parsed.text, compiled, filters, run)
        return SearchResult(
            query=query,
            total=total,
            hits=hits,
            facets=self._facets(counts, selected, locale, searcher.reader()) if facets else {},
            page=page,
            page_size=page_size,
            sort=sort,
            recognised=[
                Recognised(words, e.kind, e.id, e.label(locale)) for words, e in compiled.recognised
            ],
            suggestion=suggestion,
            messages=[gettext(m.template, locale, **m.params) for m in messages],
        )

    def validate(
        self,
        filters: Filters,
        sort: str,
        page: int,
        page_size: int | None,
        max_page_size: int | None = None,
    ) -> None:
        """Raise `ArchiveError` naming the first unknown filter value or bad parameter."""
        checks = (
            ("country", filters.countries, self.registry.countries),
            ("org", filters.organisations, self.registry.organisations),
            ("person", filters.people, self.registry.people),
            ("type", filters.types, TYPES),
            ("lang", filters.languages, LANGUAGES),
        )
        for name, values, known in checks:
            for value in values:
                if value not in known:
                    raise ArchiveError(
                        N_("{name}: unknown value {value!r}"), name=name, value=value
                    )
        for value in filters.years:
            if not (len(value) == 4 and value.isdigit()):
                raise ArchiveError(N_("year: {value!r} is not a year"), value=value)
        for value in filters.months:
            if parse_date(value)[0] is None or len(value) != 7:
                raise ArchiveError(N_("month: {value!r} is not a month (YYYY-MM)"), value=value)
        for name, value in (("from", filters.date_from), ("to", filters.date_to)):
            if value and parse_date(value)[0] is None:
                raise ArchiveError(
                    N_("{name}: {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
                    name=name,
                    value=value,
                )
        if sort not in SORTS:
            raise ArchiveError(N_("sort: must be one of {choices}"), choices=", ".join(SORTS))
        if page < 1:
            raise ArchiveError(N_("page: must be 1 or more"))
        limit = max_page_size or self.settings["MAX_PAGE_SIZE"]
        if page_size is not None and not 1 <= page_size <= limit:
            raise ArchiveError(N_("page size: must be between 1 and {limit}"), limit=limit)

    # --- Documents -----------------------------------------------------------------

    def document(self, doc_id: str, include_restricted: bool = False) -> Document:
        """A document by id, read from the corpus; `NotFound` if it is not visible."""
        searcher = self.searcher(include_restricted)
        stored = searcher.document(id=doc_id)
        if stored is None:
            raise NotFound(N_("no document with id {id!r}"), id=doc_id)
        return self._read(stored["meta"]["path"], stored["hash"])

    def translations_of(
        self, document: Document, locale: str = "en", include_restricted: bool = False
    ) -> tuple[Translation, ...]:
        """The visible translations of a document, the one in `locale` first."""
        return self._translations(self.searcher(include_restricted), document.translations, locale)

    def restricted_documents(self) -> list[dict]:
        """Id, title, date and language of every restricted document, newest first."""
        with self.index.open("restricted").searcher() as searcher:
            found = [stored["meta"] for stored in searcher.all_stored_fields()]
        return sorted(found, key=lambda m: (date_key(m["date"]), m["id"]), reverse=True)

    def public_documents(self) -> list[tuple[str, str]]:
        """(id, ISO date) of every public document, newest first (for sitemaps)."""
        found = []
        searcher = self.searcher()
        for subsearcher, _ in searcher.leaf_searchers():
            reader = subsearcher.reader()
            if reader.segment() is None:
                continue
            data = engine.segment(reader)
            ids = engine.segment_ids(data, reader)
            found.extend((int(data.dates[n]), ids[n]) for n in np.flatnonzero(data.live))
        found.sort(reverse=True)
        return [(doc_id, _iso(key)) for key, doc_id in found]

    def _read(self, path: str, content_hash: str) -> Document:
        return self._cached(path, content_hash)[0]

    def _cached(self, path: str, content_hash: str) -> tuple[Document, tuple[Paragraph, ...]]:
        """A document read from the corpus and its analysed paragraphs, kept for reuse."""
        key = (path, content_hash)
        with self._documents_lock:
            found = self._documents.get(key)
            if found is not None:
                self._documents.move_to_end(key)
                return found
        document = self.corpus.read(self.corpus.root / path)
        found = (document, analyse_paragraphs(document, self.registry.names))
        with self._documents_lock:
            self._documents[key] = found
            while len(self._documents) > DOCUMENT_CACHE_SIZE:
                self._documents.popitem(last=False)
        return found

    def _texts(self, reader, docnum: int) -> list[str]:
        """A document's searchable texts (title, paragraphs, case details), from
        the corpus file the index names (nothing if it cannot be read)."""
        stored = reader.stored_fields(docnum)
        try:
            document = self._read(stored["meta"]["path"], stored["hash"])
        except ArchiveError:
            return []
        return searchable_parts(document)

    def _hit(
        self, searcher, docnum: int, score: float, terms: MatchTerms | None, locale: str
    ) -> Hit:
        """A hit from stored fields; its snippet from the corpus file (none if `terms` is None)."""
        stored = searcher.stored_fields(docnum)
        meta = stored["meta"]
        if terms is None:
            snippet = Snippet("")
        else:
            try:
                document, paragraphs = self._cached(meta["path"], stored["hash"])
                snippet = make_snippet(document, terms, paragraphs)
            except ArchiveError:
                snippet = Snippet("")
        return Hit(
            id=meta["id"],
            title=meta["title"],
            date=meta["date"],
            type=meta["type"],
            language=meta["language"],
            countries=tuple(meta["countries"]),
            organisations=tuple(meta["organisations"]),
            people=tuple(meta["people"]),
            score=score,
            snippet=snippet,
            translations=self._translations(searcher, meta["translations"], locale),
            access=meta["access"],
        )

    def _translations(self, searcher, ids, locale: str) -> tuple[Translation, ...]:
        found = []
        for other_id in ids:
            stored = searcher.document(id=other_id)
            if stored is not None:
                meta = stored["meta"]
                found.append(Translation(meta["id"], meta["language"], meta["title"]))
        found.sort(key=lambda t: (t.language != locale, LANGUAGES.index(t.language)))
        return tuple(found)

    # --- Did you mean --------------------------------------------------------------

    def _suggest(
        self, searcher, text: str, compiled: Compiled, filters: Filters, run
    ) -> str | None:
        """The query with each unknown word replaced by its closest frequent neighbour.

        Only words that match nothing, stemmed or exact, are corrected (a word
        the index knows is never replaced), candidates come from the index
        being searched (a public search never suggests a word that only
        restricted documents contain), and the corrected query is offered
        only if it finds something with the same filters.
        """
        reader = searcher.reader()
        recognised = {w for words, _ in compiled.recognised for w in words.split()}
        corrected = text
        changed = False
        for word in dict.fromkeys(compiled.words):
            if word in recognised:
                continue
            exact = terms_of(word, EXACT)
            if len(exact) != 1 or len(exact[0]) < MIN_SUGGEST_LENGTH or exact[0].isdigit():
                continue
            if engine.live_frequency(reader, EXACT, exact[0]) or any(
                engine.live_frequency(reader, f, t)
                for t in query_terms(word)
                for f in ("title", "body")
            ):
                continue
            best = _closest(reader, exact[0])
            if best is None:
                continue
            surface = self._surface_form(searcher, best)
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface, corrected, count=1)
            changed = True
        if not changed:
            return None
        # Offered only if it finds something (the query as typed found nothing).
        again = Compiler(reader, self.registry, True).compile(parse(corrected).tree).query
        if again is None:
            return None
        total = run(searcher, again, True, filters, filters.selected(), "relevance", 1, False)[0]
        return corrected if total else None

    def _surface_form(self, searcher, term: str) -> str:
        """How an exact-field term is written in the first document that has it."""
        reader = searcher.reader()
        for docnum in reader.postings(EXACT, term).all_ids():
            stored = reader.stored_fields(docnum)
            try:
                document = self._read(stored["meta"]["path"], stored["hash"])
            except ArchiveError:
                break
            for match in word_matches(f"{document.title}\n{document.body}"):
                if terms_of(match.group(), EXACT) == (term,):
                    return strip_marks(match.group())
            break
        return term

    # --- Similar documents -----------------------------------------------------------

    def similar(
        self, doc_id: str, limit: int = 5, locale: str = "en", include_restricted: bool = False
    ) -> list[Hit]:
        """Documents like `doc_id`: shared distinctive words, people, organisations
        and countries. A document's own translations are left out (they are
        listed with it), and of each group of translations one version is shown,
        in the reader's language when there is one."""
        searcher = self.searcher(include_restricted)
        stored = searcher.document(id=doc_id)
        if stored is None:
            raise NotFound(N_("no document with id {id!r}"), id=doc_id)
        document = self._read(stored["meta"]["path"], stored["hash"])
        scores = self._similarity(searcher, document)
        excluded = {document.id, *document.translations}
        ranked = sorted((i for i in scores if i not in excluded), key=lambda i: (-scores[i], i))
        hits: list[Hit] = []
        seen: set[str] = set()
        for candidate in ranked:
            if candidate in seen:
                continue
            meta = searcher.document(id=candidate)["meta"]
            group = {candidate, *meta["translations"]}
            seen |= group
            if group & excluded:
                continue
            chosen = candidate
            if meta["language"] != locale:
                for other in meta["translations"]:
                    other_stored = searcher.document(id=other)
                    if other_stored and other_stored["meta"]["language"] == locale:
                        chosen = other
            docnum = searcher.document_number(id=chosen)
            hits.append(self._hit(searcher, docnum, scores[candidate], MatchTerms(), locale))
            if len(hits) >= limit:
                break
        return hits

    def similar_ids(
        self, document: Document, limit: int = 20, include_restricted: bool = True
    ) -> list[str]:
        """Ids of the documents most like `document`, which need not be in the archive."""
        scores = self._similarity(self.searcher(include_restricted), document)
        return sorted(scores, key=lambda i: (-scores[i], i))[:limit]

    def _similarity(self, searcher, document: Document) -> dict[str, float]:
        """id -> score of the documents most like `document` (at most SIMILAR_CANDIDATES):
        distinctive shared words (0..1) plus shared entities (0..1)."""
        reader = searcher.reader()
        scores: dict[int, float] = {}
        text_query = _distinctive_terms_query(reader, document)
        found = engine.match(searcher, text_query) if text_query is not None else []
        best = max((float(m.scores.max()) for _, _, m in found if len(m.ids)), default=0.0) or 1.0
        for _, offset, matches in found:
            for local, score in zip(matches.ids.tolist(), matches.scores.tolist(), strict=True):
                scores[offset + local] = score / best
        weights = _entity_weights(reader, document)
        total = sum(weights.values()) or 1.0
        facet_of = {"person": "person", "org": "organisation", "country": "country"}
        for subsearcher, offset in searcher.leaf_searchers():
            if not weights or subsearcher.reader().segment() is None:
                continue
            data = engine.segment(subsearcher.reader())
            shared = np.zeros(data.size)
            for (fieldname, value), weight in weights.items():
                docs, codes, table = engine.facet_values(data, facet_of[fieldname])
                if value in table:
                    tagged = docs[codes == table.index(value)]
                    shared[tagged[data.live[tagged]]] += weight / total
            for local in np.flatnonzero(shared).tolist():
                scores[offset + local] = scores.get(offset + local, 0.0) + float(shared[local])
        best_first = heapq.nlargest(SIMILAR_CANDIDATES, scores.items(), key=lambda kv: kv[1])
        return {searcher.stored_fields(n)["meta"]["id"]: score for n, score in best_first}

    # --- Facets ----------------------------------------------------------------------

    def _facets(self, counts, selected, locale: str, reader) -> dict[str, list[FacetValue]]:
        shown = list(facet_data.FACETS)
        if len(selected.get("year", ())) == 1:
            shown.append("month")
        facets = {}
        for name in shown:
            counter = counts.get(name, {})
            chosen = set(selected.get(name, ()))
            values = set(counter) | chosen
            if name == "month":
                year = selected["year"][0]
                values = {v for v in values if v.startswith(year)}
            if len(values) > FACET_LIMIT and name in ("country", "organisation", "person"):
                # Only the most frequent values (and the selected ones) are labelled and listed.
                border = heapq.nlargest(FACET_LIMIT, counter.values())[-1]
                values = {v for v in values if counter.get(v, 0) >= border} | chosen
            items = [
                FacetValue(
                    v,
                    self._visible_label(reader, name, v, locale, counter.get(v, 0)),
                    counter.get(v, 0),
                    v in chosen,
                )
                for v in values
            ]
            ordered = _order_facet(name, items)
            if len(ordered) > FACET_LIMIT:
                ordered = ordered[:FACET_LIMIT] + [v for v in ordered[FACET_LIMIT:] if v.selected]
            facets[name] = ordered
        return facets

    def _visible_label(self, reader, facet: str, value: str, locale: str, count: int) -> str:
        """A value's label, unless it names an organisation or person no visible
        document is tagged with: the registry's names of people who appear only in
        restricted files are not shown, even to someone who guessed the id. A value
        counted among the hits is on a visible document already."""
        field = ENTITY_FIELDS.get(facet)
        if (
            not count
            and facet in ("organisation", "person")
            and not engine.live_frequency(reader, field, value)
        ):
            return value
        return self.facet_label(facet, value, locale)

    def facet_label(self, facet: str, value: str, locale: str) -> str:
        key = (facet, value, locale)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = self._facet_label(facet, value, locale)
        return label

    def _facet_label(self, facet: str, value: str, locale: str) -> str:
        if facet == "country":
            return self.registry.label("country", value, locale)
        if facet in ("organisation", "person"):
            return self.registry.label(facet, value, locale)
        if facet == "type":
            return gettext(TYPE_LABELS[value], locale) if value in TYPE_LABELS else value
        if facet == "language":
            return language_name(value, locale)
        if facet == "month":
            year, month = value.split("-")
            if month == "00":
                return gettext("Month unknown", locale)
            return f"{get_month_names('wide', locale=locale)[int(month)]} {year}"
        return value


def _iso(key: int) -> str:
    """A date key back to the (possibly partial) ISO date it came from."""
    year, month, day = key // 10000, key // 100 % 100, key % 100
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")


def _order_facet(name: str, items: list[FacetValue]) -> list[FacetValue]:
    if name == "year":
        return sorted(items, key=lambda v: v.value, reverse=True)
    if name == "month":
        return sorted(items, key=lambda v: v.value)
    if name == "type":
        return sorted(items, key=lambda v: TYPES.index(v.value) if v.value in TYPES else 99)
    return sorted(items, key=lambda v: (-v.count, v.label.casefold()))


# --- Suggestions and similarity --------------------------------------------------------

MIN_SUGGEST_LENGTH = 3
#: Terms per document used to find similar documents.
SIMILAR_TERMS = 20
#: Documents considered when ranking similar documents.
SIMILAR_CANDIDATES = 200
ENTITY_WEIGHTS = {"person": 3.0, "org": 1.0, "country": 0.5}


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
        terms = engine.terms_starting(engine.segment(leaf), leaf, EXACT, term[0])
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
    """(field, value) -> weight of each entity the document is tagged with; rarer weighs more."""
    total = reader.doc_count() or 1
    weights = {}
    for fieldname, values in (
        ("person", document.people),
        ("org", document.organisations),
        ("country", document.countries),
    ):
        for value in values:
            frequency = engine.live_frequency(reader, fieldname, value, exact=True) or 1
            idf = math.log(1 + total / frequency)
            weights[(fieldname, value)] = ENTITY_WEIGHTS[fieldname] * idf
    return weights


# --- Matching, filtering, ranking ------------------------------------------------------

#: Scores are compared rounded, so that sums taken in a different order rank alike.
SCORE_DIGITS = 9
#: A match of the reference implementation: (segment facets, local docnum, global docnum, score).
Match = tuple


def _engine_search(
    searcher, query, searching: bool, filters: Filters, selected, sort, limit, facets=True
):
    """(total, first `limit` (docnum, score) in order, facet counts), vectorised."""
    low, high = date_bounds(filters.date_from, filters.date_to)
    dated = bool(filters.date_from or filters.date_to)
    names = (*facet_data.FACETS, "month")
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    chosen = {name: set(values) for name, values in selected.items()}
    kept = []
    total = 0
    for data, offset, found in engine.match(searcher, query) if searching else []:
        base = np.zeros(data.size, dtype=bool)
        base[found.ids] = True
        if dated:
            base &= (data.dates >= low) & (data.dates <= high)
        masks = {name: engine.selection_mask(data, name, values) for name, values in chosen.items()}
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
            engine.count(data, name, mask, counts[name])
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
    searcher, query, searching: bool, filters: Filters, selected, sort, limit, facets=True
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
    counts = {name: {} for name in (*facet_data.FACETS, "month")}
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
        names = (*facet_data.FACETS, "month") if failures == 0 else (failed,)
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
