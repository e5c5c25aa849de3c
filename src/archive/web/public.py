"""Public pages: home, search, documents, citations and browsing by entity."""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import citation
from ..errors import NotFound
from ..i18n import N_, gettext
from ..search import Filters
from . import external_url, sees_restricted, service, url_with_args, with_query
from .limits import deep_page, expensive
from .params import FACET_PARAMS, SearchState

bp = Blueprint("public", __name__, url_prefix="/<lang>")

#: Browse pages: URL segment -> (registry kind, facet, filter field).
BROWSE = {
    "countries": ("country", "country", "countries"),
    "organisations": ("organisation", "organisation", "organisations"),
    "people": ("person", "person", "people"),
}
BROWSE_TITLES = {
    "countries": N_("Countries"),
    "organisations": N_("Organisations"),
    "people": N_("People"),
}
SITE_NAME = N_("Human Rights Documents Archive")


@bp.route("/")
def home():
    recent = service().search(
        sort="date", page_size=10, locale=g.lang, include_restricted=sees_restricted()
    )
    return render_template("home.html", recent=recent, state=SearchState())


@bp.route("/search")
@expensive(when=deep_page)
def search():
    state = SearchState.from_args(request.args)
    return render_search(state)


def render_search(state: SearchState, entity=None, browse: str | None = None):
    """The search page for a state; entity pages add a fixed filter and a heading."""
    result = state.search(include_restricted=sees_restricted())
    if entity is None:
        base, fixed = url_for(".search"), None
    else:
        base = url_for(".entity", kind=browse, entity_id=entity.id)
        fixed = (FACET_PARAMS[BROWSE[browse][1]], entity.id)

    def link(args: dict) -> str:
        if fixed:  # the entity is in the path; keep it out of the query string
            param, value = fixed
            kept = [v for v in args.get(param, []) if v != value]
            args = {k: v for k, v in args.items() if k != param} | ({param: kept} if kept else {})
        return with_query(base, args)

    if result.page > result.pages:  # past the last page: its link is on the last one
        return redirect(link(state.args(page=result.pages)))
    return render_template(
        "search.html",
        result=result,
        state=state,
        entity=entity,
        browse=browse,
        facet_url=lambda facet, value: link(state.toggled(facet, value)),
        page_url=lambda page: link(state.args(page=page)),
        dates_removed_url=link(state.without_dates()),
        literal_url=url_with_args(".search", state.args(literal=True, page=1)),
        facet_params=FACET_PARAMS,
    )


@bp.route("/<any(countries, organisations, people):kind>/")
def entities(kind: str):
    kind_name, facet, _ = BROWSE[kind]
    counts = (
        service()
        .search(page_size=1, locale=g.lang, include_restricted=sees_restricted())
        .facets[facet]
    )
    registry = service().registry
    known = {v.value: v.count for v in counts}
    listed = sorted(
        (
            (entity, known.get(entity.id, 0))
            for entity in registry.by_kind(kind_name).values()
            if entity.id in known
        ),
        key=lambda pair: (-pair[1], pair[0].label(g.lang).casefold()),
    )
    return render_template(
        "entities.html", kind=kind, title=gettext(BROWSE_TITLES[kind], g.lang), listed=listed
    )


@bp.route("/<any(countries, organisations, people):kind>/<entity_id>")
def entity(kind: str, entity_id: str):
    kind_name, _, field = BROWSE[kind]
    found = service().registry.get(kind_name, entity_id)
    if found is None:
        abort(404)
    visible = service().search(
        "", Filters(**{field: (entity_id,)}), page_size=1, include_restricted=sees_restricted()
    )
    if not visible.total:
        # An entity with no document this reader may see does not exist for them:
        # a person named only in restricted case files stays unnamed.
        abort(404)
    state = SearchState.from_args(request.args)
    fixed = tuple(dict.fromkeys([entity_id, *getattr(state.filters, field)]))
    state = replace(state, filters=replace(state.filters, **{field: fixed}))
    return render_search(state, entity=found, browse=kind)


@bp.route("/documents/<doc_id>")
def document(doc_id: str):
    restricted = sees_restricted()
    found = service().document(doc_id, include_restricted=restricted)
    url = external_url(".document", doc_id=doc_id)
    site = gettext(SITE_NAME, g.lang)
    return render_template(
        "document.html",
        document=found,
        translations=service().translations_of(found, g.lang, include_restricted=restricted),
        similar=service().similar(doc_id, 5, g.lang, include_restricted=restricted),
        citation_text=citation.plain(found, url, site, g.lang),
        citation_bibtex=citation.bibtex(found, url, site, g.lang),
        registry=service().registry,
        hijri=current_app.config["HIJRI_DATES"],
    )


@bp.route("/documents/<doc_id>/cite")
def cite(doc_id: str):
    """The citation of a document or, with ?p=N, of its paragraph N."""
    found = service().document(doc_id, include_restricted=sees_restricted())
    paragraphs = found.paragraphs()
    number = request.args.get("p", "").lstrip("p")
    paragraph = None
    if number:
        if not number.isdigit() or not 1 <= int(number) <= len(paragraphs):
            raise NotFound(N_("paragraph {number} does not exist in this document"), number=number)
        paragraph = int(number)
    anchor = f"p{paragraph}" if paragraph else None
    url = external_url(".document", doc_id=doc_id, _anchor=anchor)
    site = gettext(SITE_NAME, g.lang)
    return render_template(
        "cite.html",
        document=found,
        paragraph=paragraph,
        text=paragraphs[paragraph - 1] if paragraph else None,
        plain=citation.plain(found, url, site, g.lang, paragraph),
        bibtex=citation.bibtex(found, url, site, g.lang, paragraph),
        csl=citation.csl_json(found, url, site, paragraph),
    )
