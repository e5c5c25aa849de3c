"""The vectorised engine gives what the straightforward implementation gives."""

from __future__ import annotations

import pytest

from archive.corpus import Corpus
from archive.indexing import Index
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
    '"freedom of expression"~3',
    "organ*",
    "rights -Egypt",
    "Egypt OR Morocco",
    "(Egypt OR Morocco) rights",
    "date:[2015 TO 2018] rights",
    "country:MA",
    "type:case",
    "rights NEAR/p defenders",
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
