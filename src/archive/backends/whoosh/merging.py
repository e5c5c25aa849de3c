"""Which segments an update merges, and when the files of segments merged away
are deleted (a searcher opened just before may still read them)."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from whoosh.index import TOC

from ...corpus import write_atomic

#: In each part's folder: when each merged-away segment left the index.
_RETIRED = "retired.json"
#: Seconds a merged-away segment's files are kept for searchers still opening it.
RETIRED_GRACE = 60.0
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


def without_empty(writer, segments):
    """Whoosh merge policy of an update's commit: no merging (`Index._merge`
    merges, faster), but a segment whose documents are all deleted goes."""
    return [segment for segment in segments if segment.doc_count()]


def clean_retired(storage, indexname: str, generation: int, segments, grace: float, now=None):
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
