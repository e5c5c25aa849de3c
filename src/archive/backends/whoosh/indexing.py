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

import contextlib
import ctypes
import errno
import fcntl
import gc
import hashlib
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN
from whoosh.index import TOC
from whoosh.reading import MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from ... import analysis
from ...corpus import Corpus, write_atomic
from ...document import Document
from ...errors import IndexUnavailable, Problem
from ...filetable import STAT, FileTable, Row, signature, stat_now
from ...i18n import N_, gettext
from ...registry import fingerprint as registry_fingerprint
from . import arrays, engine
from .positions import FILES_FROM
from .schema import build_schema, document_to_fields
from .segments import BulkSegmentWriter

INDEX_DIR = "index"
#: Below this many documents a rebuild runs in one process (starting more costs more).
PARALLEL_THRESHOLD = 2000
PARTS = ("public", "restricted")
#: A rebuild worker sorts its postings and sets them aside on disk whenever
#: it holds this many (about 2,000 documents of 600 words: each word is a
#: posting of the stemmed, exact and analysed fields), which bounds its
#: memory; it writes one segment per part in the end. Measured at 10,000
#: documents on 2 processes: 4,000,000 took a fifth more memory than
#: 3,000,000 (669 against 559 MiB) for the same time.
RUN_POSTINGS = 3_000_000
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
#: In each part's folder: when each merged-away segment left the index.
_RETIRED = "retired.json"
#: Seconds a merged-away segment's files are kept for searchers still opening it.
RETIRED_GRACE = 60.0
_LOCK = ".write.lock"
#: In each part's folder: [size, hash] of every file its live table of contents uses.
_CHECKSUMS = "checksums.json"
#: Linux's prctl option that sends a signal to a process when its parent dies.
_PR_SET_PDEATHSIG = 1


@dataclass
class IndexReport:
    """What an index update did."""

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


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def part_of(document: Document) -> str:
    return "restricted" if document.restricted else "public"


#: Segments an update may merge: those of fewer documents than this. A
#: larger segment (a rebuild's) is never rewritten by an archivist's change;
#: its deleted documents stay marked until the next rebuild (searches leave
#: them out, and `engine.live_frequency` keeps their words out of prefixes
#: and suggestions).
MERGE_BELOW = 1000
#: Segments of one size class (1–9 documents, 10–99, 100–999) that an update
#: lets build up before merging the smallest of them into one.
MERGE_FACTOR = 10
#: The most documents one merge indexes again (about a second).
MERGE_DOCUMENTS = 200


def segments_to_merge(segments) -> list:
    """Which small segments an update merges: once a size class has
    `MERGE_FACTOR` segments, its smallest, at most `MERGE_DOCUMENTS`
    documents in all (so ten changes merge about ten documents, a hundred
    about a hundred); and a segment of fewer than ten documents that a
    document has just left (deleted, restricted), so that the document's
    words leave the disk with it. In a larger segment a deletion stays
    marked until the segment is merged or the index rebuilt."""
    classes: dict[int, list] = {}
    for segment in segments:
        count = segment.doc_count_all()
        if count < MERGE_BELOW:
            classes.setdefault(len(str(count)), []).append(segment)
    merged: list = []
    for size_class in sorted(classes):
        found = sorted(classes[size_class], key=lambda s: s.doc_count_all())
        if len(found) < MERGE_FACTOR:
            continue
        total = 0
        for segment in found:
            if total + segment.doc_count() > MERGE_DOCUMENTS:
                break
            merged.append(segment)
            total += segment.doc_count()
        if len(merged) >= 2:
            break
        merged = []
    return merged + [s for s in classes.get(1, []) if s.has_deletions() and s not in merged]


