"""The bulk segment writer writes the files Whoosh's own writer writes, and the
search engine reads them as Whoosh does."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.reading import SegmentReader

from archive.backends.analysed import part_of, scan_corpus
from archive.backends.whoosh import positions, postings
from archive.backends.whoosh.positions import PositionsFile
from archive.backends.whoosh.schema import VarintPositions, build_schema, document_to_fields
from archive.backends.whoosh.segments import BLOCK, COMPRESSION, BulkSegmentWriter
from archive.backends.whoosh.writer import Writer
from archive.corpus import Corpus
from benchmarks.generate import generate


def _new_segment(folder: Path, writer_class, schema, documents):
    """(index, segment) of `documents` written by `writer_class` in a new folder."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema)
    writer = writer_class(ix, _lk=False, compound=False)
    for fields in documents:
        writer.add_document(**fields)
    return ix, writer._finalize_segment()


def _write_segment(folder: Path, writer_class, schema, documents) -> tuple[dict, dict]:
    """The files of a segment written by `writer_class`, keyed by what follows
    the segment's (random) id, and what Whoosh reads back from it."""
    ix, segment = _new_segment(folder, writer_class, schema, documents)
    prefix = segment.segment_id()
    files = {
        name.removeprefix(prefix): (folder / name).read_bytes()
        for name in sorted(p.name for p in folder.iterdir())
        if name.startswith(prefix)
    }
    with SegmentReader(ix.storage, schema, segment) as reader:
        return files, _read_back(reader)


def _whooshs_compression(data: bytes) -> tuple[int, bytes]:
    return COMPRESSION, zlib.compress(data, COMPRESSION)


def _read_back(reader) -> dict:
    """Every term's postings and statistics, field lengths and stored fields."""
    every = {}
    for field, text in reader.all_terms():
        info = reader.term_info(field, text)
        found = [
            (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
        ]
        matcher = reader.postings(field, text)
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        # The search engine's own block reader gives what Whoosh's matcher gives.
        ids, weights, values = postings.postings(reader, field, text, values=True)
        assert [*zip(ids.tolist(), weights.tolist(), values, strict=True)] == found[1:]
        every[field, text] = found
    lengths = [
        reader.doc_field_length(n, field)
        for field in reader.indexed_field_names()
        for n in range(reader.doc_count_all())
    ]
    return {"postings": every, "lengths": lengths, "stored": list(reader.all_stored_fields())}


@pytest.fixture(scope="module")
def generated_fields(tmp_path_factory):
    home = tmp_path_factory.mktemp("generated")
    generate(home, 250, seed=11, words="bundled")
    corpus = Corpus(home)
    fields = [
        document_to_fields(document, digest, corpus.registry.names)
        for _, document, digest, _, _ in scan_corpus(corpus)
        if document is not None and part_of(document) == "public"
    ]
    assert len(fields) > 150
    return fields


POSTINGS_FILES = (
    ".positions",
    ".title.weights",
    ".body.weights",
    ".mention.weights",
    ".exact.words",
)


def test_bulk_segment_reads_back_as_whooshs_does(generated_fields, tmp_path):
    schema = build_schema()
    ours, our_postings = _write_segment(
        tmp_path / "bulk", BulkSegmentWriter, schema, generated_fields
    )
    theirs, their_postings = _write_segment(tmp_path / "whoosh", Writer, schema, generated_fields)
    # Short blocks are left uncompressed, so the postings (and the offsets in
    # the terms file) differ; the columns are the same bytes.
    # Ours also repeats its postings in a positions file and weights files.
    assert {k: v for k, v in ours.items() if k not in (".pst", ".trm", *POSTINGS_FILES)} == {
        k: v for k, v in theirs.items() if k not in (".pst", ".trm")
    }
    assert len(ours[".pst"]) < len(theirs[".pst"])
    assert len(our_postings["postings"]) > 1000
    assert our_postings == their_postings


@pytest.mark.parametrize("short_blocks", ["compressed", "plain"])
def test_terms_longer_than_a_block_and_absent_fields_match_whoosh(
    tmp_path, monkeypatch, short_blocks
):
    # A term in more documents than a block holds, a field some documents
    # lack, and a numeric field with several terms per value.
    schema = Schema(tag=ID, note=ID, year=NUMERIC(int, bits=32, sortable=True))
    documents = [
        {"tag": "common", "year": 2000 + n % 17, **({"note": f"n{n % 5}"} if n % 3 else {})}
        for n in range(3 * BLOCK + 5)
    ]
    if short_blocks == "compressed":
        monkeypatch.setattr("archive.backends.whoosh.segments._compress", _whooshs_compression)
    ours = _write_segment(tmp_path / "bulk", BulkSegmentWriter, schema, documents)
    theirs = _write_segment(tmp_path / "whoosh", Writer, schema, documents)
    if short_blocks == "compressed":
        assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]


