"""The search service: the one way the CLI, the web pages and the API search.

`SearchService.search` takes a query string and plain filter values and
returns a `SearchResult` of plain data: hits with snippets, facet counts with
labels in the reader's language, recognised entities, a spelling suggestion
and messages about anything in the query that was ignored. Nothing here reads
a web request or builds an engine's query: the planner (`archive.planner`)
makes a backend-neutral plan, and the backend (`archive.backends`) runs it.
"""

from __future__ import annotations

import heapq
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path

from babel.dates import get_month_names

from . import config
from .analysis import (
    EXACT,
    query_terms,
    strip_marks,
    terms_of,
    word_matches,
)
from .backends import open_backend
from .config import SORTS
from .corpus import Corpus, parse_date
from .document import LANGUAGES, TYPES, Document, date_key, searchable_parts
from .errors import ArchiveError, NotFound
from .fields import ENTITY_FACETS, FACET, FACET_TABLE, FACETS, value_label
from .i18n import N_, gettext
from .planner import ENTITY_FIELDS, Planned, Planner
from .query import (
    Message,
    parse,
)
from .registry import Registry
from .snippets import MatchTerms, Paragraph, Snippet, analyse_paragraphs, make_snippet

#: Most values listed per facet (the most frequent; selected values are always listed).
FACET_LIMIT = 100
#: Documents kept read and analysed in memory (for snippets and document pages):
#: about 160 KB each for documents of 600–1,500 words, in each server process.
DOCUMENT_CACHE_SIZE = 128
#: Spelling suggestions are made for words this long or longer.
MIN_SUGGEST_LENGTH = 3
#: Documents considered when ranking similar documents.
SIMILAR_CANDIDATES = 200


# --- Plain data returned to callers ----------------------------------------------


def _selected(self) -> dict[str, tuple[str, ...]]:
    """Facet name -> selected values, for the facets that have a selection."""
    found = {facet.name: getattr(self, facet.attribute) for facet in FACET_TABLE}
    return {name: values for name, values in found.items() if values}


