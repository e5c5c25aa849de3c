"""The search service: matching, facets, filters, sorting and paging."""

from __future__ import annotations

import threading

import pytest
from whoosh.matching import UnionMatcher

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document
from archive.errors import ArchiveError
from archive.search import Filters, SearchService


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def facet(result, name) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


@pytest.mark.parametrize("query", ["أحمد", "احمد", "أحْمَد", "احمـــد"])
def test_arabic_spelling_variants_find_the_same_documents(tmp_path, query):
    home = tmp_path / "h"
    corpus = Corpus(home)
    corpus.write(Document("ahmad-ar", "قضية", "statement", "ar", "2021", "اعتُقل أحمد في مصر."))
    corpus.write(Document("other-ar", "قضية أخرى", "statement", "ar", "2021", "لا شيء هنا."))
    Index(home).rebuild(corpus)
    with SearchService(home) as service:
        assert ids(service.search(query)) == ["ahmad-ar"]


@pytest.mark.parametrize("query", ["المنظمات", "منظمات", "والمنظمات"])
def test_arabic_prefixes_and_plurals_match(service, query):
    assert "spyware-letter-ar" in ids(service.search(query))


@pytest.mark.parametrize("query", ["organisations", "organization", "Organisational"])
def test_english_inflections_match(service, query):
    assert "spyware-letter-en" in ids(service.search(query))


def test_all_words_must_match(service):
    assert ids(service.search("Raissouni sentenced")) == ["raissouni-case-en"]
    assert ids(service.search("Raissouni zebra")) == []


def test_title_matches_rank_above_body_matches(tmp_path):
    home = tmp_path / "h"
    corpus = Corpus(home)
    filler = " ".join(["report"] * 20)
    corpus.write(
        Document("in-body", "A report", "letter", "en", "2021", f"{filler} spyware {filler}")
    )
    corpus.write(
        Document("in-title", "Spyware report", "letter", "en", "2020", f"{filler} {filler}")
    )
    Index(home).rebuild(corpus)
    with SearchService(home) as service:
        assert ids(service.search("spyware")) == ["in-title", "in-body"]


def test_facets_count_documents_with_several_countries_exactly(service):
    result = service.search("")
    assert result.total == 5
    assert facet(result, "country") == {"EG": 3, "MA": 4}
    assert facet(result, "organisation") == {"access-now": 2, "gchr": 3, "nso-group": 2}
    assert facet(result, "year") == {"2021": 4, "2020": 1}
    assert facet(result, "type") == {"letter": 2, "case": 2, "statement": 1}
    assert facet(result, "language") == {"en": 3, "ar": 2}


def test_facet_values_carry_labels_in_the_requested_locale(service):
    for locale, egypt, language in (
        ("ar", "مصر", "العربية"),
        ("en", "Egypt", "Arabic"),
        ("fr", "Égypte", "arabe"),
    ):
        result = service.search("", locale=locale)
        assert {v.value: v.label for v in result.facets["country"]}["EG"] == egypt
        assert {v.value: v.label for v in result.facets["language"]}["ar"] == language


def test_filters_within_a_facet_are_ored_and_across_facets_anded(service):
    both = service.search("", Filters(countries=("EG", "MA")))
    assert both.total == 5
    narrowed = service.search("", Filters(countries=("EG",), languages=("ar",)))
    assert ids(narrowed) == ["spyware-letter-ar"]


def test_a_facets_counts_ignore_its_own_selection_but_not_the_others(service):
    result = service.search("", Filters(countries=("EG",), types=("letter",)))
    assert result.total == 2
    # Country counts apply the type selection only: letters are about EG and MA.
    assert facet(result, "country") == {"EG": 2, "MA": 2}
    # Type counts apply the country selection only: EG has letters and a statement.
    assert facet(result, "type") == {"letter": 2, "statement": 1}
    selected = {v.value for v in result.facets["country"] if v.selected}
    assert selected == {"EG"}


def test_a_selected_value_stays_listed_when_nothing_matches_it(service):
    result = service.search("Raissouni", Filters(countries=("EG",)))
    assert result.total == 0
    assert [
        (v.value, v.count, v.selected) for v in result.facets["country"] if v.value == "EG"
    ] == [("EG", 0, True)]


def test_month_counts_appear_inside_a_selected_year(service):
    result = service.search("", Filters(years=("2021",)), locale="fr")
    assert {v.value: v.count for v in result.facets["month"]} == {"2021-07": 4}
    assert result.facets["month"][0].label == "juillet 2021"
    assert "month" not in service.search("").facets


def test_date_range_filters(service):
    assert service.search("", Filters(date_from="2021")).total == 4
    assert ids(service.search("", Filters(date_to="2020-12"))) == ["egypt-detention-statement-en"]
    assert service.search("", Filters(date_from="2021-07-10", date_to="2021-07")).total == 2


def test_sort_by_date_both_ways(service):
    newest = ids(service.search("", sort="date"))
    oldest = ids(service.search("", sort="date-asc"))
    assert newest[-1] == "egypt-detention-statement-en"
    assert oldest[0] == "egypt-detention-statement-en"
    assert newest[:2] == ["spyware-letter-ar", "spyware-letter-en"]


