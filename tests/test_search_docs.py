"""Every example in docs/search.md finds what the docs say, on the bundled corpus."""

from __future__ import annotations

import re

import pytest

from archive.analysis import phrase_terms, word_matches

from .conftest import PROJECT

DOCS = (PROJECT / "docs" / "search.md").read_text(encoding="utf-8")
TABLE = DOCS.split("## Query language", 1)[1].split("\n\n", 2)[1]
ROWS = [
    re.findall(r"`([^`]+)`", line.split("|")[1])
    for line in TABLE.splitlines()
    if line.startswith("| `")
]
#: Table entries that are not queries by themselves: operators and bare field names.
OPERATORS = {"NOT", "ليس", "بدون", "SAUF", "عنوان:", "titre:", "منظمة:", "organisation:"}
EXAMPLES = [q for row in ROWS for q in row if q not in OPERATORS and not q.endswith(":")]
#: Examples of one row that are the same query in other languages or spellings.
SAME = [
    ("Morocco OR Egypt", "المغرب أو مصر", "Maroc OU Égypte"),
    ("country:EG", "country:Egypt", "بلد:مصر", "pays:Égypte"),
    ("org:nso-group", "org:NSO"),
    ("lang:ar", "lang:arabe", "لغة:العربية"),
    ("date:[2020 TO 2022]", "date:[2020 إلى 2022]"),
]


def ids(service, query: str) -> set[str]:
    return {hit.id for hit in service.search(query, page_size=100).hits}


def test_the_table_is_read():
    assert len(ROWS) >= 15 and "Egypt -Pegasus" in EXAMPLES


@pytest.mark.parametrize("query", EXAMPLES)
def test_every_example_finds_documents_and_ignores_nothing(bundled, query):
    result = bundled.search(query, page_size=100)
    assert result.total > 0, query
    assert result.messages == [], query


@pytest.mark.parametrize("same", SAME, ids=lambda same: same[0])
def test_examples_in_one_row_find_the_same_documents(bundled, same):
    assert any(set(same) <= set(row) for row in ROWS)  # the docs still give them together
    found = [ids(bundled, q) for q in same]
    assert found[0] and all(f == found[0] for f in found), same


def test_exclusion_leaves_out_the_name_in_every_script(bundled):
    assert ids(bundled, "Egypt -Pegasus")
    for doc_id in ids(bundled, "Egypt -Pegasus"):
        body = bundled.document(doc_id).body
        assert "Pegasus" not in body and "بيغاسوس" not in body


def test_either_finds_both(bundled):
    both = ids(bundled, "Morocco OR Egypt")
    assert ids(bundled, "Morocco") | ids(bundled, "Egypt") == both


def _positions(text: str, term: str) -> list[int]:
    return [n for n, m in enumerate(word_matches(text)) if term in phrase_terms(m.group())[0]]


@pytest.mark.parametrize(
    ("query", "words", "distance"),
    [
        ('"freedom of expression"', ("freedom", "expression"), 2),
        ('"surveillance journalists"~5', ("surveillance", "journalists"), 6),
        ("surveillance NEAR/3 journalist", ("surveillance", "journalist"), 4),
        ('"حرية الصحافة"~5', ("حرية", "الصحافة"), 6),
    ],
)
def test_phrases_and_proximity_find_words_that_close(bundled, query, words, distance):
    found = ids(bundled, query)
    assert found, query
    first, second = (phrase_terms(w)[0][0] for w in words)
    for doc_id in found:
        document = bundled.document(doc_id)
        texts = [document.title, *document.paragraphs()]
        assert any(
            abs(a - b) <= distance
            for text in texts
            for a in _positions(text, first)
            for b in _positions(text, second)
        ), (query, doc_id)


def test_proximity_finds_inflected_words(bundled):
    # The docs' example: journalist finds "journalists", 3 words from surveillance.
    def close(text: str) -> bool:
        words = [m.group().casefold() for m in word_matches(text)]
        where = [n for n, w in enumerate(words) if w == "surveillance"]
        return any(
            words[k] == "journalists"
            for n in where
            for k in range(n - 4, n + 5)
            if 0 <= k < len(words)
        )

    found = ids(bundled, "surveillance NEAR/3 journalist")
    assert any(
        close(p)
        for d in found
        for p in [bundled.document(d).title, *bundled.document(d).paragraphs()]
    )


def test_a_literal_word_is_that_word(bundled):
    for doc_id in ids(bundled, "=journalists"):
        document = bundled.document(doc_id)
        assert "journalists" in (document.title + document.body).casefold()


@pytest.mark.parametrize(
    "family",
    [
        ("أحمد", "احمد", "أحْمَد", "احمـــد"),
        ("مصر", "Egypt", "Égypte", "Egyptian", "المصرية"),
        ("organisations", "organization", "organisational"),
        ("procès équitable", "proces equitable"),
        ("sécurité", "securite"),
        ("Pegasus", "بيغاسوس"),
    ],
)
def test_the_spellings_the_docs_name_find_the_same_documents(bundled, family):
    for word in family:
        assert f"`{word}`" in DOCS, word  # the docs still say so
    found = [ids(bundled, word) for word in family]
    assert found[0] and all(f == found[0] for f in found), family


def test_the_suggestion_example(bundled):
    assert "`survelance` → `surveillance`" in DOCS
    assert bundled.search("survelance").suggestion == "surveillance"
