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
