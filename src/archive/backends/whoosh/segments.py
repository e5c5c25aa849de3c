"""Whoosh's W3 posting blocks, written in bulk for rebuilds and read in bulk
for searches.

Whoosh's `SegmentWriter` adds every posting to a pool one Python call at a
time, sorts the pool (spilling runs to disk past `limitmb`), and then writes
each posting through several more calls. For a rebuild that was about 70%
of the time. `BulkSegmentWriter` keeps each field's postings in flat arrays
instead (term number, weight, value bytes) and, when the segment is
finalised, sorts them with numpy and writes Whoosh's W3 blocks itself.

The files are the ones Whoosh's own writer writes, byte for byte, except
that short blocks are left uncompressed, which Whoosh's reader allows
(`tests/test_segments.py` checks both), so everything that reads an index
is unchanged. It relies on the internals of the pinned Whoosh 2.7.4.

A large segment is sorted in runs: once the postings held reach
`run_postings`, they are sorted and written to files beside the index (a
run), and the memory is reused; when the segment is finalised, the runs are
read back in order and merged term by term (an external merge sort). A
worker's memory is then bounded by one run, whatever the segment's size.

The writer only creates segments: it cannot merge others into itself.
`read_postings` decodes a term's blocks (written by either writer) whole.
"""

from __future__ import annotations

import heapq
import io
import shutil
import struct
import tempfile
import zlib
from array import array
from bisect import bisect_right
from itertools import groupby
from operator import itemgetter
from pathlib import Path

# Only pickles of Whoosh's own block format, written and read in the index.
from pickle import dumps, load, loads  # nosec B403

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.system import emptybytes, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from . import positions
from .schema import Joined, TermCounts

#: Postings per block and zlib level, as Whoosh's W3 codec writes them.
_CODEC = W3Codec()
BLOCK = _CODEC._blocklimit
COMPRESSION = _CODEC._compression
#: Blocks whose pickle is shorter than this are stored uncompressed (the
#: block header says so, and Whoosh's reader honours it). Whoosh compresses
#: every block; below ~80 bytes zlib saves nothing (a one-posting block
#: grows by a byte) and still costs 5-10 µs, and most terms have one short block.
COMPRESS_FROM = 80
#: A block starts with its length, negative for a term's last block.
_BLOCK_LENGTH = struct.Struct("!i")