def test_bulk_segment_is_byte_identical_to_whooshs_with_its_compression(
    generated_fields, tmp_path, monkeypatch
):
    monkeypatch.setattr("archive.backends.whoosh.segments._compress", _whooshs_compression)
    schema = build_schema()
    ours, _ = _write_segment(tmp_path / "bulk", BulkSegmentWriter, schema, generated_fields)
    theirs, _ = _write_segment(tmp_path / "whoosh", Writer, schema, generated_fields)
    assert ours.keys() - set(POSTINGS_FILES) == theirs.keys()
    assert {".trm", ".pst", "._stored.col"} <= set(ours)
    for name in theirs:
        assert ours[name] == theirs[name], name


def test_a_segment_sorted_in_runs_is_the_segment_sorted_at_once(
    generated_fields, tmp_path, monkeypatch
):
    schema = build_schema()
    whole, whole_postings = _write_segment(
        tmp_path / "whole", BulkSegmentWriter, schema, generated_fields
    )

    def in_runs(ix, **kwargs):
        return BulkSegmentWriter(ix, run_postings=5_000, **kwargs)

    # Runs of a few documents, read back a few values at a time.
    monkeypatch.setattr("archive.backends.whoosh.segments._Cursor.CHUNK", 7)
    runs, runs_postings = _write_segment(tmp_path / "runs", in_runs, schema, generated_fields)
    assert runs == whole
    assert runs_postings == whole_postings
    # The runs were on disk, and are gone once the segment is written.
    assert not list((tmp_path / "runs").glob(".runs-*"))


def test_a_cancelled_segment_leaves_no_runs(generated_fields, tmp_path):
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = BulkSegmentWriter(ix, _lk=False, compound=False, run_postings=5_000)
    for fields in generated_fields[:40]:
        writer.add_document(**fields)
    assert list(tmp_path.glob(".runs-*/*"))
    writer.cancel()
    assert not list(tmp_path.glob(".runs-*"))


def test_postings_within_some_documents_decode_only_their_blocks(tmp_path):
    schema = Schema(text=TEXT(phrase=True))
    documents = [
        {"text": f"common {'rare' if n in (3, 2 * BLOCK + 9) else 'word'} common"}
        for n in range(3 * BLOCK + 5)
    ]
    ix, segment = _new_segment(tmp_path / "segment", BulkSegmentWriter, schema, documents)
    with SegmentReader(ix.storage, schema, segment) as reader:
        ids, weights, values = postings.postings(reader, "text", "common", values=True)
        within = np.array([3, 2 * BLOCK + 9])
        part_ids, part_weights, part_values = postings.postings(
            reader, "text", "common", values=True, within=within
        )
    # The first and third of four blocks hold those documents.
    kept = [*range(BLOCK), *range(2 * BLOCK, 3 * BLOCK)]
    assert part_ids.tolist() == ids[kept].tolist() == kept
    assert part_weights.tolist() == weights[kept].tolist()
    assert part_values == [values[i] for i in kept]


