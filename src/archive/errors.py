"""The archive's one error type.

Everything a user can get wrong (a missing index, an unknown filter value, a
document id that does not exist) raises `ArchiveError` with a one-line message
naming the file, field or parameter. The CLI prints it and exits non-zero; the
web app turns it into an error page or a JSON error.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """A problem the user can fix, described in one line."""

    #: HTTP status used by the web app.
    status = 400
    #: Exit code used by the CLI.
    exit_code = 2

    def __init__(self, message: str, **params):
        """`message` is a translatable template; `params` fill its ``{names}``."""
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def render(self, locale: str = "en") -> str:
        """The message in a reader's language."""
        from .i18n import gettext

        return gettext(self.template, locale, **self.params)


class NotFound(ArchiveError):
    status = 404


class IndexUnavailable(ArchiveError):
    """The index is missing, damaged or locked by another writer."""

    status = 503


class Problem:
    """One thing wrong in the corpus or registry: ``path: field: reason``."""

    __slots__ = ("path", "field", "reason")

    def __init__(self, path: str, field: str, reason: str):
        self.path, self.field, self.reason = path, field, reason

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.reason}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class CorpusError(ArchiveError):
    """A corpus or registry file that cannot be read; carries its `Problem`."""

    def __init__(self, problem: Problem):
        super().__init__("{problem}", problem=str(problem))
        self.problem = problem


def init_app(app) -> None:
    """Turn every error into a page in the reader's language, or JSON under /api/."""
    from flask import g, jsonify, render_template, request
    from werkzeug.exceptions import HTTPException, InternalServerError

    from .i18n import gettext

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def respond(status: int, message: str):
        if wants_json():
            response = jsonify({"error": {"status": status, "message": message}})
            response.status_code = status
            return response
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(ArchiveError)
    def archive_error(error: ArchiveError):
        return respond(error.status, error.render(g.get("lang", "en")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        lang = g.get("lang", "en")
        messages = {
            404: gettext("This page does not exist.", lang),
            405: gettext("This address does not accept that method.", lang),
        }
        return respond(error.code or 500, messages.get(error.code, error.name))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        # A failure on damaged index files says what to run, not "500".
        service = app.extensions.get("archive")
        damage = service.backend.damage() if service is not None else None
        if damage is not None:
            app.logger.error("%s (on %s)", damage, request.path)
            return archive_error(damage)
        app.logger.exception("unhandled error on %s", request.path)
        return respond(
            InternalServerError.code,
            gettext("Something went wrong on our side; please try again.", g.get("lang", "en")),
        )