#: Facet selections (one tuple of values per facet of `fields.FACET_TABLE`,
#: named by its `attribute`: countries, organisations, people, years, types,
#: languages, months) and a date range; values within a facet are OR-ed.
Filters = make_dataclass(
    "Filters",
    [(f.attribute, tuple[str, ...], field(default=())) for f in FACET_TABLE]
    + [("date_from", str, field(default="")), ("date_to", str, field(default=""))],
    frozen=True,
    namespace={"selected": _selected, "__module__": __name__},
)


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
        self.corpus = Corpus(self.home)
        self.backend = open_backend(
            self.home, self._texts, reference=reference, settings=self.settings
        )
        self._registry = registry
        self._documents: OrderedDict[tuple[str, str], tuple] = OrderedDict()
        self._documents_lock = threading.Lock()
        self._labels: dict[tuple[str, str, str], str] = {}

    def close(self) -> None:
        """Close every view of the index this service opened, in any thread."""
        self.backend.close()

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
        view = self.backend.view(include_restricted)
        parsed = parse(query)
        planned = Planner(view, self.registry, not literal).plan(parsed.tree)
        messages = [*parsed.messages, *planned.messages]
        if query.strip() and planned.plan is None:
            messages.append(Message(N_("Nothing searchable was left in the query.")))

        selected = filters.selected()
        searching = planned.plan is not None or not query.strip()
        total, ranked, counts = view.search(
            planned.plan, searching, filters, selected, sort, page * page_size, facets
        )
        top = ranked[(page - 1) * page_size :]
        last = max(1, -(-total // page_size))
        if page > last:
            messages.append(
                Message(
                    N_("Page {page} is past the last page ({last})."), {"page": page, "last": last}
                )
            )
        terms = planned.terms if snippets else None
        hits = [self._hit(view, key, score, terms, locale) for key, score in top]
        # "Did you mean" when nothing was found: then it is worth its cost.
        suggestion = None
        if planned.words and not total:
            suggestion = self._suggest(view, parsed.text, planned, filters)
        return SearchResult(
            query=query,
            total=total,
            hits=hits,
            facets=self._facets(counts, selected, locale, view) if facets else {},
            page=page,
            page_size=page_size,
            sort=sort,
            recognised=[
                Recognised(words, e.kind, e.id, e.label(locale)) for words, e in planned.recognised
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
        checks = [
            (facet.parameter, getattr(filters, facet.attribute), self.registry.by_kind(kind))
            for kind, facet in ENTITY_FACETS.items()
        ]
        checks += [("type", filters.types, TYPES), ("lang", filters.languages, LANGUAGES)]
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
        return self._read_stored(self._stored(self.backend.view(include_restricted), doc_id))

    def _stored(self, view, doc_id: str) -> dict:
        """The stored fields of a visible document; `NotFound` if it is not visible."""
        key = view.key_of(doc_id)
        if key is None:
            raise NotFound(N_("no document with id {id!r}"), id=doc_id)
        return view.stored(key)

    def translations_of(
        self, document: Document, locale: str = "en", include_restricted: bool = False
    ) -> tuple[Translation, ...]:
        """The visible translations of a document, the one in `locale` first."""
        return self._translations(
            self.backend.view(include_restricted), document.translations, locale
        )

    def restricted_documents(self) -> list[dict]:
        """Id, title, date and language of every restricted document, newest first."""
        found = self.backend.restricted()
        return sorted(found, key=lambda m: (date_key(m["date"]), m["id"]), reverse=True)

    def public_documents(self) -> list[tuple[str, str]]:
        """(id, ISO date) of every public document, newest first (for sitemaps)."""
        found = self.backend.view().dated_ids()
        found.sort(reverse=True)
        return [(doc_id, _iso(key)) for key, doc_id in found]

    def _read(self, path: str, content_hash: str) -> Document:
        return self._cached(path, content_hash)[0]

    def _read_stored(self, stored: dict) -> Document:
        return self._read(stored["meta"]["path"], stored["hash"])

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

    def _texts(self, stored: dict) -> list[str]:
        """A document's searchable texts (title, paragraphs, case details), from
        the corpus file its stored fields name (nothing if it cannot be read):
        what a backend checks literal words of a phrase in."""
        try:
            document = self._read_stored(stored)
        except ArchiveError:
            return []
        return searchable_parts(document)

    def _hit(self, view, key, score: float, terms: MatchTerms | None, locale: str) -> Hit:
        """A hit from stored fields; its snippet from the corpus file (none if `terms` is None)."""
        stored = view.stored(key)
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
            translations=self._translations(view, meta["translations"], locale),
            access=meta["access"],
        )

    def _translations(self, view, ids, locale: str) -> tuple[Translation, ...]:
        found = []
        for other_id in ids:
            key = view.key_of(other_id)
            if key is not None:
                meta = view.stored(key)["meta"]
                found.append(Translation(meta["id"], meta["language"], meta["title"]))
        found.sort(key=lambda t: (t.language != locale, LANGUAGES.index(t.language)))
        return tuple(found)

    # --- Did you mean --------------------------------------------------------------

    def _suggest(self, view, text: str, planned: Planned, filters: Filters) -> str | None:
        """The query with each unknown word replaced by its closest frequent neighbour.

        Only words that match nothing, stemmed or exact, are corrected (a word
        the index knows is never replaced), candidates come from the index
        being searched (a public search never suggests a word that only
        restricted documents contain), and the corrected query is offered
        only if it finds something with the same filters.
        """
        recognised = {w for words, _ in planned.recognised for w in words.split()}
        corrected = text
        changed = False
        for word in dict.fromkeys(planned.words):
            if word in recognised:
                continue
            exact = terms_of(word, EXACT)
            if len(exact) != 1 or len(exact[0]) < MIN_SUGGEST_LENGTH or exact[0].isdigit():
                continue
            if view.frequency(EXACT, exact[0]) or any(
                view.frequency(f, t) for t in query_terms(word) for f in ("title", "body")
            ):
                continue
            best = view.closest(exact[0])
            if best is None:
                continue
            surface = self._surface_form(view, best)
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface, corrected, count=1)
            changed = True
        if not changed:
            return None
        # Offered only if it finds something (the query as typed found nothing).
        again = Planner(view, self.registry, True).plan(parse(corrected).tree).plan
        if again is None:
            return None
        total = view.search(again, True, filters, filters.selected(), "relevance", 1, False)[0]
        return corrected if total else None

    def _surface_form(self, view, term: str) -> str:
        """How an exact-field term is written in the first document that has it."""
        stored = view.first_holding(EXACT, term)
        if stored is None:
            return term
        try:
            document = self._read_stored(stored)
        except ArchiveError:
            return term
        for match in word_matches(f"{document.title}\n{document.body}"):
            if terms_of(match.group(), EXACT) == (term,):
                return strip_marks(match.group())
        return term

    # --- Similar documents -----------------------------------------------------------

    def similar(
        self, doc_id: str, limit: int = 5, locale: str = "en", include_restricted: bool = False
    ) -> list[Hit]:
        """Documents like `doc_id`: shared distinctive words, people, organisations
        and countries. A document's own translations are left out (they are
        listed with it), and of each group of translations one version is shown,
        in the reader's language when there is one."""
        view = self.backend.view(include_restricted)
        document = self._read_stored(self._stored(view, doc_id))
        scores = view.similar(document, SIMILAR_CANDIDATES)
        excluded = {document.id, *document.translations}
        ranked = sorted((i for i in scores if i not in excluded), key=lambda i: (-scores[i], i))
        hits: list[Hit] = []
        seen: set[str] = set()
        for candidate in ranked:
            if candidate in seen:
                continue
            meta = self._stored(view, candidate)["meta"]
            group = {candidate, *meta["translations"]}
            seen |= group
            if group & excluded:
                continue
            chosen = candidate
            if meta["language"] != locale:
                for other in meta["translations"]:
                    key = view.key_of(other)
                    if key is not None and view.stored(key)["meta"]["language"] == locale:
                        chosen = other
            key = view.key_of(chosen)
            hits.append(self._hit(view, key, scores[candidate], MatchTerms(), locale))
            if len(hits) >= limit:
                break
        return hits

    def similar_ids(
        self, document: Document, limit: int = 20, include_restricted: bool = True
    ) -> list[str]:
        """Ids of the documents most like `document`, which need not be in the archive."""
        scores = self.backend.view(include_restricted).similar(document, SIMILAR_CANDIDATES)
        return sorted(scores, key=lambda i: (-scores[i], i))[:limit]

    # --- Facets ----------------------------------------------------------------------

    def _facets(self, counts, selected, locale: str, view) -> dict[str, list[FacetValue]]:
        shown = list(FACETS)
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
                    self._visible_label(view, name, v, locale, counter.get(v, 0)),
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

    def _visible_label(self, view, facet: str, value: str, locale: str, count: int) -> str:
        """A value's label, unless it names an organisation or person no visible
        document is tagged with: the registry's names of people who appear only in
        restricted files are not shown, even to someone who guessed the id. A value
        counted among the hits is on a visible document already."""
        field = ENTITY_FIELDS.get(facet)
        if not count and facet in ("organisation", "person") and not view.frequency(field, value):
            return value
        return self.facet_label(facet, value, locale)

    def facet_label(self, facet: str, value: str, locale: str) -> str:
        key = (facet, value, locale)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = self._facet_label(facet, value, locale)
        return label

    def _facet_label(self, facet: str, value: str, locale: str) -> str:
        if FACET[facet].entity:
            return self.registry.label(FACET[facet].entity, value, locale)
        if facet == "month":
            year, month = value.split("-")
            if month == "00":
                return gettext("Month unknown", locale)
            return f"{get_month_names('wide', locale=locale)[int(month)]} {year}"
        return value_label(facet, value, locale)


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