def test_the_positions_file_repeats_what_the_blocks_of_every_word_hold(generated_fields, tmp_path):
    schema = build_schema()
    folder = tmp_path / "segment"
    ix, segment = _new_segment(folder, BulkSegmentWriter, schema, generated_fields)
    assert not list(folder.glob(".*"))  # no temporary parts left
    stored = PositionsFile(folder / f"{segment.segment_id()}{positions.SUFFIX}")
    assert stored.complete
    words = 0
    with SegmentReader(ix.storage, schema, segment) as reader:
        for text in reader.lexicon("analysed"):
            term = stored.find(reader.term_info("analysed", text))
            assert term == words  # in the order of the words
            words += 1
            ids, weights, values = postings.postings(reader, "analysed", text, values=True)
            everything = np.arange(len(ids))
            blocks = postings.BlockPostings(ids, weights, values)
            fast = stored.postings(term)
            assert fast.ids.tolist() == ids.tolist()
            assert fast.weights(everything).tolist() == weights.tolist()
            for a, b in zip(fast.positions(everything), blocks.positions(everything), strict=True):
                assert a.tolist() == b.tolist()
    assert words == len(stored.keys) > 100
    # Every word is found by its text, in one search; others are not there.
    with SegmentReader(ix.storage, schema, segment) as reader:
        texts = list(reader.lexicon("analysed"))
    assert stored.find_texts(texts) == list(range(words))
    long_words = [t for t in texts if len(t) > 8]
    assert long_words  # words that share their first 8 bytes with others
    head = next(w[:8] for w in long_words if w[:8] not in texts)
    others = [b"zzzz-not-a-word", long_words[0] + b"x", head, b""]
    assert stored.find_texts(others) == [None] * len(others)


@pytest.mark.parametrize("field", ["title", "body", "mention"])
def test_a_weights_file_repeats_the_documents_and_weights_of_every_word(
    generated_fields, tmp_path, field
):
    schema = build_schema()
    folder = tmp_path / "segment"
    ix, segment = _new_segment(folder, BulkSegmentWriter, schema, generated_fields)
    name = positions.file_name(segment.segment_id(), field, schema[field])
    stored = PositionsFile(folder / name)
    assert stored.complete and stored.has_weights
    words = 0
    with SegmentReader(ix.storage, schema, segment) as reader:
        for text in reader.lexicon(field):
            term = stored.find(reader.term_info(field, text))
            assert term == words
            words += 1
            ids, weights, _ = postings.postings(reader, field, text)
            assert stored.ids_of(term).tolist() == ids.tolist()
            assert stored.weights_of(term).tolist() == weights.tolist()
    assert words == len(stored.keys) > 10