def _without_empty(writer, segments):
    """Whoosh merge policy of an update's commit: no merging (`Index._merge`
    merges, faster), but a segment whose documents are all deleted goes."""
    return [segment for segment in segments if segment.doc_count()]


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
        return (folder.name, *(_latest_generation(folder / part) for part in parts))

    # --- Locking -------------------------------------------------------------

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the archive's writer lock, waiting up to `write_timeout` seconds."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / _LOCK, "a+")  # noqa: SIM115 - held for the block
        try:
            deadline = time.monotonic() + self.write_timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise IndexUnavailable(
                            N_(
                                "the index is being written by another process; waited "
                                "{seconds} s for {path}, try again later"
                            ),
                            seconds=f"{self.write_timeout:g}",
                            path=str(self.root / _LOCK),
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            handle.close()  # closing releases the lock

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
            if row is None or not row[STAT] or not _unchanged(path, row[STAT]):
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
            _pin_columns(searcher)
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
        return [damaged for part in PARTS for damaged in _verify_part(folder / part)]

    def damage(self) -> IndexUnavailable | None:
        """The error to report when reading the index failed: what to run if
        a file is damaged, None if every file is whole (the failure has
        another cause). The files are read once for each state of the folder
        (names, sizes and times), not at every failure."""
        try:
            folder = self.generation()
            if folder is None:
                return None
            state = (folder, *(_folder_state(folder / part) for part in PARTS))
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
            elif _temporary(child.name):
                found.append(child)
        if live is not None:
            for folder in (live, *(live / part for part in PARTS)):
                found.extend(child for child in folder.iterdir() if _temporary(child.name))
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
            if previous is not None and previous[STAT] and _unchanged(name, previous[STAT]):
                doc_id = previous[1]
                if doc_id in seen_ids:  # an earlier file took its id since
                    report.problems.append(_duplicate(corpus, name, seen_ids[doc_id]))
                    to_delete.append(relpath)
                    report.deleted.append(doc_id)
                else:
                    seen_ids[doc_id] = name
                    report.unchanged += 1
                continue
            if previous is not None:
                previous = Row._make(previous)
            path = Path(name)
            _, document, digest, problems, stat = next(_scan(corpus, [path]))
            report.problems.extend(problems)
            if document is not None and document.id in seen_ids:
                report.problems.append(_duplicate(corpus, name, seen_ids[document.id]))
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
            added = [_row(d, digest, stats) for d, digest in to_add]
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
                results = [_build_segments(*jobs[0])]
            else:
                context = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(
                    workers,
                    mp_context=context,
                    initializer=die_with_parent,
                    initargs=(os.getpid(),),
                ) as pool:
                    results = list(pool.map(_build_segments, *zip(*jobs, strict=True)))
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
                writer = _Writer(ix, timeout=self.write_timeout, compound=False)
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
            for name, (size, _) in _read_checksums(folder / part).items():
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
                writers[part] = _Writer(ix, timeout=self.write_timeout, compound=False)
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
            writer.commit(mergetype=_without_empty)
            self._merge(folder, part, corpus, writer.retire_grace)
        table = FileTable(folder)
        if table.exists():
            table.write([_row(d, digest, stats or {}) for d, digest in items], remove=delete)

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
                    _, document, digest, _, _ = next(_scan(corpus, [path]))
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
            for name in _segment_files(folder / part, [segment]):
                checksums[name] = file_checksum(folder / part / name)
            merged.append(segment)
        toc = _Writer(ix, timeout=self.write_timeout, compound=False)
        toc.checksums = checksums
        toc.retire_grace = grace
        toc._close_segment()
        toc._commit_toc([s for s in segments if s not in chosen] + merged)
        toc._finish()


def _pin_columns(searcher: Searcher) -> None:
    """Open every column file of the searcher's segments now.

    Whoosh opens a segment's column files (stored fields, field lengths,
    sortable values) on first use, and a commit deletes the files of the
    segments it merged away: a searcher still in use would find them gone
    (measured: 2 failed searches in 2,600 while 100 documents were added).
    Open files stay readable after they are deleted, so they are opened at
    once; a file already gone raises FileNotFoundError, and opening is retried.
    """
    schema = searcher.schema
    for leaf, _ in searcher.reader().leaf_readers():
        perdoc = getattr(leaf, "_perdoc", None)
        if perdoc is None or not leaf.doc_count_all():
            continue
        # Stored fields and lengths are cached column readers; a missing
        # stored column raises FileNotFoundError here.
        perdoc._readers["_stored"] = perdoc.column_reader("_stored", STORED_COLUMN)
        for name, kind in schema.items():
            if kind.scorable and perdoc.has_column(f"_{name}_len"):
                perdoc._cached_reader(f"_{name}_len", LENGTHS_COLUMN)
            if kind.column_type and name not in perdoc._colfiles and perdoc.has_column(name):
                perdoc._colfiles[name] = perdoc._get_column_file(name)


class _CachedLengths:
    """Field lengths of a new segment, read once per field instead of once per posting.

    Whoosh asks for a document's field length for every posting it writes;
    reading each from the lengths column dominated the cost of a commit.
    """

    def __init__(self, reader, doc_count: int):
        self._reader = reader
        self._doc_count = doc_count
        self._lengths: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            length = self._reader.doc_field_length
            lengths = [length(n, fieldname, default) for n in range(self._doc_count)]
            self._lengths[fieldname] = lengths
        return lengths[docnum]

    def __getattr__(self, name):
        return getattr(self._reader, name)


class _Writer(SegmentWriter):
    """Whoosh's segment writer with field lengths cached while postings are
    written, the files of merged-away segments kept for a grace period, and
    the checksums of every file recorded at each commit."""

    def per_document_reader(self):
        return _CachedLengths(super().per_document_reader(), self.docnum)

    retire_grace = RETIRED_GRACE
    #: Checksums already taken, by file name (a rebuild's workers take theirs).
    checksums: dict[str, list] = {}

    def _commit_toc(self, segments):
        # A new segment's search arrays are saved before the table of contents
        # makes it visible: no searcher computes them meanwhile, and the copy
        # whose checksum is recorded stays the one on disk.
        for segment in segments:
            with SegmentReader(self.storage, self.schema, segment) as reader:
                arrays.save_arrays(reader)
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        folder = Path(self.storage.folder)
        names = [TOC._filename(self.indexname, self.generation), *_segment_files(folder, segments)]
        _record_checksums(folder, names, self.checksums)
        _clean_retired(self.storage, self.indexname, self.generation, segments, self.retire_grace)


def _clean_retired(storage, indexname: str, generation: int, segments, grace: float, now=None):
    """Delete the files of segments no longer in the index once they have been
    out of it for `grace` seconds.

    Whoosh deletes them at once, at every commit; a searcher opened just
    before (in another thread or process) then fails to open their files.
    `retired.json` in the part's folder remembers when each segment left.
    """
    now = time.time() if now is None else now
    path = Path(storage.folder) / _RETIRED
    try:
        retired = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        retired = {}
    current = {segment.segment_id() for segment in segments}
    toc_pattern, segment_pattern = TOC._pattern(indexname), TOC._segment_pattern(indexname)
    files: dict[str, list[str]] = {}
    for filename in storage:
        toc = toc_pattern.match(filename)
        if toc and int(toc.group(1)) < generation - 1:  # the previous one may be being read
            with contextlib.suppress(OSError):
                storage.delete_file(filename)
            continue
        segment = segment_pattern.match(filename)
        if segment and segment.group(1) not in current:
            files.setdefault(segment.group(1), []).append(filename)
    kept = {}
    for name, filenames in files.items():
        since = retired.get(name, now)
        if now - since < grace:
            kept[name] = since
            continue
        for filename in filenames:
            with contextlib.suppress(OSError):
                storage.delete_file(filename)
    if kept != retired:
        write_atomic(path, json.dumps(kept).encode("utf-8"))


@analysis.indexing_caches()
def _build_segments(folder: Path, home: Path, paths: list[Path]):
    """Index `paths` into new segments of each part (run in a worker process).

    Returns ({part: [segments]}, [(path, id, relative path, display path,
    file table row)], problems, {file name: checksum}); the parent adds the segments to the
    index in one commit. Each segment's search arrays are saved here, and its
    files hashed, in parallel with the other workers.
    """
    corpus = Corpus(home)
    segments: dict[str, list] = {part: [] for part in PARTS}
    writers: dict[str, BulkSegmentWriter] = {}
    entries, problems, seen, checksums = [], [], set(), {}

    def close(part: str) -> None:
        writer = writers.pop(part)
        segment = writer._finalize_segment()
        with SegmentReader(writer.storage, writer.schema, segment) as reader:
            arrays.save_arrays(reader)
        segments[part].append(segment)
        where = folder / part
        for name in _segment_files(where, [segment]):
            checksums[name] = file_checksum(where / name)

    try:
        for path, document, digest, found, stat in _scan(corpus, paths):
            problems.extend(found)
            if document is None:
                continue
            row = _row(document, digest, {document.path: stat})
            entries.append((str(path), document.id, document.path, corpus.display(path), row))
            if document.id in seen:  # reported by the parent; the first file wins
                continue
            seen.add(document.id)
            fields = document_to_fields(document, digest, corpus.registry.names)
            part = part_of(document)
            if part not in writers:
                ix = whoosh_index.open_dir(str(folder / part))
                writers[part] = BulkSegmentWriter(
                    ix, run_postings=RUN_POSTINGS, _lk=False, compound=False
                )
            writers[part].add_document(**fields)
        for part in list(writers):
            close(part)
    except BaseException:
        for writer in writers.values():
            writer.cancel()
        raise
    return segments, entries, problems, checksums


def _latest_generation(folder: Path) -> int:
    """The number of the newest table of contents (``_MAIN_<n>.toc``) in a Whoosh folder."""
    latest = -1
    for name in os.listdir(folder):
        if name.startswith("_MAIN_") and name.endswith(".toc"):
            with contextlib.suppress(ValueError):
                latest = max(latest, int(name[6:-4]))
    return latest


#: Results of `Index.damage`, by the state of the folders verified.
_VERIFIED: dict[tuple, list[DamagedFile]] = {}
_VERIFIED_LOCK = threading.Lock()


def file_checksum(path: Path) -> list:
    """[size, SHA-256 hash] of a file (SHA-256 is computed by the processor
    here: 1.1 GB/s, where BLAKE2b does 0.65)."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return [os.fstat(handle.fileno()).st_size, digest.hexdigest()]


def _segment_files(folder: Path, segments) -> list[str]:
    """The names of the files of `segments` in a part's folder: Whoosh's and
    the archive's own, all named ``<segment id>.<what>``."""
    prefixes = tuple(f"{segment.segment_id()}." for segment in segments)
    return sorted(name for name in os.listdir(folder) if name.startswith(prefixes))


def _read_checksums(folder: Path) -> dict[str, tuple[int, str]]:
    """A part's recorded checksums, by file name (none if unreadable)."""
    try:
        files = json.loads((folder / _CHECKSUMS).read_bytes())["files"]
        return {str(name): (int(size), str(digest)) for name, (size, digest) in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _record_checksums(folder: Path, names: list[str], known: dict[str, list]) -> None:
    """Record the checksums of the files a part's new table of contents uses
    (`names`, the table first) in the part's manifest, replaced atomically.

    A file already recorded keeps its checksum (a segment's files never
    change once written, and a file damaged since must stay found); the
    others were just written, by this commit, and are hashed now unless
    `known` has them.
    """
    recorded = {**known, **_read_checksums(folder)}
    files = {name: list(recorded.get(name) or file_checksum(folder / name)) for name in names}
    write_atomic(folder / _CHECKSUMS, json.dumps({"files": files}, indent=0).encode("ascii"))


def _verify_part(folder: Path) -> list[DamagedFile]:
    """The files of a part that differ from their recorded checksums."""
    files = _read_checksums(folder)
    found = []
    latest = _latest_generation(folder)
    toc = TOC._filename("MAIN", latest)
    if latest >= 0 and toc not in files:  # no manifest, a damaged one, or an older one
        message = N_("damaged index file: {path} (no checksum was recorded for it)")
        found.append(DamagedFile(folder / toc, message))
    for name, (size, digest) in sorted(files.items()):
        path = folder / name
        try:
            actual_size, actual_digest = file_checksum(path)
        except FileNotFoundError:
            found.append(DamagedFile(path, N_("damaged index file: {path} (missing)")))
            continue
        if actual_size != size:
            message = N_("damaged index file: {path} ({size} bytes, {expected} when written)")
            found.append(DamagedFile(path, message, {"size": actual_size, "expected": size}))
        elif actual_digest != digest:
            message = N_("damaged index file: {path} (its contents changed since it was written)")
            found.append(DamagedFile(path, message))
    return found


def _folder_state(folder: Path) -> tuple:
    """Names, sizes and modification times of a folder's files."""
    with os.scandir(folder) as entries:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries))


