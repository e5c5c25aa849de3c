"""The vectorised engine gives what the straightforward implementation gives."""

from __future__ import annotations

import pytest
from whoosh.writing import NO_MERGE

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.search import Filters, SearchService
from benchmarks.generate import generate

QUERIES = [
    "",
    "rights",
    "surveillance journalists",
    "Egypt",
    "مصر",
    "المنظمات",
    "journalistes",
    '"human rights"',
    '"human rights defenders"',
    '"حقوق الإنسان"',
    '"of the"',
    '"Italy rights"',  # a rare word before a common one: blocks are skipped
    '"freedom of expression"~3',
    "organ*",
    "rights -Egypt",
    "Egypt OR Morocco",
    "(Egypt OR Morocco) rights",
    "date:[2015 TO 2018] rights",
    "country:MA",
    "type:case",
    "rights NEAR/p defenders",
    # NEAR between words or prefixes is evaluated at once; a phrase side is Whoosh's.
    "human NEAR/3 righ*",
    "rights NEAR/2 rights",  # a word is not near itself
    "(Egypt OR Morocco) NEAR/4 rights",
    "the NEAR/p of*",
    "حقوق NEAR/p الإنسان",
    '"human rights" NEAR/5 defenders',
    "NSO",
    "Raissouni",
    "zebra",
]
FILTERS = [
    Filters(),
    Filters(countries=("EG", "MA")),
    Filters(languages=("ar",), types=("letter", "case")),
    Filters(years=("2015",)),
    Filters(years=("2015",), months=("2015-03",)),
    Filters(organisations=("access-now",), date_from="2012", date_to="2020-06"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    home = tmp_path_factory.mktemp("generated")
    generate(home, 600, seed=7, words="bundled")
    Index(home, processes=1).rebuild(Corpus(home))
    # A second, incremental segment with deletions, as a live archive has.
    corpus = Corpus(home)
    for path in list(corpus.paths())[:40]:
        path.unlink()
    generate_more = sorted(corpus.paths())[:20]
    for path in generate_more:
        path.write_text(
            path.read_text(encoding="utf-8") + "\nAn added line about rights.\n", encoding="utf-8"
        )
    Index(home).update(corpus)
    return home


@pytest.mark.parametrize("sort", ["relevance", "date", "date-asc"])
def test_results_and_facet_counts_equal_the_reference(generated, sort):
    with SearchService(generated) as fast, SearchService(generated, reference=True) as plain:
        for number, query in enumerate(QUERIES):
            # Every query without filters, and with two of the filter sets in turn.
            chosen = {0, 1 + number % (len(FILTERS) - 1), 1 + (number + 2) % (len(FILTERS) - 1)}
            for filters in [FILTERS[i] for i in sorted(chosen)]:
                for page in (1, 3):
                    kwargs = {
                        "filters": filters,
                        "sort": sort,
                        "page": page,
                        "page_size": 7,
                        "include_restricted": number % 2 == 1,
                    }
                    a = fast.search(query, **kwargs).to_json()
                    b = plain.search(query, **kwargs).to_json()
                    scores_a = [h.pop("score") for h in a["hits"]]
                    scores_b = [h.pop("score") for h in b["hits"]]
                    assert scores_a == pytest.approx(scores_b, rel=1e-9), (query, filters)
                    assert a == b, (query, filters, sort, page)


def test_searches_answer_alike_with_or_without_postings_files(generated):
    from archive.backends.whoosh import arrays, positions

    index = generated / "index"
    files = sorted(index.glob(f"g*/*/*{positions.SUFFIX}"))
    # Written by the rebuild; the update's small segment has none (`FILES_FROM`).
    assert files
    weights = sorted(index.glob(f"g*/*/*{positions.WEIGHTS_SUFFIX}"))
    # Exact words say only which documents have them: no file of their own.
    assert {p.name.split(".")[1] for p in weights} == {"title", "body", "mention"}
    words = sorted(index.glob(f"g*/*/*{positions.WORDS_SUFFIX}"))
    assert {p.name.split(".")[1] for p in words} == {"exact"}  # its words, no postings
    files += weights + words
    queries = ['"of the"', '"human rights defenders"', '"Italy rights"', "organ*", "rights"]
    queries += ["=rights", "human NEAR/3 righ*", "حقو*"]
    queries += ["surveillance journalists", "مصر", "Egypt OR Morocco", "title:rights"]

    def answers():
        arrays._segments.clear()  # as a new process starts
        with SearchService(generated) as service:
            return [
                service.search(q, include_restricted=True, page_size=50).to_json() for q in queries
            ]

    whole = answers()
    kept = {path: path.read_bytes() for path in files}
    try:
        for path in files:  # damaged: the posting blocks answer instead
            path.write_bytes(kept[path][:-7])
        assert answers() == whole
        for path in files:
            path.unlink()
        assert answers() == whole
    finally:
        for path, data in kept.items():
            path.write_bytes(data)


@pytest.mark.parametrize("field", ["body", "analysed"])  # a weights and a positions file
def test_any_of_many_words_finds_what_each_word_finds(generated, field):
    from archive.backends.whoosh import arrays, engine, positions, postings

    arrays._segments.clear()  # as a new process starts
    with Index(generated).open("public").reader() as reader:
        for leaf, _ in reader.leaf_readers():
            if leaf.segment() is None:
                continue
            data = arrays.segment(leaf)
            small = leaf.doc_count_all() < positions.FILES_FROM  # an update's: its blocks alone
            assert (postings.postings_file(data, leaf, field) is None) == small
            words = [t.decode("utf-8") for t in leaf.lexicon(field)]
            groups = [words[:1], words[-3:], words[:: max(1, len(words) // 40)], ["zzzz", words[5]]]
            groups.append([w for w in words if w.startswith("organ")])
            for group in groups:
                expected = sorted(
                    {
                        int(d)
                        for w in group
                        if w in words
                        for d in postings.postings(leaf, field, w)[0]
                    }
                )
                assert expected
                found = engine.any_term_ids(leaf, field, group, data)
                assert found.tolist() == expected, group
                # Read from the posting blocks, as Whoosh's own matcher does.
                assert engine.any_term_ids(leaf, field, group).tolist() == expected
                # A query's matcher, as Whoosh's own, leaves deleted documents out.
                matcher = engine.AnyTerm(field, group).matcher(_Searcher(leaf))
                live = [d for d in expected if not leaf.is_deleted(d)]
                assert list(matcher.all_ids()) == live


class _Searcher:
    """What a query's matcher needs of a searcher: its reader."""

    def __init__(self, reader):
        self._reader = reader

    def reader(self):
        return self._reader


@pytest.mark.parametrize("field", ["analysed", "body"])
def test_a_postings_file_that_cannot_be_written_leaves_nothing_behind(
    generated, tmp_path, monkeypatch, field
):
    from archive.backends.whoosh import positions, postings

    path = tmp_path / f"MAIN_x.{field}"
    with Index(generated).open("public").reader() as reader:
        leaf = max((leaf for leaf, _ in reader.leaf_readers()), key=lambda r: r.doc_count_all())
        postings.save_postings(leaf, field, path)
        assert positions.PositionsFile(path).has_weights == (field != "analysed")
        path.unlink()

        def disk_full(*_):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(positions.PositionsWriter, "add", disk_full)
        postings.save_postings(leaf, field, path)  # the index is only slower
        assert not list(tmp_path.iterdir())
        monkeypatch.setattr(positions.PositionsWriter, "add", lambda *_: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            postings.save_postings(leaf, field, path)
        assert not list(tmp_path.iterdir())


def test_a_phrase_finds_consecutive_words_and_leaves_positions_beyond_its_keys_to_whoosh():
    import numpy as np

    from archive.backends.whoosh import postings
    from archive.backends.whoosh.schema import VarintPositions

    fmt = VarintPositions()

    def term(lists):
        values = [fmt.encode(p) for p in lists.values()]
        return postings.BlockPostings(np.array(list(lists)), np.ones(len(lists)), values)

    # "a b": document 3 has them one after the other, 5 in the other order, 8 apart.
    first = term({3: [4, 10], 5: [7], 8: [1]})
    second = term({3: [11], 5: [6], 8: [9]})
    common = np.array([3, 5, 8])
    keys = [postings.phrase_keys(first, common, 2), postings.phrase_keys(second, common, 1)]
    assert postings.consecutive(keys).tolist() == [3]
    beyond = term({3: [1 << 32], 5: [2]})
    assert postings.phrase_keys(beyond, np.array([5]), 1) is not None
    assert postings.phrase_keys(beyond, np.array([3, 5]), 1) is None


def test_positions_are_read_back_exactly_one_value_or_thousands_at_once():
    import random

    import numpy as np

    from archive.backends.whoosh.schema import VarintPositions

    rng = random.Random(5)
    fmt = VarintPositions()
    lists = [[]] + [
        sorted(rng.sample(range(1 << 24), rng.choice([1, 2, 7, 300, 1500]))) for _ in range(200)
    ]
    lists.append([0, 127, 128, 16383, 16384, (1 << 28) + 5])  # every varint width
    values = [fmt.encode(p) for p in lists]
    for p, v in zip(lists, values, strict=True):
        assert fmt.decode_positions(v) == p
        assert fmt.decode_frequency(v) == len(p)
    # A document's values encoded together, as the rebuild does, are the same bytes.
    joined = VarintPositions.encode_many(lists[1:])
    assert list(joined) == values[1:]
    assert joined.data == b"".join(values[1:])
    found, counts = VarintPositions.decode_all(values)
    assert counts.tolist() == [len(p) for p in lists]
    assert np.array_equal(found, [x for p in lists for x in p])
    # Smaller than Whoosh's pickled deltas for the short gaps of real text.
    from whoosh.formats import Positions

    text_like = list(range(0, 600, 7))
    assert len(fmt.encode(text_like)) < len(Positions().encode(text_like)) * 0.6


def test_a_value_that_does_not_hold_what_it_counts_is_refused():
    from archive.backends.whoosh.schema import VarintPositions

    value = VarintPositions().encode([3, 9])
    with pytest.raises(ValueError):
        VarintPositions.decode_all([value[:-1]])
    with pytest.raises(ValueError):  # counts two, holds none
        VarintPositions.decode_all([value[:4]])


def test_segment_arrays_are_kept_beside_the_segment_and_survive_damage(indexed_home, monkeypatch):
    from archive.backends.whoosh import arrays

    def fresh_search():
        arrays._segments.clear()  # as a new process starts
        with SearchService(indexed_home) as service:
            result = service.search("Egypt")
            return [h.id for h in result.hits], result.facets

    # Written by the indexer, so that no search pays for reading them.
    stored = sorted((indexed_home / "index").glob(f"g*/public/*{arrays.ARRAYS_SUFFIX}"))
    assert stored
    first = fresh_search()
    with monkeypatch.context() as patched:
        patched.setattr(arrays, "_segment_arrays", None)  # only the files can answer
        assert fresh_search() == first
    for path in stored:
        path.write_bytes(b"not an archive")
    assert fresh_search() == first  # damaged: read from the segment again, and rewritten
    assert all(path.read_bytes().startswith(b"PK") for path in stored)


def test_a_deletion_whoosh_marks_in_a_segment_hides_the_document_at_once(indexed_home):
    # Whoosh records a deletion in the table of contents and keeps the
    # segment's files (and its id): the engine's cached mask must follow.
    with SearchService(indexed_home) as service:
        before = {h.id for h in service.search("", page_size=100).hits}
        victim = sorted(before)[0]
        ix = Index(indexed_home).open("public")
        segments = {s.segment_id() for s in ix._segments()}
        writer = ix.writer()
        writer.delete_by_term("id", victim)
        writer.commit(mergetype=NO_MERGE)
        assert {s.segment_id() for s in ix._segments()} == segments  # not rewritten
        after = {h.id for h in service.search("", page_size=100).hits}
        assert after == before - {victim}
        assert service.search(f"id:{victim}").total == 0