def test_the_words_file_lists_the_words_of_a_words_only_field(generated_fields, tmp_path):
    schema = build_schema()
    folder = tmp_path / "segment"
    ix, segment = _new_segment(folder, BulkSegmentWriter, schema, generated_fields)
    name = positions.file_name(segment.segment_id(), "exact", schema["exact"])
    stored = PositionsFile(folder / name)
    assert stored.words_only and stored.complete and not len(stored.ids)
    with SegmentReader(ix.storage, schema, segment) as reader:
        words = list(reader.lexicon("exact"))
        prefixes = {w[:n] for w in words[:: max(1, len(words) // 60)] for n in (1, 3, 9)}
        prefixes |= {b"zzzz", "حقو".encode(), b"organ"}
        for prefix in sorted(prefixes):
            expected = list(reader.expand_prefix("exact", prefix))
            assert stored.words_from(prefix, 10_000) == expected, prefix
            if expected:
                assert stored.words_from(prefix, len(expected)) == expected
                assert stored.words_from(prefix, len(expected) - 1) is None
        # No postings: a term of the field is read from its blocks.
        assert stored.find(reader.term_info("exact", words[0])) is None


def test_a_weight_32_bits_cannot_hold_leaves_its_word_out(tmp_path):
    path = tmp_path / "MAIN_x.body.weights"
    writer = positions.PositionsWriter(path, weights=True)
    writer.add(10, np.arange(2, dtype=np.uint32), [], np.array([1.0, 2.5]))
    writer.add(20, np.arange(2, dtype=np.uint32), [], np.array([1.0, 0.1]))
    writer.close()
    stored = PositionsFile(path)
    assert not stored.complete
    assert stored.find(_Info(10)) == 0 and stored.find(_Info(20)) is None
    assert stored.weights_of(0).tolist() == [1.0, 2.5]


class _Info:
    """A term's information as a positions file looks it up."""

    def __init__(self, offset: int):
        self.offset = offset

    def is_inlined(self) -> bool:
        return False

    def extent(self) -> tuple[int, int]:
        return self.offset, 1


def test_positions_decoded_in_batches_are_each_words_and_a_position_beyond_32_bits_is_left_out(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(positions, "BATCH", 3)  # a batch every few words
    fmt = VarintPositions()
    words = {
        100: [[1, 5], [2]],
        200: [[7], [3, 4, 9], [1]],
        300: [[2**33]],  # beyond 32 bits
        400: [[65536 * 3 + 2]],
    }
    path = tmp_path / f"MAIN_x{positions.SUFFIX}"
    writer = positions.PositionsWriter(path)
    for key, lists in words.items():
        docs = np.arange(len(lists), dtype=np.int64) * 2
        writer.add(key, docs, [fmt.encode(p) for p in lists])
    writer.close()
    stored = PositionsFile(path)
    assert not stored.complete
    assert stored.find(_Info(300)) is None
    for key, lists in words.items():
        if key == 300:
            continue
        found = stored.postings(stored.find(_Info(key)))
        everything = np.arange(len(lists))
        assert found.ids.tolist() == [2 * n for n in range(len(lists))]
        assert found.weights(everything).tolist() == [len(p) for p in lists]
        flat, counts = found.positions(everything)
        assert flat.tolist() == [n for p in lists for n in p]
        assert counts.tolist() == [len(p) for p in lists]


def test_a_damaged_positions_file_is_not_used(tmp_path):
    path = tmp_path / f"MAIN_x{positions.SUFFIX}"
    writer = positions.PositionsWriter(path)
    writer.add(100, np.arange(3, dtype=np.uint32), [b"\0\0\0\1\x05"] * 3)
    writer.close()
    assert PositionsFile(path).postings(0).weights(np.arange(3)).tolist() == [1.0] * 3
    assert PositionsFile(path).complete
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="expected"):
        PositionsFile(path)


def test_bulk_writer_refuses_what_it_cannot_write(tmp_path):
    ix = whoosh_index.create_in(str(tmp_path), Schema(tag=ID))
    writer = BulkSegmentWriter(ix, _lk=False)
    try:
        with pytest.raises(ValueError, match="boosts"):
            writer.add_document(tag="a", _boost=2.0)
        with pytest.raises(NotImplementedError):
            writer.add_reader(None)
    finally:
        writer.cancel()


def test_a_rebuild_in_several_segments_finds_what_one_segment_finds(tmp_path, monkeypatch):
    from archive.backends.whoosh.indexing import Index
    from archive.search import Filters, SearchService

    home = tmp_path / "home"
    generate(home, 150, seed=3, words="bundled")
    queries = ["rights", '"human rights"', "مصر", "organ*", "Egypt OR Morocco", ""]

    def answers():
        with SearchService(home) as service:
            return [
                service.search(q, filters=f, page_size=50, include_restricted=True).to_json()
                for q in queries
                for f in (Filters(), Filters(countries=("EG",)))
            ]

    Index(home, processes=1).rebuild(Corpus(home))
    whole = answers()
    assert any(answer["hits"] for answer in whole)
    Index(home, processes=2).rebuild(Corpus(home))  # one segment per worker
    assert answers() == whole
    # Sorted in many runs on disk, merged into one segment.
    monkeypatch.setattr("archive.backends.whoosh.building.RUN_POSTINGS", 20_000)
    Index(home, processes=1).rebuild(Corpus(home))
    with Index(home).open("public").reader() as reader:
        assert len(reader.leaf_readers()) == 1
    assert not list(Index(home).generation().glob("*/.runs-*"))
    assert answers() == whole
