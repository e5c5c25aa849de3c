"""The postings of a segment's words, in arrays read in place.

Whoosh keeps a word's postings in blocks of 128, pickled and compressed
together, which must be decompressed and unpickled whole (about 0.7 µs a
posting) before a single document number, weight or position can be used;
a prefix reads its words' blocks one word at a time. A rebuild therefore
also writes, beside each segment, the postings of every word of its scored
fields as plain arrays, memory-mapped by searchers:

* the phrase field's document numbers and positions: `MAIN_<segment>.positions`;
* each other scored field's (title, body, names found in the text) document
  numbers and weights: `MAIN_<segment>.<field>.weights`.

The W3 blocks stay the reference (every other reader uses them); the files
only repeat what they hold, and a segment without them is read from its
blocks.

Words are kept in the order of their blocks in the postings file, which is
the order of the words. A word may be left out (Whoosh keeps the postings of
some inside their term information, and a weights file cannot hold a weight
that 32 bits cannot hold exactly): it is then read from its blocks, and the
file is not `complete`. The words' texts are in the file too, so that the
many words of a prefix are found with one sorted search (`find_texts`), not
one lookup in Whoosh's term table each; in a complete file a word that is
not there is not in the segment.

Layout (little-endian)::

    magic            8 bytes
    T, P, B          uint64 each: terms, postings, positions
    flags            uint64      1: every word of the field is here; 2: a weights file
    keys             uint64[T]   the term's offset in the postings file (.pst),
                                 which its term info gives: sorted
    starts           uint64[T+1] the term's first posting
    value_starts     uint64[T+1] the term's first position
    ids              uint32[P]   document numbers, per term in order
    (padding to 8 bytes)
    lengths          uint32[P]   how many positions each posting has
                     (float32[P] in a weights file: each posting's weight)
    (padding to 8 bytes)
    values           uint32[B]   each posting's positions, end to end: read as
                                 they are, with no decoding (none in a weights file)
    (padding to 8 bytes)
    text_keys        uint64[T]   each word's first 8 bytes of UTF-8, big-endian,
                                 zero-padded: sorted as the words are
    text_starts      uint64[T+1] where each word's UTF-8 starts in `texts`
    texts            bytes       the words end to end
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from array import array
from pathlib import Path

import numpy as np

from .schema import VarintPositions

SUFFIX = ".positions"
#: The file of a scored field without positions: `MAIN_<segment>.<field>.weights`.
WEIGHTS_SUFFIX = ".weights"
#: The file of a field whose postings only say which documents have a word
#: (`schema.AnalysedText(words_only=True)`): its words alone, no postings.
WORDS_SUFFIX = ".words"
MAGIC = b"ARCPOS05"
#: The segments of archivists' changes and their merges get postings files
#: from this many documents on: a smaller one's blocks are read about as
#: fast, and its many words, each with a few postings, made the files cost a
#: third of writing it. (A rebuild writes them for every segment.)
FILES_FROM = 100
#: A positions writer decodes its terms' positions this many postings at a time.
BATCH = 1 << 16
_HEADER = struct.Struct("<8sQQQQ")
#: Header flags.
_COMPLETE, _WEIGHTS, _WORDS = 1, 2, 4


def file_name(segment_id: str, name: str, field) -> str | None:
    """The name of a segment's file for a field (None: the field has none).

    The phrase field's file holds positions; a scored field's other than it
    holds each posting's weight instead, in the place of the value lengths
    (`MAIN_<segment>.<field>.weights`), and no values; a words-only field's
    holds its words and no postings (`MAIN_<segment>.<field>.words`).
    """
    if getattr(field, "words_only", False):
        return f"{segment_id}.{name}{WORDS_SUFFIX}"
    if isinstance(field.format, VarintPositions):
        return f"{segment_id}{SUFFIX}"
    if field.scorable and field.format.supports("frequency"):
        return f"{segment_id}.{name}{WEIGHTS_SUFFIX}"
    return None


def text_key(text: bytes) -> int:
    """A word's first 8 bytes as a number, sorted as the words are (UTF-8
    holds no zero byte, so the padding sorts first, as a shorter word does)."""
    return int.from_bytes(text[:8].ljust(8, b"\0"), "big")


def _padded(size: int) -> int:
    return -(-size // 8) * 8


class PositionsWriter:
    """Writes a segment's positions file (or with `weights`, a weights file),
    a term at a time, in term order.

    Postings go to temporary files as they come (a worker holds no more
    than one term's), and are put together under the final name by `close`.
    """

    def __init__(self, path: Path, weights: bool = False, words_only: bool = False):
        self.path = path
        self.weights = weights or words_only
        self.words_only = words_only
        self._parts = [
            path.with_name(f".{path.name}.{part}") for part in ("ids", "lengths", "values", "texts")
        ]
        self._files = []
        try:
            for part in self._parts:
                self._files.append(open(part, "wb"))  # noqa: SIM115
        except OSError:
            self.cancel()
            raise
        self.keys: list[int] = []
        self.starts = [0]
        self.value_starts = [0]
        self.text_keys = array("Q")
        self.text_starts = array("Q", [0])
        #: False once a word of the field has been left out.
        self.complete = True
        # Terms waiting to have their positions decoded: (key, documents,
        # values, text).
        self._pending: list[tuple[int, np.ndarray, list[bytes], bytes]] = []
        self._pending_postings = 0

    @classmethod
    def for_field(cls, path: Path, field) -> PositionsWriter:
        """The writer of a field's file (see `file_name`): positions for the
        phrase field, weights for the other scored fields, words alone for a
        words-only field."""
        if getattr(field, "words_only", False):
            return cls(path, words_only=True)
        return cls(path, weights=not isinstance(field.format, VarintPositions))

    def add(
        self, key: int, docs: np.ndarray, values: list[bytes], weights=None, text: bytes = b""
    ) -> None:
        """A term's postings: its .pst offset, documents and `VarintPositions`
        values; or for a weights file, its documents and weights (`values`
        unused). `text` is the term (UTF-8), in the order of the terms."""
        if not self.weights:
            # Decoded many terms at a time: numpy's cost per call would
            # otherwise be most of the work for the many rare words.
            self._pending.append((key, docs, values, text))
            self._pending_postings += len(docs)
            if self._pending_postings >= BATCH:
                self._decode_pending()
            return
        if self.words_only:
            self._added(key, 0, 0, text)
            return
        kept = np.asarray(weights, dtype="<f4")
        if not np.array_equal(kept, weights):  # not exact in 32 bits: left out
            self.complete = False
            return
        ids, lengths = self._files[:2]
        docs.astype("<u4").tofile(ids)
        kept.tofile(lengths)
        self._added(key, len(docs), 0, text)

    def _added(self, key: int, postings: int, positions: int, text: bytes) -> None:
        self.keys.append(key)
        self.starts.append(self.starts[-1] + postings)
        self.value_starts.append(self.value_starts[-1] + positions)
        self.text_keys.append(text_key(text))
        self.text_starts.append(self.text_starts[-1] + len(text))
        self._files[3].write(text)

    def _decode_pending(self) -> None:
        pending, self._pending, self._pending_postings = self._pending, [], 0
        if not pending:
            return
        found, counts = VarintPositions.decode_all([v for _, _, part, _ in pending for v in part])
        if len(found) and found.max() > 0xFFFFFFFF:  # beyond 32 bits: that word left out
            if len(pending) == 1:
                self.complete = False
                return
            for term in pending:  # which word it is
                self._pending = [term]
                self._decode_pending()
            return
        ids, lengths, data = self._files[:3]
        np.concatenate([docs for _, docs, _, _ in pending]).astype("<u4").tofile(ids)
        counts.astype("<u4").tofile(lengths)
        found.astype("<u4").tofile(data)
        firsts = np.cumsum([0] + [len(docs) for _, docs, _, _ in pending[:-1]])
        for (key, docs, _, text), positions in zip(
            pending, np.add.reduceat(counts, firsts).tolist(), strict=True
        ):
            self._added(key, len(docs), positions, text)

    def close(self) -> None:
        """Write the file (nothing when it has no word) and remove the parts."""
        try:
            self._decode_pending()
            for handle in self._files:
                handle.close()
            if not self.keys:
                return
            terms, postings, size = len(self.keys), self.starts[-1], self.value_starts[-1]
            temporary = self.path.with_name(f".{self.path.name}.tmp")
            with open(temporary, "wb") as out:
                flags = (_COMPLETE if self.complete else 0) | (_WEIGHTS if self.weights else 0)
                flags |= _WORDS if self.words_only else 0
                out.write(_HEADER.pack(MAGIC, terms, postings, size, flags))
                np.asarray(self.keys, "<u8").tofile(out)
                np.asarray(self.starts, "<u8").tofile(out)
                np.asarray(self.value_starts, "<u8").tofile(out)
                for number, part in enumerate(self._parts):
                    if number == 3:  # the texts, after their keys and starts
                        np.asarray(self.text_keys, "<u8").tofile(out)
                        np.asarray(self.text_starts, "<u8").tofile(out)
                    with open(part, "rb") as handle:
                        while chunk := handle.read(1 << 22):
                            out.write(chunk)
                    out.write(b"\0" * (_padded(out.tell()) - out.tell()))
            os.replace(temporary, self.path)
        finally:
            self.cancel()

    def cancel(self) -> None:
        for handle in self._files:
            handle.close()
        for part in [*self._parts, self.path.with_name(f".{self.path.name}.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()


class PositionsFile:
    """A positions or weights file, memory-mapped; raises ValueError if it is not whole."""

    def __init__(self, path: Path):
        with open(path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_RANDOM"):
            # A search reads a few postings here and there: without this the
            # kernel maps in a whole neighbourhood (or large folio) around
            # each, which stays resident in every server process.
            mapped.madvise(mmap.MADV_RANDOM)
        data = np.frombuffer(mapped, dtype=np.uint8)
        if len(data) < _HEADER.size:
            raise ValueError(f"{path}: too short")
        magic, terms, postings, size, flags = _HEADER.unpack(data[: _HEADER.size].tobytes())
        if magic != MAGIC:
            raise ValueError(f"{path}: not a positions file")
        offset = _HEADER.size

        def take(dtype: str, count: int) -> np.ndarray:
            nonlocal offset
            found = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            offset += found.nbytes
            return found

        expected = _HEADER.size + 8 * (3 * terms + 2) + 2 * _padded(4 * postings)
        expected += _padded(4 * size) + 8 * (2 * terms + 1)
        if len(data) < expected:
            raise ValueError(f"{path}: {len(data)} bytes where {expected} were expected")
        text_size = int(np.frombuffer(data, "<u8", 1, expected - 8)[0])
        expected += _padded(text_size)
        if len(data) != expected:
            raise ValueError(f"{path}: {len(data)} bytes where {expected} were expected")
        self.complete = bool(flags & _COMPLETE)
        self.has_weights = bool(flags & _WEIGHTS)
        #: A words file: words, no postings (`find` finds none).
        self.words_only = bool(flags & _WORDS)
        self.keys = take("<u8", terms)
        self.starts = take("<u8", terms + 1)
        self.value_starts = take("<u8", terms + 1)
        self.ids = take("<u4", postings)
        offset = _padded(offset)
        # A weights file has weights where a positions file has counts.
        self.lengths = take("<f4" if self.has_weights else "<u4", postings)
        offset = _padded(offset)
        self.values = take("<u4", size)
        offset = _padded(offset)
        self.text_keys = take("<u8", terms)
        self.text_starts = take("<u8", terms + 1)
        self.texts = memoryview(data[offset : offset + text_size])

    def find(self, info) -> int | None:
        """The number of a term (given by its term info) in this file, if it is here."""
        if info.is_inlined() or self.words_only:
            return None
        key = info.extent()[0]  # where its blocks start in the postings file
        at = int(np.searchsorted(self.keys, key))
        return at if at < len(self.keys) and int(self.keys[at]) == key else None

    def words_from(self, prefix: bytes, limit: int) -> list[bytes] | None:
        """The words starting with `prefix`, in order; None if there are more
        than `limit`."""
        low = int(np.searchsorted(self.text_keys, text_key(prefix), "left"))
        last = int.from_bytes(prefix[:8].ljust(8, b"\xff"), "big")
        high = int(np.searchsorted(self.text_keys, np.uint64(last), "right"))
        starts, words, found = self.text_starts, self.texts, []
        for number in range(low, high):
            word = words[int(starts[number]) : int(starts[number + 1])].tobytes()
            if word.startswith(prefix):
                found.append(word)
                if len(found) > limit:
                    return None
        return found

    def find_texts(self, texts: list[bytes]) -> list[int | None]:
        """The numbers of terms (UTF-8) in this file: one sorted search for
        them all, then each checked against the words whose first 8 bytes
        are its (None: not here)."""
        keys = np.fromiter(map(text_key, texts), dtype=np.uint64, count=len(texts))
        lows = np.searchsorted(self.text_keys, keys, "left").tolist()
        highs = np.searchsorted(self.text_keys, keys, "right").tolist()
        starts, words = self.text_starts, self.texts
        found: list[int | None] = []
        for text, low, high in zip(texts, lows, highs, strict=True):
            term = None
            for candidate in range(low, high):
                if words[int(starts[candidate]) : int(starts[candidate + 1])] == text:
                    term = candidate
                    break
            found.append(term)
        return found

    def ids_of(self, term: int) -> np.ndarray:
        """The document numbers of a term's postings (a view of the file)."""
        return self.ids[int(self.starts[term]) : int(self.starts[term + 1])]

    def weights_of(self, term: int) -> np.ndarray:
        """The weights of a term's postings, in a weights file."""
        return self.lengths[int(self.starts[term]) : int(self.starts[term + 1])]

    def postings(self, term: int) -> FilePostings:
        low, high = int(self.starts[term]), int(self.starts[term + 1])
        return FilePostings(
            self.ids[low:high].astype(np.int64),
            self.lengths[low:high],
            self.values[int(self.value_starts[term]) : int(self.value_starts[term + 1])],
        )


class FilePostings:
    """One term's postings from a positions file."""

    def __init__(self, ids: np.ndarray, counts: np.ndarray, positions: np.ndarray):
        self.ids = ids
        self._counts = counts.astype(np.int64)
        self._positions = positions
        self._starts = np.cumsum(self._counts) - self._counts

    def weights(self, index: np.ndarray) -> np.ndarray:
        """The weights (numbers of positions) of the postings at `index`."""
        return self._counts[index].astype(np.float64)

    def positions(self, index: np.ndarray | None = None, raw: bool = False):
        """(positions end to end, how many each) of the postings at `index`
        (None: of every posting, with no gathering; `raw`: as the file's
        32-bit numbers, a view of it)."""
        if index is None:
            found = self._positions
            return (found if raw else found.astype(np.int64)), self._counts
        counts = self._counts[index]
        found = gather(self._positions, self._starts[index], counts)
        return found.astype(np.int64), counts


def gather(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The ranges `data[start : start + length]`, end to end, through an index of
    every item."""
    ends = np.cumsum(lengths)
    where = np.repeat(starts - (ends - lengths), lengths)
    return data[where + np.arange(int(ends[-1]) if len(ends) else 0)]
