"""The one seam between the search service and a search engine.

A `SearchBackend` writes the index from the corpus and opens `IndexView`s:
a consistent view of the documents one search may see (the public ones, or
the public and restricted ones), which runs a plan (`archive.plan`) with
filters, sorting and facet counts, and answers what the planner, snippets,
suggestions and similar documents need. Only a backend imports its engine:
`archive.backends.whoosh` is the embedded default.

A hit is identified by a key that only the view that found it understands
(a document number, for Whoosh); `IndexView.stored` turns it into the stored
fields every backend keeps: ``meta`` (the hit's metadata, with ``path``) and
``hash`` (the corpus file's content hash).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..document import Document
from ..errors import Problem
from ..i18n import gettext


@dataclass
class IndexReport:
    """What writing the index did, or (from `compare`) would do."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: The registry changed since the index was built (found by `compare`).
    registry_changed: bool = False
    #: The index was written in another format (found by `compare`).
    format_changed: bool = False

    def summary(self, locale: str = "en") -> str:
        return gettext(
            "{added} added, {changed} changed, {deleted} deleted, {unchanged} unchanged",
            locale,
            added=len(self.added),
            changed=len(self.changed),
            deleted=len(self.deleted),
            unchanged=self.unchanged,
        )


@dataclass(frozen=True)
class DamagedFile:
    """A file of the index that is not as it was written; `message` says how."""

    path: Path
    message: str
    params: dict = field(default_factory=dict)

    def render(self, path: str, locale: str = "en") -> str:
        """The message in a reader's language, with the file shown as `path`."""
        return gettext(self.message, locale, path=path, **self.params)


class IndexView(Protocol):
    """The documents one search may see, as they were when the view was opened."""

    def frequency(self, field: str, text: str) -> int:
        """How many visible documents hold `text` in `field` (a `Lexicon`)."""

    def prefix_words(self, field: str, prefix: str, limit: int) -> list[str] | None:
        """The words of `field` starting with `prefix`; None if more than `limit` do."""

    def search(
        self,
        plan,
        searching: bool,
        filters,
        selected: dict[str, tuple[str, ...]],
        sort: str,
        limit: int,
        facets: bool = True,
    ) -> tuple[int, list[tuple[object, float]], dict[str, dict[str, int]]]:
        """(how many documents match, the first `limit` (key, score) in `sort`
        order, facet value -> count per facet). `plan` None with `searching`
        matches every document; `searching` False matches none. A facet's
        counts apply the other facets' selections but not its own."""

    def stored(self, key) -> dict:
        """The stored fields of a hit."""

    def key_of(self, doc_id: str):
        """The key of a visible document, or None."""

    def dated_ids(self) -> list[tuple[int, str]]:
        """(date key, id) of every visible document."""

    def document_count(self) -> int:
        """How many documents are visible."""

    def closest(self, word: str) -> str | None:
        """The exact word a misspelt `word` most likely meant, or None."""

    def first_holding(self, field: str, text: str) -> dict | None:
        """The stored fields of the first document holding a term, or None."""

    def similar(self, document: Document, limit: int) -> dict[str, float]:
        """id -> score of at most `limit` documents most like `document`."""


class SearchBackend(Protocol):
    """Writes an index from the corpus and opens views of it.

    Writing methods take the archive's writer lock themselves (it is not
    re-entrant); an archivist's change holds `write_lock` while it writes
    corpus files, so that of two writers the second sees the first's files,
    and writes the index after letting go of it.
    """

    def view(self, include_restricted: bool = False) -> IndexView:
        """This thread's view, reopened when the index has changed."""

    def state(self, include_restricted: bool = False) -> tuple:
        """A value that changes whenever what a view would see changes."""

    def restricted(self) -> list[dict]:
        """The stored metadata of every restricted document."""

    def exists(self) -> bool:
        """Whether an index has been written."""

    def damage(self):
        """An `ArchiveError` saying what makes the index unreadable, or None."""

    def update(self, corpus, thorough: bool = False):
        """Bring the index in line with the corpus; returns a report."""

    def rebuild(self, corpus):
        """Write the index anew from the corpus; returns a report."""

    def add(self, corpus, documents: Iterable[Document]) -> None:
        """Index new or changed documents of the corpus."""

    def remove(self, paths: Iterable[str]) -> None:
        """Drop the documents of these corpus files (paths relative to corpus/)."""

    def compare(self, corpus) -> IndexReport:
        """What `update` would do, without doing it."""

    def write_lock(self) -> AbstractContextManager[None]:
        """Hold the archive's one writer lock, or raise `IndexUnavailable`
        after the configured wait."""

    def file_of(self, doc_id: str) -> str | None:
        """The corpus path (relative to corpus/) indexed for a document id, or None."""

    def unindexed(self, corpus) -> Iterator[Path]:
        """The corpus files the index does not hold as they are now."""

    def verify(self) -> list[DamagedFile]:
        """Every stored file of the index that is not as it was written."""

    def leftovers(self) -> list[Path]:
        """What interrupted writes left behind (true under the writer lock)."""

    def close(self) -> None:
        """Close every view this backend opened, in any thread."""


#: What a backend reads a hit's searchable texts with, for checks the index
#: cannot make (exact words in place): stored fields -> texts.
Texts = Callable[[dict], list[str]]


#: The backends a home may be configured with (`SEARCH_BACKEND`).
BACKENDS = ("whoosh", "opensearch")


def open_backend(
    home: Path,
    texts: Texts | None = None,
    reference: bool = False,
    settings: Mapping | None = None,
    processes: int | None = None,
) -> SearchBackend:
    """The backend `SEARCH_BACKEND` names for an archive home.

    `texts` is needed only to search; `settings` (an app's config) override
    the environment's and the defaults (`WRITE_TIMEOUT`: how long a writer
    waits for the writer lock; the cluster's address and credentials);
    `processes` is how many a rebuild may use (None: one per core on large
    corpora).
    """
    from .. import config
    from ..errors import ArchiveError
    from ..i18n import N_

    settings = config.current(settings)
    name = settings["SEARCH_BACKEND"]
    if name == "opensearch":
        from .opensearch import OpenSearchBackend

        return OpenSearchBackend(home, texts, settings=settings)
    if name != "whoosh":
        raise ArchiveError(
            N_("SEARCH_BACKEND: must be one of {choices}, not {value!r}"),
            choices=", ".join(BACKENDS),
            value=name,
        )
    from .whoosh import WhooshBackend

    return WhooshBackend(
        home,
        texts,
        reference=reference,
        write_timeout=float(settings["WRITE_TIMEOUT"]),
        processes=processes,
    )