def test_pages_partition_the_results(service):
    pages = [ids(service.search("", page=p, page_size=2)) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == sorted(ids(service.search("", page_size=10)))
    assert service.search("", page=9, page_size=2).hits == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": Filters(countries=("XX",))}, "country: unknown value 'XX'"),
        ({"filters": Filters(organisations=("nobody",))}, "org: unknown value 'nobody'"),
        ({"filters": Filters(types=("memo",))}, "type: unknown value 'memo'"),
        ({"filters": Filters(languages=("de",))}, "lang: unknown value 'de'"),
        ({"filters": Filters(date_from="July")}, "from: 'July' is not a date"),
        ({"filters": Filters(years=("21",))}, "year: '21' is not a year"),
        ({"sort": "random"}, "sort: must be one of relevance, date, date-asc"),
        ({"page": 0}, "page: must be 1 or more"),
        ({"page_size": 1000}, "page size: must be between 1 and 100"),
    ],
)
def test_bad_parameters_raise_a_clear_error(service, kwargs, message):
    with pytest.raises(ArchiveError, match=message.replace("(", r"\(")):
        service.search("x", **kwargs)


def test_snippets_mark_matched_words_and_name_their_paragraph(service):
    hit = service.search("Pegasus").hits[0]
    assert hit.id == "spyware-letter-en"
    assert hit.snippet.paragraph == 2
    marked = [piece for piece, is_match in hit.snippet.parts() if is_match]
    assert marked == ["Pegasus"]


def test_arabic_snippets_mark_the_right_words(service):
    hit = next(h for h in service.search("بيغاسوس").hits if h.language == "ar")
    marked = [piece for piece, is_match in hit.snippet.parts() if is_match]
    assert marked == ["بيغاسوس"]


def test_hits_list_their_translations_with_the_interface_language_first(service):
    hit = next(
        h for h in service.search("spyware", locale="ar").hits if h.id == "spyware-letter-en"
    )
    assert [t.id for t in hit.translations] == ["spyware-letter-ar"]


def test_searching_never_enters_block_quality_skipping(service, monkeypatch):
    """Whoosh 2.7.4 can loop forever in UnionMatcher.skip_to_quality (upstream #446)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("skip_to_quality was called")

    monkeypatch.setattr(UnionMatcher, "skip_to_quality", forbidden)
    assert service.search("Raissouni OR Khashoggi").total >= 2


def test_two_rare_words_ored_on_a_large_index_finish(tmp_path):
    """The shape of query that loops forever in Whoosh 2.7.4's collector (#446)."""
    home = tmp_path / "big"
    corpus = Corpus(home)
    words = ["surveillance", "journalist", "spyware", "rights", "court", "prison", "letter"]
    for n in range(2000):
        body = " ".join(words[(n * k) % len(words)] for k in range(1, 40))
        if n % 397 == 0:
            body += " quokka"
        if n % 911 == 0:
            body += " wombat"
        corpus.write(Document(f"d{n}", f"Doc {n} {words[n % 7]}", "letter", "en", "2020", body))
    Index(home).rebuild(corpus)
    found = []
    with SearchService(home) as service:
        worker = threading.Thread(
            target=lambda: found.append(service.search("quokka OR wombat").total)
        )
        worker.start()
        worker.join(60)
        assert not worker.is_alive(), "search did not finish"
    assert found == [len({n for n in range(2000) if n % 397 == 0 or n % 911 == 0})]


def test_warming_loads_what_the_first_search_would_wait_for(service):
    from archive.backends.whoosh import arrays

    service.warm()
    assert service.registry._names is not None
    reader = service.backend.view().reader
    keys = {arrays.segment_key(r) for r, _ in reader.leaf_readers() if r.segment() is not None}
    assert keys and keys <= set(arrays._segments)


def test_a_prefix_finds_its_words_however_they_were_stemmed(tmp_path):
    # "surveillance" is stemmed to "surveil": a prefix longer than that stem
    # still finds it, through the exact words that start with the prefix.
    home = tmp_path / "h"
    corpus = Corpus(home)
    corpus.write(
        Document("watch", "Watch", "letter", "en", "2021", "Mass surveillance of activists.")
    )
    corpus.write(Document("other", "Other", "letter", "en", "2021", "Surveys of the sea."))
    Index(home).rebuild(corpus)
    with SearchService(home) as service:
        assert ids(service.search("surveillan*")) == ["watch"]
        assert sorted(ids(service.search("surv*"))) == ["other", "watch"]
        assert ids(service.search("surveillant*")) == []


def test_an_exact_word_is_required_and_ranked_by_the_word(tmp_path):
    home = tmp_path / "h"
    corpus = Corpus(home)
    corpus.write(Document("plural", "One", "letter", "en", "2021", "Journalists were held."))
    corpus.write(Document("singular", "Two", "letter", "en", "2021", "A journalist was held."))
    many = " ".join(["journalists"] * 5)
    corpus.write(Document("many", "Three", "letter", "en", "2021", f"{many} held."))
    Index(home).rebuild(corpus)
    with SearchService(home) as service:
        assert ids(service.search("=journalists")) == ["many", "plural"]
        assert sorted(ids(service.search("journalists"))) == ["many", "plural", "singular"]
