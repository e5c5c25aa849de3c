"""Machine-readable views of searches: Atom feeds, OpenSearch, CSV/JSON exports, sitemap."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import Blueprint, Response, current_app, g, render_template, request

from ..citation import without_bidi_controls
from ..document import date_key
from ..fields import DOCUMENT_FIELDS, FACET_TABLE
from ..i18n import gettext, interface_languages
from . import external_url, sees_restricted, service, url_with_args
from .limits import expensive
from .params import SearchState
from .public import SITE_NAME

bp = Blueprint("feeds", __name__)

#: Exported fields whose values are codes -> the facet that labels them.
LABELLED = {facet.document: facet.name for facet in FACET_TABLE if facet.document}
EXPORTED = tuple(f.name for f in DOCUMENT_FIELDS if f.exported)
#: The CSV's columns: each exported field's codes, then (for coded fields) their
#: labels in the page's language; the best passage and its paragraph; the link.
EXPORT_COLUMNS = (
    *(c for name in EXPORTED for c in (name, f"{name}_label")[: 2 if name in LABELLED else 1]),
    "snippet",
    "snippet_paragraph",
    "url",
)


def _labels(hit) -> dict:
    """Field -> the label (or labels) of a hit's coded values, in the page's language."""
    labels = {}
    for name, facet in LABELLED.items():
        value = getattr(hit, name)
        if isinstance(value, tuple):
            labels[name] = [service().facet_label(facet, v, g.lang) for v in value]
        else:
            labels[name] = service().facet_label(facet, value, g.lang)
    return labels


def _updated(date: str) -> str:
    """An RFC 3339 timestamp for an Atom entry from a (partial) ISO date."""
    key = date_key(date)
    year, month, day = key // 10000, key // 100 % 100 or 1, key % 100 or 1
    return dt.datetime(year, month, day, tzinfo=dt.UTC).isoformat()


def _feed(state: SearchState, title: str, self_url: str, alternate_url: str):
    size = current_app.config["FEED_SIZE"]
    result = state.search(sort="date", page=1, page_size=size)
    body = render_template(
        "feed.xml",
        title=title,
        result=result,
        self_url=self_url,
        alternate_url=alternate_url,
        updated=_updated(result.hits[0].date) if result.hits else _updated("2000"),
        entry_updated=_updated,
    )
    return Response(body, mimetype="application/atom+xml")


@bp.route("/<lang>/feed")
def recent():
    """New documents, newest first."""
    return _feed(
        SearchState(),
        gettext(SITE_NAME, g.lang),
        external_url(".recent"),
        external_url("public.home"),
    )


@bp.route("/<lang>/search/feed")
def search_feed():
    """Any search as a feed: an alert without an account."""
    state = SearchState.from_args(request.args)
    title = (
        gettext("Search: {query}", g.lang, query=state.query)
        if state.query
        else gettext(SITE_NAME, g.lang)
    )
    return _feed(
        state,
        title,
        url_with_args(".search_feed", state.args(), _external=True),
        url_with_args("public.search", state.args(), _external=True),
    )


@bp.route("/<lang>/opensearch.xml")
def opensearch():
    body = render_template("opensearch.xml", site=gettext(SITE_NAME, g.lang))
    return Response(body, mimetype="application/opensearchdescription+xml")


def _export_hits(state: SearchState, snippets: bool) -> list:
    """Up to EXPORT_LIMIT hits of a search, in one pass, without facets."""
    limit = current_app.config["EXPORT_LIMIT"]
    result = state.search(
        include_restricted=sees_restricted(),
        page=1,
        page_size=limit,
        max_page_size=limit,
        facets=False,
        snippets=snippets,
    )
    return result.hits


#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A CSV cell that spreadsheets show as text: a quote before a formula's first character.

    >>> spreadsheet_cell("=1+2"), spreadsheet_cell("Egypt")
    ("'=1+2", 'Egypt')
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@bp.route("/<lang>/search/export.csv")
@expensive()
def export_csv():
    """The result set as CSV, UTF-8 with a byte-order mark so spreadsheets show Arabic."""
    state = SearchState.from_args(request.args)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for hit in _export_hits(state, snippets=True):
        labels = _labels(hit)
        row = []
        for name in EXPORTED:
            row.append(_cell(getattr(hit, name), " "))
            if name in labels:
                row.append(_cell(labels[name], "; "))
        row += [hit.snippet.text, str(hit.snippet.paragraph or "")]
        row.append(external_url("public.document", doc_id=hit.id))
        writer.writerow([spreadsheet_cell(without_bidi_controls(cell)) for cell in row])
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=archive-search.csv"},
    )


def _cell(value, separator: str) -> str:
    return separator.join(value) if isinstance(value, list | tuple) else value


@bp.route("/<lang>/search/export.json")
@expensive()
def export_json():
    state = SearchState.from_args(request.args)
    hits = [hit.to_json() | {"labels": _labels(hit)} for hit in _export_hits(state, snippets=True)]
    return Response(
        json.dumps({"query": state.query, "total": len(hits), "hits": hits}, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=archive-search.json"},
    )


@bp.route("/sitemap.xml")
def sitemap():
    """Every public document in every interface language."""
    documents = service().public_documents()
    body = render_template("sitemap.xml", documents=documents, languages=interface_languages())
    return Response(body, mimetype="application/xml")


@bp.route("/robots.txt")
def robots():
    sitemap_url = external_url(".sitemap")
    return Response(f"User-agent: *\nAllow: /\nSitemap: {sitemap_url}\n", mimetype="text/plain")
