"""The ``archive`` command: thin commands over the corpus, index and search modules,
one module per kind of task (maintaining, reading, adding, accounts).

Every problem a user can cause ends in a one-line message on stderr and a
non-zero exit status (2 for bad input or a missing index, 1 for a corpus that
fails `archive check`), never in a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..backends import SearchBackend, open_backend
from ..config import home_from_env
from ..corpus import Corpus
from ..errors import ArchiveError
from ..i18n import LOCALES, N_, gettext

_session = {"locale": "en"}


class Context:
    def __init__(self, home: Path, locale: str):
        self.home = home
        self.locale = locale

    def _(self, message: str, **params) -> str:
        return gettext(message, self.locale, **params)

    @property
    def corpus(self) -> Corpus:
        return Corpus(self.home)

    def backend(self, processes: int | None = None) -> SearchBackend:
        """The archive's search backend, for writing the index."""
        return open_backend(self.home, processes=processes)

    def existing_corpus(self) -> Corpus:
        """The corpus, which must exist: a command never makes an archive
        out of a mistyped --home."""
        corpus = self.corpus
        if not corpus.root.is_dir():
            raise ArchiveError(N_("no corpus folder at {path}"), path=str(corpus.root))
        return corpus


def _service(home: Path, settings: dict | None = None):
    """The search service (imported when a command needs it: `archive index`
    starts faster without it)."""
    from ..search import SearchService

    return SearchService(home, settings=settings)


def _filters(**values):
    from ..search import Filters

    return Filters(**values)


def _users(home: Path):
    from ..users import Users

    return Users(home)


def _default_locale() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")[:2]
        if value in LOCALES:
            return value
    return "en"


class Failure(click.ClickException):
    """An error shown as one line, ``archive: <message>``, with its own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"archive: {self.format_message()}", err=True)


class ArchiveGroup(click.Group):
    """Turns every exception a command raises into a `Failure`: no tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            raise Failure(exc.render(_session["locale"]), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # The reader of our output went away (`archive search … | head`).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(141) from None
        except Exception as exc:  # a bug: still one line, with a way to see more
            if os.environ.get("ARCHIVE_DEBUG"):
                raise
            # Unless the index's files are damaged: then that is what to repair.
            damage = ctx.obj.backend().damage() if isinstance(ctx.obj, Context) else None
            if damage is not None:
                raise Failure(damage.render(_session["locale"]), damage.exit_code) from None
            raise Failure(
                f"internal error: {type(exc).__name__}: {exc} (set ARCHIVE_DEBUG=1 for details)", 70
            ) from None


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding corpus/ and index/ (default: $ARCHIVE_HOME or the current folder).",
)
@click.option("--locale", type=click.Choice(LOCALES), help="Language of messages and labels.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, locale: str | None) -> None:
    """A searchable archive of human-rights documents in Arabic, English and French."""
    ctx.obj = Context(home_from_env(home), locale or _default_locale())
    _session["locale"] = ctx.obj.locale


# The commands, each module adding its own to `cli`.
from . import accounts, adding, maintaining, reading  # noqa: E402, F401
from .adding import IMPORT_COLUMNS  # noqa: E402, F401

main = cli
