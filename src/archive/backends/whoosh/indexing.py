"""The index: derived from the corpus, rebuilt from it at any time.

Layout of ``index/``::

    CURRENT            name of the live generation folder, replaced atomically
    .write.lock        taken (flock) by every writer; the kernel frees it when
                       the holder dies, so a killed writer leaves no stale lock
    g<time>-<rand>/
        public/        Whoosh index of public documents: what anonymous
                       searches open, so restricted words never reach its
                       lexicon, spelling dictionary or statistics
        restricted/    Whoosh index of restricted documents, searched together
                       with public/ for archivists

Beside each Whoosh segment (``MAIN_<id>.*``) the indexer keeps files that
only repeat what the segment holds, for speed, and go with it:
``.arrays.npz`` (dates and facet values, see `engine`), ``.positions`` (the
phrase field's postings) and ``.<field>.weights`` (the other scored fields'
documents and weights, see `positions`).

Each part's ``checksums.json`` gives the size and SHA-256 hash of every file
its live table of contents uses, taken when the file was written (a segment's
files never change afterwards); `verify` reads them all again, for `archive
doctor`. A file cut short or extended shows in its size alone, which every
update checks.

`update` follows the corpus incrementally (content hashes tell new, changed
and deleted files); `rebuild` builds a new generation and switches CURRENT
only once it is complete.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import secrets
import shutil
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.reading import MultiReader, SegmentReader
from whoosh.searching import Searcher

from ...corpus import Corpus, write_atomic
from ...document import Document
from ...errors import IndexUnavailable, Problem
from ...filetable import STAT, FileTable, Row, stat_now
from ...i18n import N_
from ...locks import writer_lock
from ...registry import fingerprint as registry_fingerprint
from .. import DamagedFile, IndexReport
from ..analysed import hash_bytes, part_of, scan_corpus
from . import arrays, building, engine
from .building import PARTS
from .checksums import (
    file_checksum,
    folder_state,
    latest_generation,
    read_checksums,
    segment_files,
    temporary,
    verify_part,
)
from .merging import RETIRED_GRACE, segments_to_merge, without_empty
from .positions import FILES_FROM
from .schema import build_schema, document_to_fields
from .segments import BulkSegmentWriter
from .writer import Writer, pin_columns

INDEX_DIR = "index"
#: Below this many documents a rebuild runs in one process (starting more costs more).
PARALLEL_THRESHOLD = 2000
_CURRENT = "CURRENT"
#: In a generation folder: the fingerprint of the registry whose names it found in the text.
_REGISTRY = "registry.sha256"
#: In a generation folder: the version of the way it was written.
_FORMAT = "format"
#: Changes when the index is written differently (2: positions as varints;
#: 3: positions files of every phrase word; 4: weights files, and positions
#: files of 32-bit positions; 5: Arabic clitics judged by word frequency,
#: French accents folded before stemming; 7: checksums of every file); an index
#: written in another format is rebuilt from the corpus.
INDEX_FORMAT = "7"
_LOCK = ".write.lock"


class Index:
    """The ``index/`` folder of an archive home."""

    def __init__(self, home: Path, write_timeout: float = 10.0, processes: int | None = None):
        self.root = Path(home) / INDEX_DIR
        self.write_timeout = write_timeout
        self.processes = processes  # for rebuilds; None: one per core on large corpora

    # --- Generations ---------------------------------------------------------

    def generation(self) -> Path | None:
        """The live generation folder, or None if the index was never built."""
        try:
            name = (self.root / _CURRENT).read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        folder = self.root / name
        if not name or "/" in name or not all((folder / p).is_dir() for p in PARTS):
            return None
        return folder

    def exists(self) -> bool:
        return self.generation() is not None

    def _require(self) -> Path:
        folder = self.generation()
        if folder is None:
            raise IndexUnavailable(
                N_("no index in {path}: run 'archive index' to build it from the corpus"),
                path=str(self.root),
            )
        return folder

    def open(self, part: str):
        """The Whoosh index of one part of the live generation."""
        folder = self._require() / part
        try:
            try:
                return whoosh_index.open_dir(str(folder))
            except FileNotFoundError:  # a commit replaced the table of contents meanwhile
                return whoosh_index.open_dir(str(folder))
        except (whoosh_index.EmptyIndexError, OSError, EOFError, ValueError) as exc:
            raise IndexUnavailable(
                N_(
                    "the index in {path} cannot be opened ({reason}): "
                    "run 'archive index --rebuild' to rebuild it from the corpus"
                ),
                path=str(folder),
                reason=str(exc),
            ) from None

    def state(self, include_restricted: bool = False) -> tuple:
        """Changes whenever a commit or a rebuild changes what a searcher would see."""
        folder = self._require()
        parts = PARTS if include_restricted else ("public",)
        return (folder.name, *(latest_generation(folder / part) for part in parts))

    # --- Locking -------------------------------------------------------------

    def write_lock(self):
        """Hold the archive's writer lock, waiting up to `write_timeout` seconds."""
        return writer_lock(self.root / _LOCK, self.write_timeout)

    # --- Reading -------------------------------------------------------------

    def indexed(self) -> dict[str, tuple[str, str, str]]:
        """path -> (id, content hash, part) of every indexed document."""
        found = {}
        for part in PARTS:
            damage = None
            # Whoosh leaves a damaged file open when reading it fails; it is
            # closed here, by the collector, without a warning about it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                try:
                    with self.open(part).reader() as reader:
                        for stored in reader.all_stored_fields():
                            meta = stored["meta"]
                            found[meta["path"]] = (meta["id"], stored["hash"], part)
                except IndexUnavailable:
                    raise
                except Exception as exc:  # a damaged table of contents or segment
                    damage = f"{type(exc).__name__}: {exc}"
                if damage:
                    gc.collect()
            if damage:
                raise self._damaged(part, damage)
        return found

    def file_of(self, doc_id: str) -> str | None:
        """The corpus path (relative to corpus/) the index holds a document
        id at, public or restricted; None if it holds none or has no file table."""
        folder = self.generation()
        row = FileTable(folder).find(doc_id) if folder is not None else None
        return row.path if row is not None else None

    def unindexed(self, corpus: Corpus) -> Iterator[Path]:
        """The corpus files the index does not hold as they are now: new ones,
        and ones changed since they were indexed (one stat a file; every file
        when the index has no file table)."""
        folder = self.generation()
        known = (FileTable(folder).rows() if folder is not None else None) or {}
        for path, relpath in corpus.files():
            row = known.get(relpath)
            if row is None or not row[STAT] or not building.unchanged(path, row[STAT]):
                yield Path(path)

    def _damaged(self, part: str, reason: str) -> IndexUnavailable:
        return IndexUnavailable(
            N_(
                "the index in {path} cannot be opened ({reason}): "
                "run 'archive index --rebuild' to rebuild it from the corpus"
            ),
            path=str(self._require() / part),
            reason=reason[:200],
        )

    def open_searcher(self, include_restricted: bool = False) -> Searcher:
        """A searcher over the public part, or over both parts for archivists.

        A reader opening while a commit replaces the table of contents can
        see it vanish; opening is tried once more before giving up.
        """
        damage = None
        for attempt in (1, 2):
            try:
                return self._open_searcher(include_restricted)
            except FileNotFoundError:
                if attempt == 2:
                    raise IndexUnavailable(
                        N_("the index changed while it was being opened; try again")
                    ) from None
            except IndexUnavailable as exc:
                raise self.damage() or exc from None
            except Exception as exc:  # a damaged table of contents or segment
                damage = f"{type(exc).__name__}: {exc}"
            if damage:  # raised outside the handler: Whoosh's half-read files are freed
                raise self.damage() or self._damaged("public", damage)
        raise AssertionError("unreachable")

    def _open_searcher(self, include_restricted: bool) -> Searcher:
        public = self.open("public")
        if not include_restricted:
            searcher = engine.LiveSearcher(public.reader(), fromindex=public)
        else:
            leaves = []
            for part in PARTS:
                reader = (public if part == "public" else self.open(part)).reader()
                leaves.extend(leaf for leaf, _ in reader.leaf_readers())
            searcher = engine.LiveSearcher(MultiReader(leaves))
        try:
            pin_columns(searcher)
        except BaseException:
            searcher.close()
            raise
        return searcher

    # --- Damage and leftovers -------------------------------------------------

    def verify(self) -> list[DamagedFile]:
        """Every file of the live generation that is not as it was written:
        read in full and compared with its recorded size and hash (for
        `archive doctor`, under the write lock; never on a search)."""
        folder = self.generation()
        if folder is None:
            return []
        return [damaged for part in PARTS for damaged in verify_part(folder / part)]

    def damage(self) -> IndexUnavailable | None:
        """The error to report when reading the index failed: what to run if
        a file is damaged, None if every file is whole (the failure has
        another cause). The files are read once for each state of the folder
        (names, sizes and times), not at every failure."""
        try:
            folder = self.generation()
            if folder is None:
                return None
            state = (folder, *(folder_state(folder / part) for part in PARTS))
            with _VERIFIED_LOCK:
                damaged = _VERIFIED.get(state)
                if damaged is None:
                    damaged = _VERIFIED[state] = self.verify()
                    while len(_VERIFIED) > 8:
                        del _VERIFIED[next(iter(_VERIFIED))]
        except Exception:  # called while handling another failure: never a new one
            return None
        if not damaged:
            return None
        return IndexUnavailable(
            N_("the index in {path} is damaged ({file}): run 'archive doctor --repair'"),
            path=str(self.root),
            file=os.path.relpath(damaged[0].path, self.root),
        )

    def leftovers(self) -> list[Path]:
        """What interrupted writers left in the index: generation folders a
        rebuild never finished (it writes their format last), and temporary
        files and folders (hidden, or named ``*.tmp``) of the live generation.
        Only true under the write lock, when no writer is at work."""
        if not self.root.is_dir():
            return []
        live = self.generation()
        found = []
        for child in self.root.iterdir():
            if child.name in (_LOCK, _CURRENT) or child == live:
                continue
            if child.is_dir() and child.name.startswith("g"):
                if not (child / _FORMAT).exists():
                    found.append(child)
            elif temporary(child.name):
                found.append(child)
        if live is not None:
            for folder in (live, *(live / part for part in PARTS)):
                found.extend(child for child in folder.iterdir() if temporary(child.name))
        return sorted(found)

    # --- Writing -------------------------------------------------------------

    def update(self, corpus: Corpus, thorough: bool = False) -> IndexReport:
        """Bring the index up to date with the corpus (builds it if missing).

        Files whose stat has not changed since they were indexed are not read
        (see `filetable`); `thorough` reads every file and compares it with
        what the index itself stores, and writes the file table anew."""
        with self.write_lock():
            if not self.exists() or self._outdated(corpus):
                return self._rebuild(corpus)
            return self._update(corpus, self._require(), thorough=thorough)

    def rebuild(self, corpus: Corpus) -> IndexReport:
        """Build a fresh generation from the corpus alone and switch to it."""
        with self.write_lock():
            return self._rebuild(corpus)

    def add(self, corpus: Corpus, documents: Iterable[Document]) -> None:
        """Index documents just written to the corpus (replacing older versions)."""
        with self.write_lock():
            if not self.exists() or self._outdated(corpus):
                self._rebuild(corpus)
                return
            items, stats = [], {}
            for document in documents:
                path = corpus.root / document.path
                stats[document.path] = stat_now(path)
                items.append((document, hash_bytes(path.read_bytes())))
            self._write(self._require(), items, [d.path for d, _ in items], corpus, stats)

    def remove(self, paths: Iterable[str]) -> None:
        """Drop the documents at these corpus paths (relative to corpus/) from the index."""
        with self.write_lock():
            if self.exists():
                self._write(self._require(), [], list(paths))

    def compare(self, corpus: Corpus) -> IndexReport:
        """What `update` would do, without doing it: the differences between
        the corpus and the index (added = missing from the index, changed =
        stale, deleted = in the index but no longer in the corpus)."""
        report = self._update(corpus, self._require(), write=False, thorough=True)
        report.registry_changed = self._registry_changed(corpus)
        report.format_changed = self._format_changed()
        return report

    def _update(
        self, corpus: Corpus, folder: Path, write: bool = True, thorough: bool = False
    ) -> IndexReport:
        report = IndexReport()
        table = FileTable(folder)
        known = None if thorough else table.rows()
        # Without a table (an index written before them), or to be thorough,
        # what the index stores says what it holds, and every file is read.
        filling = known is None
        if filling:
            known = {p: (p, *found, "") for p, found in self.indexed().items()}
        to_add: list[tuple[Document, str]] = []
        to_delete: list[str] = []
        stats: dict[str, str] = {}
        settled: list[Row] = []  # unchanged files read again: their stat is trusted from now
        seen_ids: dict[str, str] = {}  # id -> the first file with it
        for name, relpath in corpus.files():
            previous = known.pop(relpath, None)
            if previous is not None and previous[STAT] and building.unchanged(name, previous[STAT]):
                doc_id = previous[1]
                if doc_id in seen_ids:  # an earlier file took its id since
                    report.problems.append(
                        building.duplicate_problem(corpus, name, seen_ids[doc_id])
                    )
                    to_delete.append(relpath)
                    report.deleted.append(doc_id)
                else:
                    seen_ids[doc_id] = name
                    report.unchanged += 1
                continue
            if previous is not None:
                previous = Row._make(previous)
            path = Path(name)
            _, document, digest, problems, stat = next(scan_corpus(corpus, [path]))
            report.problems.extend(problems)
            if document is not None and document.id in seen_ids:
                report.problems.append(
                    building.duplicate_problem(corpus, name, seen_ids[document.id])
                )
                document = None
            if document is not None:
                seen_ids[document.id] = name
            if previous and previous.hash == digest and document is not None:
                report.unchanged += 1
                if stat or filling:  # a file just changed is read again next time
                    settled.append(previous._replace(stat=stat))
                continue
            if previous:
                to_delete.append(relpath)
            if document is None:
                if previous:
                    report.deleted.append(previous.id)
                continue
            to_add.append((document, digest))
            stats[relpath] = stat
            (report.changed if previous else report.added).append(document.id)
        for relpath, row in known.items():
            to_delete.append(relpath)
            report.deleted.append(row[1])
        if not write:
            return report
        if to_add or to_delete:
            # A path added is deleted first, whatever the table said of it.
            delete = list(dict.fromkeys([*to_delete, *(d.path for d, _ in to_add)]))
            self._write(folder, to_add, delete, corpus, stats)
        if filling:  # the whole table at once: a partial one would hide deletions
            added = [building.file_row(d, digest, stats) for d, digest in to_add]
            table.write([*settled, *added], replace_all=True)
        elif settled:
            table.write(settled)
        return report

    def _rebuild(self, corpus: Corpus) -> IndexReport:
        report = IndexReport()
        name = f"g{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        folder = self.root / name
        schema = build_schema()
        try:
            for part in PARTS:
                (folder / part).mkdir(parents=True)
                whoosh_index.create_in(str(folder / part), schema)
            paths = list(corpus.paths())
            workers = self.workers(len(paths))
            chunks = [paths[i::workers] for i in range(workers)]
            jobs = [(folder, corpus.home, chunk) for chunk in chunks]
            if workers == 1:
                results = [building.build_segments(*jobs[0])]
            else:
                context = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(
                    workers,
                    mp_context=context,
                    initializer=building.die_with_parent,
                    initargs=(os.getpid(),),
                ) as pool:
                    results = list(pool.map(building.build_segments, *zip(*jobs, strict=True)))
            # The first file (in corpus order) of an id wins, as in an update.
            entries = sorted(e for _, found, _, _ in results for e in found)
            seen: dict[str, str] = {}
            duplicates, rows = [], []
            for _, doc_id, relpath, where, row in entries:
                if doc_id in seen:
                    duplicates.append(relpath)
                    report.problems.append(
                        Problem(where, "id", f"duplicate id, also in {seen[doc_id]}")
                    )
                    continue
                seen[doc_id] = where
                report.added.append(doc_id)
                rows.append(row)
            for _, _, problems, _ in results:
                report.problems.extend(problems)
            # The workers hashed their segments' files as they wrote them.
            known = {name: c for _, _, _, found in results for name, c in found.items()}
            for part in PARTS:
                ix = whoosh_index.open_dir(str(folder / part))
                writer = Writer(ix, timeout=self.write_timeout, compound=False)
                writer.checksums = known
                writer._close_segment()
                writer._commit_toc([s for found, _, _, _ in results for s in found[part]])
                writer._finish()
            if duplicates:
                self._write(folder, [], duplicates)
            FileTable(folder).write(rows, replace_all=True)
            write_atomic(folder / _REGISTRY, f"{corpus.registry.fingerprint}\n".encode("ascii"))
            write_atomic(folder / _FORMAT, f"{INDEX_FORMAT}\n".encode("ascii"))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        previous = self.generation()
        write_atomic(self.root / _CURRENT, f"{name}\n".encode("ascii"))
        self._remove_old_generations(keep={name, previous.name if previous else name})
        return report

    def workers(self, documents: int) -> int:
        """Processes for a rebuild: one per core, when there is enough work to share."""
        if self.processes:
            return max(1, self.processes)
        return 1 if documents < PARALLEL_THRESHOLD else max(1, os.cpu_count() or 1)

    def _remove_old_generations(self, keep: set[str]) -> None:
        # The generation just replaced is kept: searchers opened on it may
        # still read its files. Anything older goes.
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def _outdated(self, corpus: Corpus) -> bool:
        return self._format_changed() or self._registry_changed(corpus) or self._resized()

    def _resized(self) -> bool:
        """Whether a file of the live generation is missing or has another size
        than when it was written (one stat per file: cheap enough for every update)."""
        folder = self._require()
        for part in PARTS:
            for name, (size, _) in read_checksums(folder / part).items():
                try:
                    if (folder / part / name).stat().st_size != size:
                        return True
                except FileNotFoundError:
                    return True
        return False

    def _registry_changed(self, corpus: Corpus) -> bool:
        """Whether the registry changed since the index found names in the text
        (the mentions of every document are then out of date)."""
        return self._recorded(_REGISTRY) != registry_fingerprint(corpus.root)

    def _format_changed(self) -> bool:
        return self._recorded(_FORMAT) != INDEX_FORMAT

    def _recorded(self, name: str) -> str:
        try:
            return (self._require() / name).read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return ""

    def _write(
        self,
        folder: Path,
        items: list[tuple[Document, str]],
        delete: list[str],
        corpus: Corpus | None = None,
        stats: dict[str, str] | None = None,
    ) -> None:
        """Delete the documents at the `delete` paths and add `items` (document,
        content hash) in one commit per part; then the file table follows
        (`stats`: each added file's stat, taken before it was read)."""
        names = corpus.registry.names if items else None
        writers = {}
        try:
            for part in PARTS:
                ix = whoosh_index.open_dir(str(folder / part))
                writers[part] = Writer(ix, timeout=self.write_timeout, compound=False)
            for path in delete:
                for writer in writers.values():
                    writer.delete_by_term("path", path)
            for document, digest in items:
                fields = document_to_fields(document, digest, names)
                writers[part_of(document)].add_document(**fields)
        except BaseException:
            for writer in writers.values():
                writer.cancel()
            raise
        # The files of a segment that a document left (deleted, or restricted)
        # go at once when it is merged away, not after the grace period.
        for part, writer in writers.items():
            kept = {d.path for d, _ in items if part == "restricted" or part_of(d) == part}
            writer.retire_grace = 0.0 if set(delete) - kept else RETIRED_GRACE
            writer.commit(mergetype=without_empty)
            self._merge(folder, part, corpus, writer.retire_grace)
        table = FileTable(folder)
        if table.exists():
            table.write(
                [building.file_row(d, digest, stats or {}) for d, digest in items], remove=delete
            )

    def _merge(self, folder: Path, part: str, corpus: Corpus | None, grace: float) -> None:
        """Merge a part's small segments (`segments_to_merge`) into one, written
        by the bulk writer from the documents' corpus files: Whoosh's own merge
        copies a segment's postings a word at a time in pure Python (about
        15 documents a second here), the bulk writer indexes 200 a second.

        A file that is no longer what the index holds (its hash differs, or
        it is gone) leaves the segments as they are: the next update indexes
        the file, and a later change merges them."""
        ix = whoosh_index.open_dir(str(folder / part))
        segments = ix._segments()
        chosen = segments_to_merge(segments)
        if not chosen:
            return
        corpus = corpus or Corpus(self.root.parent)
        documents = []
        for segment in chosen:
            with SegmentReader(ix.storage, ix.schema, segment) as reader:
                for number in range(segment.doc_count_all()):
                    if reader.is_deleted(number):
                        continue
                    stored = reader.stored_fields(number)
                    path = corpus.root / stored["meta"]["path"]
                    _, document, digest, _, _ = next(scan_corpus(corpus, [path]))
                    if document is None or digest != stored["hash"]:
                        return
                    documents.append((document, digest))
        checksums: dict[str, list] = {}
        merged = []
        if documents:
            names = corpus.registry.names
            files = len(documents) >= FILES_FROM
            writer = BulkSegmentWriter(ix, postings_files=files, _lk=False, compound=False)
            try:
                for document, digest in documents:
                    writer.add_document(**document_to_fields(document, digest, names))
                segment = writer._finalize_segment()
            except BaseException:
                writer.cancel()
                raise
            with SegmentReader(ix.storage, ix.schema, segment) as reader:
                arrays.save_arrays(reader)
            for name in segment_files(folder / part, [segment]):
                checksums[name] = file_checksum(folder / part / name)
            merged.append(segment)
        toc = Writer(ix, timeout=self.write_timeout, compound=False)
        toc.checksums = checksums
        toc.retire_grace = grace
        toc._close_segment()
        toc._commit_toc([s for s in segments if s not in chosen] + merged)
        toc._finish()


#: Results of `Index.damage`, by the state of the folders verified.
_VERIFIED: dict[tuple, list[DamagedFile]] = {}
_VERIFIED_LOCK = threading.Lock()
