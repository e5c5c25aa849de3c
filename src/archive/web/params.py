"""Search parameters in URLs: one reading for the pages, feeds, exports and the API.

Every search state is a plain GET URL (a permalink): ``q``, then repeatable
``country``, ``org``, ``person``, ``type``, ``lang``, ``year`` and ``month``
facet values, ``from`` and ``to`` dates, ``sort``, ``page``, ``size`` and
``literal``. `SearchState.search` runs one for the reader of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import g
from werkzeug.datastructures import MultiDict

from ..errors import ArchiveError
from ..fields import ENTITY_FACETS, FACET_TABLE
from ..i18n import N_
from ..search import Filters, SearchResult
from . import service

#: Facet name -> URL parameter.
FACET_PARAMS = {facet.name: facet.parameter for facet in FACET_TABLE}
_FILTER_FIELDS = {facet.name: facet.attribute for facet in FACET_TABLE}
MAX_VALUES = 50  # values per facet parameter


@dataclass(frozen=True)
class SearchState:
    """What a search URL asks for."""

    query: str = ""
    filters: Filters = Filters()
    sort: str = "relevance"
    page: int = 1
    size: int | None = None
    literal: bool = False

    @classmethod
    def from_args(cls, args: MultiDict) -> SearchState:
        values = {}
        for facet, param in FACET_PARAMS.items():
            found = [v.strip() for v in args.getlist(param) if v.strip()]
            values[_FILTER_FIELDS[facet]] = tuple(dict.fromkeys(found))[:MAX_VALUES]
        filters = Filters(
            **values, date_from=args.get("from", "").strip(), date_to=args.get("to", "").strip()
        )
        return cls(
            query=args.get("q", ""),
            filters=filters,
            sort=args.get("sort", "relevance") or "relevance",
            page=_number(args, "page", 1),
            size=_number(args, "size", None),
            literal=args.get("literal", "") in ("1", "true", "on"),
        )

    def search(self, include_restricted: bool = False, **options) -> SearchResult:
        """This state's search in the request's language; `options` override its
        parameters or add the service's (``facets``, ``snippets`` …)."""
        refuse_unseen_ids(self.filters, include_restricted)
        return service().search(
            **{**self.search_kwargs(), **options},
            locale=g.lang,
            include_restricted=include_restricted,
        )

    def search_kwargs(self) -> dict:
        return {
            "query": self.query,
            "filters": self.filters,
            "sort": self.sort,
            "page": self.page,
            "page_size": self.size,
            "literal": self.literal,
        }

    def args(self, **changes) -> dict:
        """URL parameters for this state (with `changes`), omitting defaults."""
        state = replace(self, **changes) if changes else self
        params: dict = {}
        if state.query:
            params["q"] = state.query
        for facet, param in FACET_PARAMS.items():
            values = list(getattr(state.filters, _FILTER_FIELDS[facet]))
            if values:
                params[param] = values
        if state.filters.date_from:
            params["from"] = state.filters.date_from
        if state.filters.date_to:
            params["to"] = state.filters.date_to
        if state.sort != "relevance":
            params["sort"] = state.sort
        if state.page != 1:
            params["page"] = state.page
        if state.size:
            params["size"] = state.size
        if state.literal:
            params["literal"] = "1"
        return params

    def selected(self, facet: str) -> tuple[str, ...]:
        return getattr(self.filters, _FILTER_FIELDS[facet])

    def toggled(self, facet: str, value: str) -> dict:
        """Parameters with `value` added to or removed from a facet's selection (page 1)."""
        current = list(self.selected(facet))
        current = [v for v in current if v != value] if value in current else [*current, value]
        changes = {_FILTER_FIELDS[facet]: tuple(current)}
        if facet == "year":  # months belong to the year selected
            changes["months"] = ()
        return self.args(filters=replace(self.filters, **changes), page=1)

    def without_dates(self) -> dict:
        return self.args(filters=replace(self.filters, date_from="", date_to=""), page=1)


def refuse_unseen_ids(filters: Filters, include_restricted: bool) -> None:
    """Refuse a country, organisation or person id that no document the reader may
    see is tagged with, in the very words used for an id the registry lacks.

    Otherwise a filter would tell an id named only in restricted documents
    (a protected witness) from one nobody uses. Values are checked in order,
    so that the first one refused is the same either way.
    """
    registry = service().registry
    for facet in (f.name for f in ENTITY_FACETS.values()):
        field = _FILTER_FIELDS[facet]
        values = getattr(filters, field)
        known = tuple(v for v in values if v in registry.by_kind(facet))
        used = set()
        if known:  # one search: a facet's own selection does not narrow its counts
            counts = service().search(
                filters=Filters(**{field: known}),
                page_size=1,
                snippets=False,
                include_restricted=include_restricted,
            )
            used = {v.value for v in counts.facets[facet] if v.count}
        for value in values:
            if value not in used:
                raise ArchiveError(
                    N_("{name}: unknown value {value!r}"), name=FACET_PARAMS[facet], value=value
                )


def _number(args: MultiDict, name: str, default):
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 6:
        raise ArchiveError(N_("{name}: must be a whole number"), name=name)
    return int(raw)
