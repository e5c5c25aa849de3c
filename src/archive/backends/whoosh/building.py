"""Reading corpus files for the index, in worker processes: each file's
document, digest and problems, and new segments of each part built from them."""

from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

from ... import analysis
from ...corpus import Corpus
from ...document import Document
from ...errors import Problem
from ...filetable import Row, signature
from ..analysed import part_of, scan_corpus
from . import arrays
from .checksums import file_checksum, segment_files
from .schema import document_to_fields
from .segments import BulkSegmentWriter

PARTS = ("public", "restricted")
#: A rebuild worker sorts its postings and sets them aside on disk whenever
#: it holds this many (about 2,000 documents of 600 words: each word is a
#: posting of the stemmed, exact and analysed fields), which bounds its
#: memory; it writes one segment per part in the end. Measured at 10,000
#: documents on 2 processes: 4,000,000 took a fifth more memory than
#: 3,000,000 (669 against 559 MiB) for the same time.
RUN_POSTINGS = 3_000_000
#: Linux's prctl option that sends a signal to a process when its parent dies.
_PR_SET_PDEATHSIG = 1


@analysis.indexing_caches()
def build_segments(folder: Path, home: Path, paths: list[Path]):
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
        for name in segment_files(where, [segment]):
            checksums[name] = file_checksum(where / name)

    try:
        for path, document, digest, found, stat in scan_corpus(corpus, paths):
            problems.extend(found)
            if document is None:
                continue
            row = file_row(document, digest, {document.path: stat})
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


def unchanged(path: str | Path, stat: str) -> bool:
    """Whether a corpus file is surely still the one a table row's stat
    (`Row.stat`, not empty) describes: one stat of the file."""
    try:
        return stat == signature(os.stat(path))
    except OSError:
        return False


def file_row(document: Document, digest: str, stats: dict[str, str]) -> Row:
    path = document.path or ""
    return Row(path, document.id, digest, part_of(document), stats.get(path, ""))


def duplicate_problem(corpus: Corpus, path: str, first: str) -> Problem:
    """A file whose id the file at `first` has already."""
    return Problem(corpus.display(path), "id", f"duplicate id, also in {corpus.display(first)}")