class _FieldPostings:
    """One field's postings in the order documents were added."""

    def __init__(self, value_size: int | None):
        self.vocabulary: dict[bytes | str, int] = {}
        self.as_text: bool | None = None
        self.terms = array("I")
        self.weights = array("f")
        self.documents = array("I")  # documents with postings in this field,
        self.counts = array("I")  # and how many each has
        self.value_size = value_size  # 0: no values; None: variable size
        self.values = bytearray()
        self.value_lengths = array("I")

    def add(self, docnum: int, terms, frequencies, weights, values) -> int:
        """Add one document's postings, as columns; returns the sum of the
        frequencies. Terms are bytes, or str for analysed text (encoded once
        per distinct term when written: UTF-8 keeps their order)."""
        if not terms:
            return 0
        as_text = isinstance(terms[0], str)
        if self.as_text is None:
            self.as_text = as_text
        elif as_text != self.as_text:  # a field given both kinds of value
            terms = [t.encode("utf-8") if as_text else t.decode("utf-8") for t in terms]
        vocabulary = self.vocabulary
        number = vocabulary.setdefault
        self.terms.extend([number(term, len(vocabulary)) for term in terms])
        self.weights.extend(weights)
        self.documents.append(docnum)
        self.counts.append(len(terms))
        if isinstance(values, Joined) and self.value_size is None:  # values end to end
            self.values += values.data
            self.value_lengths.extend(values.sizes)
        elif self.value_size != 0:
            values = [value or emptybytes for value in values]
            joined = emptybytes.join(values)
            if self.value_size is None:
                self.value_lengths.extend(map(len, values))
            elif len(joined) != self.value_size * len(values):
                raise ValueError("posting values of a fixed-size format differ in size")
            self.values += joined
        return sum(frequencies)

    def __len__(self) -> int:
        return len(self.terms)

    def sorted_run(self) -> _Run:
        """The postings held, sorted by term, as a run in memory; they are
        taken out of this object, which is left empty for the next run."""
        ordered = sorted(self.vocabulary.items())
        self.vocabulary = {}
        rank = np.empty(len(ordered), dtype=np.uint32)
        rank[[number for _, number in ordered]] = np.arange(len(ordered), dtype=np.uint32)
        terms = rank[np.frombuffer(self.terms, dtype=np.uint32)]
        self.terms = array("I")
        counts = np.bincount(terms, minlength=len(ordered)).astype(np.uint32)
        # Documents were added in order, so a stable sort on the term alone
        # leaves each term's postings in document order.
        order = np.argsort(terms, kind="stable")
        del terms
        repeats = np.frombuffer(self.counts, dtype=np.uint32)
        docs = np.repeat(np.frombuffer(self.documents, dtype=np.uint32), repeats)[order]
        self.documents, self.counts = array("I"), array("I")
        weights = np.frombuffer(self.weights, dtype=np.float32)[order]
        self.weights = array("f")
        values = np.frombuffer(self.values, dtype=np.uint8)
        self.values = bytearray()
        value_lengths = None
        if self.value_size:
            values = values.reshape(-1, self.value_size)[order].reshape(-1)
        elif self.value_size is None:
            lengths = np.frombuffer(self.value_lengths, dtype=np.uint32)
            values, value_lengths = _gather(values, lengths, order), lengths[order]
        self.value_lengths = array("I")
        # As UTF-8, which keeps the order of the texts.
        texts = [text.encode("utf-8") if self.as_text else text for text, _ in ordered]
        return _Run(self.value_size, texts, counts, docs, weights, values, value_lengths)


