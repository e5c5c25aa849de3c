"""The JSON API: the same searches as the pages, as data (see docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from ..errors import ArchiveError
from ..i18n import N_, fallback_language, interface_languages
from . import service
from .limits import deep_page, expensive
from .params import SearchState

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def choose_locale():
    languages = interface_languages()
    locale = request.args.get("locale", fallback_language(languages))
    if locale not in languages:
        raise ArchiveError(N_("locale: must be one of {choices}"), choices=", ".join(languages))
    g.lang = locale


@bp.route("/search")
@expensive(when=deep_page)
def search():
    """The same JSON as `archive search --json`."""
    state = SearchState.from_args(request.args)
    return jsonify(state.search().to_json())


@bp.route("/documents/<doc_id>")
def document(doc_id: str):
    found = service().document(doc_id)
    data = found.to_json()
    data["translations"] = [t.__dict__ for t in service().translations_of(found, g.lang)]
    return jsonify(data)


@bp.route("/documents/<doc_id>/similar")
def similar(doc_id: str):
    limit = SearchState.from_args(request.args).size or 5
    return jsonify([hit.to_json() for hit in service().similar(doc_id, min(limit, 50), g.lang)])
