"""The web layer: blueprints that read requests, call the search service and format.

Nothing here builds a Whoosh query; the search service never sees a request.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from babel import Locale
from flask import current_app, g, redirect, request, url_for

from ..i18n import LOCALES, gettext, select_locale_from_headers
from ..search import CASE_STATUS_LABELS, TYPE_LABELS, SearchService

#: Sent with every response. No inline script or style is used anywhere, so
#: the policy allows only the archive's own files.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def service() -> SearchService:
    """The app's search service (one per app; searchers are per thread inside it)."""
    return current_app.extensions["archive"]


@functools.cache
def list_separator(lang: str) -> str:
    """The separator between items of a list in a language (", " or "، "), from CLDR."""
    pattern = Locale.parse(lang).list_patterns["standard"]["middle"]
    return pattern.replace("{0}", "").replace("{1}", "")


def url_with_args(endpoint: str, args: dict | None = None, **values) -> str:
    """`url_for` plus a query string built apart from the route's values.

    Search URLs use ``lang`` twice: the interface language in the path
    (``/ar/search``) and the documents' language filter (``?lang=en``), so
    the two cannot share `url_for`'s keyword arguments.
    """
    return with_query(url_for(endpoint, **values), args)


def with_query(url: str, args: dict | None) -> str:
    query = urlencode(args or {}, doseq=True)
    return f"{url}?{query}" if query else url


def language_url(code: str) -> str:
    """This page in another interface language, keeping the query and filters."""
    endpoint = request.endpoint
    if endpoint and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        args = request.args.to_dict(flat=False)
        return url_with_args(endpoint, args, **(request.view_args or {}), lang=code)
    return url_for("public.home", lang=code)


def init_app(app) -> None:
    from . import api, feeds, public

    app.register_blueprint(public.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)

    @app.context_processor
    def helpers():
        registry = service().registry
        lang = g.get("lang") or "en"
        return {
            "entity_label": lambda kind, value: registry.label(kind, value, lang),
            "type_label": lambda value: gettext(TYPE_LABELS.get(value, value), lang),
            "language_url": language_url,
            "status_label": lambda value: gettext(CASE_STATUS_LABELS.get(value, value), lang),
            "list_separator": list_separator(lang),
            "url_with_args": url_with_args,
        }

    @app.route("/")
    def root():
        return redirect(url_for("public.home", lang=select_locale_from_headers(request)))

    @app.after_request
    def headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        lang = g.get("lang")
        if lang in LOCALES and request.cookies.get("lang") != lang and response.status_code < 400:
            response.set_cookie("lang", lang, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax",
                                httponly=True, secure=request.is_secure)  # fmt: skip
        return response
