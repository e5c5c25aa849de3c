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

The writer only creates segments: it cannot merge others into itself.
`read_postings` decodes a term's blocks (written by either writer) whole.
"""

from __future__ import annotations

import io
import struct
import zlib
from array import array

# Only pickles of Whoosh's own block format, written and read in the index.
from pickle import dumps, load, loads  # nosec B403

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.system import emptybytes, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from .schema import TermCounts

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
        if self.value_size != 0:
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


def _compress(data: bytes) -> tuple[int, bytes]:
    """(level, bytes) of a block's pickle: a short one is left as it is (level 0)."""
    if len(data) < COMPRESS_FROM:
        return 0, data
    return COMPRESSION, zlib.compress(data, COMPRESSION)


def _write_postings(postfile, docs, weights, lengths, values):
    """Write one term's postings as Whoosh's W3 postings writer does, a block
    of `BLOCK` at a time; returns the term's info.

    `docs`, `weights` and `lengths` are lists (field lengths as a reader sees
    them, 0 for none); `values(low, high)` gives a block's minified values.
    Plain Python on lists: most terms have one short block, for which
    numpy's overhead per call would cost more than the work.
    """
    info = W3TermInfo()
    offset = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
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
        postfile.write_int(-size if high == end else size)
        postfile.write(header)
        postfile.write(data)
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
    info.set_extent(offset, postfile.tell() - offset)
    return info


def read_postings(postfile, info: W3TermInfo, value_size: int | None, values: bool):
    """(document numbers, weights, values or None) of a term stored in blocks
    (not inlined), as `_write_postings` or Whoosh's writer lays them out.

    `value_size` is the format's fixed value size (None: variable).
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
    while True:
        blocklength = _BLOCK_LENGTH.unpack_from(data, position)[0]
        position += 4
        end = position + abs(blocklength)
        stream.seek(position)
        count, _, _, level, _, _ = load(stream)  # nosec B301
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
    if len(id_parts) == 1:
        return id_parts[0], weight_parts[0], found
    return np.concatenate(id_parts), np.concatenate(weight_parts), found


class BulkSegmentWriter(SegmentWriter):
    """A segment writer whose postings are sorted and written in bulk."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        if self.codec._inlinelimit > 1 or self.codec._blocklimit != BLOCK:
            raise ValueError("the bulk writer writes Whoosh's default W3 codec only")
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: vectors and spelling are not supported")
        self._postings: dict[str, _FieldPostings] = {}
        self._lengths: dict[str, array] = {}

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

    def add_reader(self, reader):
        raise NotImplementedError("a bulk segment writer only writes new documents")

    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._postings):
            self._write_field(writer, name)
        writer.close()

    def _write_field(self, writer, name: str) -> None:
        # Arrays are dropped as soon as they have been used: this is the
        # moment a worker's memory peaks.
        postings = self._postings.pop(name)
        field = self.schema[name]
        writer.start_field(name, field)
        ordered = sorted(postings.vocabulary.items())
        postings.vocabulary = None
        postings_as_text = postings.as_text
        rank = np.empty(len(ordered), dtype=np.uint32)
        rank[[number for _, number in ordered]] = np.arange(len(ordered), dtype=np.uint32)
        terms = rank[np.frombuffer(postings.terms, dtype=np.uint32)]
        postings.terms = None
        ends = np.cumsum(np.bincount(terms, minlength=len(ordered))).tolist()
        # Documents were added in order, so a stable sort on the term alone
        # leaves each term's postings in document order.
        order = np.argsort(terms, kind="stable")
        del terms
        counts = np.frombuffer(postings.counts, dtype=np.uint32)
        docs = np.repeat(np.frombuffer(postings.documents, dtype=np.uint32), counts)[order]
        weights = np.frombuffer(postings.weights, dtype=np.float32)[order]
        postings.weights = None
        values = _sorted_values(postings, order)
        del postings, order
        lengths = np.zeros(self.docnum, dtype=np.uint32)
        known = np.frombuffer(self._lengths.get(name, array("I")), dtype=np.uint32)
        lengths[: len(known)] = known
        fieldid = pack_ushort(writer._fieldid)
        add_term = writer._tindex.add
        start = 0
        for (text, _), end in zip(ordered, ends, strict=True):
            # Lists a term at a time: Python objects for a whole field would
            # take several times the memory of its arrays.
            term_docs = docs[start:end]
            info = _write_postings(
                writer._postfile,
                term_docs.tolist(),
                weights[start:end].tolist(),
                lengths[term_docs].tolist(),
                lambda low, high, start=start: values(start + low, start + high),
            )
            if postings_as_text:
                text = text.encode("utf-8")
            add_term(fieldid + text, info.to_bytes())
            start = end
        writer.finish_field()


def _sorted_values(postings: _FieldPostings, order: np.ndarray):
    """A function (low, high) -> the block's values as Whoosh minifies them.

    The values are taken out of `postings`."""
    size = postings.value_size
    if size == 0:
        return lambda low, high: None
    if size is not None:
        data = np.frombuffer(postings.values, dtype=np.uint8).reshape(-1, size)[order].tobytes()
        postings.values = None
        return lambda low, high: data[low * size : high * size]
    data = bytes(postings.values)
    postings.values = None
    lengths = np.frombuffer(postings.value_lengths, dtype=np.uint32)
    dtype = np.uint32 if len(data) < 2**32 else np.int64
    ends = np.cumsum(lengths, dtype=dtype)[order]
    starts = ends - lengths[order]
    postings.value_lengths = None
    return lambda low, high: tuple(
        data[a:b] for a, b in zip(starts[low:high].tolist(), ends[low:high].tolist(), strict=True)
    )
