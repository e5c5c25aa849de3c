"""The Whoosh schema and the one function that turns a `Document` into fields."""

from __future__ import annotations

import itertools

import numpy as np
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Existence, Positions
from whoosh.system import _INT_SIZE, pack_uint, unpack_uint

from ...document import Document
from ...fields import TAG_FACETS
from ..analysed import analysed_fields
from .analyzer import ArchiveAnalyzer

#: Fields searched for plain words, with their BM25F weights.
SEARCH_FIELDS = ("title", "body")
SEARCH_BOOSTS = {"title": 2.5, "body": 1.0}
#: Text fields beside those: `exact` (exact words, for prefixes, =word and
#: suggestions) and `analysed` (analysed words with their positions, for
#: phrases and proximity); see `analysis`.
#: The field of entities named in the text, as "kind:id" terms.
MENTION_FIELD = "mention"
#: Per-document value lists kept in memory for every segment (facet counts,
#: filters, similar documents): name -> indexed field holding the values.
COLUMN_FIELDS = {facet.name: facet.field for facet in TAG_FACETS}


class VarintPositions(Positions):
    """Whoosh's `Positions` with the deltas between positions as varints.

    A posting value is the count (4 bytes, as Whoosh's) then each delta in
    7-bit groups, lowest first, the high bit set on all but the last byte.
    Whoosh pickles the deltas instead, which can only be read back one value
    at a time; these are read for thousands of documents at once by
    `decode_all` (phrases), and take about half the space.
    """

    def encode(self, poslist) -> bytes:
        out = bytearray(pack_uint(len(poslist)))
        base = 0
        for position in poslist:
            delta = position - base
            base = position
            while delta > 0x7F:
                out.append(delta & 0x7F | 0x80)
                delta >>= 7
            out.append(delta)
        return bytes(out)

    @staticmethod
    def encode_many(lists: list[list[int]]) -> Joined:
        """`encode` of many position lists at once (one document's words),
        with numpy: each value's count, then its deltas in 7-bit groups."""
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        flat = np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(counts.sum()))
        firsts = np.cumsum(counts) - counts
        deltas = np.diff(flat, prepend=0)
        deltas[firsts] = flat[firsts]  # each list's deltas start from zero
        sizes = np.ones(len(deltas), dtype=np.int64)  # bytes of each delta
        for bits in (7, 14, 21, 28, 35, 42, 49, 56):
            sizes += deltas >= 1 << bits
        owner = np.repeat(np.arange(len(deltas)), sizes)
        group = np.arange(len(owner)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        groups = (deltas[owner] >> (7 * group)) & 0x7F
        groups |= (group < sizes[owner] - 1).astype(np.int64) << 7  # more to come
        value_sizes = _INT_SIZE + np.add.reduceat(sizes, firsts)
        out = np.empty(int(value_sizes.sum()), dtype=np.uint8)
        heads = (np.cumsum(value_sizes) - value_sizes)[:, None] + np.arange(_INT_SIZE)
        body = np.ones(len(out), dtype=bool)
        body[heads.ravel()] = False
        out[heads.ravel()] = counts.astype(">u4").view(np.uint8)
        out[body] = groups
        return Joined(out.tobytes(), value_sizes.tolist())

    def decode_positions(self, valuestring: bytes) -> list[int]:
        # One value (Whoosh's span and proximity matchers, document by
        # document): plain Python is several times faster than numpy here.
        positions, position, delta, shift = [], 0, 0, 0
        for byte in valuestring[_INT_SIZE:]:
            delta |= (byte & 0x7F) << shift
            if byte < 0x80:
                position += delta
                positions.append(position)
                delta = shift = 0
            else:
                shift += 7
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return unpack_uint(valuestring[:_INT_SIZE])[0]

    @staticmethod
    def decode_all(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """The positions of many posting values, concatenated, and how many each holds."""
        data, lengths, counts = VarintPositions.split_counts(values)
        found, decoded = VarintPositions.decode_deltas(data, lengths)
        if not np.array_equal(decoded, counts):
            raise ValueError("posting values do not hold the positions they count")
        return found, counts

    @staticmethod
    def split_counts(values: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posting values taken apart: their deltas' bytes end to end, how many
        of those bytes each value has, and the count each value starts with."""
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        data = np.frombuffer(b"".join(values), dtype=np.uint8)
        heads = (np.cumsum(lengths) - lengths)[:, None] + np.arange(_INT_SIZE)
        header = data[heads].astype(np.int64)
        counts = (header[:, 0] << 24) | (header[:, 1] << 16) | (header[:, 2] << 8) | header[:, 3]
        body = np.ones(len(data), dtype=bool)
        body[heads.ravel()] = False
        return data[body], lengths - _INT_SIZE, counts

    @staticmethod
    def decode_deltas(data: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions end to end, how many each) of values whose deltas are
        given end to end in `data`, `lengths` bytes each (no counts)."""
        ends = np.cumsum(lengths)
        # A byte before the first: no delta reaches back past it.
        data = np.concatenate([np.zeros(1, np.uint8), data])
        following = data >= 0x80  # the high bit set: the delta goes on
        last = np.flatnonzero(~following)[1:]  # each delta's last byte
        counts = np.diff(np.searchsorted(last, ends + 1), prepend=0)
        # A delta's groups of 7 bits come lowest first: read back from its last byte.
        groups = data & 0x7F
        deltas = groups[last].astype(np.int64)
        going = following[last - 1]
        back = 1
        while going.any():
            deltas = np.where(going, (deltas << 7) | groups[last - back], deltas)
            back += 1
            going &= following[last - back]
        running = np.cumsum(deltas)  # each value's run from zero
        offsets = np.cumsum(counts) - counts
        base = np.zeros(len(counts), dtype=np.int64)
        later = offsets > 0
        base[later] = running[offsets[later] - 1]
        return running - np.repeat(base, counts), counts


class Joined:
    """Posting values end to end, and how long each is: what
    `BulkSegmentWriter` stores, built without a bytes object a value.
    Iterating gives the values one by one, as Whoosh's writer takes them."""

    __slots__ = ("data", "sizes")

    def __init__(self, data: bytes, sizes: list[int]):
        self.data, self.sizes = data, sizes

    def __iter__(self):
        at = 0
        for size in self.sizes:
            yield self.data[at : at + size]
            at += size


class TermCounts(dict):
    """Terms already analysed for a field: term -> frequency, or -> positions."""


class AnalysedText(TEXT):
    """A TEXT field that also accepts `TermCounts` computed beforehand.

    Indexing analyses each document once for its four text fields (see
    `analysis.analyse_document`); the field only encodes the result in its
    own format. A plain string is analysed with the field's analyzer.
    """

    def __init__(self, *args, words_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.format) is Positions:
            self.format = VarintPositions(field_boost=self.format.field_boost)
        #: Which documents have a word, and nothing more: no frequencies, no
        #: scores; a segment keeps a file of the field's words (`positions`).
        self.words_only = words_only
        if words_only:
            self.format = Existence(field_boost=self.format.field_boost)
            self.scorable = False

    def index(self, value, **kwargs):
        if not isinstance(value, TermCounts):
            return super().index(value, **kwargs)
        terms, frequencies, weights, values = self.columns(value)
        encoded = [t.encode("utf-8") for t in terms]
        return list(zip(encoded, frequencies, weights, values, strict=True))

    def columns(self, value: TermCounts) -> tuple[list, list, list, list]:
        """The postings of analysed terms as columns: terms (str), frequencies,
        weights and encoded values (what `BulkSegmentWriter` stores)."""
        boost = self.format.field_boost
        terms = list(value)
        if self.format.supports("positions"):
            lists = list(value.values())
            frequencies = list(map(len, lists))
            values = VarintPositions.encode_many(lists) if lists else Joined(b"", [])
        elif isinstance(self.format, Existence):
            frequencies = [1] * len(terms)
            values = [b""] * len(terms)
        else:
            # Frequency format: the posting value is the frequency, packed.
            frequencies = list(value.values())
            values = list(map(pack_uint, frequencies))
        return terms, frequencies, [n * boost for n in frequencies], values


def build_schema() -> Schema:
    stemmed = ArchiveAnalyzer("stemmed")
    return Schema(
        id=ID(unique=True),
        path=ID(unique=True),
        title=AnalysedText(analyzer=stemmed, phrase=False, field_boost=SEARCH_BOOSTS["title"]),
        body=AnalysedText(analyzer=stemmed, phrase=False, field_boost=SEARCH_BOOSTS["body"]),
        # Exact words, which documents have them and nothing more: the
        # lexicon for prefixes and suggestions, and =word. The analysed words
        # with their positions (phrases, proximity, prefixes).
        exact=AnalysedText(analyzer=ArchiveAnalyzer("exact"), phrase=False, words_only=True),
        analysed=AnalysedText(analyzer=ArchiveAnalyzer("analysed"), phrase=True),
        # Countries, organisations and people named in the text ("country:EG"),
        # found at index time with the registry's names in every language.
        mention=AnalysedText(analyzer=ArchiveAnalyzer("exact"), phrase=False, field_boost=0.5),
        # Each facet's values: several to a document, or one.
        **{f.field: KEYWORD(commas=True, scorable=False) if f.multi else ID for f in TAG_FACETS},
        access=ID,
        # signed: Whoosh 2.7.4 answers ranges with an upper bound wrongly on
        # unsigned numeric fields (everything matches).
        date=NUMERIC(int, bits=32, sortable=True),
        meta=STORED,
        hash=STORED,
    )


def document_to_fields(document: Document, content_hash: str, names=None) -> dict:
    """The fields Whoosh indexes for one document (`names`: the registry's `NameIndex`)."""
    fields = analysed_fields(document, content_hash, names)
    for name in (*SEARCH_FIELDS, "exact", "analysed", MENTION_FIELD):
        fields[name] = TermCounts(fields[name])
    return fields
