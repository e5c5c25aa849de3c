"""Changing the archive: add, edit, restrict, delete and restore documents.

Every change follows the same order, so that nothing is ever lost:

1. validate the new document (the same checks as `archive check`);
2. keep the current file in the history, if there is one;
3. write the corpus file atomically (temporary file, fsync, rename); a new
   document's id is checked (1) and its file written (3) under the archive's
   writer lock, so that two writers never both claim one id;
4. record the change in the audit log;
5. update the index. If that fails, the corpus already holds the change and
   `archive index` brings the index back in line; the caller is told.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .backends.whoosh.indexing import Index
from .corpus import (
    ORIGINALS_DIR,
    Corpus,
    check_references,
    parse_document,
    render_document,
    write_atomic,
)
from .document import Document
from .errors import ArchiveError, NotFound
from .history import History
from .i18n import N_
from .registry import Registry

log = logging.getLogger("archive.editing")


@dataclass(frozen=True)
class Saved:
    document: Document
    indexed: bool  # False: written to the corpus, but the index could not be updated


class Editor:
    """Changes made by one archivist (named in the audit log)."""

    def __init__(
        self, home: Path, user: str, write_timeout: float = 10.0, registry: Registry | None = None
    ):
        """`registry`: a server's, loaded already (see `Corpus`)."""
        self.corpus = Corpus(Path(home), registry)
        self.index = Index(Path(home), write_timeout=write_timeout)
        self.history = History(self.corpus)
        self.user = user

    # --- Reading ---------------------------------------------------------------

    def locate(self, doc_id: str) -> Path:
        """The corpus file of a document (public or restricted): where the
        index's file table has it, else among the files the index does not
        hold as they are (it may lag behind the corpus)."""
        relative = self.index.file_of(doc_id)
        if relative is not None:
            path = self.corpus.root / relative
            document, _ = self.corpus.parse(path)
            if document is not None and document.id == doc_id:
                return path
        for path in self.index.unindexed(self.corpus):
            document, _ = self.corpus.parse(path)
            if document is not None and document.id == doc_id:
                return path
        raise NotFound(N_("no document with id {id!r}"), id=doc_id)

    def current(self, doc_id: str) -> Document:
        return self.corpus.read(self.locate(doc_id))

    # --- Changes -----------------------------------------------------------------

    def validate(self, document: Document, new: bool, original_pending: bool = False) -> None:
        """Raise `ArchiveError` with the first problem `archive check` would report.

        `original_pending`: the original file is written only once all is valid."""
        where = document.path or f"{document.id}.md"
        parsed, problems = parse_document(render_document(document), where)
        if parsed is not None:
            root = None if original_pending else self.corpus.root
            problems += check_references(parsed, where, self.corpus.registry, root)
        if problems:
            raise ArchiveError("{problem}", problem=str(problems[0]))
        for other_id in document.translations:
            if other_id == document.id or not self._taken(other_id):
                raise ArchiveError(N_("translations: unknown document {id!r}"), id=other_id)
        if new and self._taken(document.id):
            raise ArchiveError(N_("id: {id!r} is already in the archive"), id=document.id)

    def _taken(self, doc_id: str) -> bool:
        try:
            self.locate(doc_id)
        except NotFound:
            return False
        return True

    def add(
        self, document: Document, original: tuple[str, bytes] | None = None, index: bool = True
    ) -> Saved:
        """A new document, with the original file it came from if any.

        With ``index=False`` the index is left for the caller to update once
        (`Index.update`), as a bulk import does."""
        if original is not None:
            name, data = original
            document = replace(
                document, original_name=name, original_file=self.original_path(name, data)
            )
        document = self._write_new(document, original)
        saved = self._after(document, "add", index)
        self.link_translations(document)
        return saved

    def _write_new(self, document: Document, original: tuple[str, bytes] | None = None) -> Document:
        """Claim a new document's id and write its file, as one step under the
        archive's writer lock: of two writers proposing the same id (two
        uploads, an import and an add), the second finds it taken."""
        with self.index.write_lock():
            self.validate(document, new=True, original_pending=original is not None)
            path = self.corpus.path_for(document)
            if path.exists():
                raise ArchiveError(N_("id: {id!r} is already in the archive"), id=document.id)
            if original is not None:
                self.keep_original(*original)
            return self.corpus.write(document, path)

    def link_translations(self, document: Document) -> None:
        """Make every translation a document names list it back (as `archive check` wants)."""
        for other_id in document.translations:
            other = self.current(other_id)
            if document.id not in other.translations:
                self.update(
                    other_id,
                    replace(other, translations=(*other.translations, document.id)),
                    "edit",
                )

    @staticmethod
    def original_path(name: str, data: bytes) -> str:
        """Where an original file is kept: a name made from its content, never from `name`."""
        suffix = Path(name).suffix.lower()
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""
        return f"{ORIGINALS_DIR}/{hashlib.sha256(data).hexdigest()[:32]}{suffix}"

    def keep_original(self, name: str, data: bytes) -> str:
        """Store an original file (once per content) and return its corpus path."""
        relative = self.original_path(name, data)
        target = self.corpus.root / relative
        if not target.exists():
            write_atomic(target, data)
        return relative

    def update(self, doc_id: str, changed: Document, action: str = "edit") -> Saved:
        """Replace a document's metadata and text, keeping the old version."""
        path = self.locate(doc_id)
        if changed.id != doc_id:
            raise ArchiveError(N_("id: a document's id cannot change ({id!r})"), id=doc_id)
        changed = replace(changed, path=str(path.relative_to(self.corpus.root)))
        self.validate(changed, new=False)
        self.history.keep(doc_id, path, action)
        document = self.corpus.write(changed, path)
        saved = self._after(document, action)
        self.link_translations(document)
        return saved

    def set_access(self, doc_id: str, access: str) -> Saved:
        document = self.current(doc_id)
        action = "restrict" if access == "restricted" else "unrestrict"
        return self.update(doc_id, replace(document, access=access), action)

    def delete(self, doc_id: str) -> None:
        """Remove a document from the corpus and the index; its text stays in the history."""
        path = self.locate(doc_id)
        relative = str(path.relative_to(self.corpus.root))
        self.history.keep(doc_id, path, "delete")
        path.unlink()
        self.history.record(self.user, "delete", doc_id, relative)
        self._index(lambda: self.index.remove([relative]))

    def restore(self, doc_id: str, version: str) -> Saved:
        """Make a kept version the current one again (the replaced one is kept too)."""
        data = self.history.read(doc_id, version)
        restored, problems = parse_document(data.decode("utf-8"), version)
        if restored is None:
            raise ArchiveError("{problem}", problem=str(problems[0]))
        try:
            self.locate(doc_id)
        except NotFound:  # restoring a deleted document
            return self._after(self._write_new(restored), "restore")
        return self.update(doc_id, restored, "restore")

    def _after(self, document: Document, action: str, index: bool = True) -> Saved:
        self.history.record(self.user, action, document.id, document.path or "")
        if not index:
            return Saved(document, False)
        indexed = self._index(lambda: self.index.add(self.corpus, [document]))
        return Saved(document, indexed)

    def _index(self, update) -> bool:
        try:
            update()
        except Exception:  # the corpus has the change; 'archive index' repairs the index
            log.exception("index update failed; run 'archive index' to repair")
            return False
        return True
