"""Each segment's arrays, read once and kept while the segment lives: document
numbers, dates, liveness, ids, field lengths and facet values, and counting facets."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length

from .positions import FILES_FROM, PositionsFile, file_name
from .postings import EMPTY_IDS, postings, save_postings
from .schema import COLUMN_FIELDS

#: A segment's arrays are kept in a file named after it with this suffix.
ARRAYS_SUFFIX = ".arrays.npz"


@dataclass
class Segment:
    """What a search needs of one segment, as arrays indexed by local document number."""

    key: tuple[str, str]
    size: int
    live: np.ndarray  # bool: not deleted
    dates: np.ndarray  # int64 YYYYMMDD
    ids: list[str] | None  # read only when needed (see `segment_ids`)
    lengths: dict[str, np.ndarray]  # scorable field -> field length per document (filled lazily)
    # facet -> (document numbers, value codes) pairs, and the code -> value table
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]
    values: dict[str, list[str]]
    # (field, first letter) -> that field's terms starting with it (filled lazily)
    lexicon: dict[tuple[str, str], list[str]] = dataclasses.field(default_factory=dict)
    # field -> the segment's postings file of it (`positions`), False if it has none
    files: dict[str, PositionsFile | bool] = dataclasses.field(default_factory=dict)
    deleted: int = 0  # how many documents `live` leaves out


_segments: dict[tuple[str, str], Segment] = {}
_lock = threading.Lock()


def segment_key(reader) -> tuple[str, str]:
    return str(getattr(reader.storage(), "folder", "")), reader.segment().segment_id()


def segment(reader) -> Segment:
    """A leaf reader's arrays, read once and kept while the segment exists;
    its mask of live documents follows the deletions the reader sees (Whoosh
    marks a deletion in the segment's entry of the table of contents, and
    the segment's files stay as they are)."""
    key = segment_key(reader)
    deleted = reader.segment().deleted_count()
    found = _segments.get(key)
    if found is None:
        found = _read_segment(reader, key)
        with _lock:
            _segments[key] = found
    elif found.deleted != deleted:
        found = dataclasses.replace(found, live=_live(reader, found.size), deleted=deleted)
        with _lock:  # the newest deletions are kept (an older searcher recomputes its own)
            if _segments.get(key, found).deleted <= deleted:
                _segments[key] = found
    return found


def _live(reader, size: int) -> np.ndarray:
    live = np.ones(size, dtype=bool)
    if reader.has_deletions():
        live[np.fromiter(reader._perdoc.deleted_docs(), dtype=np.int64)] = False
    return live


def forget(live_keys) -> None:
    """Drop cached segments of the same folders that are no longer live."""
    live_keys = set(live_keys)
    folders = {folder for folder, _ in live_keys}
    with _lock:
        for key in [k for k in _segments if k[0] in folders and k not in live_keys]:
            del _segments[key]


def _read_segment(reader, key) -> Segment:
    size = reader.doc_count_all()
    live = _live(reader, size)
    path = _arrays_path(key)
    arrays = _load_arrays(path, size) if path else None
    if arrays is None:
        arrays = _segment_arrays(reader, size)
        if path:
            _save_arrays(path, arrays)
    dates, pairs, values = arrays
    deleted = reader.segment().deleted_count()
    return Segment(key, size, live, dates, None, {}, pairs, values, deleted=deleted)


def save_arrays(reader) -> None:
    """Save the arrays of every segment of `reader` that has none on disk yet
    (called by the indexer after a commit, so that searches never pay for it)."""
    for leaf, _ in reader.leaf_readers():
        if leaf.segment() is None:
            continue
        path = _arrays_path(segment_key(leaf))
        if path and not path.exists():
            for name in leaf.indexed_field_names():
                found = file_name(leaf.segment().segment_id(), name, leaf.schema[name])
                if found is not None and leaf.doc_count_all() >= FILES_FROM:
                    save_postings(leaf, name, path.with_name(found))
            _save_arrays(path, _segment_arrays(leaf, leaf.doc_count_all()))


def _arrays_path(key: tuple[str, str]) -> Path | None:
    """Where a segment's arrays are kept (None: an index not in a folder)."""
    folder, name = key
    return Path(folder) / f"{name}{ARRAYS_SUFFIX}" if folder else None


def _segment_arrays(reader, size: int):
    """(dates, facet pairs, facet value tables) of a segment, from its columns and postings."""
    column = reader.column_reader("date") if reader.has_column("date") else None
    dates = _numeric_column(column, size) if column is not None else np.zeros(size, np.int64)
    pairs, values = {}, {}
    indexed = set(reader.indexed_field_names())
    for facet, field in COLUMN_FIELDS.items():
        docs, codes, table = [], [], []
        if field in indexed:
            for code, term in enumerate(reader.lexicon(field)):
                table.append(term.decode("utf-8"))
                found = postings(reader, field, term)[0]
                docs.append(found)
                codes.append(np.full(len(found), code, dtype=np.int64))
        pairs[facet] = (
            np.concatenate(docs) if docs else EMPTY_IDS,
            np.concatenate(codes) if codes else EMPTY_IDS,
        )
        values[facet] = table
    return dates, pairs, values


def _save_arrays(path: Path, arrays) -> None:
    """Keep a segment's arrays beside its files, for the next process that opens it.

    Segments never change once written (one with deletions is rewritten under
    a new name), so the file stays true; its name follows Whoosh's pattern for
    segment files, so it goes when the segment does. Written under a temporary
    name and renamed; an index folder that cannot be written is only slower.
    """
    dates, pairs, values = arrays
    content = {"dates": dates}
    for facet in COLUMN_FIELDS:
        content[f"{facet}.docs"], content[f"{facet}.codes"] = pairs[facet]
        content[f"{facet}.values"] = np.array(values[facet], dtype=str)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            np.savez(handle, **content)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _load_arrays(path: Path, size: int):
    try:
        with np.load(path, allow_pickle=False) as stored:
            dates = stored["dates"]
            pairs = {f: (stored[f"{f}.docs"], stored[f"{f}.codes"]) for f in COLUMN_FIELDS}
            values = {f: stored[f"{f}.values"].tolist() for f in COLUMN_FIELDS}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # missing, or from an older version: read from the segment again
    if len(dates) != size:
        return None
    return dates, pairs, values


def _numeric_column(column, size: int) -> np.ndarray:
    """A numeric column's values for every document, read at once from its bytes."""
    raw = getattr(column, "_reader", column)
    if isinstance(raw, NumericColumn.Reader) and not raw._reverse:
        data = raw._dbfile.get(raw._basepos, raw._count * raw._fixedlen)
        values = np.frombuffer(data, dtype=np.dtype(">" + raw._typecode)).astype(np.int64)
        if column is not raw:  # translated (e.g. a signed NUMERIC): decode like Whoosh
            values = np.array([column._translate(int(v)) for v in values], dtype=np.int64)
        found = np.full(size, raw._default, dtype=np.int64)
        if column is not raw:
            found[:] = column._translate(raw._default)
        found[: len(values)] = values[:size]
        return found
    return np.array([column[n] for n in range(size)], dtype=np.int64)


#: Whoosh's one-byte field lengths, decoded (0 stays 0: no length stored).
_LENGTHS = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


def field_lengths(data: Segment, reader, field: str) -> np.ndarray:
    """A scorable field's length per document (as Whoosh stores it: one lossy byte)."""
    found = data.lengths.get(field)
    if found is None:
        column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        if isinstance(column, NumericColumn.Reader):
            raw = column._dbfile.get(column._basepos, column._count)
            codes = np.zeros(data.size, dtype=np.int64)
            codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[: data.size]
            found = _LENGTHS[codes]
        else:
            length = reader.doc_field_length
            found = np.array([length(n, field, 1) or 0 for n in range(data.size)], dtype=float)
        data.lengths[field] = found
    return found


def terms_starting(data: Segment, reader, fieldname: str, initial: str) -> list[str]:
    """A leaf reader's terms of a field that start with one letter, read once per segment."""
    key = (fieldname, initial)
    found = data.lexicon.get(key)
    if found is None:
        found = list(reader.expand_prefix(fieldname, initial))
        found = [t.decode("utf-8") if isinstance(t, bytes) else t for t in found]
        data.lexicon[key] = found
    return found


def segment_ids(data: Segment, reader) -> list[str]:
    """Every document id of a segment, in document order (read once, when first needed)."""
    if data.ids is None:
        data.ids = [reader.stored_fields(n)["meta"]["id"] for n in range(data.size)]
    return data.ids


# --- Facets -----------------------------------------------------------------------------


def facet_values(data: Segment, facet: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(document numbers, value codes, code -> value) of a facet in a segment.

    Years and months are derived from the dates once per segment."""
    if facet in ("year", "month") and facet not in data.pairs:
        keys = data.dates // (10000 if facet == "year" else 100)
        table, codes = np.unique(keys, return_inverse=True)
        if facet == "year":
            labels = [str(int(y)) for y in table]
        else:
            labels = [f"{int(m) // 100:04d}-{int(m) % 100:02d}" for m in table]
        data.values[facet] = labels  # the table first: a reader of `pairs` finds it
        data.pairs[facet] = (np.arange(data.size), codes.ravel())
    docs, codes = data.pairs[facet]
    return docs, codes, data.values[facet]


def selection_mask(data: Segment, facet: str, selected: set[str]) -> np.ndarray:
    """Documents of a segment carrying any of the selected values of a facet."""
    docs, codes, table = facet_values(data, facet)
    wanted = [code for code, value in enumerate(table) if value in selected]
    mask = np.zeros(data.size, dtype=bool)
    if wanted:
        mask[docs[np.isin(codes, wanted)]] = True
    return mask


def count(data: Segment, facet: str, mask: np.ndarray, counts: dict[str, int]) -> None:
    """Add to `counts` how many documents in `mask` carry each value of a facet."""
    docs, codes, table = facet_values(data, facet)
    if not len(docs):
        return
    tally = np.bincount(codes[mask[docs]], minlength=len(table))
    present = np.flatnonzero(tally)
    get = counts.get
    for code, number in zip(present.tolist(), tally[present].tolist(), strict=True):
        value = table[code]
        counts[value] = get(value, 0) + number