def _gather(data: np.ndarray, lengths: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The variable-length values in `data` (`lengths` each, end to end)
    rearranged in `order`, through an index of every byte: 65,536 values
    at a time, which bounds the index to a few MB."""
    lengths = lengths.astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    parts = []
    for low in range(0, len(order), 1 << 16):
        chosen = order[low : low + (1 << 16)]
        parts.append(positions.gather(data, starts[chosen], lengths[chosen]))
    return np.concatenate(parts) if parts else data[:0]


class _Cursor:
    """An array read from the front, a slice at a time: held in memory, or
    read from a file in chunks (a run is read once, in order)."""

    CHUNK = 1 << 18
    #: Terms are read this many at a time (as Python bytes, ~60 bytes each).
    TERMS = 1 << 14

    def __init__(self, dtype, data: np.ndarray | None = None, path: Path | None = None):
        self.dtype = np.dtype(dtype)
        self.buffer = data if data is not None else np.zeros(0, self.dtype)
        self.position = 0
        self.handle = open(path, "rb") if path is not None else None  # noqa: SIM115

    def take(self, count: int) -> np.ndarray:
        end = self.position + count
        if end > len(self.buffer):
            rest = self.buffer[self.position :]
            wanted = max(count - len(rest), self.CHUNK) * self.dtype.itemsize
            more = np.frombuffer(self.handle.read(wanted), self.dtype) if self.handle else ()
            if len(rest) + len(more) < count:
                raise ValueError("a sorted run ends before its terms do")
            self.buffer, self.position, end = np.concatenate([rest, more]), 0, count
        found = self.buffer[self.position : end]
        self.position = end
        return found

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


#: A run's arrays, each in its own file: (name, type).
_RUN_ARRAYS = (
    ("counts", np.uint32),
    ("docs", np.uint32),
    ("weights", np.float32),
    ("values", np.uint8),
    ("value_lengths", np.uint32),
    ("text_lengths", np.uint32),
    ("texts", np.uint8),
)


class _Run:
    """One field's postings over a range of documents, sorted by term (UTF-8
    bytes): how many postings each term has, then the postings' documents,
    weights and values in term order. Held in memory until `save` moves it
    to files; read back once, in order, with `terms` and `take`."""

    def __init__(self, value_size, texts, counts, docs, weights, values, value_lengths):
        self.value_size = value_size
        self.size = len(texts)
        self._texts = texts
        self._arrays = {
            "counts": counts,
            "docs": docs,
            "weights": weights,
            "values": values,
            "value_lengths": value_lengths,
        }
        self._folder: Path | None = None
        self._cursors: dict[str, _Cursor] = {}

    def save(self, folder: Path) -> None:
        """Write the run to files in `folder` (a new one) and free its memory."""
        folder.mkdir()
        texts = self._texts
        self._arrays["text_lengths"] = np.fromiter(map(len, texts), np.uint32, len(texts))
        self._arrays["texts"] = np.frombuffer(b"".join(texts), np.uint8)
        for name, _ in _RUN_ARRAYS:
            if self._arrays[name] is not None:
                self._arrays[name].tofile(folder / name)
        self._texts, self._arrays, self._folder = None, {}, folder

    def _cursor(self, name: str) -> _Cursor:
        cursor = self._cursors.get(name)
        if cursor is None:
            dtype = dict(_RUN_ARRAYS)[name]
            if self._folder is None:
                cursor = _Cursor(dtype, data=self._arrays.pop(name))
            else:
                cursor = _Cursor(dtype, path=self._folder / name)
            self._cursors[name] = cursor
        return cursor

    def terms(self):
        """(text, number of postings) of each term, in order."""
        counts = self._cursor("counts")
        if self._folder is None:
            yield from zip(self._texts, counts.take(self.size).tolist(), strict=True)
            return
        lengths, texts = self._cursor("text_lengths"), self._cursor("texts")
        for low in range(0, self.size, _Cursor.TERMS):
            number = min(_Cursor.TERMS, self.size - low)
            sizes = lengths.take(number)
            chunk = _split(texts.take(int(sizes.sum())).tobytes(), sizes)
            yield from zip(chunk, counts.take(number).tolist(), strict=True)

    def take(self, count: int):
        """The next `count` postings: (documents, weights, values), values as
        bytes (fixed size), a list of bytes (variable size) or None."""
        docs, weights = self._cursor("docs").take(count), self._cursor("weights").take(count)
        if self.value_size == 0:
            return docs, weights, None
        if self.value_size:
            return docs, weights, self._cursor("values").take(count * self.value_size).tobytes()
        sizes = self._cursor("value_lengths").take(count)
        return docs, weights, _split(self._cursor("values").take(int(sizes.sum())).tobytes(), sizes)

    def close(self) -> None:
        for cursor in self._cursors.values():
            cursor.close()


def _split(blob: bytes, sizes: np.ndarray) -> list[bytes]:
    """`blob` cut into pieces of `sizes` bytes."""
    ends = np.cumsum(sizes, dtype=np.int64).tolist()
    return [blob[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def _merged(runs: list[_Run]):
    """(term, [(run, number of postings)]) of every term of the runs, in order;
    a term's runs in the order they were written (that is, in document order)."""
    if len(runs) == 1:
        run = runs[0]
        for text, count in run.terms():
            yield text, [(run, count)]
        return

    def numbered(number: int, run: _Run):
        for text, count in run.terms():
            yield text, number, count

    streams = [numbered(number, run) for number, run in enumerate(runs)]
    for text, group in groupby(heapq.merge(*streams), key=itemgetter(0)):
        yield text, [(runs[number], count) for _, number, count in group]