def _temporary(name: str) -> bool:
    """Whether an index file's name is that of a temporary file or folder:
    hidden (the archive's own) or ``*.tmp`` (Whoosh's and the archive's)."""
    return name.startswith(".") or name.endswith(".tmp")


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux's
    PR_SET_PDEATHSIG; elsewhere nothing changes).

    A rebuild worker or a server process whose parent was killed would
    otherwise live on: blocked for good writing its results to a pipe
    nobody reads, or holding the server's port. `parent` is the pid the
    process was started by: if it died before this call, the process ends.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _unchanged(path: str | Path, stat: str) -> bool:
    """Whether a corpus file is surely still the one a table row's stat
    (`Row.stat`, not empty) describes: one stat of the file."""
    try:
        return stat == signature(os.stat(path))
    except OSError:
        return False


def _row(document: Document, digest: str, stats: dict[str, str]) -> Row:
    path = document.path or ""
    return Row(path, document.id, digest, part_of(document), stats.get(path, ""))


def _duplicate(corpus: Corpus, path: str, first: str) -> Problem:
    """A file whose id the file at `first` has already."""
    return Problem(corpus.display(path), "id", f"duplicate id, also in {corpus.display(first)}")


def _scan(corpus: Corpus, paths: Iterable[Path] | None = None):
    """(path, document or None, content hash, problems, stat) for every
    corpus file; the file's stat is taken just before it is read
    (`filetable.stat_now`)."""
    for path in corpus.paths() if paths is None else paths:
        try:
            stat = stat_now(path)
            data = path.read_bytes()
        except OSError as exc:
            yield (
                path,
                None,
                "",
                [Problem(corpus.display(path), "file", exc.strerror or "unreadable")],
                "",
            )
            continue
        document, problems = corpus.parse(path, data)
        yield path, document, hash_bytes(data), problems, stat
