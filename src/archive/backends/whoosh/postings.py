"""Reading a term's postings (document numbers, weights, positions) in one call:
from a segment's positions file where it has one, else from Whoosh's blocks."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.reading import TermNotFound

from .positions import FilePostings, PositionsFile, PositionsWriter, file_name
from .schema import VarintPositions
from .segments import read_postings

if TYPE_CHECKING:
    from .arrays import Segment

#: No documents, as every reader of postings answers it.
EMPTY_IDS = np.zeros(0, dtype=np.int64)


class BlockPostings:
    """A term's postings read from its W3 blocks, with their values."""

    def __init__(self, ids: np.ndarray, weights: np.ndarray, values: list[bytes]):
        self.ids, self._weights, self._values = ids, weights, values

    def weights(self, index: np.ndarray) -> np.ndarray:
        return self._weights[index]

    def positions(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return VarintPositions.decode_all([self._values[i] for i in index.tolist()])


def _in_file(reader, data: Segment, field: str, text: str):
    """(the segment's postings file of the field, the term's number in it), or
    (file or None, None) when the segment's blocks must be read instead; None
    when the segment does not have the term."""
    found = postings_file(data, reader, field)
    if found is None:
        return None, None
    info = _term_info(reader, field, text)
    return None if info is None else (found, found.find(info))


def term_postings(reader, data: Segment, field: str, text: str):
    """(document numbers, weights) of a term in a segment, or None if it has
    none there: from the segment's postings file of the field if the term is
    in it, else from its blocks."""
    located = _in_file(reader, data, field, text)
    if located is None:
        return None
    found, term = located
    if term is not None and found.has_weights:
        return found.ids_of(term).astype(np.int64), found.weights_of(term).astype(np.float64)
    if term is not None:
        read = found.postings(term)
        return read.ids, read.weights(np.arange(len(read.ids)))
    read = postings(reader, field, text)
    return None if read is None else read[:2]


def phrase_postings(reader, data: Segment, field: str, text: str, within=None):
    """A phrase word's postings in a segment (None if it has none there): from
    the segment's positions file if the word is in it, else from its blocks
    (only those that can hold a document of `within`, if given)."""
    located = _in_file(reader, data, field, text)
    if located is None:
        return None
    found, term = located
    if term is not None:
        return found.postings(term)
    read = postings(reader, field, text, values=True, within=within)
    return None if read is None else BlockPostings(*read)


#: A phrase word's key: its document number shifted by this many bits, plus
#: its position (below 2**32, as positions files keep them, plus the words'
#: offsets).
POSITION_BITS = 33


def phrase_keys(
    term: FilePostings | BlockPostings, common: np.ndarray, offset: int = 0
) -> np.ndarray | None:
    """Sorted keys `(document << POSITION_BITS) + position + offset` of a phrase
    word in the documents of `common` (or in more: every document of a word
    that has few more than `common`, four fifths at least, which spares
    gathering its positions); None if a position does not fit."""
    if isinstance(term, FilePostings) and 5 * len(common) >= 4 * len(term.ids):
        docs, (found, counts) = term.ids, term.positions(raw=True)
    else:
        docs, (found, counts) = common, term.positions(np.searchsorted(term.ids, common))
    if len(found) and int(found.max()) >= 1 << 32:
        return None
    keys = np.repeat((docs << POSITION_BITS) + offset, counts)
    keys += found
    return keys


def consecutive(keys: list[np.ndarray]) -> np.ndarray:
    """The sorted documents where the words come one after another.

    `keys[k]` are word k's `phrase_keys` with the offset n - k for n words:
    word k at position p becomes (document, p + n - k), and a document is
    kept when some key is shared by every word. Each list holds a key once,
    so the keys in two lists are the equal neighbours of the lists merged (a
    stable sort merges two sorted runs in one pass), or for a list much
    shorter than the other, those of its keys a binary search finds in it.
    """
    shared = keys[0]
    for more in keys[1:]:
        if not len(shared):
            break
        short, long = (more, shared) if len(more) < len(shared) else (shared, more)
        if 32 * len(short) < len(long):  # a few keys: each looked up in the long list
            at = np.minimum(np.searchsorted(long, short), len(long) - 1)
            shared = short[long[at] == short]
            continue
        merged = np.concatenate([shared, more])
        merged.sort(kind="stable")
        shared = merged[1:][merged[1:] == merged[:-1]]
    docs = shared >> POSITION_BITS
    if not len(docs):
        return EMPTY_IDS
    return docs[np.concatenate([[True], docs[1:] != docs[:-1]])]


def postings(reader, field: str, text, values: bool = False, within=None):
    """(document numbers, weights, values or None) of a term in a leaf reader,
    or None if the segment does not have it. Deleted documents are included:
    callers mask them with `Segment.live`. With `within` (sorted document
    numbers) the result may leave out postings of other documents.

    Whoosh's matcher reads a block through a dozen Python calls (a second
    lookup, a matcher, a header, the data, a generator undoing the deltas),
    tens of microseconds a term; a prefix or a query over many segments
    reads thousands of terms. `segments.read_postings` reads a term's bytes
    in one call and decodes each block with `pickle` and numpy.
    """
    btext = text.encode("utf-8") if isinstance(text, str) else text
    terms = getattr(reader, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return _by_matcher(reader, field, btext, values)
    info = _term_info(reader, field, btext)
    if info is None:
        return None
    if info.is_inlined():  # not written by Whoosh's default codec, nor by ours
        return _by_matcher(reader, field, btext, values)
    size = reader.schema[field].format.fixed_value_size()
    return read_postings(terms._postfile, info, size, values, within)


def _term_info(reader, field: str, text):
    """A term's information in a leaf reader with W3 terms, or None if it is absent."""
    btext = text.encode("utf-8") if isinstance(text, str) else text
    try:
        return reader._terms.term_info(field, btext)
    except TermNotFound:
        return None


def _by_matcher(reader, field: str, btext: bytes, values: bool):
    """`postings` through Whoosh's matcher, for what the fast path does not read."""
    try:
        matcher = reader.postings(field, btext)
    except TermNotFound:
        return None
    matcher = getattr(matcher, "child", matcher)  # deletions are the caller's
    ids, weights, found = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            found.append(matcher.value())
        matcher.next()
    return (
        np.asarray(ids, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
        found if values else None,
    )


def save_postings(reader, field: str, path: Path) -> None:
    """Write a field's postings file (`positions`) for a segment Whoosh's writer
    wrote (an update or a merge), from its blocks; a rebuilt segment has them."""
    terms = getattr(reader, "_terms", None)
    if path.exists() or not isinstance(terms, W3TermsReader):
        return
    try:
        writer = PositionsWriter.for_field(path, reader.schema[field])
    except OSError:  # an index folder that cannot be written is only slower
        return
    try:
        for (name, text), info in terms.items_from(field, b""):
            if name != field:
                break
            if writer.words_only:
                writer.add(0, EMPTY_IDS, [], None, text)
                continue
            if info.is_inlined():  # its postings are not in blocks: left out
                writer.complete = False
                continue
            ids, weights, values = read_postings(terms._postfile, info, None, not writer.weights)
            writer.add(info.extent()[0], ids, values, weights, text)
        writer.close()
    except OSError:
        writer.cancel()
    except BaseException:
        writer.cancel()  # no parts left behind
        raise


def postings_file(data: Segment, reader, field: str) -> PositionsFile | None:
    """The segment's postings file of a field, opened once; None if it has none
    (or a damaged one)."""
    found = data.files.get(field)
    if found is None:
        folder, segment_id = data.key
        name = file_name(segment_id, field, reader.schema[field]) if folder else None
        found = False
        if name is not None:
            with contextlib.suppress(OSError, ValueError):
                found = PositionsFile(Path(folder) / name)
        data.files[field] = found
    return found or None