def _taken(parts, value_size):
    """The postings of one term gathered from its runs: (documents, weights, values)."""
    if len(parts) == 1:
        run, count = parts[0]
        return run.take(count)
    taken = [run.take(count) for run, count in parts]
    docs = np.concatenate([t[0] for t in taken])
    weights = np.concatenate([t[1] for t in taken])
    if value_size == 0:
        values = None
    elif value_size:
        values = b"".join(t[2] for t in taken)
    else:
        values = [value for t in taken for value in t[2]]
    return docs, weights, values


def _compress(data: bytes) -> tuple[int, bytes]:
    """(level, bytes) of a block's pickle: a short one is left as it is (level 0)."""
    if len(data) < COMPRESS_FROM:
        return 0, data
    return COMPRESSION, zlib.compress(data, COMPRESSION)


def _write_postings(write, offset, docs, weights, lengths, values):
    """Write one term's postings as Whoosh's W3 postings writer does, a block
    of `BLOCK` at a time, with `write` at `offset` of the postings file;
    returns the term's info and the offset after it.

    `docs`, `weights` and `lengths` are lists (field lengths as a reader sees
    them, 0 for none); `values(low, high)` gives a block's minified values.
    Plain Python on lists: most terms have one short block, for which
    numpy's overhead per call would cost more than the work.
    """
    info = W3TermInfo()
    pieces = [WHOOSH3_HEADER_MAGIC]
    total, minlength, maxlength, maxweight = 0.0, None, 0, 0
    end = len(docs)
    for low in range(0, end, BLOCK):
        high = min(low + BLOCK, end)
        ids = docs[low:high]
        block_weights = weights[low:high]
        count = high - low
        present = [n for n in lengths[low:high] if n]
        block_min = min(present) if present else None
        block_max = max(present) if present else 0
        block_weight = max(block_weights)
        if not block_weight > 0:
            block_weight = 0
        if block_weights.count(1.0) == count:
            mini_weights = None
        elif block_weights.count(block_weights[0]) == count:
            mini_weights = block_weights[0]
        else:
            mini_weights = tuple(block_weights)
        mini_ids = (ids[0], *[b - a for a, b in zip(ids, ids[1:], strict=False)])
        level, data = _compress(dumps((mini_ids, mini_weights, values(low, high)), 2))
        header = dumps(
            (
                count,
                ids[-1],
                block_weight,
                level,
                length_to_byte(block_min),
                length_to_byte(block_max),
            ),
            2,
        )
        size = len(header) + len(data)
        pieces += (_BLOCK_LENGTH.pack(-size if high == end else size), header, data)
        # The term's statistics, as `W3TermInfo.add_block` adds them up.
        total += sum(block_weights)
        if minlength is None:
            minlength = block_min
        elif block_min is not None:
            minlength = min(minlength, block_min)
        maxlength = max(maxlength, block_max)
        maxweight = max(maxweight, block_weight)
    info._weight, info._df = total, end
    info._minlength, info._maxlength, info._maxweight = minlength, maxlength, maxweight
    info._minid, info._maxid = docs[0], docs[-1]
    blob = b"".join(pieces)
    write(blob)
    info.set_extent(offset, len(blob))
    return info, offset + len(blob)


class _TermIndex:
    """Adds terms to Whoosh's terms file as `OrderedHashWriter.add` does
    (record, position in its index, hash in its bucket), keeping the file's
    offset itself rather than asking the file at each term."""

    def __init__(self, tindex):
        self.tindex = tindex
        self.hash = tindex.hashfn
        self.write = tindex.dbfile.raw_file().write
        self.offset = tindex.dbfile.tell()
        self.positions = tindex.index.append
        self.buckets = tindex.buckets
        self.last = tindex.lastkey

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.last:
            raise ValueError(f"terms must be added in order: {self.last!r}..{key!r}")
        position = self.offset
        self.positions(position)
        record = _RECORD_LENGTHS.pack(len(key), len(value)) + key + value
        self.write(record)
        self.offset += len(record)
        digest = self.hash(key)
        self.buckets[digest & 255].append((digest, position))
        self.last = key

    def close(self) -> None:
        self.tindex.lastkey = self.last


