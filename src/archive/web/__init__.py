"""The web layer: the app factory, and blueprints for public pages, feeds and
exports, the JSON API and the archivists' pages, which read requests and format.

Nothing here builds a query for an engine; the search service never sees a request.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from babel import Locale
from flask import current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from ..citation import without_bidi_controls
from ..errors import ArchiveError
from ..fields import FACET, value_label
from ..i18n import N_, gettext, interface_languages, select_locale_from_headers
from ..search import SearchService
from ..users import LoginThrottle, Sessions, Users

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


def current_archivist():
    """The signed-in, still enabled archivist of this request, or None."""
    if "archivist" not in g:
        name, session_id = session.get("archivist"), session.get("session")
        live = bool(name and session_id) and sessions().holder(session_id) == name
        user = Users(service().home).get(name) if live else None
        g.archivist = user if user is not None and not user.disabled else None
        if name and g.archivist is None:  # signed out, expired or disabled
            session.pop("archivist")
            session.pop("session", None)
    return g.archivist


def sessions() -> Sessions:
    """The archivists' sessions, kept on the server so that signing out ends them."""
    return current_app.extensions["archive.sessions"]


def sees_restricted() -> bool:
    """Restricted documents exist only for signed-in archivists."""
    return current_archivist() is not None


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


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
    the two cannot share `url_for`'s keyword arguments. ``_external=True``
    gives an `external_url`.
    """
    build = external_url if values.pop("_external", False) else url_for
    return with_query(build(endpoint, **values), args)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for feeds, sitemaps, citations: on BASE_URL when it is set,
    else on the address the request came to (its Host header, which clients choose)."""
    base = current_app.config["BASE_URL"]
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


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


def without_bidi(value):
    """The template filter for text that no <bdi> can isolate (<title>, attributes,
    feeds): bidirectional controls removed. Escaped markup stays markup; removing
    them escapes nothing."""
    return without_bidi_controls(value if isinstance(value, str) else str(value))


def init_app(app) -> None:
    from . import api, archivists, feeds, limits, public

    base = app.config["BASE_URL"]
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ArchiveError(
                N_("BASE_URL: must be an address like https://archive.example.org ({value!r})"),
                value=base,
            )
        app.config["BASE_URL"] = base.rstrip("/")
    app.config.update(
        MAX_CONTENT_LENGTH=app.config["UPLOAD_MAX_BYTES"] + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_HOURS"]),
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session
    )
    app.session_interface = SessionInterface()
    CSRFProtect(app)
    instance = Path(app.config["HOME"]) / "instance"
    app.extensions["archive.throttle"] = LoginThrottle(instance / "logins.sqlite")
    limits.init_app(app)
    app.extensions["archive.sessions"] = Sessions(
        instance / "sessions.sqlite", app.config["SESSION_HOURS"]
    )
    app.add_template_filter(without_bidi)
    app.register_blueprint(public.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(archivists.bp)

    @app.context_processor
    def helpers():
        registry = service().registry
        lang = g.get("lang") or "en"
        return {
            "entity_label": lambda kind, value: registry.label(kind, value, lang),
            "label": lambda field, value: value_label(field, value, lang),
            "facet_title": lambda name: gettext(FACET[name].title, lang),
            "facet_parameter": lambda name: FACET[name].parameter,
            "language_url": language_url,
            "list_separator": list_separator(lang),
            "url_with_args": url_with_args,
            "external_url": external_url,
            "archivist": current_archivist(),
        }

    @app.route("/")
    def root():
        return redirect(url_for("public.home", lang=select_locale_from_headers(request)))

    @app.after_request
    def headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if session.get("archivist"):
            # Pages an archivist sees may hold restricted documents: never cache them.
            response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        lang = g.get("lang")
        offered = lang in interface_languages() and response.status_code < 400
        if offered and request.cookies.get("lang") != lang:
            response.set_cookie(
                "lang",
                lang,
                max_age=LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                httponly=True,
                secure=request.is_secure,
            )
        return response
