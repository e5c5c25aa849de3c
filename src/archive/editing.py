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

A document's translations name other documents by id, and each names it
back. Deleting a document therefore changes every document that names it
too, as one change: those files are written first, and if any of them, or
the removal itself, fails, the ones already written are put back and the
document stays. No document is left naming one that is gone.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .backends import open_backend
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
        self,
        home: Path,
        user: str,
        settings: Mapping | None = None,
        registry: Registry | None = None,
    ):
        """`settings`: an app's config over the environment's (the backend,
        `WRITE_TIMEOUT`); `registry`: a server's, loaded already (see `Corpus`)."""
        self.corpus = Corpus(Path(home), registry)
        self.backend = open_backend(Path(home), settings=settings)
        self.history = History(self.corpus)
        self.user = user

    # --- Reading ---------------------------------------------------------------

    def locate(self, doc_id: str) -> Path:
        """The corpus file of a document (public or restricted): where the
        index's file table has it, else among the files the index does not
        hold as they are (it may lag behind the corpus)."""
        relative = self.backend.file_of(doc_id)
        if relative is not None:
            path = self.corpus.root / relative
            document, _ = self.corpus.parse(path)
            if document is not None and document.id == doc_id:
                return path
        for path in self.backend.unindexed(self.corpus):
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
        (the backend's `update`), as a bulk import does."""
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
        with self.backend.write_lock():
            self.validate(document, new=True, original_pending=original is not None)
            path = self.corpus.path_for(document)
            if path.exists():
                raise ArchiveError(N_("id: {id!r} is already in the archive"), id=document.id)
            if original is not None:
                self.keep_original(*original)
            return self.corpus.write(document, path)

    def link_translations(self, document: Document, before: tuple[str, ...] = ()) -> None:
        """Make every translation a document names list it back, and every one
        it no longer names (it named those `before`) stop listing it: links go
        both ways, as `archive check` wants."""
        for other_id in document.translations:
            other = self.current(other_id)
            if document.id not in other.translations:
                self.update(
                    other_id,
                    replace(other, translations=(*other.translations, document.id)),
                    "edit",
                )
        for other_id in set(before) - set(document.translations):
            try:
                other = self.current(other_id)
            except NotFound:
                continue
            if document.id in other.translations:
                kept = tuple(t for t in other.translations if t != document.id)
                self.update(other_id, replace(other, translations=kept), "edit")

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
        before = self.corpus.read(path).translations
        self.history.keep(doc_id, path, action)
        document = self.corpus.write(changed, path)
        saved = self._after(document, action)
        self.link_translations(document, before)
        return saved

    def set_access(self, doc_id: str, access: str) -> Saved:
        document = self.current(doc_id)
        action = "restrict" if access == "restricted" else "unrestrict"
        return self.update(doc_id, replace(document, access=access), action)

    def delete(self, doc_id: str) -> None:
        """Remove a document from the corpus and the index; its text stays in the history.

        The documents that list it as a translation lose it in the same
        change (each one's previous version kept, the edit audited and
        indexed). Their files are written before the document's file is
        removed, under the writer lock; if a write or the removal fails, the
        files already written get their previous content back and the error
        is raised: the corpus is as it was."""
        path = self.locate(doc_id)
        relative = str(path.relative_to(self.corpus.root))
        deleted = self.corpus.read(path)
        with self.backend.write_lock():
            listing = self._listing(deleted)
            written: list[tuple[Path, bytes]] = []
            try:
                for other_path, before, changed in listing:
                    self.history.keep(changed.id, other_path, "edit")
                    written.append((other_path, before))
                    self.corpus.write(changed, other_path)
                self.history.keep(doc_id, path, "delete")
                path.unlink()
            except BaseException:
                self._put_back(written)
                raise
        for _, _, changed in listing:
            detail = f"translation {doc_id} deleted"
            self.history.record(self.user, "edit", changed.id, changed.path or "", detail)
        self.history.record(self.user, "delete", doc_id, relative)

        def update_index() -> None:
            self.backend.remove([relative])
            if listing:
                self.backend.add(self.corpus, [changed for _, _, changed in listing])

        self._index(update_index)

    def _listing(self, deleted: Document) -> list[tuple[Path, bytes, Document]]:
        """The documents that list `deleted` as a translation: each one's file,
        that file's current content, and the document without `deleted`
        (validated; ids of documents no longer in the archive are dropped too).

        Translations are listed both ways (`archive check` reports a link
        that is not), so the ones `deleted` lists are the ones to look at."""
        found = []
        for other_id in deleted.translations:
            try:
                other_path = self.locate(other_id)
            except NotFound:
                continue
            before = other_path.read_bytes()
            other, problems = self.corpus.parse(other_path, before)
            if other is None:
                raise ArchiveError("{problem}", problem=str(problems[0]))
            if deleted.id not in other.translations:
                continue
            kept = tuple(t for t in other.translations if t != deleted.id)
            changed = self._known_translations(replace(other, translations=kept))
            self.validate(changed, new=False)
            found.append((other_path, before, changed))
        return found

    def _put_back(self, written: list[tuple[Path, bytes]]) -> None:
        """Give files their previous content again, after a change failed halfway."""
        for path, before in reversed(written):
            try:
                write_atomic(path, before)
            except Exception:  # the original error is the one raised; this one is logged
                log.exception("could not put back %s; 'archive check' will report it", path)

    def _known_translations(self, document: Document) -> Document:
        """`document` without the translations that name no other document of the archive."""
        known = tuple(t for t in document.translations if t != document.id and self._taken(t))
        if known == document.translations:
            return document
        return replace(document, translations=known)

    def restore(self, doc_id: str, version: str) -> Saved:
        """Make a kept version the current one again (the replaced one is kept too).

        Translations the version names that have since been deleted are left
        out; those it names that are still here list it back."""
        data = self.history.read(doc_id, version)
        restored, problems = parse_document(data.decode("utf-8"), version)
        if restored is None:
            raise ArchiveError("{problem}", problem=str(problems[0]))
        restored = self._known_translations(restored)
        try:
            self.locate(doc_id)
        except NotFound:  # restoring a deleted document
            document = self._write_new(restored)
            saved = self._after(document, "restore")
            self.link_translations(document)
            return saved
        return self.update(doc_id, restored, "restore")

    def _after(self, document: Document, action: str, index: bool = True) -> Saved:
        self.history.record(self.user, action, document.id, document.path or "")
        if not index:
            return Saved(document, False)
        indexed = self._index(lambda: self.backend.add(self.corpus, [document]))
        return Saved(document, indexed)

    def _index(self, update) -> bool:
        try:
            update()
        except Exception:  # the corpus has the change; 'archive index' repairs the index
            log.exception("index update failed; run 'archive index' to repair")
            return False
        return True