#: A terms file record starts with its key's and value's lengths.
_RECORD_LENGTHS = struct.Struct("!ii")


def read_postings(postfile, info: W3TermInfo, value_size: int | None, values: bool, within=None):
    """(document numbers, weights, values or None) of a term stored in blocks
    (not inlined), as `_write_postings` or Whoosh's writer lays them out.

    `value_size` is the format's fixed value size (None: variable). With
    `within` (sorted document numbers), only the blocks whose range holds
    one of them are decoded: the result is then a part of the postings that
    includes every posting of those documents. A block's header gives its
    last document without the block being decompressed.
    """
    offset, length = info.extent()
    if isinstance(length, tuple):  # Whoosh's `from_bytes` leaves it unpacked
        (length,) = length
    data = postfile.get(offset, length)
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"postings at offset {offset} do not start with a block")
    stream = io.BytesIO(data)
    position = 4
    id_parts, weight_parts, value_parts = [], [], []
    wanted = None if within is None else within.tolist()
    after = -1  # the last document of the block before
    while True:
        blocklength = _BLOCK_LENGTH.unpack_from(data, position)[0]
        position += 4
        end = position + abs(blocklength)
        stream.seek(position)
        count, last, _, level, _, _ = load(stream)  # nosec B301
        if wanted is not None:
            skip = bisect_right(wanted, after) == bisect_right(wanted, last)
            after = last
            if skip:
                if blocklength < 0:
                    break
                position = end
                continue
        block = data[stream.tell() : end]
        deltas, weights, found = loads(zlib.decompress(block) if level else block)  # nosec B301
        id_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights is None or isinstance(weights, float):
            weight_parts.append(np.full(count, 1.0 if weights is None else weights))
        else:
            weight_parts.append(np.asarray(weights, dtype=np.float64))
        if values:
            if value_size is None or value_size < 0:
                value_parts.extend(found)
            elif value_size == 0:
                value_parts.extend([None] * count)
            else:
                sizes = range(0, len(found), value_size)
                value_parts.extend(found[i : i + value_size] for i in sizes)
        if blocklength < 0:
            break
        position = end
    found = value_parts if values else None
    if not id_parts:
        return np.zeros(0, np.int64), np.zeros(0), found
    if len(id_parts) == 1:
        return id_parts[0], weight_parts[0], found
    return np.concatenate(id_parts), np.concatenate(weight_parts), found


class BulkSegmentWriter(SegmentWriter):
    """A segment writer whose postings are sorted and written in bulk."""

    def __init__(self, ix, run_postings: int | None = None, postings_files: bool = True, **kwargs):
        """`run_postings`: sort and set aside the postings held whenever there
        are this many (None: sort them all when the segment is finalised);
        `postings_files`: write the segment's postings files (`positions`)."""
        super().__init__(ix, **kwargs)
        self.postings_files = postings_files
        if self.codec._inlinelimit > 1 or self.codec._blocklimit != BLOCK:
            raise ValueError("the bulk writer writes Whoosh's default W3 codec only")
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: vectors and spelling are not supported")
        self._postings: dict[str, _FieldPostings] = {}
        self._lengths: dict[str, array] = {}
        self.run_postings = run_postings
        self._runs: dict[str, list[_Run]] = {}
        self._run_folder: Path | None = None

    def postings(self) -> int:
        """Postings held so far, to decide when a segment is big enough."""
        return sum(map(len, self._postings.values()))

    def add_document(self, **fields):
        self._check_state()
        if any(name.startswith("_") for name in fields):
            raise ValueError("boosts and custom stored values are not supported")
        schema = self.schema
        names = sorted(fields)
        self._check_fields(schema, names)
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                if isinstance(value, TermCounts):
                    columns = field.columns(value)
                else:
                    columns = tuple(zip(*field.index(value), strict=True)) or ((),) * 4
                postings = self._postings.get(name)
                if postings is None:
                    size = field.format.fixed_value_size()
                    postings = self._postings[name] = _FieldPostings(size)
                total = postings.add(docnum, *columns)
                if field.scorable:
                    length = total
            if field.scorable:
                lengths = self._lengths.setdefault(name, array("I"))
                lengths.extend([0] * (docnum + 1 - len(lengths)))
                # The length a reader will see: Whoosh keeps it as one byte.
                lengths[docnum] = byte_to_length(length_to_byte(length)) if length else 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        if self.run_postings and self.postings() >= self.run_postings:
            self._save_run()

    def _save_run(self) -> None:
        """Sort the postings held and move them to files."""
        if self._run_folder is None:
            self._run_folder = Path(tempfile.mkdtemp(prefix=".runs-", dir=self.storage.folder))
        for name, postings in self._postings.items():
            runs = self._runs.setdefault(name, [])
            run = postings.sorted_run()
            run.save(self._run_folder / f"{name}.{len(runs)}")
            runs.append(run)

    def _remove_runs(self) -> None:
        for runs in self._runs.values():
            for run in runs:
                run.close()
        self._runs = {}
        if self._run_folder is not None:
            shutil.rmtree(self._run_folder, ignore_errors=True)
            self._run_folder = None

    def cancel(self):
        try:
            super().cancel()
        finally:
            self._remove_runs()

    def add_reader(self, reader):
        raise NotImplementedError("a bulk segment writer only writes new documents")

    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        try:
            for name in sorted(self._postings.keys() | self._runs.keys()):
                self._write_field(writer, name)
        finally:
            self._remove_runs()
        writer.close()

    def _write_field(self, writer, name: str) -> None:
        # A field's postings are dropped as soon as they have been written:
        # this is the moment a worker's memory peaks.
        runs = self._runs.pop(name, [])
        postings = self._postings.pop(name, None)
        if postings is not None and (len(postings) or not runs):
            runs.append(postings.sorted_run())
        del postings
        field = self.schema[name]
        writer.start_field(name, field)
        value_size = runs[0].value_size
        lengths = np.zeros(self.docnum, dtype=np.uint32)
        known = np.frombuffer(self._lengths.get(name, array("I")), dtype=np.uint32)
        lengths[: len(known)] = known
        fieldid = pack_ushort(writer._fieldid)
        terms = _TermIndex(writer._tindex)
        postfile = writer._postfile
        write, offset = postfile.raw_file().write, postfile.tell()
        arrays = None  # the segment's postings file of this field, if it has one
        file_name = positions.file_name(self.newsegment.segment_id(), name, field)
        if file_name is not None and self.postings_files:
            arrays = positions.PositionsWriter.for_field(
                Path(self.storage.folder) / file_name, field
            )
        try:
            for text, parts in _merged(runs):
                docs, weights, values = _taken(parts, value_size)
                # Lists a term at a time: Python objects for a whole field would
                # take several times the memory of its arrays.
                info, offset = _write_postings(
                    write,
                    offset,
                    docs.tolist(),
                    weights.tolist(),
                    lengths[docs].tolist(),
                    _block_values(values, value_size),
                )
                terms.add(fieldid + text, info.to_bytes())
                if arrays is not None:
                    arrays.add(info.extent()[0], docs, values, weights, text)
            terms.close()
            if arrays is not None:
                arrays.close()
        except BaseException:
            if arrays is not None:
                arrays.cancel()
            raise
        finally:
            for run in runs:
                run.close()
        writer.finish_field()


def _block_values(values, value_size):
    """A function (low, high) -> a block's values as Whoosh minifies them."""
    if value_size == 0:
        return lambda low, high: None
    if value_size:
        return lambda low, high: values[low * value_size : high * value_size]
    return lambda low, high: tuple(values[low:high])
